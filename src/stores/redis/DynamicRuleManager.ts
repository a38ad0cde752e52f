/**
 * A `DynamicRuleManager` whose last-known rules live in Redis (`${prefix}dynamic_rules:current`, the
 * wire JSON): `setRules` writes them, `clear` deletes them, and a new instance starts with them, so a
 * fresh or restarted instance enforces the rules in force before its first poll of the agent.
 *
 * The key expires with the rules (`expiresAt`) or after `ttl` (default 1 day). Redis failures never
 * fail the manager: the rules still apply locally, and a failed read at start means starting without
 * rules, as the memory manager does.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Layer, Option, Schema } from "effect"
import { DynamicRuleManager, isExpired, make as makeMemory } from "../../DynamicRuleManager.js"
import { DynamicRules } from "../../DynamicRules.js"
import { GuardRedis } from "../../Redis.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface DynamicRuleManagerRedisOptions {
  /** Lifetime of the stored rules when they carry no `expiresAt`. Default 1 day. */
  readonly ttl?: Duration.DurationInput
}

const Stored = Schema.parseJson(DynamicRules)
const encode = Schema.encode(Stored)
const decode = Schema.decodeUnknown(Stored)

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: DynamicRuleManagerRedisOptions = {}) =>
  Effect.gen(function*() {
    const redis = yield* GuardRedis
    const local = yield* makeMemory
    const key = redis.key("dynamic_rules", "current")
    const ttlMillis = Math.max(1, Math.ceil(Duration.toMillis(options.ttl ?? "1 day")))

    const stored = yield* redis.use("dynamic_rules.get", (client) => client.get(key)).pipe(
      Effect.flatMap((text) => (text === null ? Effect.succeed(Option.none<DynamicRules>()) : Effect.asSome(decode(text)))),
      Effect.catchAll((error) => Effect.as(Effect.logWarning(`last-known dynamic rules not restored from Redis: ${error.message}`), Option.none<DynamicRules>()))
    )
    const now = yield* Clock.currentTimeMillis
    if (Option.isSome(stored) && !isExpired(stored.value, now)) {
      yield* local.setRules(stored.value)
      yield* Effect.logInfo(`dynamic rules ${stored.value.ruleId} v${stored.value.version} restored from Redis`)
    }

    const persist = Effect.fn("DynamicRuleManager.persist")(function*(rules: DynamicRules) {
      const at = yield* Clock.currentTimeMillis
      const ttl = rules.expiresAt === undefined || rules.expiresAt === null
        ? ttlMillis
        : Math.ceil(rules.expiresAt.getTime() - at)
      if (ttl <= 0) return
      const text = yield* encode(rules)
      yield* redis.use("dynamic_rules.set", (client) => client.set(key, text, "PX", ttl))
    })

    return DynamicRuleManager.of({
      ...local,
      setRules: (rules) =>
        Effect.zipRight(
          local.setRules(rules),
          persist(rules).pipe(
            Effect.catchAll((error) => Effect.logWarning(`dynamic rules not saved to Redis: ${error.message}`))
          )
        ),
      clear: Effect.zipRight(
        local.clear,
        redis.use("dynamic_rules.clear", (client) => client.del(key)).pipe(
          Effect.catchAll((error) => Effect.logWarning(`dynamic rules not cleared in Redis: ${error.message}`))
        )
      )
    })
  })

/**
 * A manager whose last-known rules are kept in Redis: `setRules` saves them (with a TTL), and a new
 * instance starts with them. Redis failures are logged, never raised.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: DynamicRuleManagerRedisOptions): Layer.Layer<DynamicRuleManager, never, GuardRedis> =>
  Layer.effect(DynamicRuleManager, make(options))
