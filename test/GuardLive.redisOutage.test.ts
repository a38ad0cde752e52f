/**
 * A Redis outage seen from the client: a real Node server behind the guard, a `redis-server` of the
 * test's own that the test stops (SIGSTOP) or kills.
 *
 * What a request waits for is proved by order, not by the wall clock: the guard runs on a test
 * clock that moves only when the test moves it, and the Redis client library's own timer (the
 * same command timeout, on real time) is set past the test's own timeout, so it never answers a
 * request here. A request answered while the guard's clock stands still waited on no timer; one
 * that is not answered one millisecond before the command timeout and is answered at it was cut by
 * the guard's own bound, with Redis still stopped.
 */
import { HttpClient, HttpClientRequest, HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Fiber, Layer, Logger, Ref, TestClock, TestContext } from "effect"
import { type GuardConfigInput } from "effect-guard"
import { guardedServer } from "./support/guarded.js"
import { makeRedisServer, type RedisServer } from "./support/redisServer.js"
import { HANG, tick } from "./support/testClock.js"

const TIMEOUT = 300
/**
 * The command timeout of the cases on the guard's clock: two minutes of real time, past the test's
 * own timeout (30 s), so the client library's real-time timer cannot be what answers a request.
 */
const LONG_TIMEOUT = 120_000

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

/** Status of one GET from `client`. */
const get = (path: string, client: string) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const response = yield* http.execute(HttpClientRequest.get(path, { headers: { "x-forwarded-for": client } }))
    return { status: response.status }
  }).pipe(Effect.orDie)

/** `n` GETs at once. */
const burst = (n: number, path: string, client: string) =>
  Effect.forEach(Array.from({ length: n }), () => get(path, client), { concurrency: "unbounded" })

/** Repeats `check` every 10 ms (real time) until `ok` holds (at most `tries` times). */
const eventually = <A, E, R>(check: Effect.Effect<A, E, R>, ok: (a: A) => boolean, tries = 300) =>
  Effect.gen(function*() {
    let last = yield* check
    for (let i = 0; i < tries && !ok(last); i++) {
      yield* Effect.sleep("10 millis")
      last = yield* check
    }
    return last
  })

/** Fails the test with `what` if `effect` has not ended within {@link HANG} of real time. */
const orHang = <A, E, R>(effect: Effect.Effect<A, E, R>, what: string) =>
  Effect.timeoutFail(effect, { duration: HANG, onTimeout: () => new Error(`${what} (hung for ${Duration.format(HANG)})`) })

/**
 * The guard's clock: a test clock of its own, which moves only when the test moves it. Building a
 * test context puts its clock on the fiber that builds it: the test's own stays the real one.
 */
const makeGuardClock = Effect.gen(function*() {
  const live = yield* Effect.clock
  const clock = yield* Effect.flatMap(Layer.build(TestContext.TestContext), (context) => TestClock.testClock().pipe(Effect.provide(context)))
  yield* Effect.withClockScoped(live)
  return clock
})

/**
 * `n` GETs against a stopped Redis, with the command timeout at `LONG_TIMEOUT`. Each is sent once the
 * one before waits on the guard's clock (a sleep more ends at the timeout), so all of them wait on it
 * before it moves; none is answered then, nor one millisecond before the timeout; every one is once
 * the clock reaches it. Returns their statuses.
 */
const burstCutByTheGuard = (clock: TestClock.TestClock, n: number, path: string, client: string) =>
  Effect.gen(function*() {
    const answered = yield* Ref.make(0)
    const deadline = (yield* clock.currentTimeMillis) + LONG_TIMEOUT
    const waiting = Effect.map(clock.sleeps, (sleeps) => Chunk.size(Chunk.filter(sleeps, (at) => at === deadline)))
    const requests: Array<Fiber.RuntimeFiber<{ readonly status: number }>> = []
    for (let i = 0; i < n; i++) {
      const before = yield* waiting
      requests.push(yield* Effect.fork(Effect.tap(get(path, client), () => Ref.update(answered, (a) => a + 1))))
      yield* orHang(
        Effect.gen(function*() {
          while ((yield* waiting) === before && (yield* Ref.get(answered)) === 0) yield* tick
        }),
        `request ${i + 1} of ${n} never came to wait on a Redis command`
      )
    }
    // a request may send a second command alongside its first: let those come too
    for (let i = 0; i < 20; i++) yield* tick
    expect(yield* Ref.get(answered)).toBe(0)
    yield* clock.adjust(Duration.millis(LONG_TIMEOUT - 1))
    // real time for whatever the clock woke to run: nothing was due
    for (let i = 0; i < 20; i++) yield* tick
    expect(yield* Ref.get(answered)).toBe(0)
    yield* clock.adjust(Duration.millis(1))
    return yield* orHang(Fiber.joinAll(requests).pipe(Effect.zipRight(Effect.forEach(requests, Fiber.join))), "the clock reached the command timeout and requests were still waiting")
  })

/** `n` GETs at once, answered while the guard's clock stands still: none waited on a timer. */
const burstAtOnce = (n: number, path: string, client: string) =>
  orHang(burst(n, path, client), "requests waited on a timer, and the guard's clock never moved")

/**
 * Serves `app` with Redis on `server`, the guard on `clock` if given (the test itself on real time);
 * `run` gets the lines logged meanwhile too.
 */
const withGuard = <A, E, R>(
  server: RedisServer,
  extra: GuardConfigInput,
  run: (logs: Effect.Effect<ReadonlyArray<string>>) => Effect.Effect<A, E, R>,
  clock?: TestClock.TestClock
) =>
  Effect.gen(function*() {
    const lines = yield* Ref.make<ReadonlyArray<string>>([])
    const logger = Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ logLevel, message }) => {
        const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
        Effect.runSync(Ref.update(lines, (all) => [...all, `${logLevel.label} ${text}`]))
      })
    )
    const onClock = clock === undefined ? Layer.empty : Layer.setClock(clock)
    // the guard's clock reaches the test's own code too (Layer.setClock): the test waits in real time
    const live = yield* Effect.clock
    return yield* run(Ref.get(lines)).pipe(
      Effect.withClock(live),
      // a test that fails with Redis stopped still closes the guard: its QUIT waits on the guard's clock
      Effect.ensuring(server.resume),
      Effect.provide(guardedServer(app, redisConfig(server, extra), onClock).pipe(Layer.provide(logger)))
    )
  })

describe("a guarded server while Redis is out", () => {
  it.live("stopped (SIGSTOP), fail-closed: every request is answered 503 when the guard's clock reaches one command timeout", () =>
    Effect.gen(function*() {
      const server = yield* makeRedisServer
      const clock = yield* makeGuardClock
      yield* withGuard(server, { rateLimit: 1000, redisCommandTimeoutMs: LONG_TIMEOUT }, () =>
        Effect.gen(function*() {
          expect((yield* burstAtOnce(1, "/", "198.51.100.1")).map((r) => r.status)).toEqual([200])
          yield* server.stop
          // cut by the guard's bound, Redis still stopped: no request waits for another's command
          const cut = yield* burstCutByTheGuard(clock, 20, "/", "198.51.100.1")
          // from then on Redis is known not to answer: refused without waiting, the clock still
          const refused = yield* burstAtOnce(20, "/", "198.51.100.2")
          expect(new Set([...cut, ...refused].map((r) => r.status))).toEqual(new Set([503]))
          yield* server.resume
          const back = yield* eventually(get("/", "198.51.100.1"), (r) => r.status === 200, 100)
          expect(back.status).toBe(200)
        }), clock)
    }).pipe(Effect.scoped))

  it.live("stopped (SIGSTOP), fail-open: requests are served when the guard's clock reaches one command timeout, and the limit still holds", () =>
    Effect.gen(function*() {
      const server = yield* makeRedisServer
      const clock = yield* makeGuardClock
      const config = { redisFailOpen: true, enableRateLimiting: true, rateLimit: 5, rateLimitWindow: 60, redisCommandTimeoutMs: LONG_TIMEOUT }
      yield* withGuard(server, config, () =>
        Effect.gen(function*() {
          expect((yield* burstAtOnce(1, "/", "198.51.100.3")).map((r) => r.status)).toEqual([200])
          yield* server.stop
          // the limit is counted in this instance's memory during the outage: 5 pass, the rest get 429
          const during = yield* burstCutByTheGuard(clock, 12, "/", "198.51.100.4")
          expect(during.filter((r) => r.status === 200)).toHaveLength(5)
          expect(during.filter((r) => r.status === 429)).toHaveLength(7)
          yield* server.resume
        }), clock)
    }).pipe(Effect.scoped))

  it.live("killed, fail-open: limits and bans go on in memory at once, and Redis is used again once it is back", () =>
    Effect.gen(function*() {
      const server = yield* makeRedisServer
      const clock = yield* makeGuardClock
      const config = { redisFailOpen: true, enableRateLimiting: true, rateLimit: 3, rateLimitWindow: 60, autoBanThreshold: 1, redisCommandTimeoutMs: LONG_TIMEOUT }
      yield* withGuard(server, config, () =>
        Effect.gen(function*() {
          expect((yield* burstAtOnce(1, "/", "198.51.100.5")).map((r) => r.status)).toEqual([200])
          yield* server.kill
          // a killed server fails commands at once: answered while the guard's clock stands still
          const during = yield* burstAtOnce(5, "/", "198.51.100.6")
          expect(during.map((r) => r.status).sort()).toEqual([200, 200, 200, 429, 429])
          // an attack is refused, and the auto-ban made in memory holds on this instance
          expect((yield* burstAtOnce(1, "/search?q=..%2F..%2Fetc%2Fpasswd", "198.51.100.7")).map((r) => r.status)).toEqual([403])
          expect((yield* burstAtOnce(1, "/", "198.51.100.7")).map((r) => r.status)).toEqual([403])

          yield* server.start
          // a fresh Redis (its data was lost with the process): counting starts over there
          const fresh = yield* eventually(get("/", "198.51.100.6"), (r) => r.status === 200, 300)
          expect(fresh.status).toBe(200)
          const after = yield* burst(3, "/", "198.51.100.6")
          expect(after.map((r) => r.status).sort()).toEqual([200, 200, 429])
          // the ban made during the outage still holds here until it ends
          expect((yield* get("/", "198.51.100.7")).status).toBe(403)
        }), clock)
    }).pipe(Effect.scoped))

  it.live("an attack during an outage: 503 fail-closed (the ban lookup comes first), 400 fail-open", () =>
    Effect.gen(function*() {
      const server = yield* makeRedisServer
      const attack = "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
      yield* withGuard(server, { rateLimit: 1000 }, () =>
        Effect.gen(function*() {
          yield* server.kill
          expect((yield* get(attack, "198.51.100.8")).status).toBe(503)
          yield* server.start
        }))
      yield* withGuard(server, { rateLimit: 1000, redisFailOpen: true }, () =>
        Effect.gen(function*() {
          yield* server.kill
          expect((yield* get(attack, "198.51.100.8")).status).toBe(400)
        }))
    }).pipe(Effect.scoped))

  it.live("an outage is logged when it starts and ends, not once per request", () =>
    Effect.gen(function*() {
      const server = yield* makeRedisServer
      yield* withGuard(server, { rateLimit: 1000 }, (logs) =>
        Effect.gen(function*() {
          expect((yield* get("/", "198.51.100.9")).status).toBe(200)
          yield* server.stop
          for (let i = 0; i < 5; i++) yield* burst(20, "/", "198.51.100.9")
          yield* server.resume
          yield* eventually(get("/", "198.51.100.9"), (r) => r.status === 200, 100)
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
          expect((yield* get("/", "198.51.100.10")).status).toBe(200)
          yield* server.kill
          for (let i = 0; i < 5; i++) yield* burst(10, "/", "198.51.100.10")
          yield* server.start
          yield* eventually(logs, (all) => all.some((line) => line.includes("shared rate limits, bans and auto-ban counts resume")), 300)
          yield* get("/", "198.51.100.10")
          const lines = yield* logs
          expect(lines.filter((line) => line.includes("use this instance's memory"))).toHaveLength(1)
          expect(lines.filter((line) => line.includes("resume"))).toHaveLength(1)
          expect(lines.filter((line) => line.includes("skipped"))).toEqual([])
        }))
    }).pipe(Effect.scoped))
})
