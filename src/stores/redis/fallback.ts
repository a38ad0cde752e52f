/**
 * `redisFailOpen` as guard-core means it: while Redis cannot answer, rate limits, bans and auto-ban
 * counts go on in this instance's memory instead of turning off. Each operation asks Redis first
 * (which fails at once while Redis is known to be down: see `GuardRedis`) and, on a `StoreError`,
 * answers from an in-memory store of the same kind, so:
 *
 * - a client keeps its limit, counted per instance during the outage (N instances: up to N times the
 *   limit, as without Redis at all);
 * - a ban made during the outage holds on this instance until it ends, even once Redis is back;
 *   bans made before the outage are unknown to the fallback until Redis answers again;
 * - auto-ban counts start from zero in memory, and the shared counts go on once Redis is back.
 *
 * Recovery needs nothing: the first operation Redis answers uses Redis again. The start and the end
 * of an outage are logged once each (the end with how many operations memory answered), never a line
 * per request.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Option, Ref } from "effect"
import { IpBans, UnbanResult } from "../../IpBans.js"
import { RateLimitStore } from "../../RateLimitStore.js"
import type { GuardRedis } from "../../Redis.js"
import type { StoreError } from "../../StoreError.js"
import { ViolationCounter } from "../../ViolationCounter.js"
import * as RedisIpBans from "./IpBans.js"
import * as RedisRateLimitStore from "./RateLimitStore.js"
import * as RedisViolationCounter from "./ViolationCounter.js"

/** The current outage: whether memory answers, and how many operations it answered. */
interface Episode {
  readonly active: boolean
  readonly answered: number
}

/**
 * Where an operation goes when Redis fails: one per guard, shared by its stores, so an outage is
 * one episode in the logs whichever store noticed it first.
 *
 * @since 0.1.0
 * @category tags
 */
export class StoreFallback extends Context.Tag("effect-guard/StoreFallback")<StoreFallback, {
  /** `primary`, or `fallback` (an in-memory store's, which never fails) when it fails with a `StoreError`. */
  readonly run: <A>(primary: Effect.Effect<A, StoreError>, fallback: Effect.Effect<A, StoreError>) => Effect.Effect<A, StoreError>
  /** Whether the last operation was answered from memory. */
  readonly active: Effect.Effect<boolean>
}>() {
  /**
   * @since 0.1.0
   * @category layers
   */
  static readonly layer: Layer.Layer<StoreFallback> = Layer.effect(
    StoreFallback,
    Effect.map(Ref.make<Episode>({ active: false, answered: 0 }), (state) => {
      const onFallback = (error: StoreError) =>
        Effect.flatMap(
          Ref.modify(state, (s) => [!s.active, { active: true, answered: s.active ? s.answered + 1 : 1 }]),
          (started) =>
            started
              ? Effect.logWarning(
                `Redis unavailable (${error.message}); rate limits, bans and auto-ban counts use this instance's memory until it answers again (redisFailOpen)`
              )
              : Effect.void
        )
      const onRedis = Effect.flatMap(
        Ref.modify(state, (s): [number | undefined, Episode] => (s.active ? [s.answered, { active: false, answered: 0 }] : [undefined, s])),
        (answered) =>
          answered === undefined
            ? Effect.void
            : Effect.logInfo(`Redis answers again; shared rate limits, bans and auto-ban counts resume (${answered} operation(s) answered from memory meanwhile)`)
      )
      return StoreFallback.of({
        run: (primary, fallback) =>
          Effect.matchEffect(primary, {
            onFailure: (error) => Effect.zipRight(onFallback(error), fallback),
            onSuccess: (a) => Effect.as(onRedis, a)
          }),
        active: Effect.map(Ref.get(state), (s) => s.active)
      })
    })
  )
}

/** The in-memory store of `tag` that `layer` provides. */
const memoryOf = <I, S>(tag: Context.Tag<I, S>, layer: Layer.Layer<I>) => Effect.provide(tag, layer)

/**
 * Rate-limit windows in Redis, or in this instance's memory while Redis fails.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRateLimitStoreFallback: Layer.Layer<RateLimitStore, never, GuardRedis | StoreFallback> = Layer.effect(
  RateLimitStore,
  Effect.gen(function*() {
    const redis = yield* RedisRateLimitStore.make
    const memory = yield* memoryOf(RateLimitStore, RateLimitStore.layerMemory())
    const { run } = yield* StoreFallback
    return RateLimitStore.of({
      hit: (key, limit, window) => run(redis.hit(key, limit, window), memory.hit(key, limit, window)),
      reset: (key) => Effect.zipRight(run(redis.reset(key), Effect.void), memory.reset(key)),
      size: run(redis.size, memory.size)
    })
  })
)

/**
 * Bans in Redis, or in this instance's memory while Redis fails; a ban made in memory holds here
 * until it ends, Redis back or not.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerIpBansFallback = (options?: RedisIpBans.IpBansRedisOptions): Layer.Layer<IpBans, never, GuardRedis | StoreFallback> =>
  Layer.effect(
    IpBans,
    Effect.gen(function*() {
      const redis = yield* RedisIpBans.make(options)
      const memory = yield* memoryOf(IpBans, IpBans.layerMemory(options?.protectedRanges === undefined ? {} : { protectedRanges: options.protectedRanges }))
      const { run } = yield* StoreFallback
      const unbanned = (results: ReadonlyArray<UnbanResult>, ip: string): UnbanResult =>
        results.some((r) => r._tag === "Unbanned") ? UnbanResult.Unbanned({ ip }) : UnbanResult.NotBanned({ ip })
      return IpBans.of({
        ban: (ip, duration, reason) => run(redis.ban(ip, duration, reason), memory.ban(ip, duration, reason)),
        unban: (ip) =>
          Effect.zipWith(run(redis.unban(ip), Effect.succeed(UnbanResult.NotBanned({ ip }))), memory.unban(ip), (a, b) => unbanned([a, b], a.ip)),
        isBanned: (ip) =>
          run(
            Effect.flatMap(redis.isBanned(ip), (found) => (Option.isSome(found) ? Effect.succeed(found) : memory.isBanned(ip))),
            memory.isBanned(ip)
          ),
        size: run(Effect.zipWith(redis.size, memory.size, (a, b) => a + b), memory.size)
      })
    })
  )

/**
 * Auto-ban counts in Redis, or in this instance's memory while Redis fails.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerViolationCounterFallback = (
  options?: RedisViolationCounter.ViolationCounterRedisOptions
): Layer.Layer<ViolationCounter, never, GuardRedis | StoreFallback> =>
  Layer.effect(
    ViolationCounter,
    Effect.gen(function*() {
      const redis = yield* RedisViolationCounter.make(options)
      const memory = yield* memoryOf(ViolationCounter, ViolationCounter.layerMemory(options?.window === undefined ? {} : { window: options.window }))
      const { run } = yield* StoreFallback
      return ViolationCounter.of({
        record: (ip, category) => run(redis.record(ip, category), memory.record(ip, category)),
        reset: (ip) => Effect.zipRight(run(redis.reset(ip), Effect.void), memory.reset(ip)),
        size: run(redis.size, memory.size)
      })
    })
  )
