import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, TestClock } from "effect"
import { DynamicRuleManager } from "../../../src/DynamicRuleManager.js"
import { DynamicRules } from "../../../src/DynamicRules.js"
import { layerDynamicRuleManager } from "../../../src/stores/redis/index.js"
import { makeEvent } from "../../support/events.js"
import { redisLayer, testPrefix, ttlsUnder } from "./support.js"

const rules = (fields: Partial<ConstructorParameters<typeof DynamicRules>[0]> = {}) =>
  new DynamicRules({ ruleId: "r-1", version: 2, ...fields })

const newInstance = (prefix: string) =>
  Effect.map(
    Layer.build(layerDynamicRuleManager().pipe(Layer.provide(redisLayer(prefix)))),
    (context) => Context.get(context, DynamicRuleManager)
  )

const ruleOf = (manager: DynamicRuleManager["Type"]) =>
  Effect.map(manager.current, Option.map((active) => [active.rules.ruleId, active.rules.version]))

describe("layerDynamicRuleManager", () => {
  it.scoped("starts a new instance with the last rules another instance set", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const first = yield* newInstance(prefix)
      yield* first.setRules(rules({ ipBlacklist: ["2001:db8::/32"], blockedCountries: ["cn"] }))
      const second = yield* newInstance(prefix)
      expect(yield* ruleOf(second)).toEqual(Option.some(["r-1", 2]))
      const matched = yield* second.matchEvent(makeEvent("ip_blocked", { ipAddress: "2001:db8::42" }))
      expect(matched).toEqual(Option.some({ ruleId: "r-1", version: 2 }))
    }))

  it.scoped("stores the rules until they expire, and does not restore expired rules", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const first = yield* newInstance(prefix)
      yield* first.setRules(rules({ expiresAt: new Date(60_000) }))
      const ttl = (yield* ttlsUnder(prefix)).get(`${prefix}dynamic_rules:current`)
      expect(ttl).toBeGreaterThan(55_000)
      expect(ttl).toBeLessThanOrEqual(60_000)
      yield* TestClock.adjust("2 minutes")
      expect(yield* ruleOf(yield* newInstance(prefix))).toEqual(Option.none())
    }))

  it.scoped("forgets the stored rules on clear", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const first = yield* newInstance(prefix)
      yield* first.setRules(rules())
      yield* first.clear
      expect(yield* ruleOf(first)).toEqual(Option.none())
      expect(yield* ruleOf(yield* newInstance(prefix))).toEqual(Option.none())
    }))

  it.live("still applies rules locally when Redis is unreachable", () =>
    Effect.gen(function*() {
      const manager = Context.get(
        yield* Layer.build(layerDynamicRuleManager().pipe(
          Layer.provide(redisLayer("unused:", { url: "redis://127.0.0.1:1", required: false }))
        )),
        DynamicRuleManager
      )
      expect(yield* ruleOf(manager)).toEqual(Option.none())
      yield* manager.setRules(rules())
      expect(yield* ruleOf(manager)).toEqual(Option.some(["r-1", 2]))
    }).pipe(Effect.scoped))
})
