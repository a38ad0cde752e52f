/**
 * Counts the security events seen from each client IP over a sliding window, so enrichment can say
 * how active an address has been (`guard.behavior.recent_event_count`). The memory store tracks a
 * bounded number of IPs (least recently seen evicted first), so an IP spray cannot grow memory.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer } from "effect"

/**
 * The window of `guard.behavior.recent_event_count`.
 *
 * @since 0.1.0
 * @category constants
 */
export const RECENT_EVENT_WINDOW: Duration.Duration = Duration.minutes(5)

/**
 * @since 0.1.0
 * @category models
 */
export interface BehaviorTrackerOptions {
  /** IPs tracked at once; the least recently seen is forgotten first. Default 10 000. */
  readonly maxTrackedIps?: number
  /** Timestamps kept per IP; counts saturate there. Default 10 000. */
  readonly maxEventsPerIp?: number
  /** Longest window a count may ask for. Default 5 minutes. */
  readonly retention?: Duration.DurationInput
}

/**
 * @since 0.1.0
 * @category tags
 */
export class BehaviorTracker extends Context.Tag("effect-guard/BehaviorTracker")<BehaviorTracker, {
  /** Records one event from `ip` at `atMillis` (default: now by `Clock`). */
  readonly record: (ip: string, atMillis?: number) => Effect.Effect<void>
  /** Events from `ip` in `(at - window, at]`; `at` defaults to now by `Clock`. */
  readonly recentEventCount: (ip: string, window?: Duration.DurationInput, atMillis?: number) => Effect.Effect<number>
  /** How many IPs are tracked now. */
  readonly trackedIps: Effect.Effect<number>
}>() {
  /**
   * In-memory tracker, one per layer instance.
   *
   * @since 0.1.0
   */
  static layerMemory(options: BehaviorTrackerOptions = {}): Layer.Layer<BehaviorTracker> {
    return Layer.sync(BehaviorTracker, () => makeMemory(options))
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory = (options: BehaviorTrackerOptions = {}): BehaviorTracker["Type"] => {
  const maxIps = options.maxTrackedIps ?? 10_000
  const maxEvents = options.maxEventsPerIp ?? 10_000
  const retentionMs = Duration.toMillis(options.retention ?? RECENT_EVENT_WINDOW)
  // Map iteration order is insertion order: re-inserting on every record keeps it least-recent-first.
  const seen = new Map<string, Array<number>>()

  const prune = (times: Array<number>, now: number) => {
    let drop = 0
    while (drop < times.length && times[drop]! <= now - retentionMs) drop++
    if (drop > 0) times.splice(0, drop)
  }

  const now = (at: number | undefined) => (at === undefined ? Clock.currentTimeMillis : Effect.succeed(at))

  return BehaviorTracker.of({
    record: (ip, atMillis) =>
      Effect.map(now(atMillis), (at) => {
        if (ip === "") return
        const times = seen.get(ip) ?? []
        seen.delete(ip)
        prune(times, at)
        // keep timestamps ordered even if events arrive slightly out of order
        let i = times.length
        while (i > 0 && times[i - 1]! > at) i--
        times.splice(i, 0, at)
        if (times.length > maxEvents) times.splice(0, times.length - maxEvents)
        seen.set(ip, times)
        if (seen.size > maxIps) {
          const oldest = seen.keys().next()
          if (!oldest.done) seen.delete(oldest.value)
        }
      }),
    recentEventCount: (ip, window = RECENT_EVENT_WINDOW, atMillis) =>
      Effect.map(now(atMillis), (at) => {
        const times = seen.get(ip)
        if (times === undefined) return 0
        const from = at - Duration.toMillis(window)
        let count = 0
        for (let i = times.length - 1; i >= 0; i--) {
          const t = times[i]!
          if (t <= from) break
          if (t <= at) count++
        }
        return count
      }),
    trackedIps: Effect.sync(() => seen.size)
  })
}
