import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, TestClock } from "effect"
import { rateLimitHeaders, RateLimitStore } from "../src/RateLimitStore.js"
import { rateLimitStoreContract } from "./support/storeContracts.js"

const withStore = <A, E>(effect: Effect.Effect<A, E, RateLimitStore>, maxKeys?: number) =>
  Effect.provide(effect, RateLimitStore.layerMemory(maxKeys === undefined ? undefined : { maxKeys }))

const hits = (store: RateLimitStore["Type"], key: string, n: number, limit: number, window: Duration.DurationInput) =>
  Effect.forEach(Array.from({ length: n }), () => store.hit(key, limit, window))

describe("RateLimitStore.layerMemory", () => {
  describe("the store contract", () => {
    rateLimitStoreContract(Effect.map(Layer.build(RateLimitStore.layerMemory()), (context) => Context.get(context, RateLimitStore)))
  })

  it.effect("tracks at most maxKeys keys under a spray of 100k addresses", () =>
    withStore(Effect.gen(function*() {
      const store = yield* RateLimitStore
      for (let i = 0; i < 100_000; i++) {
        yield* store.hit(`11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 10, "1 minute")
      }
      expect(yield* store.size).toBe(1_000)
    }), 1_000))

  it.effect("keeps memory per key bounded by the limit under a flood", () =>
    withStore(Effect.gen(function*() {
      const store = yield* RateLimitStore
      const results = yield* hits(store, "k", 10_000, 5, "1 hour")
      expect(results.at(-1)).toMatchObject({ allowed: false, count: 6, remaining: 0 })
    })))

  it.effect("evicts the least recently hit key first", () =>
    withStore(Effect.gen(function*() {
      const store = yield* RateLimitStore
      yield* store.hit("a", 1, "1 hour")
      yield* store.hit("b", 1, "1 hour")
      yield* store.hit("a", 1, "1 hour")
      yield* store.hit("c", 1, "1 hour")
      expect((yield* store.hit("a", 1, "1 hour")).allowed).toBe(false)
      expect((yield* store.hit("b", 1, "1 hour")).allowed).toBe(true)
    }), 2))
})

describe("rateLimitHeaders", () => {
  it.effect("formats the IETF RateLimit headers and Retry-After for a rejected request", () =>
    withStore(Effect.gen(function*() {
      const store = yield* RateLimitStore
      yield* store.hit("k", 1, "1 minute")
      yield* TestClock.adjust(Duration.millis(17_500))
      const result = yield* store.hit("k", 1, "1 minute")
      expect(rateLimitHeaders(result, "global")).toEqual({
        "ratelimit-policy": "\"global\";q=1;w=60",
        "ratelimit": "\"global\";r=0;t=60",
        "retry-after": "60"
      })
    })))

  it.effect("omits Retry-After for an allowed request", () =>
    withStore(Effect.gen(function*() {
      const store = yield* RateLimitStore
      const headers = rateLimitHeaders(yield* store.hit("k", 10, "1 minute"))
      expect(headers).toEqual({ "ratelimit-policy": "\"default\";q=10;w=60", "ratelimit": "\"default\";r=9;t=60" })
    })))
})
