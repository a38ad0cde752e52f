import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { ViolationCounter } from "../src/ViolationCounter.js"

const withCounter = <A, E>(
  effect: Effect.Effect<A, E, ViolationCounter>,
  options?: Parameters<typeof ViolationCounter.layerMemory>[0]
) => Effect.provide(effect, ViolationCounter.layerMemory(options))

describe("ViolationCounter.layerMemory", () => {
  it.effect("counts violations per category and in total", () =>
    withCounter(Effect.gen(function*() {
      const counter = yield* ViolationCounter
      yield* counter.record("203.0.113.9", "sqli")
      yield* counter.record("203.0.113.9", "xss")
      const counts = yield* counter.record("203.0.113.9", "sqli")
      expect(counts.category).toBe(2)
      expect(counts.total).toBe(3)
      expect([...counts.byCategory]).toEqual([["sqli", 2], ["xss", 1]])
      expect((yield* counter.record("198.51.100.1", "sqli")).total).toBe(1)
    })))

  it.effect("never decays counts without a window", () =>
    withCounter(Effect.gen(function*() {
      const counter = yield* ViolationCounter
      yield* counter.record("203.0.113.9", "sqli")
      yield* TestClock.adjust("365 days")
      expect((yield* counter.record("203.0.113.9", "sqli")).total).toBe(2)
    })))

  it.effect("starts over once the window has passed since the first violation", () =>
    withCounter(Effect.gen(function*() {
      const counter = yield* ViolationCounter
      yield* counter.record("203.0.113.9", "sqli")
      yield* TestClock.adjust("59 minutes")
      expect((yield* counter.record("203.0.113.9", "sqli")).total).toBe(2)
      yield* TestClock.adjust("1 minute")
      expect((yield* counter.record("203.0.113.9", "sqli")).total).toBe(1)
    }), { window: "1 hour" }))

  it.effect("forgets an IP on reset", () =>
    withCounter(Effect.gen(function*() {
      const counter = yield* ViolationCounter
      yield* counter.record("203.0.113.9", "sqli")
      yield* counter.reset("203.0.113.9")
      expect((yield* counter.record("203.0.113.9", "sqli")).total).toBe(1)
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

  it.effect("caps the number of categories kept per IP but still counts the total", () =>
    withCounter(Effect.gen(function*() {
      const counter = yield* ViolationCounter
      let last = yield* counter.record("203.0.113.9", "c0")
      for (let i = 1; i < 100; i++) last = yield* counter.record("203.0.113.9", `c${i}`)
      expect(last.byCategory.size).toBe(64)
      expect(last.total).toBe(100)
    })))
})
