import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, TestClock } from "effect"
import { BehaviorTracker } from "../../../src/BehaviorTracker.js"
import { type BehaviorTrackerRedisOptions, layerBehaviorTracker } from "../../../src/stores/redis/index.js"
import { behaviorTrackerContract } from "../../support/storeContracts.js"
import { redisLayer, testPrefix, ttlsUnder } from "./support.js"

const newInstance = (prefix: string, options?: BehaviorTrackerRedisOptions, url?: string) =>
  Effect.map(
    Layer.build(layerBehaviorTracker(options).pipe(Layer.provide(redisLayer(prefix, url === undefined ? {} : { url, required: false })))),
    (context) => Context.get(context, BehaviorTracker)
  )

describe("layerBehaviorTracker", () => {
  describe("the store contract", () => {
    behaviorTrackerContract(Effect.flatMap(testPrefix, (prefix) => newInstance(prefix)))
  })

  it.scoped("agrees on recent_event_count across two instances", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const a = yield* newInstance(prefix)
      const b = yield* newInstance(prefix)
      yield* TestClock.setTime(10_000_000)
      yield* a.record("203.0.113.9")
      yield* b.record("203.0.113.9")
      yield* a.record("203.0.113.9")
      expect(yield* a.recentEventCount("203.0.113.9")).toBe(3)
      expect(yield* b.recentEventCount("203.0.113.9")).toBe(3)
      expect(yield* b.trackedIps).toBe(1)
    }))

  it.scoped("keeps at most maxEventsPerIp times per IP, with the retention as TTL", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const tracker = yield* newInstance(prefix, { maxEventsPerIp: 5, retention: "1 minute" })
      for (let i = 0; i < 8; i++) yield* tracker.record("ip", 1_000 + i)
      expect(yield* tracker.recentEventCount("ip", "1 minute", 2_000)).toBe(5)
      const ttl = (yield* ttlsUnder(prefix)).get(`${prefix}behavior:ip`)
      expect(ttl).toBeGreaterThan(55_000)
      expect(ttl).toBeLessThanOrEqual(60_000)
    }))

  it.live("never fails when Redis is unreachable: events are dropped and counts read 0", () =>
    Effect.gen(function*() {
      const tracker = yield* newInstance("unused:", {}, "redis://127.0.0.1:1")
      yield* tracker.record("ip")
      expect(yield* tracker.recentEventCount("ip")).toBe(0)
      expect(yield* tracker.trackedIps).toBe(0)
    }).pipe(Effect.scoped))
})
