/**
 * The Redis stores: `RateLimitStore`, `IpBans`, `ViolationCounter`, `BehaviorTracker` and
 * `DynamicRuleManager` backed by one `GuardRedis`, each as its own layer (`layerRateLimitStore`, ...)
 * and the first four at once (`layerStores`). Each store module depends on its service's Tag, never
 * the reverse, as `@effect/experimental`'s `RateLimiter/Redis` does. Swapping the memory stores for
 * these is the whole of "running several instances"; no check changes.
 *
 * Also here: the stores that answer from memory while Redis fails (`redisFailOpen`: see
 * `layer*Fallback`), and `layerRedisEvents`, which turns the connection's notices into events.
 *
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import type { BehaviorTracker } from "../../BehaviorTracker.js"
import { GuardConfig, type GuardConfigShape } from "../../GuardConfig.js"
import type { IpBans } from "../../IpBans.js"
import type { RateLimitStore } from "../../RateLimitStore.js"
import type { GuardRedis } from "../../Redis.js"
import type { ViolationCounter } from "../../ViolationCounter.js"
import * as RedisBehaviorTracker from "./BehaviorTracker.js"
import * as RedisIpBans from "./IpBans.js"
import * as RedisRateLimitStore from "./RateLimitStore.js"
import * as RedisViolationCounter from "./ViolationCounter.js"

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
  readonly ipBans?: RedisIpBans.IpBansRedisOptions
  readonly violations?: RedisViolationCounter.ViolationCounterRedisOptions
  readonly behavior?: RedisBehaviorTracker.BehaviorTrackerRedisOptions
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
    RedisRateLimitStore.layer,
    RedisIpBans.layer(options.ipBans),
    RedisViolationCounter.layer(options.violations),
    RedisBehaviorTracker.layer(options.behavior)
  )

/**
 * The stores' options from a decoded `GuardConfig`: its trusted proxies (the `unix` entry aside) are
 * protected from bans.
 *
 * @since 0.2.0
 * @category constructors
 */
export const optionsFromConfig = (config: GuardConfigShape): RedisStoresOptions => ({
  ipBans: { protectedRanges: config.trustedProxies.filter((entry) => entry !== "unix") }
})

/**
 * `layerStores` with the trusted proxies of `GuardConfig` protected from bans.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerStoresConfig: Layer.Layer<RedisStores, never, GuardRedis | GuardConfig> = Layer.unwrapEffect(
  Effect.map(GuardConfig, (config) => layerStores(optionsFromConfig(config)))
)

export { type BehaviorTrackerRedisOptions, layer as layerBehaviorTracker } from "./BehaviorTracker.js"
export { type DynamicRuleManagerRedisOptions, layer as layerDynamicRuleManager } from "./DynamicRuleManager.js"
export { type IpBansRedisOptions, layer as layerIpBans } from "./IpBans.js"
export { layer as layerRateLimitStore } from "./RateLimitStore.js"
export { layer as layerViolationCounter, type ViolationCounterRedisOptions } from "./ViolationCounter.js"
export { layerIpBansFallback, layerRateLimitStoreFallback, layerViolationCounterFallback, StoreFallback } from "./fallback.js"
export { layerRedisEvents } from "./events.js"
