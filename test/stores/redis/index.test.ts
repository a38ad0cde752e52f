import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { BehaviorTracker } from "../../../src/BehaviorTracker.js"
import { decodeGuardConfig, GuardConfig } from "../../../src/GuardConfig.js"
import { IpBans } from "../../../src/IpBans.js"
import { RateLimitStore } from "../../../src/RateLimitStore.js"
import { GuardRedis } from "../../../src/Redis.js"
import { layerStoresConfig, optionsFromConfig } from "../../../src/stores/redis/index.js"
import { ViolationCounter } from "../../../src/ViolationCounter.js"
import { REDIS_URL, testPrefix } from "./support.js"

describe("layerStoresConfig", () => {
  it.scoped("swaps every store for its Redis layer and protects the trusted proxies from bans", () =>
    Effect.gen(function*() {
      const prefix = yield* testPrefix
      const config = GuardConfig.layer({ enableRedis: true, redisUrl: REDIS_URL, redisPrefix: prefix, trustedProxies: ["10.1.0.0/16"] })
      const context = yield* Layer.build(
        layerStoresConfig.pipe(Layer.provide(GuardRedis.layerConfig), Layer.provide(config))
      )
      const bans = Context.get(context, IpBans)
      const refused = yield* bans.ban("10.1.2.3", "1 hour", "penetration_attempt")
      expect(refused._tag === "Refused" && refused.refusal).toBe("Protected")
      yield* Context.get(context, RateLimitStore).hit("203.0.113.9", 5, "1 minute")
      yield* Context.get(context, ViolationCounter).record("203.0.113.9", "sqli")
      yield* Context.get(context, BehaviorTracker).record("203.0.113.9")
      expect(yield* Context.get(context, RateLimitStore).size).toBe(1)
      expect(yield* Context.get(context, ViolationCounter).size).toBe(1)
      expect(yield* Context.get(context, BehaviorTracker).trackedIps).toBe(1)
    }))
})

describe("optionsFromConfig", () => {
  it.effect("protects the trusted proxies from bans, the unix socket entry aside", () =>
    Effect.gen(function*() {
      const config = yield* decodeGuardConfig({ trustedProxies: ["unix", "10.1.0.0/16", "2001:db8::/32"] })
      expect(optionsFromConfig(config)).toEqual({ ipBans: { protectedRanges: ["10.1.0.0/16", "2001:db8::/32"] } })
    }))
})
