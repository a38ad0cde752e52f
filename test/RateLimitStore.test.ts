import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Option, TestClock } from "effect"
import { rateLimitHeaders, RateLimitStore } from "../src/RateLimitStore.js"

const withStore = <A, E>(effect: Effect.Effect<A, E, RateLimitStore>, maxKeys?: number) =>
  Effect.provide(effect, RateLimitStore.layerMemory(maxKeys === undefined ? undefined : { maxKeys }))

const hits = (store: RateLimitStore["Type"], key: string, n: number, limit: number, window: Duration.DurationInput) =>
  Effect.forEach(Array.from({ length: n }), () => store.hit(key, limit, window))

describe("RateLimitStore.layerMemory", () => {
  it.effect("allows up to the limit and rejects the next request", () =>
    withStore(Effect.gen(function*() {
      const store = yield* RateLimitStore
      const results = yield* hits(store, "203.0.113.9", 4, 3, "1 minute")
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false])
      expect(results.map((r) => r.count)).toEqual([1, 2, 3, 4])
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0])
    })))

  it.effect("keeps separate counts per key", () =>
    withStore(Effect.gen(function*() {
      const store = yield* RateLimitStore
      yield* hits(store, "a", 2, 2, "1 minute")
      expect((yield* store.hit("a", 2, "1 minute")).allowed).toBe(false)
      expect((yield* store.hit("b", 2, "1 minute")).allowed).toBe(true)
    })))

  it.effect("slides the window: a request is allowed again when the oldest one leaves it", () =>
    withStore(Effect.gen(function*() {
      const store = yield* RateLimitStore
      yield* store.hit("k", 2, "60 seconds")
      yield* TestClock.adjust("30 seconds")
      yield* store.hit("k", 2, "60 seconds")
      yield* TestClock.adjust("29 seconds")
      const blocked = yield* store.hit("k", 2, "60 seconds")
      expect(blocked.allowed).toBe(false)
      // the rejected request at t=59 s is counted too; the one at t=30 s is now the oldest kept
      expect(Option.map(blocked.retryAfter, Duration.toSeconds)).toEqual(Option.some(31))
      yield* TestClock.adjust("31 seconds")
      expect((yield* store.hit("k", 2, "60 seconds")).allowed).toBe(true)
    })))

  it.effect("counts exactly the hits inside a sliding window, however many have left it", () =>
    withStore(Effect.gen(function*() {
      const store = yield* RateLimitStore
      // one hit every 100 ms against a 10 s window: the window holds the last 100 hits
      const counts: Array<number> = []
      for (let i = 0; i < 600; i++) {
        counts.push((yield* store.hit("k", 1_000_000, "10 seconds")).count)
        yield* TestClock.adjust("100 millis")
      }
      expect(counts).toEqual(Array.from({ length: 600 }, (_, i) => Math.min(i + 1, 100)))
    })))

  it.effect("forgets everything once a whole window has passed", () =>
    withStore(Effect.gen(function*() {
      const store = yield* RateLimitStore
      yield* hits(store, "k", 5, 3, "1 minute")
      yield* TestClock.adjust("1 minute")
      const result = yield* store.hit("k", 3, "1 minute")
      expect(result).toMatchObject({ allowed: true, count: 1, remaining: 2 })
    })))

  it.effect("keeps a client that keeps hammering limited, since rejected requests count", () =>
    withStore(Effect.gen(function*() {
      const store = yield* RateLimitStore
      yield* hits(store, "k", 2, 2, "10 seconds")
      // two requests per 10 s are allowed; one every 4 s would be, one every 3 s never is
      for (let i = 0; i < 20; i++) {
        yield* TestClock.adjust("3 seconds")
        expect((yield* store.hit("k", 2, "10 seconds")).allowed).toBe(false)
      }
    })))

  it.effect("reports when the oldest counted request leaves the window", () =>
    withStore(Effect.gen(function*() {
      const store = yield* RateLimitStore
      yield* store.hit("k", 10, "1 minute")
      yield* TestClock.adjust("15 seconds")
      const result = yield* store.hit("k", 10, "1 minute")
      expect(Duration.toSeconds(result.resetAfter)).toBe(45)
      expect(Option.isNone(result.retryAfter)).toBe(true)
    })))

  it.effect("applies a changed limit to an existing key", () =>
    withStore(Effect.gen(function*() {
      const store = yield* RateLimitStore
      yield* hits(store, "k", 5, 10, "1 minute")
      expect((yield* store.hit("k", 3, "1 minute")).allowed).toBe(false)
      expect((yield* store.hit("k", 20, "1 minute")).allowed).toBe(true)
    })))

  it.effect("rejects everything with a limit of zero", () =>
    withStore(Effect.gen(function*() {
      const store = yield* RateLimitStore
      const result = yield* store.hit("k", 0, "1 minute")
      expect(result.allowed).toBe(false)
      expect(Option.map(result.retryAfter, Duration.toSeconds)).toEqual(Option.some(60))
    })))

  it.effect("forgets a key on reset", () =>
    withStore(Effect.gen(function*() {
      const store = yield* RateLimitStore
      yield* hits(store, "k", 3, 1, "1 hour")
      yield* store.reset("k")
      expect((yield* store.hit("k", 1, "1 hour")).allowed).toBe(true)
    })))

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
