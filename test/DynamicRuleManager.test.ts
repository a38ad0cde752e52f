import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import { decodeDynamicRules, DynamicRuleManager, DynamicRules } from "effect-guard"
import { makeEvent } from "./support/events.js"

const rules = (fields: Partial<ConstructorParameters<typeof DynamicRules>[0]> = {}) =>
  new DynamicRules({ ruleId: "r-1", version: 2, ...fields })

const match = (event: ReturnType<typeof makeEvent>) =>
  Effect.flatMap(DynamicRuleManager, (m) => m.matchEvent(event))

describe("DynamicRuleManager", () => {
  it.effect("without rules nothing matches", () =>
    Effect.gen(function*() {
      expect(yield* match(makeEvent("ip_blocked"))).toEqual(Option.none())
    }).pipe(Effect.provide(DynamicRuleManager.layer)))

  it.effect("IPs are matched canonically: IPv4-mapped IPv6, IPv6 spelling and CIDR entries", () =>
    Effect.gen(function*() {
      const manager = yield* DynamicRuleManager
      yield* manager.setRules(rules({ ipBlacklist: ["203.0.113.7", "2001:db8::/32"], ipWhitelist: ["10.0.0.0/8"] }))
      const expected = Option.some({ ruleId: "r-1", version: 2 })
      expect(yield* match(makeEvent("ip_blocked", { ipAddress: "::ffff:203.0.113.7" }))).toEqual(expected)
      expect(yield* match(makeEvent("ip_blocked", { ipAddress: "2001:0DB8:0:0::42" }))).toEqual(expected)
      expect(yield* match(makeEvent("ip_blocked", { ipAddress: "10.9.8.7" }))).toEqual(expected)
      expect(yield* match(makeEvent("ip_blocked", { ipAddress: "198.51.100.1" }))).toEqual(Option.none())
      expect(yield* match(makeEvent("ip_blocked", { ipAddress: "not-an-ip" }))).toEqual(Option.none())
    }).pipe(Effect.provide(DynamicRuleManager.layer)))

  it.effect("countries compare case-insensitively, from the event or its metadata", () =>
    Effect.gen(function*() {
      const manager = yield* DynamicRuleManager
      yield* manager.setRules(rules({ blockedCountries: ["cn"] }))
      expect(Option.isSome(yield* match(makeEvent("country_blocked", { ipAddress: "", country: "CN" })))).toBe(true)
      expect(Option.isSome(yield* match(makeEvent("country_blocked", { ipAddress: "", metadata: { country: "Cn" } })))).toBe(true)
      expect(Option.isSome(yield* match(makeEvent("country_blocked", { ipAddress: "", country: "US" })))).toBe(false)
    }).pipe(Effect.provide(DynamicRuleManager.layer)))

  it.effect("types match when the rules configure what they are about", () =>
    Effect.gen(function*() {
      const manager = yield* DynamicRuleManager
      const other = { ipAddress: "192.0.2.1" }
      yield* manager.setRules(rules({ globalRateLimit: 10 }))
      expect(Option.isSome(yield* match(makeEvent("rate_limited", other)))).toBe(true)
      expect(Option.isSome(yield* match(makeEvent("dynamic_rule_violation", other)))).toBe(true)
      expect(Option.isSome(yield* match(makeEvent("cloud_blocked", other)))).toBe(false)
      yield* manager.setRules(rules({ blockedCloudProviders: ["AWS"], blockedUserAgents: ["curl"] }))
      expect(Option.isSome(yield* match(makeEvent("cloud_blocked", other)))).toBe(true)
      expect(Option.isSome(yield* match(makeEvent("user_agent_blocked", other)))).toBe(true)
      expect(Option.isSome(yield* match(makeEvent("rate_limited", other)))).toBe(false)
    }).pipe(Effect.provide(DynamicRuleManager.layer)))

  it.effect("expired rules are no longer in force and match nothing", () =>
    Effect.gen(function*() {
      const manager = yield* DynamicRuleManager
      yield* manager.setRules(rules({ ipBlacklist: ["192.0.2.1"], expiresAt: new Date(60_000) }))
      expect(Option.isSome(yield* manager.current)).toBe(true)
      expect(Option.isSome(yield* match(makeEvent("ip_blocked", { ipAddress: "192.0.2.1", timestamp: new Date(59_000) })))).toBe(true)
      yield* TestClock.adjust("1 minute")
      expect(Option.isNone(yield* manager.current)).toBe(true)
      expect(Option.isNone(yield* match(makeEvent("ip_blocked", { ipAddress: "192.0.2.1", timestamp: new Date(60_000) })))).toBe(true)
    }).pipe(Effect.provide(DynamicRuleManager.layer)))

  it.effect("rules decode from the backend's snake_case payload", () =>
    Effect.gen(function*() {
      const decoded = yield* decodeDynamicRules({
        rule_id: "r-9",
        version: 4,
        ip_blacklist: ["1.2.3.4"],
        endpoint_rate_limits: { "/login": [5, 60] },
        expires_at: "2030-01-01T00:00:00Z"
      })
      expect(decoded.ruleId).toBe("r-9")
      expect(decoded.endpointRateLimits["/login"]).toEqual([5, 60])
      expect(decoded.expiresAt?.toISOString()).toBe("2030-01-01T00:00:00.000Z")
      expect(decoded.ttl).toBe(300)
    }))
})
