/**
 * Holds the dynamic rules currently in force and tells enrichment which events they concern
 * (`guard.rule.id` / `guard.rule.version`). Matching canonicalises IPs (IPv6, IPv4-mapped), supports
 * CIDR entries, compares countries case-insensitively, ignores expired rules and matches
 * `dynamic_rule_violation` by type. Fetching rules from the agent plugs in through `setRules`.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Option, SubscriptionRef } from "effect"
import type { DynamicRules } from "./DynamicRules.js"
import { makeIpMatcher, type IpMatcher } from "./internal/ip.js"
import type { SecurityEvent } from "./SecurityEvent.js"

/**
 * The rule that concerns an event.
 *
 * @since 0.1.0
 * @category models
 */
export interface RuleMatch {
  readonly ruleId: string
  readonly version: number
}

/**
 * Rules in force with their matchers built once.
 *
 * @since 0.1.0
 * @category models
 */
export interface ActiveRules {
  readonly rules: DynamicRules
  readonly ipRules: IpMatcher
  readonly blockedCountries: ReadonlySet<string>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class DynamicRuleManager extends Context.Tag("effect-guard/DynamicRuleManager")<DynamicRuleManager, {
  /** The rules in force, or none (also none once they expired). */
  readonly current: Effect.Effect<Option.Option<ActiveRules>>
  /**
   * The rules in force at `nowMillis`, read without a step: what `current` answers when the clock
   * reads `nowMillis`. For a caller that has read the clock already and reads the rules on every
   * request (`guardMiddleware`), where `current` would cost two steps of the request's fiber.
   */
  readonly currentAt: (nowMillis: number) => Option.Option<ActiveRules>
  /**
   * Every change of the rules in force. Put rules in force with `setRules` and `clear`, which
   * `current` and `currentAt` answer from; a write here reaches the subscribers only, except one
   * that clears rules already expired (which `current` no longer answers anyway).
   */
  readonly changes: SubscriptionRef.SubscriptionRef<Option.Option<ActiveRules>>
  /** Puts new rules in force at once. */
  readonly setRules: (rules: DynamicRules) => Effect.Effect<void>
  readonly clear: Effect.Effect<void>
  /** Which rule, if any, concerns this event. */
  readonly matchEvent: (event: SecurityEvent) => Effect.Effect<Option.Option<RuleMatch>>
}>() {
  /**
   * A manager with no rules until `setRules` is called.
   *
   * @since 0.1.0
   */
  static readonly layer: Layer.Layer<DynamicRuleManager> = Layer.effect(DynamicRuleManager, Effect.suspend(() => make))
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const activate = (rules: DynamicRules): ActiveRules => ({
  rules,
  ipRules: makeIpMatcher([...rules.ipBlacklist, ...rules.ipWhitelist]),
  blockedCountries: new Set(rules.blockedCountries.map((c) => c.trim().toUpperCase()))
})

/**
 * Whether `rules` are past their `expiresAt` at `nowMillis`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isExpired = (rules: DynamicRules, nowMillis: number): boolean =>
  rules.expiresAt !== undefined && rules.expiresAt !== null && rules.expiresAt.getTime() <= nowMillis

/**
 * The pure matching rule (see the module comment).
 *
 * @since 0.1.0
 * @category predicates
 */
export const ruleConcerns = (active: ActiveRules, event: SecurityEvent): boolean => {
  const { rules } = active
  if (event.ipAddress !== "" && active.ipRules.matches(event.ipAddress)) return true
  const country = event.country ?? (typeof event.metadata["country"] === "string" ? event.metadata["country"] : undefined)
  if (country !== undefined && active.blockedCountries.has(country.trim().toUpperCase())) return true
  switch (event.eventType) {
    case "rate_limited":
      return (rules.globalRateLimit !== undefined && rules.globalRateLimit !== null) ||
        Object.keys(rules.endpointRateLimits).length > 0
    case "dynamic_rule_violation":
      return true
    case "cloud_blocked":
      return rules.blockedCloudProviders.length > 0
    case "user_agent_blocked":
      return rules.blockedUserAgents.length > 0
    default:
      return false
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<DynamicRuleManager["Type"]> = Effect.gen(function*() {
  const ref = yield* SubscriptionRef.make(Option.none<ActiveRules>())
  // what `setRules` and `clear` last put in force: read on every request without a step
  let inForce = Option.none<ActiveRules>()
  // under the ref's lock, so that concurrent writes leave both in the same order
  const put = (active: Option.Option<ActiveRules>) =>
    SubscriptionRef.update(ref, () => {
      inForce = active
      return active
    })
  const currentAt = (nowMillis: number): Option.Option<ActiveRules> =>
    Option.isSome(inForce) && isExpired(inForce.value.rules, nowMillis) ? Option.none() : inForce
  return DynamicRuleManager.of({
    current: Effect.clockWith((clock) => Effect.sync(() => currentAt(clock.unsafeCurrentTimeMillis()))),
    currentAt,
    changes: ref,
    setRules: (rules) => put(Option.some(activate(rules))),
    clear: put(Option.none()),
    // judged at the event's own time, so an event emitted just before expiry still carries the rule
    matchEvent: (event) =>
      Effect.map(SubscriptionRef.get(ref), (active) =>
        Option.isSome(active) && !isExpired(active.value.rules, event.timestamp.getTime()) &&
          ruleConcerns(active.value, event)
          ? Option.some({ ruleId: active.value.rules.ruleId, version: active.value.rules.version })
          : Option.none())
  })
})
