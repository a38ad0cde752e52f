import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import {
  BehaviorTracker,
  correlationKey,
  DynamicRuleManager,
  DynamicRules,
  EnrichmentKeys,
  EVENT_TYPE_VALUES,
  EventEnricher,
  GuardConfig,
  THREAT_SCORES,
  threatScoreFor
} from "effect-guard"
import { makeEvent, makeMetric } from "./support/events.js"

const enrichedConfig = {
  enableAgent: true,
  agentApiKey: "test-api-key-0001",
  agentProjectId: "proj-prod",
  enableEnrichment: true,
  otelServiceName: "api",
  otelResourceAttributes: { "deployment.environment": "prod" }
} as const

const EnricherLive = EventEnricher.layerConfig.pipe(
  Layer.provideMerge(Layer.merge(BehaviorTracker.layerMemory(), DynamicRuleManager.layer)),
  Layer.provide(GuardConfig.layer(enrichedConfig))
)

describe("EventEnricher", () => {
  it("the correlation key keeps the seeds' formula (test vectors)", () => {
    expect(correlationKey("1.2.3.4", "guard-core", 1_700_000_000)).toBe("2b06d6c4973760f5")
    expect(correlationKey("1.2.3.4", "svc-1", 1_700_000_000)).toBe("2c04ea5487f3a23b")
    expect(correlationKey("1.2.3.4", "guard-core", 1_700_000_100)).toBe("1acce91052f0cafe")
    expect(correlationKey("2001:db8::1", "api", 1_700_000_299.9)).toBe("41b32a80f125f640")
  })

  it("every event type has a threat score; unknown strings score 20", () => {
    expect(Object.keys(THREAT_SCORES).sort()).toEqual([...EVENT_TYPE_VALUES].sort())
    expect(threatScoreFor("penetration_attempt")).toBe(90)
    expect(threatScoreFor("ip_banned")).toBe(70)
    expect(threatScoreFor("emergency_mode_activated")).toBe(60)
    expect(threatScoreFor("behavior_violation")).toBe(50)
    expect(threatScoreFor("ip_ban_failed")).toBe(40)
    expect(threatScoreFor("user_agent_blocked")).toBe(30)
    expect(threatScoreFor("rate_limited")).toBe(20)
    expect(threatScoreFor("security_headers_applied")).toBe(10)
    expect(threatScoreFor("not_a_type")).toBe(20)
  })

  it.effect("an event gets all eight keys when their sources exist", () =>
    Effect.gen(function*() {
      const rules = yield* DynamicRuleManager
      yield* rules.setRules(new DynamicRules({ ruleId: "rule-7", version: 3, ipBlacklist: ["1.2.3.0/24"] }))
      const enricher = yield* EventEnricher
      const event = yield* enricher.enrichEvent(makeEvent("penetration_attempt", { ipAddress: "1.2.3.4" }))
      expect(event.metadata).toEqual({
        [EnrichmentKeys.projectId]: "proj-prod",
        [EnrichmentKeys.serviceName]: "api",
        [EnrichmentKeys.deploymentEnvironment]: "prod",
        [EnrichmentKeys.threatScore]: 90,
        [EnrichmentKeys.ruleId]: "rule-7",
        [EnrichmentKeys.ruleVersion]: 3,
        [EnrichmentKeys.correlationKey]: correlationKey("1.2.3.4", "api", 1_700_000_000),
        [EnrichmentKeys.recentEventCount]: 1
      })
    }).pipe(Effect.provide(EnricherLive)))

  it.effect("an IPv6 client's events share the behaviour keys of its /64 (ipv6Subnet), whichever address sent them", () =>
    Effect.gen(function*() {
      const enricher = yield* EventEnricher
      const first = yield* enricher.enrichEvent(makeEvent("rate_limited", { ipAddress: "2001:db8:2::1" }))
      const second = yield* enricher.enrichEvent(makeEvent("rate_limited", { ipAddress: "2001:db8:2::ffff" }))
      const other = yield* enricher.enrichEvent(makeEvent("rate_limited", { ipAddress: "2001:db8:3::1" }))
      expect(second.metadata[EnrichmentKeys.correlationKey]).toBe(first.metadata[EnrichmentKeys.correlationKey])
      expect(second.metadata[EnrichmentKeys.correlationKey]).toBe(correlationKey("2001:db8:2::/64", "api", 1_700_000_000))
      expect([second.metadata[EnrichmentKeys.recentEventCount], other.metadata[EnrichmentKeys.recentEventCount]]).toEqual([2, 1])
      // the event still names the address itself
      expect(second.ipAddress).toBe("2001:db8:2::ffff")
    }).pipe(Effect.provide(EnricherLive)))

  it.effect("keys without a source are absent, never null", () =>
    Effect.gen(function*() {
      const enricher = yield* EventEnricher
      const event = yield* enricher.enrichEvent(makeEvent("ip_banned", { ipAddress: "unknown" }))
      expect(Object.keys(event.metadata).sort()).toEqual([EnrichmentKeys.serviceName, EnrichmentKeys.threatScore].sort())
      expect(Object.values(event.metadata)).not.toContain(null)
    }).pipe(Effect.provide(EventEnricher.layerConfig.pipe(
      Layer.provide(Layer.merge(BehaviorTracker.layerMemory(), DynamicRuleManager.layer)),
      Layer.provide(GuardConfig.layer({ enableAgent: true, agentApiKey: "test-api-key-0001", enableEnrichment: true }))
    ))))

  it.effect("metrics get the three identity keys as tags and nothing else", () =>
    Effect.gen(function*() {
      const enricher = yield* EventEnricher
      const metric = yield* enricher.enrichMetric(makeMetric("request_count"))
      expect(metric.tags).toEqual({
        endpoint: "/x",
        [EnrichmentKeys.projectId]: "proj-prod",
        [EnrichmentKeys.serviceName]: "api",
        [EnrichmentKeys.deploymentEnvironment]: "prod"
      })
    }).pipe(Effect.provide(EnricherLive)))

  it.effect("guard.service.name follows a service.name override in the resource attributes", () =>
    Effect.gen(function*() {
      const enricher = yield* EventEnricher
      const event = yield* enricher.enrichEvent(makeEvent("ip_banned"))
      expect(event.metadata[EnrichmentKeys.serviceName]).toBe("override")
    }).pipe(Effect.provide(EventEnricher.layerConfig.pipe(
      Layer.provide(Layer.merge(BehaviorTracker.layerMemory(), DynamicRuleManager.layer)),
      Layer.provide(GuardConfig.layer({ ...enrichedConfig, otelResourceAttributes: { "service.name": "override" } }))
    ))))

  it.effect("pseudo-IPs get no behaviour keys", () =>
    Effect.gen(function*() {
      const enricher = yield* EventEnricher
      for (const ip of ["unknown", "", "system"]) {
        const event = yield* enricher.enrichEvent(makeEvent("ip_banned", { ipAddress: ip }))
        expect(event.metadata[EnrichmentKeys.correlationKey]).toBeUndefined()
        expect(event.metadata[EnrichmentKeys.recentEventCount]).toBeUndefined()
      }
    }).pipe(Effect.provide(EnricherLive)))

  it.effect("the correlation key changes at a 300 s bucket boundary, by the event's own time", () =>
    Effect.gen(function*() {
      const enricher = yield* EventEnricher
      // 1_699_999_800 s is a bucket boundary (5_666_666 * 300)
      yield* TestClock.setTime(1_699_999_800_000)
      const at = (offsetSeconds: number) =>
        enricher.enrichEvent(makeEvent("ip_blocked", { timestamp: new Date(1_699_999_800_000 + offsetSeconds * 1000) }))
      const first = yield* at(0)
      const sameBucket = yield* at(299)
      const nextBucket = yield* at(300)
      const key = (e: typeof first) => e.metadata[EnrichmentKeys.correlationKey]
      expect(key(first)).toBe(key(sameBucket))
      expect(key(nextBucket)).not.toBe(key(first))
    }).pipe(Effect.provide(EnricherLive)))

  it.effect("recent_event_count counts events across endpoints and falls as they age past 300 s", () =>
    Effect.gen(function*() {
      const enricher = yield* EventEnricher
      const emitAt = (seconds: number, endpoint: string) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(seconds * 1000)
          const now = new Date(seconds * 1000)
          return (yield* enricher.enrichEvent(makeEvent("ip_blocked", { timestamp: now, endpoint }))).metadata[
            EnrichmentKeys.recentEventCount
          ]
        })
      expect(yield* emitAt(1_000, "/a")).toBe(1)
      expect(yield* emitAt(1_100, "/b")).toBe(2)
      expect(yield* emitAt(1_200, "/c")).toBe(3)
      // the event at 1000 s is now older than 300 s
      expect(yield* emitAt(1_350, "/a")).toBe(3)
      // 1100 and 1200 have aged out; only 1350 and this one remain
      expect(yield* emitAt(1_550, "/a")).toBe(2)
      const tracker = yield* BehaviorTracker
      yield* TestClock.setTime(2_000_000)
      expect(yield* tracker.recentEventCount("1.2.3.4")).toBe(0)
    }).pipe(Effect.provide(EnricherLive)))

  it.effect("one failing strategy does not skip the others", () =>
    Effect.gen(function*() {
      const failingRules = Layer.succeed(DynamicRuleManager, DynamicRuleManager.of({
        current: Effect.die("boom"),
        currentAt: () => {
          throw new Error("boom")
        },
        changes: undefined as never,
        setRules: () => Effect.void,
        clear: Effect.void,
        matchEvent: () => Effect.die(new Error("rule store exploded"))
      }))
      const enricher = yield* EventEnricher.pipe(
        Effect.provide(EventEnricher.layerConfig.pipe(
          Layer.provide(Layer.merge(failingRules, BehaviorTracker.layerMemory())),
          Layer.provide(GuardConfig.layer(enrichedConfig))
        ))
      )
      const event = yield* enricher.enrichEvent(makeEvent("ip_banned"))
      expect(event.metadata[EnrichmentKeys.threatScore]).toBe(70)
      expect(event.metadata[EnrichmentKeys.ruleId]).toBeUndefined()
      expect(event.metadata[EnrichmentKeys.correlationKey]).toBeDefined()
      expect(event.metadata[EnrichmentKeys.recentEventCount]).toBe(1)
    }))

  it.effect("enrichment returns a copy and leaves the original event untouched", () =>
    Effect.gen(function*() {
      const enricher = yield* EventEnricher
      const original = makeEvent("ip_banned")
      const enriched = yield* enricher.enrichEvent(original)
      expect(original.metadata).toEqual({})
      expect(enriched).not.toBe(original)
    }).pipe(Effect.provide(EnricherLive)))
})
