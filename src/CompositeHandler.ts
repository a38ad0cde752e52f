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
import { type Exporter, ExporterError, type ExporterSpec, type RequestSink } from "./Exporter.js"
import { GuardConfig } from "./GuardConfig.js"
import { type Lane, makeLane } from "./internal/lane.js"
import type { RequestMetrics } from "./MetricsCollector.js"
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
  /**
   * Metrics built off the request path: `build` runs on the dispatcher fiber, so the caller pays for
   * one offer however many metrics it describes. Muted types among them are dropped there. They go
   * to the exporters without a request sink (see `recordRequest`): they describe a request.
   */
  readonly sendMetrics: (build: () => ReadonlyArray<SecurityMetric>) => Effect.Effect<void>
  /**
   * A finished request, for the exporters that aggregate requests themselves (`Exporter.requestSink`):
   * synchronous, and nothing is built for them. The others take the request's metrics from
   * `sendMetrics`.
   */
  readonly recordRequest: (request: RequestMetrics) => void
  /** Whether some running exporter takes request metrics as metrics, from `sendMetrics`. */
  readonly buildsRequestMetrics: boolean
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

/** What an exporter's lane carries: an event, or a run of metrics as one item. */
type Delivery =
  | { readonly _tag: "Event"; readonly event: SecurityEvent }
  | { readonly _tag: "Metrics"; readonly metrics: ReadonlyArray<SecurityMetric> }

interface Running {
  readonly exporter: Exporter
  readonly lane: Lane<Delivery>
  /** Set when the exporter aggregates requests itself: request metrics are not sent to it. */
  readonly sink: RequestSink | undefined
}

/** What the request side offers: a payload, or metrics still to be built. */
type Intake = Telemetry | { readonly _tag: "Metrics"; readonly build: () => ReadonlyArray<SecurityMetric> }

/** A batch for one exporter, each run of metrics in one call when the exporter can take them. */
const exportBatch = (exporter: Exporter, batch: ReadonlyArray<Delivery>): Effect.Effect<void, ExporterError> =>
  Effect.forEach(batch, (item) =>
    item._tag === "Event"
      ? exporter.exportEvent(item.event)
      : exporter.exportMetrics === undefined
      ? Effect.forEach(item.metrics, exporter.exportMetric, { discard: true })
      : exporter.exportMetrics(item.metrics), { discard: true })

const weigh = (item: Delivery) => (item._tag === "Event" ? 1 : item.metrics.length)

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

    // Request metrics carry only the enrichment's constant tags, so an exporter that aggregates can
    // take them once per attribute set; an enricher that cannot say what they are gets metrics.
    const requestTags = enricher === undefined ? {} : enricher.metricTags
    const sinkOf = (exporter: Exporter): RequestSink | undefined => {
      if (exporter.requestSink === undefined || requestTags === undefined) return undefined
      const sink = exporter.requestSink({ muted: mutedMetrics, tags: requestTags })
      const lost = Metric.tagged(droppedTelemetry, "lane", exporter.name)
      return (request) => {
        try {
          sink(request)
        } catch {
          lost.unsafeUpdate(1, [])
        }
      }
    }

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
      const lane = yield* makeLane<Delivery>({
        name: spec.name,
        capacity,
        weigh,
        handle: (batch) => guarded(spec.name, exportBatch(exporter, batch))
      })
      running.push({ exporter, lane, sink: sinkOf(exporter) })
    }

    // 2. the dispatcher: enrich once, then a private copy for each exporter
    const dropIn = (name: string, n: number) =>
      n === 0 ? Effect.void : Metric.incrementBy(Metric.tagged(droppedTelemetry, "lane", name), n)

    // Each exporter gets its own copy. A single exporter can share nothing with another, and metrics
    // are fresh objects the emitter gave away: the copy is skipped for them.
    const fanOutEvent = (event: SecurityEvent) =>
      Effect.forEach(running, ({ exporter, lane }) =>
        lane.unsafeOffer({ _tag: "Event", event: copyEvent(event) }) ? Effect.void : dropIn(exporter.name, 1), { discard: true })

    // a run travels as one lane item; a long one is cut so that no piece outweighs an empty lane
    const runLength = Math.max(1, Math.floor(capacity / 8))
    const builtFor = running.filter((r) => r.sink === undefined)
    const fanOutMetrics = (metrics: ReadonlyArray<SecurityMetric>, targets: ReadonlyArray<Running>) =>
      Effect.forEach(targets, ({ exporter, lane }) => {
        const own = targets.length === 1 ? metrics : metrics.map((metric) => copyMetric(metric))
        let dropped = 0
        for (let i = 0; i < own.length; i += runLength) {
          const piece = own.length <= runLength ? own : own.slice(i, i + runLength)
          if (!lane.unsafeOffer({ _tag: "Metrics", metrics: piece })) dropped += piece.length
        }
        return dropIn(exporter.name, dropped)
      }, { discard: true })

    const dispatchEvent = (event: SecurityEvent) =>
      Effect.flatMap(
        enricher === undefined ? Effect.succeed(withoutGuardKeys(event)) : enricher.enrichEvent(withoutGuardKeys(event)),
        fanOutEvent
      )

    const dispatchMetrics = (metrics: ReadonlyArray<SecurityMetric>, targets: ReadonlyArray<Running>) =>
      Effect.flatMap(
        enricher === undefined ? Effect.succeed(metrics) : enricher.enrichMetrics(metrics),
        (enriched) => fanOutMetrics(enriched, targets)
      )

    // Metrics travel in runs (one enrichment and one offer loop per run); events one by one, in order.
    // Request metrics go only to the exporters without a request sink, which had the requests already.
    const dispatch = (batch: ReadonlyArray<Intake>) =>
      Effect.suspend(() => {
        const steps: Array<Effect.Effect<void>> = []
        let run: Array<SecurityMetric> = []
        let requestRun: Array<SecurityMetric> = []
        const endRun = () => {
          if (run.length > 0) steps.push(dispatchMetrics(run, running))
          if (requestRun.length > 0) steps.push(dispatchMetrics(requestRun, builtFor))
          run = []
          requestRun = []
        }
        for (const item of batch) {
          switch (item._tag) {
            case "Event":
              endRun()
              steps.push(dispatchEvent(item.event))
              break
            case "Metric":
              run.push(withoutGuardTags(item.metric))
              break
            case "Metrics":
              try {
                for (const metric of item.build()) if (!mutedMetrics.has(metric.metricType)) requestRun.push(withoutGuardTags(metric))
              } catch (error) {
                steps.push(Effect.logWarning("telemetry: building metrics failed; they are left out", error))
              }
          }
        }
        endRun()
        return Effect.all(steps, { discard: true })
      })

    const intake = yield* makeLane<Intake>({ name: "intake", capacity, handle: dispatch })

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
    const offer = (item: Intake) => Effect.suspend(() => (intake.unsafeOffer(item) ? Effect.void : intakeDropped))

    // with no exporter running there is nobody to deliver to: accepting would only cost the request
    const idle = running.length === 0
    const sinks = running.flatMap(({ sink }) => (sink === undefined ? [] : [sink]))
    return CompositeHandler.of({
      sendEvent: (event) => (idle || mutedEvents.has(event.eventType) ? Effect.void : offer({ _tag: "Event", event })),
      sendMetric: (metric) => (idle || mutedMetrics.has(metric.metricType) ? Effect.void : offer({ _tag: "Metric", metric })),
      sendMetrics: (build) => (builtFor.length === 0 ? Effect.void : offer({ _tag: "Metrics", build })),
      recordRequest: (request) => {
        for (const sink of sinks) sink(request)
      },
      buildsRequestMetrics: builtFor.length > 0,
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
