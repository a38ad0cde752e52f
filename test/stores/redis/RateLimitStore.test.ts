import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Option, TestClock } from "effect"
import { RateLimitStore } from "../../../src/RateLimitStore.js"
import { layerRateLimitStore } from "../../../src/stores/redis/index.js"
import { redisLayer, testPrefix, ttlsUnder } from "./support.js"

const storeLayer = (prefix: string) => layerRateLimitStore.pipe(Layer.provide(redisLayer(prefix)))

/** One guard instance: its own GuardRedis connection and store, built in the test's scope. */
const newInstance = (prefix: string) =>
  Effect.map(Layer.build(storeLayer(prefix)), (context) => Context.get(context, RateLimitStore))

describe("layerRateLimitStore", () => {
  it.scoped("allows up to the limit and rejects the next request, like the memory store", () =>
    Effect.gen(function*() {
      const store = yield* newInstance(yield* testPrefix)
      const results = yield* Effect.forEach([1, 2, 3, 4], () => store.hit("203.0.113.9", 3, "1 minute"))
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false])
      expect(results.map((r) => r.count)).toEqual([1, 2, 3, 4])
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0])
    }))

  it.scoped("slides the window by the caller's Clock, with an exact retryAfter", () =>
    Effect.gen(function*() {
      const store = yield* newInstance(yield* testPrefix)
      yield* store.hit("k", 2, "60 seconds")
      yield* TestClock.adjust("30 seconds")
      yield* store.hit("k", 2, "60 seconds")
      yield* TestClock.adjust("29 seconds")
      const blocked = yield* store.hit("k", 2, "60 seconds")
      expect(blocked.allowed).toBe(false)
      expect(Option.map(blocked.retryAfter, Duration.toSeconds)).toEqual(Option.some(31))
      yield* TestClock.adjust("31 seconds")
      expect((yield* store.hit("k", 2, "60 seconds")).allowed).toBe(true)
    }))

  it.scoped("keeps a client that keeps hammering limited, since rejected requests count", () =>
    Effect.gen(function*() {
      const store = yield* newInstance(yield* testPrefix)
      yield* store.hit("k", 2, "10 seconds")
      yield* store.hit("k", 2, "10 seconds")
      for (let i = 0; i < 10; i++) {
        yield* TestClock.adjust("3 seconds")
        expect((yield* store.hit("k", 2, "10 seconds")).allowed).toBe(false)
      }
    }))

  it.scoped("rejects everything for a limit of zero", () =>
    Effect.gen(function*() {
      const store = yield* newInstance(yield* testPrefix)
      const result = yield* store.hit("k", 0, "1 minute")
      expect(result).toMatchObject({ allowed: false, count: 1, remaining: 0 })
    }))

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

  it.scoped("counts keys with size and forgets one with reset", () =>
    Effect.gen(function*() {
      const store = yield* newInstance(yield* testPrefix)
      yield* store.hit("a", 1, "1 minute")
      yield* store.hit("b", 1, "1 minute")
      expect(yield* store.size).toBe(2)
      expect((yield* store.hit("a", 1, "1 minute")).allowed).toBe(false)
      yield* store.reset("a")
      expect(yield* store.size).toBe(1)
      expect((yield* store.hit("a", 1, "1 minute")).allowed).toBe(true)
    }))

})
