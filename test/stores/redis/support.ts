/**
 * Shared helpers of the Redis tests: a fresh key prefix per test, and cleanup by `SCAN` on it.
 */
import { Effect, Layer } from "effect"
import { Redis } from "ioredis"
import { randomBytes } from "node:crypto"
import { GuardRedis, type GuardRedisOptions } from "../../../src/Redis.js"

export const REDIS_URL = "redis://127.0.0.1:6379"

/** Deletes every key under `prefix` (SCAN, never KEYS). */
export const deleteKeys = (prefix: string) =>
  Effect.promise(async () => {
    const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
    try {
      await client.connect()
      let cursor = "0"
      do {
        const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
        if (keys.length > 0) await client.del(...keys)
        cursor = next
      } while (cursor !== "0")
    } finally {
      client.disconnect()
    }
  })

/** A prefix no other test uses; its keys are deleted when the scope closes. */
export const testPrefix = Effect.acquireRelease(
  Effect.sync(() => `effect-guard-test:${randomBytes(6).toString("hex")}:`),
  deleteKeys
)

/** The remaining TTL (ms) of every key under `prefix`. */
export const ttlsUnder = (prefix: string) =>
  Effect.promise(async () => {
    const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
    try {
      await client.connect()
      const ttls = new Map<string, number>()
      let cursor = "0"
      do {
        const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
        for (const key of keys) ttls.set(key, await client.pttl(key))
        cursor = next
      } while (cursor !== "0")
      return ttls
    } finally {
      client.disconnect()
    }
  })

/** A GuardRedis on the shared server under `prefix`. */
export const redisLayer = (prefix: string, options: GuardRedisOptions = {}) =>
  GuardRedis.layer({ url: REDIS_URL, prefix, commandTimeout: "300 millis", connectTimeout: "1 second", ...options })

/** Builds `layer` in the current scope (as one guard instance would) and returns its context. */
export const instance = <ROut, E>(layer: Layer.Layer<ROut, E>) => Layer.build(layer)
