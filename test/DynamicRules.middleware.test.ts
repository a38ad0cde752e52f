import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { ClientIp, DynamicRuleManager, DynamicRules, GuardConfig, GuardLive, guardMiddleware } from "effect-guard"

const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("ok")), HttpRouter.get("/login", HttpServerResponse.text("ok")))

/** The guarded app run in the test fiber, so the TestClock drives rule expiry. */
const status = (path: string, ip: string, headers: Record<string, string> = {}) =>
  guardMiddleware(app).pipe(
    Effect.provideService(HttpServerRequest.HttpServerRequest, HttpServerRequest.fromWeb(new Request(`http://guarded.test${path}`, { headers }))),
    Effect.provideService(ClientIp, ip),
    Effect.scoped,
    Effect.map((response) => response.status)
  )

const Guard = GuardLive.pipe(Layer.provide(GuardConfig.layer({ enableRateLimiting: false })))

/** Dynamic rules on, so the checks they can drive are built; the agent itself stays silent. */
const withDynamicRules = {
  enableRateLimiting: false,
  enableAgent: true,
  agentApiKey: "test-api-key-0001",
  agentEndpoint: "http://127.0.0.1:9",
  // no agent exporter: its retries would wait on the TestClock when the scope closes
  agentEnableEvents: false,
  agentEnableMetrics: false,
  enableDynamicRules: true
}
const GuardWithDynamicRules = GuardLive.pipe(Layer.provide(GuardConfig.layer(withDynamicRules)))

/** Dynamic rules on and detection off: a rule can turn it on. */
const GuardWithDetectionOff = GuardLive.pipe(Layer.provide(GuardConfig.layer({ ...withDynamicRules, enablePenetrationDetection: false })))

describe("dynamic rules change what the middleware blocks", () => {
  it.effect("an IP blacklist applies at once and the previous behaviour returns at expiresAt", () =>
    Effect.gen(function*() {
      const rules = yield* DynamicRuleManager
      expect(yield* status("/", "198.51.100.20")).toBe(200)
      yield* rules.setRules(new DynamicRules({ ruleId: "r-1", version: 1, ipBlacklist: ["198.51.100.0/24"], expiresAt: new Date(10 * 60_000) }))
      expect(yield* status("/", "198.51.100.20")).toBe(403)
      expect(yield* status("/", "203.0.113.1")).toBe(200)
      yield* TestClock.adjust("10 minutes")
      expect(yield* status("/", "198.51.100.20")).toBe(200)
    }).pipe(Effect.provide(Guard)))

  it.effect("emergency mode from the rules locks out everyone but its whitelist", () =>
    Effect.gen(function*() {
      const rules = yield* DynamicRuleManager
      yield* rules.setRules(new DynamicRules({ ruleId: "r-2", version: 1, emergencyMode: true, emergencyWhitelist: ["10.0.0.0/8"] }))
      expect(yield* status("/", "198.51.100.21")).toBe(503)
      expect(yield* status("/", "10.1.1.1")).toBe(200)
    }).pipe(Effect.provide(GuardWithDynamicRules)))

  it.effect("endpoint rate limits and user agents from the rules apply", () =>
    Effect.gen(function*() {
      const rules = yield* DynamicRuleManager
      yield* rules.setRules(new DynamicRules({ ruleId: "r-3", version: 1, endpointRateLimits: { "/login": [1, 60] }, blockedUserAgents: ["evilbot"] }))
      expect(yield* status("/login", "198.51.100.22")).toBe(200)
      expect(yield* status("/login", "198.51.100.22")).toBe(429)
      expect(yield* status("/", "198.51.100.23", { "user-agent": "EvilBot/2" })).toBe(403)
    }).pipe(Effect.provide(GuardWithDynamicRules)))

  it.effect("a rule that turns detection on applies where the global setting is off", () =>
    Effect.gen(function*() {
      const rules = yield* DynamicRuleManager
      const attack = "/?q=%3Cscript%3Ealert(1)%3C/script%3E"
      expect(yield* status(attack, "198.51.100.24")).toBe(200)
      yield* rules.setRules(new DynamicRules({ ruleId: "r-4", version: 1, enablePenetrationDetection: true }))
      expect(yield* status(attack, "198.51.100.24")).toBe(400)
      expect(yield* status("/?q=shoes", "198.51.100.24")).toBe(200)
    }).pipe(Effect.provide(GuardWithDetectionOff)))
})
