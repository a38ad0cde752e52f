import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { Clock, Effect, TestClock } from "effect"
import { DynamicRuleManager, DynamicRules, GuardTesting } from "effect-guard"

const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))

const Guard = GuardTesting.layer({
  enableAgent: true,
  agentApiKey: "test-api-key-0001",
  enableDynamicRules: true
})

it.effect("a dynamic rule blocks its addresses until it expires", () =>
  Effect.gen(function*() {
    // as the agent would send them: rules in force for 5 minutes from now
    const now = yield* Clock.currentTimeMillis
    const rules = DynamicRules.make({
      ruleId: "incident-42",
      version: 1,
      ipBlacklist: ["203.0.113.0/24"],
      expiresAt: new Date(now + 5 * 60_000)
    })
    yield* Effect.flatMap(DynamicRuleManager, (manager) => manager.setRules(rules))
    const get = GuardTesting.request(app, { ip: "203.0.113.7" })

    expect((yield* get).status).toBe(403)
    yield* TestClock.adjust("5 minutes")
    expect((yield* get).status).toBe(200)
  }).pipe(Effect.provide(Guard)))
