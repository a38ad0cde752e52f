/**
 * The Redis `ViolationCounter`: one hash per IP (`${prefix}violations:<ip>`) with a count per
 * category, the total and the time of the first counted violation, updated by one atomic script, so
 * the auto-ban threshold counts what the IP did on every instance.
 *
 * Same semantics as the memory counter: at most 64 categories per IP (the total still counts past
 * that); with `window`, counts start over once `window` has passed since the first counted violation
 * (by the caller's `Clock`) and the key expires then. Without `window` counts do not decay while the
 * IP stays active, but the key expires after `idleTtl` without a violation (default 1 day): every key
 * has a TTL.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Layer, Schema } from "effect"
import { GuardRedis } from "../../Redis.js"
import { StoreError } from "../../StoreError.js"
import { ViolationCounter, type ViolationCounts } from "../../ViolationCounter.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ViolationCounterRedisOptions {
  /** Counts start over this long after an IP's first counted violation. Default: never. */
  readonly window?: Duration.DurationInput
  /** Without `window`: an IP's key expires after this long without a violation. Default 1 day. */
  readonly idleTtl?: Duration.DurationInput
}

const MAX_CATEGORIES = 64

/**
 * KEYS[1] hash; ARGV now, window (ms, 0: none), category, idle TTL (ms), max categories.
 * Returns { count of the category, total, flat hash }.
 */
const RECORD = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local since = tonumber(redis.call('HGET', key, 'm:since'))
if since ~= nil and window > 0 and now - since >= window then
  redis.call('DEL', key)
  since = nil
end
if since == nil then
  redis.call('HSET', key, 'm:since', now)
  since = now
end
local field = 'c:' .. ARGV[3]
local previous = tonumber(redis.call('HGET', key, field))
local count = (previous or 0) + 1
local categories = redis.call('HLEN', key) - 1 - redis.call('HEXISTS', key, 'm:total')
if previous ~= nil or categories < tonumber(ARGV[5]) then
  redis.call('HSET', key, field, count)
end
local total = redis.call('HINCRBY', key, 'm:total', 1)
if window > 0 then
  redis.call('PEXPIRE', key, math.max(1, since + window - now))
else
  redis.call('PEXPIRE', key, tonumber(ARGV[4]))
end
return { count, total, redis.call('HGETALL', key) }
`

const Reply = Schema.Tuple(Schema.Number, Schema.Number, Schema.Array(Schema.String))
const decodeReply = Schema.decodeUnknown(Reply)

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: ViolationCounterRedisOptions) =>
  Effect.gen(function*() {
    const redis = yield* GuardRedis
    const windowMillis = options?.window === undefined ? 0 : Math.max(1, Math.ceil(Duration.toMillis(options.window)))
    const idleMillis = Math.max(1, Math.ceil(Duration.toMillis(options?.idleTtl ?? "1 day")))
    const recordScript = redis.script("violations.record", RECORD, 1)

    const record = Effect.fn("ViolationCounter.record")(function*(ip: string, category: string) {
      const now = yield* Clock.currentTimeMillis
      const reply = yield* recordScript([redis.key("violations", ip)], [now, windowMillis, category, idleMillis, MAX_CATEGORIES])
      const [count, total, flat] = yield* decodeReply(reply).pipe(
        Effect.mapError((cause) =>
          new StoreError({ reason: "Protocol", message: `unexpected reply of the violation script: ${cause.message}`, cause })
        )
      )
      const byCategory = new Map<string, number>()
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const field = flat[i]!
        if (field.startsWith("c:")) byCategory.set(field.slice(2), Number(flat[i + 1]))
      }
      return { category: count, total, byCategory } satisfies ViolationCounts
    })

    return ViolationCounter.of({
      record,
      reset: (ip) => Effect.asVoid(redis.use("violations.reset", (client) => client.del(redis.key("violations", ip)))),
      size: redis.countKeys("violations")
    })
  })

/**
 * Counts shared by every instance using the same Redis server and prefix. Fails with `StoreError`
 * when Redis is down or slow.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: ViolationCounterRedisOptions): Layer.Layer<ViolationCounter, never, GuardRedis> =>
  Layer.effect(ViolationCounter, make(options))
