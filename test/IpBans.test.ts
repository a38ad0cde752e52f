import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Option, TestClock } from "effect"
import { type BanResult, IpBans } from "../src/IpBans.js"

const withBans = <A, E>(effect: Effect.Effect<A, E, IpBans>, options?: Parameters<typeof IpBans.layerMemory>[0]) =>
  Effect.provide(effect, IpBans.layerMemory(options))

const banned = (result: BanResult) => {
  if (result._tag !== "Banned") throw new Error(`expected Banned, got ${result._tag}: ${result.message}`)
  return result
}

describe("IpBans.layerMemory", () => {
  it.effect("reports a ban with its expiry and finds it afterwards", () =>
    withBans(Effect.gen(function*() {
      const bans = yield* IpBans
      yield* TestClock.setTime(1_000)
      const result = banned(yield* bans.ban("203.0.113.9", "1 hour", "penetration_attempt"))
      expect(result.ip).toBe("203.0.113.9")
      expect(result.until).toBe(1_000 + 3_600_000)
      expect(Option.isNone(result.evicted)).toBe(true)
      const info = yield* bans.isBanned("203.0.113.9")
      expect(Option.getOrThrow(info)).toEqual({
        target: "203.0.113.9",
        reason: "penetration_attempt",
        bannedAt: 1_000,
        until: 3_601_000
      })
    })))

  it.effect("lets a ban expire when its duration has passed on the clock", () =>
    withBans(Effect.gen(function*() {
      const bans = yield* IpBans
      yield* bans.ban("203.0.113.9", "10 minutes", "rate_limit_exceeded")
      yield* TestClock.adjust("9 minutes")
      expect(Option.isSome(yield* bans.isBanned("203.0.113.9"))).toBe(true)
      yield* TestClock.adjust("1 minute")
      expect(Option.isNone(yield* bans.isBanned("203.0.113.9"))).toBe(true)
      expect(yield* bans.size).toBe(0)
    })))

  it.effect("matches the IPv4-mapped spelling of a banned IPv4 address", () =>
    withBans(Effect.gen(function*() {
      const bans = yield* IpBans
      yield* bans.ban("::ffff:203.0.113.9", "1 hour", "dynamic_rule")
      expect(Option.isSome(yield* bans.isBanned("203.0.113.9"))).toBe(true)
      expect(Option.isSome(yield* bans.isBanned("::FFFF:203.0.113.9"))).toBe(true)
    })))

  it.effect("bans every address of a CIDR block, IPv4 and IPv6", () =>
    withBans(Effect.gen(function*() {
      const bans = yield* IpBans
      expect(banned(yield* bans.ban("198.51.100.77/24", "1 hour", "dynamic_rule")).ip).toBe("198.51.100.0/24")
      yield* bans.ban("2001:db8:bad::/48", "1 hour", "dynamic_rule")
      expect(Option.getOrThrow(yield* bans.isBanned("198.51.100.200")).target).toBe("198.51.100.0/24")
      expect(Option.isSome(yield* bans.isBanned("::ffff:198.51.100.1"))).toBe(true)
      expect(Option.isSome(yield* bans.isBanned("2001:db8:bad:1::1"))).toBe(true)
      expect(Option.isNone(yield* bans.isBanned("198.51.101.1"))).toBe(true)
      expect(Option.isNone(yield* bans.isBanned("2001:db8:bae::1"))).toBe(true)
    })))

  it.effect("lifts a ban and says whether there was one", () =>
    withBans(Effect.gen(function*() {
      const bans = yield* IpBans
      yield* bans.ban("203.0.113.9", "1 hour", "dynamic_rule")
      expect((yield* bans.unban("203.0.113.9"))._tag).toBe("Unbanned")
      expect(Option.isNone(yield* bans.isBanned("203.0.113.9"))).toBe(true)
      expect((yield* bans.unban("203.0.113.9"))._tag).toBe("NotBanned")
      expect((yield* bans.unban("garbage"))._tag).toBe("NotBanned")
    })))

  it.effect("does not report an expired ban as lifted", () =>
    withBans(Effect.gen(function*() {
      const bans = yield* IpBans
      yield* bans.ban("203.0.113.9", "1 minute", "dynamic_rule")
      yield* TestClock.adjust("2 minutes")
      expect((yield* bans.unban("203.0.113.9"))._tag).toBe("NotBanned")
    })))

  it.effect("replaces an existing ban when banned again", () =>
    withBans(Effect.gen(function*() {
      const bans = yield* IpBans
      yield* bans.ban("203.0.113.9", "1 minute", "first")
      yield* bans.ban("203.0.113.9", "1 hour", "second")
      yield* TestClock.adjust("30 minutes")
      expect(Option.getOrThrow(yield* bans.isBanned("203.0.113.9")).reason).toBe("second")
      expect(yield* bans.size).toBe(1)
    })))

  it.effect("refuses to ban loopback, protected ranges and blocks overlapping them", () =>
    withBans(Effect.gen(function*() {
      const bans = yield* IpBans
      for (const target of ["127.0.0.1", "::1", "::ffff:127.0.0.2", "10.0.0.7", "10.0.0.0/8", "0.0.0.0/0"]) {
        const result = yield* bans.ban(target, "1 hour", "penetration_attempt")
        expect(result._tag === "Refused" && result.refusal).toBe("Protected")
      }
      expect(yield* bans.size).toBe(0)
      expect(Option.isNone(yield* bans.isBanned("10.0.0.7"))).toBe(true)
    }), { protectedRanges: ["10.0.0.0/24"] }))

  it.effect("refuses invalid targets and non-positive durations without failing", () =>
    withBans(Effect.gen(function*() {
      const bans = yield* IpBans
      for (const target of ["", "not-an-ip", "1.2.3.4/40", "999.0.0.1", "x".repeat(100_000)]) {
        const result = yield* bans.ban(target, "1 hour", "r")
        expect(result._tag === "Refused" && result.refusal).toBe("InvalidTarget")
      }
      const zero = yield* bans.ban("203.0.113.9", 0, "r")
      expect(zero._tag === "Refused" && zero.refusal).toBe("InvalidDuration")
      expect(Option.isNone(yield* bans.isBanned("garbage"))).toBe(true)
    })))

  it.effect("keeps an infinite ban forever", () =>
    withBans(Effect.gen(function*() {
      const bans = yield* IpBans
      expect(banned(yield* bans.ban("203.0.113.9", Duration.infinity, "manual")).until).toBe(Infinity)
      yield* TestClock.adjust("3650 days")
      expect(Option.isSome(yield* bans.isBanned("203.0.113.9"))).toBe(true)
    })))

  it.effect("stays within maxEntries under a spray of 100k addresses, evicting the oldest", () =>
    withBans(Effect.gen(function*() {
      const bans = yield* IpBans
      let evictions = 0
      for (let i = 0; i < 100_000; i++) {
        const result = banned(yield* bans.ban(`11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, "1 hour", "spray"))
        if (Option.isSome(result.evicted)) evictions++
      }
      expect(yield* bans.size).toBe(1_000)
      expect(evictions).toBe(99_000)
      expect(Option.isNone(yield* bans.isBanned("11.0.0.0"))).toBe(true)
      expect(Option.isSome(yield* bans.isBanned("11.1.134.159"))).toBe(true)
    }), { maxEntries: 1_000 }))

  it.effect("bounds block bans separately", () =>
    withBans(Effect.gen(function*() {
      const bans = yield* IpBans
      for (let i = 0; i < 50; i++) yield* bans.ban(`11.${i}.0.0/16`, "1 hour", "spray")
      expect(yield* bans.size).toBe(10)
    }), { maxNetworks: 10 }))
})
