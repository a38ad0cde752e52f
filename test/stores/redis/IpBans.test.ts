import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Option, TestClock } from "effect"
import { type BanResult, IpBans } from "../../../src/IpBans.js"
import { type IpBansRedisOptions, layerIpBans } from "../../../src/stores/redis/index.js"
import { ipBansContract } from "../../support/storeContracts.js"
import { redisLayer, testPrefix, ttlsUnder } from "./support.js"

/** One guard instance: its own GuardRedis connection and IpBans, built in the test's scope. */
const newInstance = (prefix: string, options?: IpBansRedisOptions) =>
  Effect.map(
    Layer.build(layerIpBans(options).pipe(Layer.provide(redisLayer(prefix)))),
    (context) => Context.get(context, IpBans)
  )

const banned = (result: BanResult) => {
  if (result._tag !== "Banned") throw new Error(`expected Banned, got ${result._tag}: ${result.message}`)
  return result
}

describe("layerIpBans", () => {
  describe("the store contract", () => {
    ipBansContract((options) => Effect.flatMap(testPrefix, (prefix) => newInstance(prefix, options)))
  })

  it.scoped("stores an address ban as one prefixed key whose TTL is the ban's duration", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const bans = yield* newInstance(prefix)
      yield* bans.ban("::ffff:203.0.113.9", "10 minutes", "dynamic_rule")
      yield* bans.ban("198.51.100.0/24", "1 hour", "dynamic_rule")
      const ttls = yield* ttlsUnder(prefix)
      expect([...ttls.keys()].sort()).toEqual([`${prefix}banned_ips:203.0.113.9`, `${prefix}banned_networks:all`])
      expect(ttls.get(`${prefix}banned_ips:203.0.113.9`)).toBeGreaterThan(590_000)
      expect(ttls.get(`${prefix}banned_ips:203.0.113.9`)).toBeLessThanOrEqual(600_000)
      expect(ttls.get(`${prefix}banned_networks:all`)).toBeGreaterThan(3_590_000)
    }))

  it.scoped("refuses to ban loopback, protected ranges and blocks overlapping them, writing nothing", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const bans = yield* newInstance(prefix, { protectedRanges: ["10.0.0.0/24"] })
      for (const target of ["127.0.0.1", "::1", "::ffff:127.0.0.2", "10.0.0.7", "10.0.0.0/8", "0.0.0.0/0"]) {
        const result = yield* bans.ban(target, "1 hour", "penetration_attempt")
        expect(result._tag === "Refused" && result.refusal).toBe("Protected")
      }
      for (const target of ["", "not-an-ip", "1.2.3.4/40"]) {
        const result = yield* bans.ban(target, "1 hour", "r")
        expect(result._tag === "Refused" && result.refusal).toBe("InvalidTarget")
      }
      expect((yield* bans.ban("203.0.113.9", 0, "r"))._tag).toBe("Refused")
      expect((yield* ttlsUnder(prefix)).size).toBe(0)
    }))

  it.scoped("keeps an infinite ban, stored with a long TTL", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const bans = yield* newInstance(prefix)
      expect(banned(yield* bans.ban("203.0.113.9", Duration.infinity, "manual")).until).toBe(Infinity)
      yield* TestClock.adjust("3650 days")
      expect(Option.getOrThrow(yield* bans.isBanned("203.0.113.9")).until).toBe(Infinity)
      const ttl = (yield* ttlsUnder(prefix)).get(`${prefix}banned_ips:203.0.113.9`)
      expect(ttl).toBeGreaterThan(Duration.toMillis("364 days"))
    }))

  it.scoped("bounds block bans, evicting and reporting the oldest", () =>
    Effect.gen(function*() {
      const bans = yield* newInstance(yield* testPrefix, { maxNetworks: 10 })
      const evicted: Array<string> = []
      for (let i = 0; i < 15; i++) {
        yield* TestClock.adjust("1 second")
        const result = banned(yield* bans.ban(`11.${i}.0.0/16`, "1 hour", "spray"))
        if (Option.isSome(result.evicted)) evicted.push(result.evicted.value)
      }
      expect(yield* bans.size).toBe(10)
      expect(evicted).toEqual(["11.0.0.0/16", "11.1.0.0/16", "11.2.0.0/16", "11.3.0.0/16", "11.4.0.0/16"])
    }))

  it.scoped("shares bans between two instances: one bans, the other sees and lifts it", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const a = yield* newInstance(prefix)
      const b = yield* newInstance(prefix)
      yield* a.ban("203.0.113.9", "1 hour", "penetration_attempt")
      yield* a.ban("2001:db8:bad::/48", "1 hour", "dynamic_rule")
      expect(Option.getOrThrow(yield* b.isBanned("203.0.113.9")).reason).toBe("penetration_attempt")
      expect(Option.isSome(yield* b.isBanned("2001:db8:bad::7"))).toBe(true)
      expect((yield* b.unban("203.0.113.9"))._tag).toBe("Unbanned")
      expect(Option.isNone(yield* a.isBanned("203.0.113.9"))).toBe(true)
    }))
})
