import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { RateLimitStore } from "../../../src/RateLimitStore.js"
import { layerRateLimitStore } from "../../../src/stores/redis/index.js"
import { rateLimitStoreContract } from "../../support/storeContracts.js"
import { redisLayer, testPrefix, ttlsUnder } from "./support.js"

const storeLayer = (prefix: string) => layerRateLimitStore.pipe(Layer.provide(redisLayer(prefix)))

/** One guard instance: its own GuardRedis connection and store, built in the test's scope. */
const newInstance = (prefix: string) =>
  Effect.map(Layer.build(storeLayer(prefix)), (context) => Context.get(context, RateLimitStore))

describe("layerRateLimitStore", () => {
  describe("the store contract", () => {
    rateLimitStoreContract(Effect.flatMap(testPrefix, newInstance))
  })

  it.scoped("enforces one combined limit across two instances sharing one Redis", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const a = yield* newInstance(prefix)
      const b = yield* newInstance(prefix)
      const results = yield* Effect.forEach([a, b, a, b, a, b], (store) => store.hit("198.51.100.7", 4, "1 minute"))
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, false, false])
      expect(results.map((r) => r.count)).toEqual([1, 2, 3, 4, 5, 5])
    }))

  it.scoped("never lets more than the limit through when many hits race across both instances", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const a = yield* newInstance(prefix)
      const b = yield* newInstance(prefix)
      // every hit at the same millisecond: unique members keep them apart
      const stores = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? a : b))
      const results = yield* Effect.forEach(stores, (store) => store.hit("hot", 25, "1 minute"), { concurrency: "unbounded" })
      expect(results.filter((r) => r.allowed)).toHaveLength(25)
      expect(new Set(results.filter((r) => r.allowed).map((r) => r.count)).size).toBe(25)
    }))

  it.scoped("gives every key a TTL of one window under the configured prefix", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const store = yield* newInstance(prefix)
      yield* store.hit("a", 5, "30 seconds")
      yield* store.hit("b:endpoint", 5, "30 seconds")
      const ttls = yield* ttlsUnder(prefix)
      expect([...ttls.keys()].sort()).toEqual([`${prefix}rate_limit:a`, `${prefix}rate_limit:b:endpoint`])
      for (const ttl of ttls.values()) expect(ttl).toBeGreaterThan(25_000)
      for (const ttl of ttls.values()) expect(ttl).toBeLessThanOrEqual(30_000)
    }))

})
