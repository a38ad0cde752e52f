/**
 * The Redis `BehaviorTracker`: one sorted set of event times per IP (`${prefix}behavior:<ip>`), so
 * `guard.behavior.recent_event_count` counts the events every instance saw from that IP.
 *
 * `record` is one atomic script (drop times older than `retention`, add this one with a unique
 * member, keep the newest `maxEventsPerIp`, TTL `retention`); `recentEventCount` is one `ZCOUNT`.
 * Times are the caller's (`atMillis` or the Effect `Clock`).
 *
 * The tracker's interface cannot fail (it feeds enrichment, off the request path): when Redis is down
 * `record` drops the event and `recentEventCount` / `trackedIps` answer 0. `GuardRedis` reports the
 * failure (a throttled warning and a `redis_error` event).
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Layer } from "effect"
import { randomBytes } from "node:crypto"
import { BehaviorTracker, type BehaviorTrackerOptions, RECENT_EVENT_WINDOW } from "../../BehaviorTracker.js"
import { GuardRedis } from "../../Redis.js"

/**
 * @since 0.1.0
 * @category models
 */
export type BehaviorTrackerRedisOptions = Omit<BehaviorTrackerOptions, "maxTrackedIps">

/** KEYS[1] times; ARGV at, retention (ms), max events, member. */
const RECORD = `
local key = KEYS[1]
local at = tonumber(ARGV[1])
local retention = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', at - retention)
redis.call('ZADD', key, at, ARGV[4])
local size = redis.call('ZCARD', key)
local max = tonumber(ARGV[3])
if size > max then redis.call('ZREMRANGEBYRANK', key, 0, size - max - 1) end
redis.call('PEXPIRE', key, retention)
return size
`

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: BehaviorTrackerRedisOptions = {}) =>
  Effect.gen(function*() {
    const redis = yield* GuardRedis
    const maxEvents = Math.max(1, options.maxEventsPerIp ?? 10_000)
    const retentionMs = Math.max(1, Math.ceil(Duration.toMillis(options.retention ?? RECENT_EVENT_WINDOW)))
    const recordScript = redis.script("behavior.record", RECORD, 1)
    const instance = randomBytes(6).toString("base64url")
    let sequence = 0

    const now = (at: number | undefined) => (at === undefined ? Clock.currentTimeMillis : Effect.succeed(at))

    return BehaviorTracker.of({
      record: (ip, atMillis) =>
        ip === ""
          ? Effect.void
          : Effect.flatMap(now(atMillis), (at) => {
            sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER
            return recordScript([redis.key("behavior", ip)], [at, retentionMs, maxEvents, `${at}:${instance}:${sequence}`])
          }).pipe(
            Effect.asVoid,
            Effect.catchAll((error) => Effect.logDebug(`behaviour event of ${ip} not recorded: ${error.message}`)),
            Effect.withSpan("BehaviorTracker.record")
          ),
      recentEventCount: (ip, window = RECENT_EVENT_WINDOW, atMillis) =>
        Effect.flatMap(now(atMillis), (at) =>
          redis.use(
            "behavior.count",
            (client) => client.zcount(redis.key("behavior", ip), `(${at - Duration.toMillis(window)}`, at)
          )).pipe(
            Effect.catchAll((error) => Effect.as(Effect.logDebug(`recent event count of ${ip} unavailable: ${error.message}`), 0))
          ),
      trackedIps: redis.countKeys("behavior").pipe(Effect.orElseSucceed(() => 0))
    })
  })

/**
 * A tracker shared by every instance using the same Redis server and prefix, so
 * `recent_event_count` counts the events of all of them. When Redis is down, events are dropped and
 * counts read 0; nothing fails.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { GuardRedis } from "effect-guard/Redis"
 * import { layerBehaviorTracker } from "effect-guard/stores/redis"
 *
 * const Tracker = layerBehaviorTracker({ retention: "10 minutes" }).pipe(Layer.provide(GuardRedis.layer({})))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: BehaviorTrackerRedisOptions = {}): Layer.Layer<BehaviorTracker, never, GuardRedis> =>
  Layer.effect(BehaviorTracker, make(options))
