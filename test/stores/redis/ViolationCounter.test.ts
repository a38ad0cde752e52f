import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { layerViolationCounter, type ViolationCounterRedisOptions } from "../../../src/stores/redis/index.js"
import { ViolationCounter } from "../../../src/ViolationCounter.js"
import { violationCounterContract } from "../../support/storeContracts.js"
import { redisLayer, testPrefix, ttlsUnder } from "./support.js"

const newInstance = (prefix: string, options?: ViolationCounterRedisOptions) =>
  Effect.map(
    Layer.build(layerViolationCounter(options).pipe(Layer.provide(redisLayer(prefix)))),
    (context) => Context.get(context, ViolationCounter)
  )

describe("layerViolationCounter", () => {
  describe("the store contract", () => {
    violationCounterContract((options) => Effect.flatMap(testPrefix, (prefix) => newInstance(prefix, options)))
  })

  it.scoped("gives every key a TTL: the window, or the idle TTL without one", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const windowed = yield* newInstance(prefix, { window: "10 minutes" })
      const idle = yield* newInstance(prefix, { idleTtl: "1 hour" })
      yield* windowed.record("a", "sqli")
      yield* idle.record("b", "sqli")
      const ttls = yield* ttlsUnder(prefix)
      expect(ttls.get(`${prefix}violations:a`)).toBeGreaterThan(590_000)
      expect(ttls.get(`${prefix}violations:a`)).toBeLessThanOrEqual(600_000)
      expect(ttls.get(`${prefix}violations:b`)).toBeGreaterThan(3_590_000)
    }))

  it.scoped("counts a category past the cap as one each time", () =>
    Effect.gen(function*() {
      const counter = yield* newInstance(yield* testPrefix)
      for (let i = 0; i < 70; i++) yield* counter.record("ip", `cat-${i}`)
      const counts = yield* counter.record("ip", "cat-69")
      expect(counts.byCategory.size).toBe(64)
      expect(counts.total).toBe(71)
      expect(counts.category).toBe(1)
    }))

  it.scoped("adds up the violations two instances saw, even when recorded concurrently", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const a = yield* newInstance(prefix)
      const b = yield* newInstance(prefix)
      yield* Effect.forEach(
        Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b)),
        (counter) => counter.record("203.0.113.9", "sqli"),
        { concurrency: "unbounded" }
      )
      expect(yield* a.record("203.0.113.9", "xss")).toMatchObject({ category: 1, total: 101 })
    }))
})
