import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, TestClock } from "effect"
import { ViolationCounter } from "../src/ViolationCounter.js"
import { violationCounterContract } from "./support/storeContracts.js"

const withCounter = <A, E>(
  effect: Effect.Effect<A, E, ViolationCounter>,
  options?: Parameters<typeof ViolationCounter.layerMemory>[0]
) => Effect.provide(effect, ViolationCounter.layerMemory(options))

describe("ViolationCounter.layerMemory", () => {
  describe("the store contract", () => {
    violationCounterContract((options) =>
      Effect.map(Layer.build(ViolationCounter.layerMemory(options)), (context) => Context.get(context, ViolationCounter))
    )
  })

  it.effect("never decays counts without a window", () =>
    withCounter(Effect.gen(function*() {
      const counter = yield* ViolationCounter
      yield* counter.record("203.0.113.9", "sqli")
      yield* TestClock.adjust("365 days")
      expect((yield* counter.record("203.0.113.9", "sqli")).total).toBe(2)
    })))

  it.effect("tracks at most maxIps under a spray of 100k addresses", () =>
    withCounter(Effect.gen(function*() {
      const counter = yield* ViolationCounter
      for (let i = 0; i < 100_000; i++) yield* counter.record(`11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, "sqli")
      expect(yield* counter.size).toBe(500)
    }), { maxIps: 500 }))

  it.effect("keeps a recently active IP when older ones are dropped", () =>
    withCounter(Effect.gen(function*() {
      const counter = yield* ViolationCounter
      yield* counter.record("203.0.113.9", "sqli")
      yield* counter.record("198.51.100.1", "sqli")
      yield* counter.record("203.0.113.9", "sqli")
      yield* counter.record("198.51.100.2", "sqli")
      expect((yield* counter.record("203.0.113.9", "sqli")).total).toBe(3)
    }), { maxIps: 2 }))

})
