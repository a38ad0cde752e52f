/**
 * Redis-backed state against in-memory state, one run (`npx tsx bench/redis.ts`, about 30 s; needs
 * Redis on 127.0.0.1:6379).
 *
 * - stores: operations per second of each store, memory and Redis, 64 callers at once;
 * - server: requests per second of a guarded Node server (autocannon in a child process), with the
 *   memory stores and with `layerStoresConfig` on Redis, and the ratio (target >= 0.7);
 * - Redis round trips per request (calls the stores make through `GuardRedis`, counted by wrapping it;
 *   ioredis auto-pipelining may still batch concurrent ones into one write), and the commands Redis
 *   executed per request, scripts' inner commands included (the server's `total_commands_processed`).
 *
 * Keys are written under a random `effect-guard-bench:` prefix and deleted at the end (SCAN, no KEYS).
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { Redis } from "ioredis"
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { createServer } from "node:http"
import { BehaviorTracker } from "../src/BehaviorTracker.js"
import { GuardConfig, type GuardConfigInput } from "../src/GuardConfig.js"
import { GuardLive } from "../src/GuardLive.js"
import { guardMiddleware } from "../src/GuardMiddleware.js"
import { IpBans } from "../src/IpBans.js"
import { RateLimitStore } from "../src/RateLimitStore.js"
import { GuardRedis } from "../src/Redis.js"
import * as RedisStores from "../src/stores/redis/index.js"
import { layerStoresConfig } from "../src/stores/redis/index.js"
import { ViolationCounter } from "../src/ViolationCounter.js"

const REDIS_URL = "redis://127.0.0.1:6379"
const PREFIX = `effect-guard-bench:${randomBytes(4).toString("hex")}:`
const STORE_OPS = 20_000
const CONCURRENCY = 64
const SERVER_SECONDS = 6
const CONNECTIONS = 64

const admin = new Redis(REDIS_URL, { lazyConnect: true })

const commandsProcessed = async (): Promise<number> => {
  const info = await admin.info("stats")
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0)
}

const quiet = Layer.provide(Logger.minimumLogLevel(LogLevel.Error))

/** Calls made through GuardRedis (each `use` and each script run is one round trip). */
let roundTrips = 0

const counting = <E, R>(layer: Layer.Layer<GuardRedis, E, R>): Layer.Layer<GuardRedis, E, R> =>
  Layer.effect(
    GuardRedis,
    Effect.map(GuardRedis, (redis) =>
      GuardRedis.of({
        ...redis,
        use: (operation, f) =>
          Effect.suspend(() => {
            roundTrips++
            return redis.use(operation, f)
          }),
        script: (name, lua, keys) => {
          const run = redis.script(name, lua, keys)
          return (k, a) =>
            Effect.suspend(() => {
              roundTrips++
              return run(k, a)
            })
        }
      }))
  ).pipe(Layer.provide(layer))

// ---------------------------------------------------------------------------------------------- stores

type Stores = RateLimitStore | IpBans | ViolationCounter | BehaviorTracker

const memoryStores: Layer.Layer<Stores> = Layer.mergeAll(
  RateLimitStore.layerMemory(),
  IpBans.layerMemory(),
  ViolationCounter.layerMemory(),
  BehaviorTracker.layerMemory()
)

const redisStores: Layer.Layer<Stores, unknown> = Layer.mergeAll(
  RedisStores.layerRateLimitStore,
  RedisStores.layerIpBans(),
  RedisStores.layerViolationCounter(),
  RedisStores.layerBehaviorTracker()
).pipe(Layer.provide(counting(GuardRedis.layer({ url: REDIS_URL, prefix: PREFIX }))))

const ip = (i: number) => `198.51.${(i >> 8) & 255}.${i & 255}`

const operations: ReadonlyArray<readonly [string, (i: number) => Effect.Effect<unknown, unknown, Stores>]> = [
  ["RateLimitStore.hit", (i) => Effect.flatMap(RateLimitStore, (s) => s.hit(ip(i % 1000), 100, "1 minute"))],
  ["IpBans.isBanned", (i) => Effect.flatMap(IpBans, (s) => s.isBanned(ip(i % 1000)))],
  ["IpBans.ban", (i) => Effect.flatMap(IpBans, (s) => s.ban(ip(i % 1000), "1 minute", "bench"))],
  ["ViolationCounter.record", (i) => Effect.flatMap(ViolationCounter, (s) => s.record(ip(i % 1000), "sqli"))],
  ["BehaviorTracker.record", (i) => Effect.flatMap(BehaviorTracker, (s) => s.record(ip(i % 1000)))]
]

const opsPerSecond = async (
  runtime: ManagedRuntime.ManagedRuntime<Stores, unknown>,
  op: (i: number) => Effect.Effect<unknown, unknown, Stores>
) => {
  const run = (n: number) =>
    runtime.runPromise(Effect.forEach(Array.from({ length: n }, (_, i) => i), op, { concurrency: CONCURRENCY, discard: true }))
  await run(1000) // warm-up
  const start = performance.now()
  await run(STORE_OPS)
  return STORE_OPS / ((performance.now() - start) / 1000)
}

// ---------------------------------------------------------------------------------------------- server

const config: GuardConfigInput = {
  enableRedis: true,
  redisUrl: REDIS_URL,
  redisPrefix: PREFIX,
  // the global limit is on (one sliding log per client) but never reached by the load
  enableRateLimiting: true,
  rateLimit: 1_000_000,
  rateLimitWindow: 1
}

const router = HttpRouter.empty.pipe(HttpRouter.get("/hello", HttpServerResponse.text("hello")))

const serverRuntime = (backing: "memory" | "redis") => {
  const guard = backing === "redis"
    ? GuardLive.pipe(Layer.provide(layerStoresConfig.pipe(Layer.provide(counting(GuardRedis.layerConfig)))))
    : GuardLive
  return ManagedRuntime.make(
    HttpServer.serve(router, guardMiddleware).pipe(
      Layer.provide(guard),
      Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
      Layer.provide(GuardConfig.layer(config)),
      quiet
    )
  )
}

const autocannon = (url: string, seconds: number) =>
  new Promise<{ readonly rps: number; readonly total: number; readonly non2xx: number }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [new URL("../node_modules/autocannon/autocannon.js", import.meta.url).pathname, "-j", "-c", String(CONNECTIONS), "-d", String(seconds), url],
      { stdio: ["ignore", "pipe", "ignore"] }
    )
    let out = ""
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()))
    child.on("error", reject)
    child.on("close", () => {
      try {
        const report = JSON.parse(out) as { requests: { average: number; total: number }; non2xx: number }
        resolve({ rps: report.requests.average, total: report.requests.total, non2xx: report.non2xx })
      } catch (error) {
        reject(error)
      }
    })
  })

const serve = async (backing: "memory" | "redis") => {
  const runtime = serverRuntime(backing)
  try {
    const address = await runtime.runPromise(Effect.map(HttpServer.HttpServer, (server) => server.address))
    if (address._tag !== "TcpAddress") throw new Error("expected a TCP address")
    const url = `http://127.0.0.1:${address.port}/hello`
    await autocannon(url, 1) // warm-up
    const before = await commandsProcessed()
    roundTrips = 0
    const result = await autocannon(url, SERVER_SECONDS)
    const trips = roundTrips
    const commands = (await commandsProcessed()) - before - 1
    const requests = Math.max(1, result.total)
    return { ...result, roundTripsPerRequest: trips / requests, commandsPerRequest: commands / requests }
  } finally {
    await runtime.dispose()
  }
}

// ---------------------------------------------------------------------------------------------- main

const deleteBenchKeys = async () => {
  let cursor = "0"
  do {
    const [next, keys] = await admin.scan(cursor, "MATCH", `${PREFIX}*`, "COUNT", 1000)
    if (keys.length > 0) await admin.del(...keys)
    cursor = next
  } while (cursor !== "0")
}

const main = async () => {
  await admin.connect()
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(9)
  try {
    console.log(`stores: ${STORE_OPS} operations, ${CONCURRENCY} at once`)
    console.log(`${"operation".padEnd(26)}${"memory/s".padStart(9)} ${"redis/s".padStart(9)}  ratio  trips/op  cmds/op`)
    const memory = ManagedRuntime.make(memoryStores.pipe(quiet))
    const redis = ManagedRuntime.make(redisStores.pipe(quiet))
    for (const [name, op] of operations) {
      const m = await opsPerSecond(memory, op)
      const before = await commandsProcessed()
      roundTrips = 0
      const r = await opsPerSecond(redis, op)
      const trips = roundTrips / (STORE_OPS + 1000)
      const perOp = ((await commandsProcessed()) - before - 1) / (STORE_OPS + 1000)
      console.log(
        `${name.padEnd(26)}${fmt(m)} ${fmt(r)}  ${(r / m).toFixed(2).padStart(5)}  ${trips.toFixed(2).padStart(8)}  ${
          perOp.toFixed(2).padStart(7)
        }`
      )
    }
    await memory.dispose()
    await redis.dispose()

    console.log(`\nserver: GET /hello through guardMiddleware, ${CONNECTIONS} connections, ${SERVER_SECONDS} s each`)
    const m = await serve("memory")
    const r = await serve("redis")
    console.log(`memory stores: ${fmt(m.rps)} req/s (${m.non2xx} non-2xx)`)
    console.log(`redis stores:  ${fmt(r.rps)} req/s (${r.non2xx} non-2xx)`)
    console.log(
      `per request: ${r.roundTripsPerRequest.toFixed(2)} Redis round trips, ${
        r.commandsPerRequest.toFixed(2)
      } commands executed by Redis (scripts' inner commands included)`
    )
    const ratio = r.rps / m.rps
    console.log(`ratio redis/memory: ${ratio.toFixed(2)} (target >= 0.70) ${ratio >= 0.7 ? "OK" : "BELOW TARGET"}`)
  } finally {
    await deleteBenchKeys()
    admin.disconnect()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
