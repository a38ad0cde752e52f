/**
 * A Redis outage seen from the client: a real Node server behind the guard, a `redis-server` of the
 * test's own that the test stops (SIGSTOP) or kills, and requests timed on the wall clock.
 */
import { HttpClient, HttpClientRequest, HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, Ref } from "effect"
import { type GuardConfigInput } from "effect-guard"
import { guardedServer } from "./support/guarded.js"
import { makeRedisServer, type RedisServer } from "./support/redisServer.js"

const TIMEOUT = 300
/**
 * The hung-server cases use a longer command timeout, so that the bound (1.5 timeouts, plus what a
 * loaded 2-core machine adds) stays below what a request waited before the bound was kept: a
 * command queued behind a hung pipeline for a timeout, then timing out itself.
 */
const HUNG_TIMEOUT = 1_000
const HUNG_BOUND = HUNG_TIMEOUT * 1.5 + 400
/** For a killed server, commands fail at once: well under one timeout. */
const BOUND = TIMEOUT * 1.5 + 150

const app = HttpRouter.empty.pipe(
  HttpRouter.get("/", HttpServerResponse.text("ok")),
  HttpRouter.get("/search", HttpServerResponse.text("ok"))
)

/** Requests come through a trusted proxy on loopback, so each test names its clients. */
const redisConfig = (server: RedisServer, extra: GuardConfigInput): GuardConfigInput => ({
  enableRedis: true,
  redisUrl: server.url,
  redisPrefix: "outage:",
  redisCommandTimeoutMs: TIMEOUT,
  trustedProxies: ["127.0.0.1", "::1"],
  ...extra
})

/** Status and wall-clock milliseconds of one GET from `client`. */
const timedGet = (path: string, client: string) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const start = Date.now()
    const response = yield* http.execute(HttpClientRequest.get(path, { headers: { "x-forwarded-for": client } }))
    return { status: response.status, millis: Date.now() - start }
  }).pipe(Effect.orDie)

/** `n` GETs at once. */
const burst = (n: number, path: string, client: string) =>
  Effect.forEach(Array.from({ length: n }), () => timedGet(path, client), { concurrency: "unbounded" })

/** Repeats `check` every 10 ms until `ok` holds (at most `tries` times). */
const eventually = <A, E, R>(check: Effect.Effect<A, E, R>, ok: (a: A) => boolean, tries = 300) =>
  Effect.gen(function*() {
    let last = yield* check
    for (let i = 0; i < tries && !ok(last); i++) {
      yield* Effect.sleep("10 millis")
      last = yield* check
    }
    return last
  })

const slowest = (results: ReadonlyArray<{ readonly millis: number }>) => Math.max(...results.map((r) => r.millis))

/** Serves `app` with Redis on `server`; `run` gets the lines logged meanwhile too. */
const withGuard = <A, E, R>(server: RedisServer, extra: GuardConfigInput, run: (logs: Effect.Effect<ReadonlyArray<string>>) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const lines = yield* Ref.make<ReadonlyArray<string>>([])
    const logger = Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ logLevel, message }) => {
        const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
        Effect.runSync(Ref.update(lines, (all) => [...all, `${logLevel.label} ${text}`]))
      })
    )
    return yield* run(Ref.get(lines)).pipe(Effect.provide(guardedServer(app, redisConfig(server, extra)).pipe(Layer.provide(logger))))
  })

describe("a guarded server while Redis is out", () => {
  it.live("stopped (SIGSTOP), fail-closed: every request is answered 503 within 1.5 command timeouts", () =>
    Effect.gen(function*() {
      const server = yield* makeRedisServer
      yield* withGuard(server, { rateLimit: 1000, redisCommandTimeoutMs: HUNG_TIMEOUT }, () =>
        Effect.gen(function*() {
          expect((yield* timedGet("/", "198.51.100.1")).status).toBe(200)
          yield* server.stop
          const during = [...yield* burst(20, "/", "198.51.100.1"), ...yield* burst(20, "/", "198.51.100.2")]
          expect(new Set(during.map((r) => r.status))).toEqual(new Set([503]))
          expect(slowest(during)).toBeLessThan(HUNG_BOUND)
          yield* server.resume
          const back = yield* eventually(timedGet("/", "198.51.100.1"), (r) => r.status === 200, 100)
          expect(back.status).toBe(200)
        }))
    }).pipe(Effect.scoped))

  it.live("stopped (SIGSTOP), fail-open: requests are served within 1.5 command timeouts and the limit still holds", () =>
    Effect.gen(function*() {
      const server = yield* makeRedisServer
      const config = { redisFailOpen: true, enableRateLimiting: true, rateLimit: 5, rateLimitWindow: 60, redisCommandTimeoutMs: HUNG_TIMEOUT }
      yield* withGuard(server, config, () =>
        Effect.gen(function*() {
          expect((yield* timedGet("/", "198.51.100.3")).status).toBe(200)
          yield* server.stop
          // the limit is counted in this instance's memory during the outage: 5 pass, the rest get 429
          const during = yield* burst(12, "/", "198.51.100.4")
          expect(slowest(during)).toBeLessThan(HUNG_BOUND)
          expect(during.filter((r) => r.status === 200)).toHaveLength(5)
          expect(during.filter((r) => r.status === 429)).toHaveLength(7)
          yield* server.resume
        }))
    }).pipe(Effect.scoped))

  it.live("killed, fail-open: limits and bans go on in memory, and Redis is used again once it is back", () =>
    Effect.gen(function*() {
      const server = yield* makeRedisServer
      yield* withGuard(server, { redisFailOpen: true, enableRateLimiting: true, rateLimit: 3, rateLimitWindow: 60, autoBanThreshold: 1 }, () =>
        Effect.gen(function*() {
          expect((yield* timedGet("/", "198.51.100.5")).status).toBe(200)
          yield* server.kill
          const during = yield* burst(5, "/", "198.51.100.6")
          expect(during.map((r) => r.status).sort()).toEqual([200, 200, 200, 429, 429])
          expect(slowest(during)).toBeLessThan(BOUND)
          // an attack is refused, and the auto-ban made in memory holds on this instance
          expect((yield* timedGet("/search?q=..%2F..%2Fetc%2Fpasswd", "198.51.100.7")).status).toBe(403)
          expect((yield* timedGet("/", "198.51.100.7")).status).toBe(403)

          yield* server.start
          // a fresh Redis (its data was lost with the process): counting starts over there
          const fresh = yield* eventually(timedGet("/", "198.51.100.6"), (r) => r.status === 200, 300)
          expect(fresh.status).toBe(200)
          const after = yield* burst(3, "/", "198.51.100.6")
          expect(after.map((r) => r.status).sort()).toEqual([200, 200, 429])
          // the ban made during the outage still holds here until it ends
          expect((yield* timedGet("/", "198.51.100.7")).status).toBe(403)
        }))
    }).pipe(Effect.scoped))

  it.live("an attack during an outage: 503 fail-closed (the ban lookup comes first), 400 fail-open", () =>
    Effect.gen(function*() {
      const server = yield* makeRedisServer
      const attack = "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
      yield* withGuard(server, { rateLimit: 1000 }, () =>
        Effect.gen(function*() {
          yield* server.kill
          expect((yield* timedGet(attack, "198.51.100.8")).status).toBe(503)
          yield* server.start
        }))
      yield* withGuard(server, { rateLimit: 1000, redisFailOpen: true }, () =>
        Effect.gen(function*() {
          yield* server.kill
          expect((yield* timedGet(attack, "198.51.100.8")).status).toBe(400)
        }))
    }).pipe(Effect.scoped))

  it.live("an outage is logged when it starts and ends, not once per request", () =>
    Effect.gen(function*() {
      const server = yield* makeRedisServer
      yield* withGuard(server, { rateLimit: 1000 }, (logs) =>
        Effect.gen(function*() {
          expect((yield* timedGet("/", "198.51.100.9")).status).toBe(200)
          yield* server.stop
          for (let i = 0; i < 5; i++) yield* burst(20, "/", "198.51.100.9")
          yield* server.resume
          yield* eventually(timedGet("/", "198.51.100.9"), (r) => r.status === 200, 100)
          const lines = (yield* logs).filter((line) => !line.includes("Redis connected"))
          expect(lines.filter((line) => line.includes("did not answer within"))).toHaveLength(1)
          expect(lines.filter((line) => line.includes("answers again after"))).toHaveLength(1)
          // 100 refused requests: one line for the check, the rest summed up in the next one
          expect(lines.filter((line) => line.includes("answered 503")).length).toBeLessThanOrEqual(2)
          expect(lines.length).toBeLessThan(10)
        }))
    }).pipe(Effect.scoped))

  it.live("an outage with fail-open is logged once when memory takes over and once when Redis is back", () =>
    Effect.gen(function*() {
      const server = yield* makeRedisServer
      yield* withGuard(server, { rateLimit: 1000, redisFailOpen: true }, (logs) =>
        Effect.gen(function*() {
          expect((yield* timedGet("/", "198.51.100.10")).status).toBe(200)
          yield* server.kill
          for (let i = 0; i < 5; i++) yield* burst(10, "/", "198.51.100.10")
          yield* server.start
          yield* eventually(logs, (all) => all.some((line) => line.includes("shared rate limits, bans and auto-ban counts resume")), 300)
          yield* timedGet("/", "198.51.100.10")
          const lines = yield* logs
          expect(lines.filter((line) => line.includes("use this instance's memory"))).toHaveLength(1)
          expect(lines.filter((line) => line.includes("resume"))).toHaveLength(1)
          expect(lines.filter((line) => line.includes("skipped"))).toEqual([])
        }))
    }).pipe(Effect.scoped))
})
