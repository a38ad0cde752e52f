/**
 * The guard-agent exporter: a bounded buffer per kind (oldest dropped and counted when full),
 * delivery in background rounds when a kind reaches the batch size and on an interval, retrying with
 * jittered exponential backoff only when a retry can help; a `flush` tries each batch once, and so
 * does the last one, within a deadline, when its scope closes. It talks to the backend only through
 * `AgentClient`.
 *
 * @internal
 */
import {
  Cause,
  Chunk,
  Clock,
  Duration,
  Effect,
  Either,
  Exit,
  Metric,
  Option,
  Queue,
  Ref,
  Schedule,
  type Scope
} from "effect"
import { type Exporter, ExporterError } from "../../Exporter.js"
import { failAfter } from "../../internal/deadline.js"
import type { GuardConfigShape } from "../../GuardConfig.js"
import type { SecurityEvent, SecurityMetric } from "../../SecurityEvent.js"
import { type BoundedBuffer, makeBoundedBuffer } from "./buffer.js"
import { AgentClient, type AgentBatch, type AgentError, type AgentStatus, retryPolicyFromConfig } from "./client.js"
import { type RetryPolicy, withRetries } from "./retry.js"

/**
 * Agent telemetry dropped, by `kind` (`event`, `metric`) and `cause` (`overflow`: the buffer was full
 * and the oldest item went; `rejected`: the backend refused the batch for good).
 *
 * @since 0.1.0
 * @category metrics
 */
export const agentDropped = Metric.counter("effect_guard_agent_dropped", {
  description: "Events and metrics the guard-agent transport dropped",
  incremental: true
})

/**
 * @since 0.1.0
 * @category models
 */
export interface AgentExporterOptions {
  readonly name?: string
  /** Items held per kind; when full the oldest goes. Default 1000. */
  readonly bufferSize?: number
  /** Items per POST, and the size that triggers an early flush. Default 100. */
  readonly batchSize?: number
  /** Time between two periodic flushes. Default 30 seconds. */
  readonly flushInterval?: Duration.DurationInput
  /** How background rounds retry a failed delivery (`flush` never retries). Default 3 retries from 1 s. */
  readonly retry?: RetryPolicy
  /** Longest time the final flush may take when the scope closes. Default 5 seconds. */
  readonly shutdownTimeout?: Duration.DurationInput
  /** Whether events are sent (default true). */
  readonly sendEvents?: boolean
  /** Whether metrics are sent (default true). */
  readonly sendMetrics?: boolean
  /** Time between two status reports to `/api/v1/status`. Default 5 minutes. */
  readonly statusInterval?: Duration.DurationInput
}

/**
 * What the transport has done so far.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentStats {
  readonly bufferedEvents: number
  readonly bufferedMetrics: number
  /** Dropped because the buffer was full (oldest first). */
  readonly dropped: number
  /** Delivered items. */
  readonly sent: number
  /** Items the backend refused for good (dropped, not retried). */
  readonly rejected: number
  /** Flushes that ended with items put back. */
  readonly failedFlushes: number
  /** Consecutive failed flushes; 0 once a flush delivers. */
  readonly failureStreak: number
  readonly lastFlush: Option.Option<Date>
}

/**
 * A started agent exporter: an {@link Exporter} that also reports its {@link AgentStats}.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentExporter extends Exporter {
  readonly stats: Effect.Effect<AgentStats>
  /** The status it would report now (its failure rate is over the items since the previous report). */
  readonly status: Effect.Effect<AgentStatus>
  /** Sends the status now (the exporter also does so every `statusInterval`). */
  readonly reportStatus: Effect.Effect<void, AgentError>
}

interface Counters {
  readonly sent: number
  readonly rejected: number
  readonly failedFlushes: number
  readonly failureStreak: number
  readonly lastFlush: Option.Option<Date>
  /** The failures of the current run of failed flushes (the latest few), newest last. */
  readonly errors: ReadonlyArray<string>
}

const RECENT_ERRORS = 5

type Kind = "event" | "metric"

/**
 * Starts the exporter in the current scope: two bounded buffers, a periodic delivery fiber and a
 * batch-size delivery fiber (both retrying with `retry`). Closing the scope stops the fibers (a batch
 * in flight is put back) and then tries once more to deliver what is left, within `shutdownTimeout`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: AgentExporterOptions = {}
): Effect.Effect<AgentExporter, never, AgentClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* AgentClient
    const name = options.name ?? "agent"
    const bufferSize = options.bufferSize ?? 1000
    const batchSize = Math.max(1, Math.min(options.batchSize ?? 100, bufferSize))
    const flushInterval = Duration.decode(options.flushInterval ?? Duration.seconds(30))
    const shutdownTimeout = Duration.decode(options.shutdownTimeout ?? Duration.seconds(5))
    const retry = withRetries(options.retry ?? { attempts: 3, base: Duration.seconds(1) })
    const sendEvents = options.sendEvents ?? true
    const sendMetrics = options.sendMetrics ?? true

    const events = yield* makeBoundedBuffer<SecurityEvent>(bufferSize)
    const metrics = yield* makeBoundedBuffer<SecurityMetric>(bufferSize)
    const counters = yield* Ref.make<Counters>({
      sent: 0,
      rejected: 0,
      failedFlushes: 0,
      failureStreak: 0,
      lastFlush: Option.none(),
      errors: []
    })
    const startedAt = yield* Clock.currentTimeMillis
    const statusInterval = Duration.decode(options.statusInterval ?? Duration.minutes(5))
    const lock = yield* Effect.makeSemaphore(1)
    const wake = yield* Queue.sliding<void>(1)

    const countDrop = (kind: Kind, cause: "overflow" | "rejected", n: number) =>
      n === 0 ? Effect.void : Metric.incrementBy(Metric.tagged(Metric.tagged(agentDropped, "kind", kind), "cause", cause), n)

    const enqueue = <A>(kind: Kind, buffer: BoundedBuffer<A>, item: A): Effect.Effect<void> =>
      Effect.gen(function*() {
        const dropped = yield* buffer.offer(item)
        if (dropped > 0) {
          yield* countDrop(kind, "overflow", dropped)
          const total = yield* buffer.dropped
          if (total === 1 || total % 100 === 0) {
            yield* Effect.logWarning(`agent: ${kind} buffer full (${bufferSize}); oldest dropped, ${total} so far`)
          }
        }
        if ((yield* buffer.size) >= batchSize) yield* Queue.offer(wake, undefined)
      })

    // 413: split in halves until one item is still too large, which is dropped
    const deliver = (kind: Kind, items: ReadonlyArray<SecurityEvent> | ReadonlyArray<SecurityMetric>, depth = 0): Effect.Effect<number, AgentError> => {
      const batch: AgentBatch = kind === "event"
        ? { events: items as ReadonlyArray<SecurityEvent>, metrics: [] }
        : { events: [], metrics: items as ReadonlyArray<SecurityMetric> }
      return client.sendBatch(batch).pipe(
        Effect.as(0),
        Effect.catchIf((e) => e.reason === "PayloadTooLarge" && items.length > 1 && depth < 16, () => {
          const half = Math.ceil(items.length / 2)
          return Effect.zipWith(
            deliver(kind, items.slice(0, half) as typeof items, depth + 1),
            deliver(kind, items.slice(half) as typeof items, depth + 1),
            (a, b) => a + b
          )
        }),
        Effect.catchIf((e) => e.permanent, (e) =>
          Effect.zipRight(
            Effect.logWarning(`agent: ${items.length} ${kind}(s) dropped: ${e.message}`),
            Effect.succeed(items.length)
          ))
      )
    }

    /** Sends one batch; puts it back in front if it failed or was interrupted. `false` when the kind is empty. */
    const flushBatch = <A extends SecurityEvent | SecurityMetric>(kind: Kind, buffer: BoundedBuffer<A>) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const items = yield* buffer.takeUpTo(batchSize)
          if (Chunk.isEmpty(items)) return false
          const exit = yield* Effect.exit(restore(deliver(kind, Chunk.toReadonlyArray(items) as ReadonlyArray<SecurityEvent> | ReadonlyArray<SecurityMetric>)))
          if (Exit.isSuccess(exit)) {
            const rejected = exit.value
            yield* countDrop(kind, "rejected", rejected)
            yield* Ref.update(counters, (c) => ({ ...c, sent: c.sent + Chunk.size(items) - rejected, rejected: c.rejected + rejected }))
            return true
          }
          const lost = yield* buffer.requeue(items)
          yield* countDrop(kind, "overflow", lost)
          return yield* exit
        })
      )

    const flushKind = <A extends SecurityEvent | SecurityMetric>(kind: Kind, buffer: BoundedBuffer<A>) =>
      Effect.gen(function*() {
        // bounded: at most what the buffer can hold, plus one batch that arrived meanwhile
        const rounds = Math.ceil(bufferSize / batchSize) + 1
        for (let i = 0; i < rounds; i++) {
          if (!(yield* flushBatch(kind, buffer))) return
        }
      })

    /** Every batch of both kinds, once; a batch that fails goes back in front. Fails with the first failure. */
    const attempt: Effect.Effect<void, AgentError> = lock.withPermits(1)(
      Effect.flatMap(
        Effect.all([Effect.either(flushKind("event", events)), Effect.either(flushKind("metric", metrics))]),
        (results) => Option.match(Option.fromNullable(results.find(Either.isLeft)), { onNone: () => Effect.void, onSome: (failed) => Effect.fail(failed.left) })
      )
    )

    /**
     * A delivery round, recorded in the counters: `attempt`, retried with the policy's backoff when
     * `retrying` (the lock is free between attempts, so a flush asked for meanwhile goes at once).
     */
    const round = (retrying: boolean): Effect.Effect<void, ExporterError> =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(retrying ? retry(attempt) : attempt)
        const now = yield* Clock.currentTimeMillis
        if (Exit.isSuccess(exit)) {
          yield* Ref.update(counters, (c) => ({ ...c, failureStreak: 0, lastFlush: Option.some(new Date(now)), errors: [] }))
          return
        }
        const failure = Cause.failureOption(exit.cause)
        if (Option.isNone(failure)) return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
        const message = `agent flush failed; items kept for the next flush: ${failure.value.message}`
        yield* Ref.update(counters, (c) => ({
          ...c,
          failedFlushes: c.failedFlushes + 1,
          failureStreak: c.failureStreak + 1,
          errors: [...c.errors, message].slice(-RECENT_ERRORS)
        }))
        return yield* new ExporterError({ exporter: name, reason: "Flush", message })
      })

    // A flush someone waits for (the composite's, a test's, the final one) tries each batch once: its
    // caller learns at once that the backend fails, and no backoff can outlast a deadline or stall
    // under a TestClock. Retries with backoff are the background rounds' business.
    const flush: Effect.Effect<void, ExporterError> = round(false).pipe(Effect.withSpan("AgentExporter.flush"))
    const inBackground = Effect.catchAll(round(true), (error) => Effect.logWarning(error.message))

    // closing the scope: first the fibers stop (finalizers run in reverse), then this final flush
    yield* Effect.addFinalizer(() =>
      failAfter(flush, shutdownTimeout, () =>
        new ExporterError({ exporter: name, reason: "Timeout", message: `agent final flush did not finish within ${Duration.format(shutdownTimeout)}` })).pipe(
          Effect.catchAll((error) =>
            Effect.flatMap(Effect.all([events.size, metrics.size]), ([e, m]) =>
              Effect.logWarning(`${error.message}; ${e} event(s) and ${m} metric(s) not delivered`)))
        )
    )
    yield* Effect.forkScoped(Effect.schedule(inBackground, Schedule.spaced(flushInterval)))
    // size-triggered rounds pause while the backend is failing; the periodic round keeps retrying
    yield* Effect.forkScoped(
      Queue.take(wake).pipe(
        Effect.zipRight(Ref.get(counters)),
        Effect.flatMap((c) => (c.failureStreak > 0 ? Effect.void : inBackground)),
        Effect.forever
      )
    )

    const stats = Effect.map(
      Effect.all([events.size, metrics.size, events.dropped, metrics.dropped, Ref.get(counters)]),
      ([bufferedEvents, bufferedMetrics, de, dm, c]): AgentStats => ({
        bufferedEvents,
        bufferedMetrics,
        dropped: de + dm,
        sent: c.sent,
        rejected: c.rejected,
        failedFlushes: c.failedFlushes,
        failureStreak: c.failureStreak,
        lastFlush: c.lastFlush
      })
    )

    // the failure rate is over the items handled since the previous report: an old outage ages out
    const reported = yield* Ref.make({ sent: 0, failed: 0 })
    const status = Effect.gen(function*() {
      const s = yield* stats
      const { errors } = yield* Ref.get(counters)
      const previous = yield* Ref.get(reported)
      const now = yield* Clock.currentTimeMillis
      const failed = s.rejected + s.dropped
      const recentFailed = failed - previous.failed
      const failureRate = recentFailed / Math.max(1, s.sent - previous.sent + recentFailed)
      const fullBuffer = Math.max(s.bufferedEvents, s.bufferedMetrics) >= bufferSize * 0.9
      const report: AgentStatus = {
        timestamp: new Date(now),
        status: s.failureStreak >= 3 ? "failed" : s.failureStreak > 0 || fullBuffer || failureRate > 0.1 ? "degraded" : "healthy",
        uptime: (now - startedAt) / 1000,
        eventsSent: s.sent,
        eventsFailed: failed,
        bufferSize: s.bufferedEvents + s.bufferedMetrics,
        lastFlush: s.lastFlush,
        errors: [
          ...errors,
          ...(fullBuffer ? [`Buffer at least 90% full (${bufferSize} items per kind)`] : []),
          ...(failureRate > 0.1 ? [`High failure rate: ${(failureRate * 100).toFixed(1)}%`] : [])
        ]
      }
      return report
    })
    const reportStatus = Effect.flatMap(status, (report) =>
      Effect.zipRight(client.sendStatus(report), Ref.set(reported, { sent: report.eventsSent, failed: report.eventsFailed }))).pipe(
        Effect.withSpan("AgentExporter.reportStatus")
      )
    // the reference's loop sleeps first: the first report goes one interval after the start
    yield* Effect.forkScoped(
      Effect.schedule(
        Effect.catchAll(reportStatus, (error) => Effect.logWarning(`agent: status report failed: ${error.message}`)),
        Schedule.spaced(statusInterval)
      )
    )

    return {
      name,
      exportEvent: (event) => (sendEvents ? enqueue("event", events, event) : Effect.void),
      exportMetric: (metric) => (sendMetrics ? enqueue("metric", metrics, metric) : Effect.void),
      flush,
      health: Effect.map(stats, (s) =>
        s.failureStreak === 0 && s.bufferedEvents < bufferSize * 0.9 && s.bufferedMetrics < bufferSize * 0.9),
      stats,
      status,
      reportStatus
    }
  })

/**
 * The exporter options the configuration describes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const exporterOptionsFromConfig = (config: GuardConfigShape): AgentExporterOptions => ({
  bufferSize: config.agentBufferSize,
  batchSize: config.agentBatchSize,
  flushInterval: Duration.seconds(config.agentFlushInterval),
  retry: retryPolicyFromConfig(config),
  shutdownTimeout: Duration.seconds(config.agentShutdownTimeout),
  sendEvents: config.agentEnableEvents,
  sendMetrics: config.agentEnableMetrics,
  statusInterval: Duration.seconds(config.agentStatusInterval)
})
