/**
 * Every shared store at once: `RateLimitStore`, `IpBans`, `ViolationCounter` and `BehaviorTracker`
 * backed by one `GuardRedis`. Swapping the memory stores for these is the whole of "running several
 * instances"; no check changes.
 *
 * Also here: the stores that answer from memory while Redis fails (`redisFailOpen`: see
 * `layer*Fallback`), and `layerRedisEvents`, which turns the connection's notices into events.
 *
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import { BehaviorTracker } from "../../BehaviorTracker.js"
import { GuardConfig } from "../../GuardConfig.js"
import { IpBans } from "../../IpBans.js"
import { RateLimitStore } from "../../RateLimitStore.js"
import type { GuardRedis } from "../../Redis.js"
import { ViolationCounter } from "../../ViolationCounter.js"
import type { BehaviorTrackerRedisOptions } from "./BehaviorTracker.js"
import type { IpBansRedisOptions } from "./IpBans.js"
import type { ViolationCounterRedisOptions } from "./ViolationCounter.js"

/**
 * The stores `layerStores` provides.
 *
 * @since 0.1.0
 * @category models
 */
export type RedisStores = RateLimitStore | IpBans | ViolationCounter | BehaviorTracker

/**
 * @since 0.1.0
 * @category models
 */
export interface RedisStoresOptions {
  readonly ipBans?: IpBansRedisOptions
  readonly violations?: ViolationCounterRedisOptions
  readonly behavior?: BehaviorTrackerRedisOptions
}

/**
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { GuardRedis } from "effect-guard/Redis"
 * import { layerStores } from "effect-guard/stores/redis"
 *
 * const Stores = layerStores({ ipBans: { protectedRanges: ["10.0.0.0/8"] } }).pipe(
 *   Layer.provide(GuardRedis.layer({ url: "redis://127.0.0.1:6379" }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerStores = (options: RedisStoresOptions = {}): Layer.Layer<RedisStores, never, GuardRedis> =>
  Layer.mergeAll(
    RateLimitStore.layerRedis,
    IpBans.layerRedis(options.ipBans),
    ViolationCounter.layerRedis(options.violations),
    BehaviorTracker.layerRedis(options.behavior)
  )

/**
 * `layerStores` with the trusted proxies of `GuardConfig` protected from bans.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerStoresConfig: Layer.Layer<RedisStores, never, GuardRedis | GuardConfig> = Layer.unwrapEffect(
  Effect.map(GuardConfig, (config) =>
    layerStores({ ipBans: { protectedRanges: config.trustedProxies.filter((entry) => entry !== "unix") } }))
)

export { layerIpBansFallback, layerRateLimitStoreFallback, layerViolationCounterFallback, StoreFallback } from "./fallback.js"
export { layerRedisEvents } from "./events.js"
