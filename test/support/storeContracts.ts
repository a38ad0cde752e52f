/**
 * What every store of a service promises, whatever keeps its state: one suite per service, run
 * against the memory store (test/RateLimitStore.test.ts, test/IpBans.test.ts,
 * test/ViolationCounter.test.ts, test/BehaviorTracker.test.ts) and the Redis store
 * (test/stores/redis/...). A store's own tests add only what is its alone: bounds and eviction in
 * memory, keys, TTLs and sharing between instances in Redis.
 */
import { expect, it } from "@effect/vitest"
import { Duration, Effect, Option, type Scope, TestClock } from "effect"
import type { BehaviorTracker } from "../../src/BehaviorTracker.js"
import type { BanResult, IpBans } from "../../src/IpBans.js"
import type { RateLimitStore } from "../../src/RateLimitStore.js"
import type { ViolationCounter } from "../../src/ViolationCounter.js"

const hits = (store: RateLimitStore["Type"], key: string, n: number, limit: number, window: Duration.DurationInput) =>
  Effect.forEach(Array.from({ length: n }), () => store.hit(key, limit, window))

/** The `RateLimitStore` contract; `make` builds a fresh, empty store in the test's scope. */
export const rateLimitStoreContract = <E>(make: Effect.Effect<RateLimitStore["Type"], E, Scope.Scope>) => {
  it.scoped("allows up to the limit and rejects the next request", () =>
    Effect.gen(function*() {
      const store = yield* make
      const results = yield* hits(store, "203.0.113.9", 4, 3, "1 minute")
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false])
      expect(results.map((r) => r.count)).toEqual([1, 2, 3, 4])
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0])
    }))

  it.scoped("keeps separate counts per key", () =>
    Effect.gen(function*() {
      const store = yield* make
      yield* hits(store, "a", 2, 2, "1 minute")
      expect((yield* store.hit("a", 2, "1 minute")).allowed).toBe(false)
      expect((yield* store.hit("b", 2, "1 minute")).allowed).toBe(true)
    }))

  it.scoped("slides the window by the caller's Clock: a request is allowed again when the oldest leaves it", () =>
    Effect.gen(function*() {
      const store = yield* make
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
    }))

  it.scoped("counts exactly the hits inside a sliding window, however many have left it", () =>
    Effect.gen(function*() {
      const store = yield* make
      // one hit every 100 ms against a 10 s window: the window holds the last 100 hits
      const counts: Array<number> = []
      for (let i = 0; i < 600; i++) {
        counts.push((yield* store.hit("k", 1_000_000, "10 seconds")).count)
        yield* TestClock.adjust("100 millis")
      }
      expect(counts).toEqual(Array.from({ length: 600 }, (_, i) => Math.min(i + 1, 100)))
    }))

  it.scoped("forgets everything once a whole window has passed", () =>
    Effect.gen(function*() {
      const store = yield* make
      yield* hits(store, "k", 5, 3, "1 minute")
      yield* TestClock.adjust("1 minute")
      expect(yield* store.hit("k", 3, "1 minute")).toMatchObject({ allowed: true, count: 1, remaining: 2 })
    }))

  it.scoped("keeps a client that keeps hammering limited, since rejected requests count", () =>
    Effect.gen(function*() {
      const store = yield* make
      yield* hits(store, "k", 2, 2, "10 seconds")
      // two requests per 10 s are allowed; one every 4 s would be, one every 3 s never is
      for (let i = 0; i < 20; i++) {
        yield* TestClock.adjust("3 seconds")
        expect((yield* store.hit("k", 2, "10 seconds")).allowed).toBe(false)
      }
    }))

  it.scoped("reports when the oldest counted request leaves the window", () =>
    Effect.gen(function*() {
      const store = yield* make
      yield* store.hit("k", 10, "1 minute")
      yield* TestClock.adjust("15 seconds")
      const result = yield* store.hit("k", 10, "1 minute")
      expect(Duration.toSeconds(result.resetAfter)).toBe(45)
      expect(Option.isNone(result.retryAfter)).toBe(true)
    }))

  it.scoped("applies a changed limit to an existing key", () =>
    Effect.gen(function*() {
      const store = yield* make
      yield* hits(store, "k", 5, 10, "1 minute")
      expect((yield* store.hit("k", 3, "1 minute")).allowed).toBe(false)
      expect((yield* store.hit("k", 20, "1 minute")).allowed).toBe(true)
    }))

  it.scoped("rejects everything with a limit of zero", () =>
    Effect.gen(function*() {
      const store = yield* make
      const result = yield* store.hit("k", 0, "1 minute")
      expect(result).toMatchObject({ allowed: false, count: 1, remaining: 0 })
      expect(Option.map(result.retryAfter, Duration.toSeconds)).toEqual(Option.some(60))
    }))

  it.scoped("counts keys with size and forgets one with reset", () =>
    Effect.gen(function*() {
      const store = yield* make
      yield* store.hit("a", 1, "1 hour")
      yield* store.hit("b", 1, "1 hour")
      expect(yield* store.size).toBe(2)
      expect((yield* store.hit("a", 1, "1 hour")).allowed).toBe(false)
      yield* store.reset("a")
      expect(yield* store.size).toBe(1)
      expect((yield* store.hit("a", 1, "1 hour")).allowed).toBe(true)
    }))
}

const banned = (result: BanResult) => {
  if (result._tag !== "Banned") throw new Error(`expected Banned, got ${result._tag}: ${result.message}`)
  return result
}

/** The `IpBans` contract; `make` builds a fresh, empty store in the test's scope. */
export const ipBansContract = <E>(
  make: (options?: { readonly protectedRanges?: ReadonlyArray<string> }) => Effect.Effect<IpBans["Type"], E, Scope.Scope>
) => {
  it.scoped("reports a ban with its expiry and finds it afterwards", () =>
    Effect.gen(function*() {
      const bans = yield* make()
      yield* TestClock.setTime(1_000)
      const result = banned(yield* bans.ban("203.0.113.9", "1 hour", "penetration_attempt"))
      expect([result.ip, result.until, Option.isNone(result.evicted)]).toEqual(["203.0.113.9", 3_601_000, true])
      expect(Option.getOrThrow(yield* bans.isBanned("203.0.113.9"))).toEqual({
        target: "203.0.113.9",
        reason: "penetration_attempt",
        bannedAt: 1_000,
        until: 3_601_000
      })
    }))

  it.scoped("lets a ban expire when its duration has passed on the caller's clock", () =>
    Effect.gen(function*() {
      const bans = yield* make()
      yield* bans.ban("203.0.113.9", "10 minutes", "rate_limit_exceeded")
      yield* TestClock.adjust("9 minutes")
      expect(Option.isSome(yield* bans.isBanned("203.0.113.9"))).toBe(true)
      yield* TestClock.adjust("1 minute")
      expect(Option.isNone(yield* bans.isBanned("203.0.113.9"))).toBe(true)
    }))

  it.scoped("matches the IPv4-mapped spelling of a banned IPv4 address", () =>
    Effect.gen(function*() {
      const bans = yield* make()
      yield* bans.ban("::ffff:203.0.113.9", "1 hour", "dynamic_rule")
      expect(Option.isSome(yield* bans.isBanned("203.0.113.9"))).toBe(true)
      expect(Option.isSome(yield* bans.isBanned("::FFFF:203.0.113.9"))).toBe(true)
    }))

  it.scoped("bans every address of a CIDR block, IPv4 and IPv6", () =>
    Effect.gen(function*() {
      const bans = yield* make()
      expect(banned(yield* bans.ban("198.51.100.77/24", "1 hour", "dynamic_rule")).ip).toBe("198.51.100.0/24")
      yield* bans.ban("2001:db8:bad::/48", "1 hour", "dynamic_rule")
      expect(Option.getOrThrow(yield* bans.isBanned("198.51.100.200")).target).toBe("198.51.100.0/24")
      expect(Option.isSome(yield* bans.isBanned("::ffff:198.51.100.1"))).toBe(true)
      expect(Option.isSome(yield* bans.isBanned("2001:db8:bad:1::1"))).toBe(true)
      expect(Option.isNone(yield* bans.isBanned("198.51.101.1"))).toBe(true)
      expect(Option.isNone(yield* bans.isBanned("2001:db8:bae::1"))).toBe(true)
    }))

  it.scoped("lifts a ban and says whether there was one, for addresses and blocks", () =>
    Effect.gen(function*() {
      const bans = yield* make()
      yield* bans.ban("203.0.113.9", "1 hour", "dynamic_rule")
      yield* bans.ban("198.51.100.0/24", "1 hour", "dynamic_rule")
      expect((yield* bans.unban("203.0.113.9"))._tag).toBe("Unbanned")
      expect((yield* bans.unban("198.51.100.0/24"))._tag).toBe("Unbanned")
      expect(Option.isNone(yield* bans.isBanned("203.0.113.9"))).toBe(true)
      expect(Option.isNone(yield* bans.isBanned("198.51.100.9"))).toBe(true)
      expect((yield* bans.unban("203.0.113.9"))._tag).toBe("NotBanned")
      expect((yield* bans.unban("garbage"))._tag).toBe("NotBanned")
      expect(yield* bans.size).toBe(0)
    }))

  it.scoped("does not report an expired ban as lifted", () =>
    Effect.gen(function*() {
      const bans = yield* make()
      yield* bans.ban("203.0.113.9", "1 minute", "dynamic_rule")
      yield* TestClock.adjust("2 minutes")
      expect((yield* bans.unban("203.0.113.9"))._tag).toBe("NotBanned")
    }))

  it.scoped("replaces an existing ban when banned again", () =>
    Effect.gen(function*() {
      const bans = yield* make()
      yield* bans.ban("203.0.113.9", "1 minute", "first")
      yield* bans.ban("203.0.113.9", "1 hour", "second")
      yield* TestClock.adjust("30 minutes")
      expect(Option.getOrThrow(yield* bans.isBanned("203.0.113.9")).reason).toBe("second")
      expect(yield* bans.size).toBe(1)
    }))

  it.scoped("refuses to ban loopback, protected ranges and blocks overlapping them", () =>
    Effect.gen(function*() {
      const bans = yield* make({ protectedRanges: ["10.0.0.0/24"] })
      for (const target of ["127.0.0.1", "::1", "::ffff:127.0.0.2", "10.0.0.7", "10.0.0.0/8", "0.0.0.0/0"]) {
        const result = yield* bans.ban(target, "1 hour", "penetration_attempt")
        expect(result._tag === "Refused" && result.refusal).toBe("Protected")
      }
      expect(yield* bans.size).toBe(0)
      expect(Option.isNone(yield* bans.isBanned("10.0.0.7"))).toBe(true)
    }))

  it.scoped("refuses invalid targets and non-positive durations without failing", () =>
    Effect.gen(function*() {
      const bans = yield* make()
      for (const target of ["", "not-an-ip", "1.2.3.4/40", "999.0.0.1", "x".repeat(100_000)]) {
        const result = yield* bans.ban(target, "1 hour", "r")
        expect(result._tag === "Refused" && result.refusal).toBe("InvalidTarget")
      }
      const zero = yield* bans.ban("203.0.113.9", 0, "r")
      expect(zero._tag === "Refused" && zero.refusal).toBe("InvalidDuration")
      expect(Option.isNone(yield* bans.isBanned("garbage"))).toBe(true)
      expect(yield* bans.size).toBe(0)
    }))

  it.scoped("keeps an infinite ban forever", () =>
    Effect.gen(function*() {
      const bans = yield* make()
      expect(banned(yield* bans.ban("203.0.113.9", Duration.infinity, "manual")).until).toBe(Infinity)
      yield* TestClock.adjust("3650 days")
      expect(Option.getOrThrow(yield* bans.isBanned("203.0.113.9")).until).toBe(Infinity)
    }))
}

/** The `ViolationCounter` contract; `make` builds a fresh, empty counter in the test's scope. */
export const violationCounterContract = <E>(
  make: (options?: { readonly window?: Duration.DurationInput }) => Effect.Effect<ViolationCounter["Type"], E, Scope.Scope>
) => {
  it.scoped("counts violations per category and in total", () =>
    Effect.gen(function*() {
      const counter = yield* make()
      yield* counter.record("203.0.113.9", "sqli")
      yield* counter.record("203.0.113.9", "xss")
      const counts = yield* counter.record("203.0.113.9", "sqli")
      expect(counts.category).toBe(2)
      expect(counts.total).toBe(3)
      expect(counts.byCategory).toEqual(new Map([["sqli", 2], ["xss", 1]]))
      expect((yield* counter.record("198.51.100.1", "sqli")).total).toBe(1)
    }))

  it.scoped("starts over once the window has passed since the first violation, by the caller's Clock", () =>
    Effect.gen(function*() {
      const counter = yield* make({ window: "10 minutes" })
      yield* counter.record("203.0.113.9", "sqli")
      yield* TestClock.adjust("9 minutes")
      expect((yield* counter.record("203.0.113.9", "sqli")).total).toBe(2)
      yield* TestClock.adjust("1 minute")
      expect(yield* counter.record("203.0.113.9", "sqli")).toMatchObject({ category: 1, total: 1 })
    }))

  it.scoped("forgets an IP on reset and counts the IPs it tracks", () =>
    Effect.gen(function*() {
      const counter = yield* make()
      yield* counter.record("203.0.113.9", "sqli")
      yield* counter.record("198.51.100.1", "sqli")
      expect(yield* counter.size).toBe(2)
      yield* counter.reset("203.0.113.9")
      expect(yield* counter.size).toBe(1)
      expect((yield* counter.record("203.0.113.9", "sqli")).total).toBe(1)
    }))

  it.scoped("keeps at most 64 categories per IP but counts every violation in the total", () =>
    Effect.gen(function*() {
      const counter = yield* make()
      let last = yield* counter.record("203.0.113.9", "c0")
      for (let i = 1; i < 70; i++) last = yield* counter.record("203.0.113.9", `c${i}`)
      expect(last.byCategory.size).toBe(64)
      expect(last.total).toBe(70)
    }))
}

/** The `BehaviorTracker` contract; `make` builds a fresh, empty tracker in the test's scope. */
export const behaviorTrackerContract = <E>(make: Effect.Effect<BehaviorTracker["Type"], E, Scope.Scope>) => {
  it.scoped("counts the events of one IP over the last five minutes by Clock", () =>
    Effect.gen(function*() {
      const tracker = yield* make
      yield* TestClock.setTime(1_000_000)
      yield* tracker.record("203.0.113.9")
      yield* TestClock.adjust("2 minutes")
      yield* tracker.record("203.0.113.9")
      yield* tracker.record("203.0.113.9")
      yield* tracker.record("198.51.100.2")
      expect(yield* tracker.recentEventCount("203.0.113.9")).toBe(3)
      yield* TestClock.adjust("3 minutes")
      expect(yield* tracker.recentEventCount("203.0.113.9")).toBe(2)
      yield* TestClock.adjust("2 minutes")
      expect(yield* tracker.recentEventCount("203.0.113.9")).toBe(0)
    }))

  it.scoped("an unknown IP has a count of zero", () =>
    Effect.gen(function*() {
      const tracker = yield* make
      expect(yield* tracker.recentEventCount("192.0.2.1")).toBe(0)
    }))

  it.scoped("counts events recorded at the same millisecond separately", () =>
    Effect.gen(function*() {
      const tracker = yield* make
      yield* Effect.forEach([1, 2, 3, 4, 5], () => tracker.record("ip", 42_000), { concurrency: "unbounded" })
      expect(yield* tracker.recentEventCount("ip", "5 minutes", 42_000)).toBe(5)
    }))
}
