/**
 * The Redis `RateLimitStore`: the same exact sliding log as the memory store, in one sorted set per
 * key (`${prefix}rate_limit:${key}`), so every instance sharing the Redis server enforces one
 * combined limit.
 *
 * One hit is one atomic Lua script (one round trip): drop the timestamps that left the window, keep
 * the newest `limit - 1` if the log is full, add this request, refresh the TTL (one window), and
 * return whether it was allowed with the oldest kept timestamp. Rejected requests are recorded too.
 * Members are `<time>:<instance>:<sequence>`, unique even when two instances hit in the same
 * millisecond (a member equal to the timestamp, as in the reference, collapses such hits).
 *
 * Time is the caller's Effect `Clock` (so `TestClock` drives it); instances sharing a Redis server
 * should run NTP-synchronised clocks: a skew of `s` shifts the window edge by up to `s`.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Layer } from "effect"
import { randomBytes } from "node:crypto"
import { RateLimitStore, refusedByZeroLimit, slidingWindowResult } from "../../RateLimitStore.js"
import { GuardRedis } from "../../Redis.js"
import { StoreError } from "../../StoreError.js"

/**
 * KEYS[1] log; ARGV now, window (ms), capacity, member.
 * Returns { allowed (0/1), kept before this request, oldest kept timestamp after it }.
 */
const SLIDING_WINDOW = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local size = redis.call('ZCARD', key)
local allowed = 1
local kept = size
if size >= capacity then
  allowed = 0
  kept = capacity
  redis.call('ZREMRANGEBYRANK', key, 0, size - capacity)
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, math.max(1, window))
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return { allowed, kept, oldest[2] }
`

/** The script's reply, checked by hand: this is the hottest path of the Redis stores. */
const decodeReply = (reply: unknown): Effect.Effect<readonly [allowed: boolean, kept: number, oldest: number], StoreError> => {
  if (Array.isArray(reply) && reply.length === 3) {
    const [allowed, kept, oldest] = reply as [unknown, unknown, unknown]
    const oldestMillis = typeof oldest === "string" ? Number(oldest) : NaN
    if ((allowed === 0 || allowed === 1) && typeof kept === "number" && Number.isFinite(oldestMillis)) {
      return Effect.succeed([allowed === 1, kept, oldestMillis] as const)
    }
  }
  return Effect.fail(
    new StoreError({ reason: "Protocol", message: `unexpected reply of the rate-limit script: ${JSON.stringify(reply)}` })
  )
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const redis = yield* GuardRedis
  const slidingWindow = redis.script("rate_limit.hit", SLIDING_WINDOW, 1)
  const instance = randomBytes(6).toString("base64url")
  let sequence = 0

  const hit = (key: string, limit: number, window: Duration.DurationInput) =>
    // not traced: runs on every request, and a span costs about 10 µs
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const windowDuration = Duration.decode(window)
      const windowMillis = Math.ceil(Duration.toMillis(windowDuration))
      const capacity = Math.max(0, Math.floor(limit))
      if (capacity === 0) return refusedByZeroLimit(windowDuration)
      sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER
      const reply = yield* slidingWindow(
        [redis.key("rate_limit", key)],
        [now, windowMillis, capacity, `${now}:${instance}:${sequence}`]
      )
      const [allowed, kept, oldest] = yield* decodeReply(reply)
      return slidingWindowResult({ allowed, capacity, window: windowDuration, count: kept + 1, oldest, now })
    })

  return RateLimitStore.of({
    hit,
    reset: (key) => Effect.asVoid(redis.use("rate_limit.reset", (client) => client.del(redis.key("rate_limit", key)))),
    size: redis.countKeys("rate_limit")
  })
})

/**
 * Limits shared by every instance using the same Redis server and prefix: one sorted set per key,
 * one atomic script per hit. Fails with `StoreError` when Redis is down or slow.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<RateLimitStore, never, GuardRedis> = Layer.effect(RateLimitStore, make)
