/**
 * The composite handler: the one place every event and metric goes through. On the request fiber it
 * only applies the mute filter and offers the payload to a bounded queue (never blocking; a full
 * queue drops and counts). A background fiber strips emitter-set `guard.*` keys, enriches, and hands
 * each exporter its own copy through the exporter's own bounded lane, where every call runs with a
 * timeout. A slow, failing or hung exporter therefore costs the others and the requests nothing.
 *
 * Closing the scope drains the queues, flushes the exporters and stops them, within a deadline.
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Exit, Layer, Metric, Option, Ref, Scope } from "effect"
import { EventEnricher } from "./EventEnricher.js"
import type { EventType, MetricType } from "./EventTypes.js"
import { type Exporter, ExporterError, type ExporterSpec } from "./Exporter.js"
import { GuardConfig } from "./GuardConfig.js"
import { type Lane, makeLane } from "./internal/lane.js"
import { copyEvent, copyMetric, type SecurityEvent, type SecurityMetric } from "./SecurityEvent.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Telemetry =
  | { readonly _tag: "Event"; readonly event: SecurityEvent }
  | { readonly _tag: "Metric"; readonly metric: SecurityMetric }

/**
 * @since 0.1.0
 * @category models
 */
export interface CompositeHandlerOptions {
  readonly exporters: ReadonlyArray<ExporterSpec>
  readonly mutedEventTypes?: ReadonlySet<EventType>
  readonly mutedMetricTypes?: ReadonlySet<MetricType>
  readonly enricher?: EventEnricher["Type"] | undefined
  /** Capacity of the request-side queue and of each exporter's lane. Default 4096. */
  readonly queueCapacity?: number
  /** Longest time one exporter call may take. Default 5 seconds. */
  readonly exportTimeout?: Duration.DurationInput
  /** Longest time closing the scope waits for delivery and shutdown. Default 10 seconds. */
  readonly shutdownTimeout?: Duration.DurationInput
}

/**
 * Telemetry dropped because a queue was full, by lane (`intake` or an exporter's name).
 *
 * @since 0.1.0
 * @category metrics
 */
export const droppedTelemetry = Metric.counter("effect_guard_telemetry_dropped", {
  description: "Events and metrics dropped because a telemetry queue was full",
  incremental: true
})

/**
 * @since 0.1.0
 * @category tags
 */
export class CompositeHandler extends Context.Tag("effect-guard/CompositeHandler")<CompositeHandler, {
  /** Mute check and a non-blocking offer; returns at once. */
  readonly sendEvent: (event: SecurityEvent) => Effect.Effect<void>
  readonly sendMetric: (metric: SecurityMetric) => Effect.Effect<void>
  /** Delivers everything queued so far and flushes every exporter (each within the shutdown timeout). */
  readonly flush: Effect.Effect<void>
  /** `true` between start and the close of the scope. */
  readonly started: Effect.Effect<boolean>
  /** Started, and at least one exporter failed to start or its last call failed. */
  readonly degraded: Effect.Effect<boolean>
  /** Names of the exporters that failed to start or whose last call failed. */
  readonly failedHandlers: Effect.Effect<ReadonlyArray<string>>
  /** Payloads dropped because the request-side queue was full. */
  readonly dropped: Effect.Effect<number>
  /** Payloads dropped per exporter because its lane was full (a stalled exporter). */
  readonly droppedByExporter: Effect.Effect<Readonly<Record<string, number>>>
  /** The exporters that started. */
  readonly exporters: ReadonlyArray<string>
  /** Whether any exporter runs: with none, emitters can skip building payloads at all. */
  readonly active: boolean
}>() {
  /**
   * The composite over `exporters`, muted and tuned by `GuardConfig`, enriching with `EventEnricher`
   * when it is in the context.
   *
   * @since 0.1.0
   */
  static layer(exporters: ReadonlyArray<ExporterSpec>): Layer.Layer<CompositeHandler, never, GuardConfig> {
    return Layer.scoped(
      CompositeHandler,
      Effect.gen(function*() {
        const config = yield* GuardConfig
        const enricher = yield* Effect.serviceOption(EventEnricher)
        return yield* make({
          exporters,
          mutedEventTypes: config.mutedEventTypes,
          mutedMetricTypes: config.mutedMetricTypes,
          enricher: Option.getOrUndefined(enricher),
          queueCapacity: config.telemetryQueueCapacity,
          exportTimeout: Duration.millis(config.telemetryExportTimeoutMs),
          shutdownTimeout: Duration.millis(config.telemetryShutdownTimeoutMs)
        })
      })
    )
  }
}

const isGuardKey = (key: string) => key.startsWith("guard.")

/** Enrichment owns the `guard.*` namespace: an emitter may not pre-set those keys. */
const withoutGuardKeys = (event: SecurityEvent): SecurityEvent => {
  const keys = Object.keys(event.metadata)
  if (!keys.some(isGuardKey)) return event
  const metadata: Record<string, unknown> = {}
  for (const key of keys) if (!isGuardKey(key)) metadata[key] = event.metadata[key]
  return copyEvent(event, metadata)
}

const withoutGuardTags = (metric: SecurityMetric): SecurityMetric => {
  const keys = Object.keys(metric.tags)
  if (!keys.some(isGuardKey)) return metric
  const tags: Record<string, string> = {}
  for (const key of keys) if (!isGuardKey(key)) tags[key] = metric.tags[key]!
  return copyMetric(metric, tags)
}

interface Running {
  readonly exporter: Exporter
  readonly lane: Lane<Telemetry>
}

/**
 * Starts every exporter (a failure marks it failed and the rest go on) and the background fibers,
 * all in the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: CompositeHandlerOptions): Effect.Effect<CompositeHandler["Type"], never, Scope.Scope> =>
  Effect.gen(function*() {
    const capacity = options.queueCapacity ?? 4096
    const exportTimeout = Duration.decode(options.exportTimeout ?? Duration.seconds(5))
    const shutdownTimeout = Duration.decode(options.shutdownTimeout ?? Duration.seconds(10))
    const mutedEvents = options.mutedEventTypes ?? new Set()
    const mutedMetrics = options.mutedMetricTypes ?? new Set()
    const enricher = options.enricher

    const started = yield* Ref.make(false)
    const failed = yield* Ref.make<ReadonlySet<string>>(new Set())

    const markFailed = (name: string, error: unknown) =>
      Effect.flatMap(Ref.modify(failed, (s) => [s.has(name), new Set([...s, name])]), (already) =>
        already
          ? Effect.logDebug(`telemetry exporter ${name} still failing`, error)
          : Effect.logWarning(`telemetry exporter ${name} failed; other exporters are unaffected`, error))
    const markHealthy = (name: string) =>
      Effect.flatMap(
        Ref.modify(failed, (s) => (s.has(name) ? [true, new Set([...s].filter((n) => n !== name))] : [false, s])),
        (recovered) => (recovered ? Effect.logInfo(`telemetry exporter ${name} recovered`) : Effect.void)
      )

    const guarded = (name: string, effect: Effect.Effect<void, ExporterError>, recovers = true) =>
      effect.pipe(
        Effect.disconnect,
        Effect.timeoutFail({
          duration: exportTimeout,
          onTimeout: () =>
            new ExporterError({
              exporter: name,
              reason: "Timeout",
              message: `exporter ${name} did not answer within ${Duration.format(exportTimeout)}`
            })
        }),
        Effect.matchCauseEffect({
          onFailure: (cause) => markFailed(name, cause),
          onSuccess: () => (recovers ? markHealthy(name) : Effect.void)
        })
      )

    // 1. exporters, each in a scope of its own so one that fails to start leaves nothing behind
    const running: Array<Running> = []
    for (const spec of options.exporters) {
      const child = yield* Scope.make()
      const exit = yield* spec.acquire.pipe(
        Scope.extend(child),
        Effect.timeoutFail({
          duration: shutdownTimeout,
          onTimeout: () => new ExporterError({ exporter: spec.name, reason: "Start", message: `${spec.name} did not start in time` })
        }),
        Effect.exit
      )
      if (Exit.isFailure(exit)) {
        yield* Scope.close(child, exit)
        yield* Ref.update(failed, (s) => new Set([...s, spec.name]))
        yield* Effect.logError(`Handler ${spec.name} failed to start`, exit.cause)
        continue
      }
      const exporter = exit.value
      yield* Effect.addFinalizer(() =>
        Scope.close(child, Exit.void).pipe(
          Effect.disconnect,
          Effect.timeoutOption(shutdownTimeout),
          Effect.flatMap((done) =>
            Option.isNone(done) ? Effect.logWarning(`exporter ${spec.name} did not stop within the shutdown deadline`) : Effect.void)
        )
      )
      // one timeout per batch, not per payload: a timer per metric would cost more than the metric
      const lane = yield* makeLane<Telemetry>({
        name: spec.name,
        capacity,
        handle: (batch) =>
          guarded(
            spec.name,
            Effect.forEach(batch, (item) =>
              item._tag === "Event" ? exporter.exportEvent(item.event) : exporter.exportMetric(item.metric), { discard: true })
          )
      })
      running.push({ exporter, lane })
    }

    // 2. the dispatcher: enrich once, then a private copy for each exporter
    const offerTo = ({ exporter, lane }: Running, item: Telemetry) =>
      lane.unsafeOffer(item) ? Effect.void : Metric.increment(Metric.tagged(droppedTelemetry, "lane", exporter.name))

    // Each exporter gets its own copy. A single exporter can share nothing with another, and metrics
    // (three per request) are fresh objects the emitter gave away: the copy is skipped for them.
    const fanOut = (item: Telemetry) =>
      running.length === 1 && item._tag === "Metric"
        ? offerTo(running[0]!, item)
        : Effect.forEach(running, (target) =>
          offerTo(
            target,
            item._tag === "Event" ? { _tag: "Event", event: copyEvent(item.event) } : { _tag: "Metric", metric: copyMetric(item.metric) }
          ), { discard: true })

    const dispatch = (item: Telemetry) =>
      item._tag === "Event"
        ? Effect.flatMap(
          enricher === undefined ? Effect.succeed(withoutGuardKeys(item.event)) : enricher.enrichEvent(withoutGuardKeys(item.event)),
          (event) => fanOut({ _tag: "Event", event })
        )
        : Effect.flatMap(
          enricher === undefined ? Effect.succeed(withoutGuardTags(item.metric)) : enricher.enrichMetric(withoutGuardTags(item.metric)),
          (metric) => fanOut({ _tag: "Metric", metric })
        )

    const intake = yield* makeLane<Telemetry>({
      name: "intake",
      capacity,
      handle: (batch) => Effect.forEach(batch, dispatch, { discard: true })
    })

    const flush = Effect.gen(function*() {
      yield* intake.awaitIdle
      yield* Effect.forEach(running, ({ exporter, lane }) =>
        lane.awaitIdle.pipe(
          // only a delivered payload proves recovery; a flush with nothing to send does not
          Effect.zipRight(guarded(exporter.name, exporter.flush, false)),
          Effect.timeoutOption(shutdownTimeout),
          Effect.flatMap((done) =>
            Option.isNone(done) ? markFailed(exporter.name, `flush did not finish within ${Duration.format(shutdownTimeout)}`) : Effect.void)
        ), { concurrency: "unbounded", discard: true })
    })

    // 3. on close: deliver what is queued and flush, within the deadline, before the fibers stop
    yield* Effect.addFinalizer(() =>
      flush.pipe(
        Effect.interruptible,
        Effect.timeoutOption(shutdownTimeout),
        Effect.flatMap((done) =>
          Option.isNone(done) ? Effect.logWarning("telemetry shutdown deadline reached; undelivered telemetry dropped") : Effect.void),
        Effect.ensuring(Ref.set(started, false))
      )
    )
    yield* Ref.set(started, true)

    const intakeDropped = Metric.increment(Metric.tagged(droppedTelemetry, "lane", "intake"))
    const offer = (item: Telemetry) => Effect.suspend(() => (intake.unsafeOffer(item) ? Effect.void : intakeDropped))

    // with no exporter running there is nobody to deliver to: accepting would only cost the request
    const idle = running.length === 0
    return CompositeHandler.of({
      sendEvent: (event) => (idle || mutedEvents.has(event.eventType) ? Effect.void : offer({ _tag: "Event", event })),
      sendMetric: (metric) => (idle || mutedMetrics.has(metric.metricType) ? Effect.void : offer({ _tag: "Metric", metric })),
      flush,
      started: Ref.get(started),
      degraded: Effect.zipWith(Ref.get(started), Ref.get(failed), (s, f) => s && f.size > 0),
      failedHandlers: Effect.map(Ref.get(failed), (s) => [...s].sort()),
      dropped: intake.dropped,
      droppedByExporter: Effect.map(
        Effect.forEach(running, ({ exporter, lane }) => Effect.map(lane.dropped, (n) => [exporter.name, n] as const)),
        Object.fromEntries
      ),
      exporters: running.map((r) => r.exporter.name),
      active: !idle
    })
  })
