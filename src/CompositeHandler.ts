/**
 * The composite handler: the one place every event and metric goes through. On the request fiber it
 * only applies the mute filter and offers the payload to a bounded queue (never blocking; a full
 * queue drops and counts). A background fiber strips emitter-set `guard.*` keys, enriches, and hands
 * each exporter its own copy through the exporter's own bounded lane, where every call runs with a
 * timeout. A slow, failing or hung exporter therefore costs the others and the requests nothing.
 *
 * Each exporter's health is followed while traffic flows: a failed call (or one that timed out) and
 * the exporter's own `health` (polled every second: an exporter that delivers in the background, as
 * the OpenTelemetry and agent ones do, knows best) make it failed until both are fine again. Each
 * change is logged once and set on the `effect_guard_exporter_up` gauge.
 *
 * Closing the scope drains the queues, then flushes and stops every exporter in parallel, all within
 * one deadline (`shutdownTimeout`) whatever the exporters do. Waits on exporters (a call, a flush, a
 * close) are bounded on the wall clock, so a `TestClock` can neither stall nor stretch them.
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Exit, Layer, Metric, Option, Ref, Scope } from "effect"
import { EventEnricher } from "./EventEnricher.js"
import { EVENT_TYPE_VALUES, type EventType, METRIC_TYPE_VALUES, type MetricType } from "./EventTypes.js"
import { type Exporter, ExporterError, type ExporterSpec, type RequestMetrics, type RequestSink } from "./Exporter.js"
import { failAfter, wallMillis, wallSleep, withinDeadline } from "./internal/deadline.js"
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
  /** Longest time closing the scope takes, delivery and every exporter's shutdown together. Default 10 seconds. */
  readonly shutdownTimeout?: Duration.DurationInput
  /** How often each exporter's `health` is read. Default 1 second. */
  readonly healthInterval?: Duration.DurationInput
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
 * 1 while an exporter is healthy, 0 while it is failed, by `exporter`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const exporterUp = Metric.gauge("effect_guard_exporter_up", {
  description: "Whether a telemetry exporter delivers (1) or is failing (0)"
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
  /** Started, and at least one exporter is failed (see `failedHandlers`). */
  readonly degraded: Effect.Effect<boolean>
  /**
   * Names of the exporters that failed to start, whose last call failed or timed out, or whose own
   * `health` said so when last read.
   */
  readonly failedHandlers: Effect.Effect<ReadonlyArray<string>>
  /** Payloads dropped because the request-side queue was full. */
  readonly dropped: Effect.Effect<number>
  /** Payloads dropped per exporter because its lane was full (a stalled exporter). */
  readonly droppedByExporter: Effect.Effect<Readonly<Record<string, number>>>
  /** The exporters that started. */
  readonly exporters: ReadonlyArray<string>
  /** Whether any exporter runs: with none, emitters can skip building payloads at all. */
  readonly active: boolean
  /**
   * The event types nobody receives: the muted ones, or every type while no exporter runs. The one
   * mute filter: emitters check it before building an event, and `sendEvent` drops these types.
   */
  readonly mutedEventTypes: ReadonlySet<EventType>
  /** The metric types nobody receives, as `mutedEventTypes`. */
  readonly mutedMetricTypes: ReadonlySet<MetricType>
}>() {
  /**
   * The composite over `options.exporters`, without enrichment.
   *
   * @since 0.1.0
   */
  static layer(options: Omit<CompositeHandlerOptions, "enricher">): Layer.Layer<CompositeHandler> {
    return Layer.scoped(CompositeHandler, make(options))
  }

  /**
   * The composite over `options.exporters`, enriching every event with the `EventEnricher`.
   *
   * @since 0.1.0
   */
  static layerEnriched(options: Omit<CompositeHandlerOptions, "enricher">): Layer.Layer<CompositeHandler, never, EventEnricher> {
    return Layer.scoped(CompositeHandler, Effect.flatMap(EventEnricher, (enricher) => make({ ...options, enricher })))
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

/** Why an exporter is failed; it is healthy when none holds. */
interface Faults {
  readonly start: boolean
  readonly call: boolean
  readonly health: boolean
}

const HEALTHY: Faults = { start: false, call: false, health: false }
const isFailed = (f: Faults): boolean => f.start || f.call || f.health

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
    const healthInterval = Duration.decode(options.healthInterval ?? Duration.seconds(1))
    const mutedEvents = options.mutedEventTypes ?? new Set()
    const mutedMetrics = options.mutedMetricTypes ?? new Set()
    const enricher = options.enricher

    const started = yield* Ref.make(false)
    const faults = yield* Ref.make<ReadonlyMap<string, Faults>>(new Map())

    /** Updates why `name` is failed; logs and sets the gauge only when it turns failed or healthy. */
    const setFault = (name: string, fault: keyof Faults, on: boolean, cause?: unknown) =>
      Effect.flatMap(
        Ref.modify(faults, (all): [readonly [boolean, boolean], ReadonlyMap<string, Faults>] => {
          const before = all.get(name) ?? HEALTHY
          if (before[fault] === on) return [[isFailed(before), isFailed(before)], all]
          const after = { ...before, [fault]: on }
          return [[isFailed(before), isFailed(after)], new Map(all).set(name, after)]
        }),
        ([was, is]) => {
          if (was === is) return Effect.void
          const up = Metric.set(Metric.tagged(exporterUp, "exporter", name), is ? 0 : 1)
          return Effect.zipRight(
            up,
            is
              ? Effect.logWarning(`telemetry exporter ${name} failed; other exporters are unaffected`, ...(cause === undefined ? [] : [cause]))
              : Effect.logInfo(`telemetry exporter ${name} recovered`)
          )
        }
      )

    /** `effect` bounded by the export timeout; its outcome is the exporter's call fault. */
    const guarded = (name: string, effect: Effect.Effect<void, ExporterError>) =>
      failAfter(effect, exportTimeout, () =>
        new ExporterError({
          exporter: name,
          reason: "Timeout",
          message: `exporter ${name} did not answer within ${Duration.format(exportTimeout)}`
        })).pipe(
          Effect.matchCauseEffect({
            onFailure: (cause) => setFault(name, "call", true, cause),
            onSuccess: () => setFault(name, "call", false)
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
    const running: Array<Running & { readonly scope: Scope.CloseableScope }> = []
    for (const spec of options.exporters) {
      const child = yield* Scope.make()
      const exit = yield* spec.acquire.pipe(
        Scope.extend(child),
        (acquire) =>
          failAfter(acquire, shutdownTimeout, () => new ExporterError({ exporter: spec.name, reason: "Start", message: `${spec.name} did not start in time` })),
        Effect.exit
      )
      if (Exit.isFailure(exit)) {
        yield* Effect.forkDaemon(Scope.close(child, exit))
        yield* setFault(spec.name, "start", true, exit.cause)
        continue
      }
      const exporter = exit.value
      // Closed within the deadline by the close below. What it could not close (an exporter whose
      // flush outlived the deadline), or a composite that never finished starting, is closed here in
      // the background: nothing waits on it past the deadline.
      yield* Effect.addFinalizer(() => Effect.asVoid(Effect.forkDaemon(Scope.close(child, Exit.void))))
      yield* Metric.set(Metric.tagged(exporterUp, "exporter", spec.name), 1)
      // one timeout per batch, not per payload: a timer per metric would cost more than the metric
      const lane = yield* makeLane<Delivery>({
        name: spec.name,
        capacity,
        weigh,
        handle: (batch) => guarded(spec.name, exportBatch(exporter, batch))
      })
      running.push({ exporter, lane, sink: sinkOf(exporter), scope: child })
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

    /** What is queued for `r`, delivered, then `r` flushed: the flush's outcome is a call fault only if it failed. */
    const flushOne = (r: Running) =>
      Effect.zipRight(
        r.lane.awaitIdle,
        failAfter(r.exporter.flush, exportTimeout, () =>
          new ExporterError({ exporter: r.exporter.name, reason: "Timeout", message: `flush did not finish within ${Duration.format(exportTimeout)}` })).pipe(
            // only a delivered payload proves recovery; a flush with nothing to send does not
            Effect.catchAllCause((cause) => setFault(r.exporter.name, "call", true, cause))
          )
      )

    const flush = Effect.zipRight(
      intake.awaitIdle,
      Effect.forEach(running, (r) =>
        withinDeadline(flushOne(r), shutdownTimeout).pipe(
          Effect.flatMap((done) =>
            Option.isNone(done)
              ? setFault(r.exporter.name, "call", true, `flush did not finish within ${Duration.format(shutdownTimeout)}`)
              : Effect.void)
        ), { concurrency: "unbounded", discard: true })
    )

    // 3. on close, one deadline for everything: what is queued is delivered, then every exporter is
    // flushed and stopped, all exporters at once; whatever is not done by then is left behind
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const stopped = yield* Ref.make<ReadonlySet<string>>(new Set())
        const startedAt = yield* wallMillis
        const close = Effect.zipRight(
          intake.awaitIdle,
          Effect.forEach(running, (r) =>
            flushOne(r).pipe(
              Effect.zipRight(Scope.close(r.scope, Exit.void)),
              Effect.zipRight(Ref.update(stopped, (s) => new Set([...s, r.exporter.name])))
            ), { concurrency: "unbounded", discard: true })
        )
        const done = yield* withinDeadline(close, shutdownTimeout)
        if (Option.isSome(done)) return
        const stoppedNow = yield* Ref.get(stopped)
        const left = running.map((r) => r.exporter.name).filter((name) => !stoppedNow.has(name))
        yield* Effect.logWarning(
          `telemetry shutdown deadline (${Duration.format(shutdownTimeout)}) reached after ${(yield* wallMillis) - startedAt} ms; undelivered telemetry dropped; not stopped: ${
            left.join(", ") || "none"
          }`
        )
      }).pipe(Effect.ensuring(Ref.set(started, false)))
    )
    yield* Ref.set(started, true)

    // an exporter that delivers in the background knows whether it can: asked every healthInterval
    const readHealth = Effect.forEach(running, ({ exporter }) =>
      failAfter(exporter.health, exportTimeout, () => "health did not answer").pipe(
        Effect.orElseSucceed(() => false),
        Effect.flatMap((healthy) => setFault(exporter.name, "health", !healthy, healthy ? undefined : "the exporter reports it cannot deliver"))
      ), { concurrency: "unbounded", discard: true })
    // on the wall clock, as the exporters' deliveries are: a TestClock moved by days must not run it a million times
    if (running.length > 0) yield* Effect.forkScoped(Effect.forever(Effect.zipRight(wallSleep(healthInterval), readHealth)))

    const failedNames = Effect.map(Ref.get(faults), (all) => [...all].filter(([, f]) => isFailed(f)).map(([name]) => name).sort())
    const intakeDropped = Metric.increment(Metric.tagged(droppedTelemetry, "lane", "intake"))
    const offer = (item: Intake) => Effect.suspend(() => (intake.unsafeOffer(item) ? Effect.void : intakeDropped))

    // with no exporter running there is nobody to deliver to: accepting would only cost the request
    const idle = running.length === 0
    const unheardEvents: ReadonlySet<EventType> = idle ? new Set(EVENT_TYPE_VALUES) : mutedEvents
    const unheardMetrics: ReadonlySet<MetricType> = idle ? new Set(METRIC_TYPE_VALUES) : mutedMetrics
    const sinks = running.flatMap(({ sink }) => (sink === undefined ? [] : [sink]))
    return CompositeHandler.of({
      sendEvent: (event) => (unheardEvents.has(event.eventType) ? Effect.void : offer({ _tag: "Event", event })),
      sendMetric: (metric) => (unheardMetrics.has(metric.metricType) ? Effect.void : offer({ _tag: "Metric", metric })),
      sendMetrics: (build) => (builtFor.length === 0 ? Effect.void : offer({ _tag: "Metrics", build })),
      recordRequest: (request) => {
        for (const sink of sinks) sink(request)
      },
      buildsRequestMetrics: builtFor.length > 0,
      flush,
      started: Ref.get(started),
      degraded: Effect.zipWith(Ref.get(started), failedNames, (s, f) => s && f.length > 0),
      failedHandlers: failedNames,
      dropped: intake.dropped,
      droppedByExporter: Effect.map(
        Effect.forEach(running, ({ exporter, lane }) => Effect.map(lane.dropped, (n) => [exporter.name, n] as const)),
        Object.fromEntries
      ),
      exporters: running.map((r) => r.exporter.name),
      active: !idle,
      mutedEventTypes: unheardEvents,
      mutedMetricTypes: unheardMetrics
    })
  })
