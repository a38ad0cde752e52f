import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, TestClock } from "effect"
import { type BanResult, IpBans } from "../src/IpBans.js"
import { ipBansContract } from "./support/storeContracts.js"

const withBans = <A, E>(effect: Effect.Effect<A, E, IpBans>, options?: Parameters<typeof IpBans.layerMemory>[0]) =>
  Effect.provide(effect, IpBans.layerMemory(options))

const banned = (result: BanResult) => {
  if (result._tag !== "Banned") throw new Error(`expected Banned, got ${result._tag}: ${result.message}`)
  return result
}

describe("IpBans.layerMemory", () => {
  describe("the store contract", () => {
    ipBansContract((options) => Effect.map(Layer.build(IpBans.layerMemory(options)), (context) => Context.get(context, IpBans)))
  })

  // (the Redis store counts an expired address ban until Redis expires its key, by Redis' own clock)
  it.effect("no longer counts a ban it found expired", () =>
    withBans(Effect.gen(function*() {
      const bans = yield* IpBans
      yield* bans.ban("203.0.113.9", "10 minutes", "rate_limit_exceeded")
      yield* TestClock.adjust("10 minutes")
      expect(Option.isNone(yield* bans.isBanned("203.0.113.9"))).toBe(true)
      expect(yield* bans.size).toBe(0)
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
