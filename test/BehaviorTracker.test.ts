import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { BehaviorTracker } from "effect-guard"
import { behaviorTrackerContract } from "./support/storeContracts.js"

describe("BehaviorTracker.layerMemory", () => {
  describe("the store contract", () => {
    behaviorTrackerContract(Effect.map(Layer.build(BehaviorTracker.layerMemory()), (context) => Context.get(context, BehaviorTracker)))
  })

  it.effect("an IP spray cannot grow memory past the bound; the least recently seen IP goes first", () =>
    Effect.gen(function*() {
      const tracker = yield* BehaviorTracker
      yield* tracker.record("keep-me")
      for (let i = 0; i < 5_000; i++) {
        yield* tracker.record(`10.${i >> 16 & 255}.${i >> 8 & 255}.${i & 255}`)
        if (i % 100 === 0) yield* tracker.record("keep-me")
      }
      expect(yield* tracker.trackedIps).toBe(1_000)
      expect(yield* tracker.recentEventCount("10.0.0.0")).toBe(0)
      expect(yield* tracker.recentEventCount("keep-me")).toBeGreaterThan(0)
    }).pipe(Effect.provide(BehaviorTracker.layerMemory({ maxTrackedIps: 1_000 }))))

  it.effect("counts for one IP saturate at the per-IP bound", () =>
    Effect.gen(function*() {
      const tracker = yield* BehaviorTracker
      for (let i = 0; i < 500; i++) yield* tracker.record("10.0.0.1")
      expect(yield* tracker.recentEventCount("10.0.0.1")).toBe(100)
    }).pipe(Effect.provide(BehaviorTracker.layerMemory({ maxEventsPerIp: 100 }))))
})
