/**
 * Request counters for rate limiting: a sliding log per key (an IP, or an IP plus an endpoint), timed
 * by the Effect `Clock`.
 *
 * Algorithm: **exact sliding log**, as the reference does in memory and in Redis. A request is allowed
 * when fewer than `limit` requests were recorded in the last `window`; every request is recorded,
 * rejected ones included, so a client that keeps hammering stays limited until it backs off. Only the
 * newest `limit` timestamps of a key are kept (a ring buffer): that is all the decision needs, so a
 * flood cannot grow one key's log, and `retryAfter` is exact (the moment the oldest kept request
 * leaves the window).
 *
 * `@effect/experimental`'s `RateLimiter` was not reused: its algorithms are fixed-window and token
 * bucket, and its memory store never evicts keys.
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Layer, Option } from "effect"
import type { StoreError } from "./StoreError.js"

/**
 * The verdict for one request.
 *
 * - `count`: requests in the window including this one (at most `limit + 1`: the store keeps no more).
 * - `remaining`: requests still allowed in the window after this one.
 * - `resetAfter`: time until the oldest counted request leaves the window (zero when none is counted).
 * - `retryAfter`: for a rejected request, how long the client must wait before one is allowed again.
 *
 * @since 0.1.0
 * @category models
 */
export interface RateLimitResult {
  readonly allowed: boolean
  readonly limit: number
  readonly window: Duration.Duration
  readonly count: number
  readonly remaining: number
  readonly resetAfter: Duration.Duration
  readonly retryAfter: Option.Option<Duration.Duration>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RateLimitStore extends Context.Tag("effect-guard/RateLimitStore")<RateLimitStore, {
  /** Records one request under `key` and says whether it is within `limit` per `window`. */
  readonly hit: (key: string, limit: number, window: Duration.DurationInput) => Effect.Effect<RateLimitResult, StoreError>
  /** Forgets a key. */
  readonly reset: (key: string) => Effect.Effect<void, StoreError>
  /** Number of keys tracked. */
  readonly size: Effect.Effect<number, StoreError>
}>() {
  /**
   * An in-process store tracking at most `maxKeys` keys (default 10 000); the least recently hit key
   * is dropped first, so an IP spray cannot grow memory without bound. Memory per key is at most
   * `limit` timestamps. Never fails. `guardMiddleware` counts a request in it without a fiber
   * step; a store built around it (a wrapper, even one spread from it) is called through `hit`.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerMemory = (options?: { readonly maxKeys?: number }): Layer.Layer<RateLimitStore> =>
    Layer.sync(RateLimitStore, () => makeMemory(options))
}

/** The newest `capacity` timestamps of a key, oldest at `head`. */
interface Log {
  readonly capacity: number
  /**
   * The window's hits from `head` on, oldest first. Slots before `head` are dropped in batches, so
   * the array follows the number of hits in the window, not the limit: a ring the size of the limit
   * would grow to it (8 MB for a limit of a million) on any client that keeps sending.
   */
  times: Array<number>
  head: number
}

const oldest = (log: Log): number => log.times[log.head]!

const resize = (log: Log, capacity: number): Log => ({
  capacity,
  times: log.times.slice(Math.max(log.head, log.times.length - capacity)),
  head: 0
})

/** Slots before `head` worth copying the rest to drop: a batch amortises the copy. */
const DROP_BATCH = 64

/**
 * The result of a hit on a sliding window of `capacity` hits, given the oldest hit still in it.
 * Shared by the memory and Redis stores so both answer alike.
 *
 * @internal
 */
export const slidingWindowResult = (hit: {
  readonly allowed: boolean
  readonly capacity: number
  readonly window: Duration.Duration
  readonly count: number
  readonly oldest: number
  readonly now: number
}): RateLimitResult => {
  const resetAfter = Duration.millis(Math.max(0, hit.oldest + Duration.toMillis(hit.window) - hit.now))
  return {
    allowed: hit.allowed,
    limit: hit.capacity,
    window: hit.window,
    count: hit.count,
    remaining: hit.allowed ? hit.capacity - hit.count : 0,
    resetAfter,
    retryAfter: hit.allowed ? Option.none() : Option.some(resetAfter)
  }
}

/**
 * A limit of zero refuses everything.
 *
 * @internal
 */
export const refusedByZeroLimit = (window: Duration.Duration): RateLimitResult => ({
  allowed: false,
  limit: 0,
  window,
  count: 1,
  remaining: 0,
  resetAfter: Duration.zero,
  retryAfter: Option.some(window)
})

const makeMemory = (options?: { readonly maxKeys?: number }): RateLimitStore["Type"] => {
  const maxKeys = Math.max(1, options?.maxKeys ?? 10_000)
  const logs = new Map<string, Log>()
  /** The key hit last: it is already at the end of the least-recently-used order. */
  let recent: string | undefined

  const hitAt = (key: string, limit: number, window: Duration.DurationInput, now: number): RateLimitResult => {
    const windowDuration = Duration.decode(window)
    const windowMillis = Duration.toMillis(windowDuration)
    const capacity = Math.max(0, Math.floor(limit))
    if (capacity === 0) return refusedByZeroLimit(windowDuration)
    let log = logs.get(key)
    if (log === undefined) {
      log = { capacity, times: [], head: 0 }
      logs.set(key, log)
      if (logs.size > maxKeys) {
        const lru = logs.keys().next().value
        if (lru !== undefined) logs.delete(lru)
      }
    } else if (key !== recent) {
      // least recently used first: the key moves to the end (already there if it was the last one hit)
      logs.delete(key)
      logs.set(key, log)
    }
    recent = key
    if (log.capacity !== capacity) {
      log = resize(log, capacity)
      logs.set(key, log)
    }

    const windowStart = now - windowMillis
    const times = log.times
    let head = log.head
    while (head < times.length && times[head]! <= windowStart) head++
    const size = times.length - head
    const allowed = size < capacity
    const count = size + 1
    // a full window counts the refused hit too: it takes the oldest one's place
    if (!allowed) head++
    times.push(now)
    if (head >= DROP_BATCH && head * 2 >= times.length) {
      log.times = times.slice(head)
      log.head = 0
    } else {
      log.head = head
    }
    return slidingWindowResult({ allowed, capacity, window: windowDuration, count, oldest: oldest(log), now })
  }

  // not traced: a wrapped store is called through this on every request, and a span costs about 10 µs
  const hit = (key: string, limit: number, window: Duration.DurationInput) =>
    Effect.clockWith((clock) => Effect.sync(() => hitAt(key, limit, window, clock.unsafeCurrentTimeMillis())))

  return RateLimitStore.of({
    hit,
    reset: (key) => Effect.sync(() => void logs.delete(key)),
    size: Effect.sync(() => logs.size)
  })
}

/**
 * Response headers for a verdict: `RateLimit-Policy` and `RateLimit` as in the IETF draft
 * (draft-ietf-httpapi-ratelimit-headers: `"<policy>";q=<limit>;w=<window s>` and
 * `"<policy>";r=<remaining>;t=<reset s>`), plus `Retry-After` (whole seconds, rounded up, at least 1)
 * for a rejected request.
 *
 * @example
 * ```ts
 * rateLimitHeaders(result, "global")
 * // { "ratelimit-policy": "\"global\";q=10;w=60", "ratelimit": "\"global\";r=0;t=42", "retry-after": "42" }
 * ```
 *
 * @deprecated The guard sets these fields itself, for every window a request was counted in, in the
 * draft its `rateLimitHeaders` setting names (`"draft-8"` by default, `"draft-7"`, `"draft-6"`, or
 * `false`); this single-window draft-8 form is kept for existing callers only.
 * @since 0.1.0
 * @category headers
 */
export const rateLimitHeaders = (result: RateLimitResult, policy = "default"): Record<string, string> => {
  const name = JSON.stringify(policy.replace(/[^\x20-\x7e]|["\\]/g, ""))
  const seconds = (duration: Duration.Duration) => Math.ceil(Duration.toMillis(duration) / 1000)
  const headers: Record<string, string> = {
    "ratelimit-policy": `${name};q=${result.limit};w=${seconds(result.window)}`,
    "ratelimit": `${name};r=${result.remaining};t=${seconds(result.resetAfter)}`
  }
  if (Option.isSome(result.retryAfter)) headers["retry-after"] = String(Math.max(1, seconds(result.retryAfter.value)))
  return headers
}
