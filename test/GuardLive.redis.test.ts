import { HttpApp, HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, type Clock, Context, Effect, Fiber, Layer, Option, TestClock, TestContext } from "effect"
import { ClientIp, CompositeHandler, GuardConfig, type GuardConfigInput, GuardLive, guardMiddleware, TestExporter } from "effect-guard"
import { tcpProxy } from "./support/tcpProxy.js"
import { tick, WOKEN } from "./support/testClock.js"

const app = HttpRouter.empty.pipe(
  HttpRouter.get("/", HttpServerResponse.text("ok")),
  HttpRouter.get("/search", HttpServerResponse.text("ok"))
)

const prefix = () => `effect-guard-test:${Math.random().toString(36).slice(2)}:`

/**
 * One guarded instance (its own GuardLive, its own Redis connection) as a web handler; with `clock`,
 * everything it times (command timeouts included) runs on that clock.
 */
const instance = (config: GuardConfigInput, clock?: Clock.Clock) =>
  HttpApp.toWebHandlerLayer(
    app,
    GuardLive.pipe(
      Layer.provideMerge(TestExporter.layer()),
      Layer.provideMerge(GuardConfig.layer({ enableRedis: true, ...config })),
      Layer.provideMerge(clock === undefined ? Layer.empty : Layer.setClock(clock))
    ),
    { middleware: guardMiddleware }
  )

const status = (handler: ReturnType<typeof instance>["handler"], path: string, ip: string) =>
  Effect.promise(() => handler(new Request(`http://guarded.test${path}`), Context.make(ClientIp, ip)).then((r) => r.status))

describe("GuardLive with Redis: one state for every instance", () => {
  it.live("two instances enforce one combined rate limit", () =>
    Effect.gen(function*() {
      const shared = { redisPrefix: prefix(), rateLimit: 4, rateLimitWindow: 60 }
      const a = instance(shared)
      const b = instance(shared)
      const statuses: Array<number> = []
      for (let i = 0; i < 4; i++) {
        statuses.push(yield* status(a.handler, "/", "198.51.100.5"))
        statuses.push(yield* status(b.handler, "/", "198.51.100.5"))
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(4)
      expect(statuses.filter((s) => s === 429)).toHaveLength(4)
      yield* Effect.promise(() => Promise.all([a.dispose(), b.dispose()]))
    }))

  it.live("many parallel requests across both instances never let more than the limit through", () =>
    Effect.gen(function*() {
      const shared = { redisPrefix: prefix(), rateLimit: 25, rateLimitWindow: 60 }
      const a = instance(shared)
      const b = instance(shared)
      const all = yield* Effect.forEach(
        Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b)),
        (guard) => status(guard.handler, "/", "198.51.100.6"),
        { concurrency: 50 }
      )
      expect(all.filter((s) => s === 200)).toHaveLength(25)
      yield* Effect.promise(() => Promise.all([a.dispose(), b.dispose()]))
    }))

  it.live("a ban made by one instance is enforced by the other", () =>
    Effect.gen(function*() {
      const shared = { redisPrefix: prefix(), enableRateLimiting: false, autoBanThreshold: 1 }
      const a = instance(shared)
      const b = instance(shared)
      expect(yield* status(a.handler, "/search?q=..%2F..%2Fetc%2Fpasswd", "198.51.100.7")).toBe(403)
      expect(yield* status(b.handler, "/", "198.51.100.7")).toBe(403)
      expect(yield* status(b.handler, "/", "198.51.100.8")).toBe(200)
      yield* Effect.promise(() => Promise.all([a.dispose(), b.dispose()]))
    }))

  it.live("Redis down mid-traffic: fail-closed answers 503 with Retry-After, and recovers", () =>
    Effect.gen(function*() {
      const proxy = yield* tcpProxy(6379)
      // the instance's clock is a test clock the test moves: the 503 comes by the time it reaches
      // one command timeout, whatever the machine's load
      const clock = yield* TestClock.testClock().pipe(Effect.provide(yield* Layer.build(TestContext.TestContext)))
      const guard = instance({ redisPrefix: prefix(), redisUrl: proxy.url, redisCommandTimeoutMs: 200, rateLimit: 1000 }, clock)
      expect(yield* status(guard.handler, "/", "198.51.100.9")).toBe(200)
      yield* proxy.cut
      const answer = yield* Effect.fork(Effect.promise(() => guard.handler(new Request("http://guarded.test/"), Context.make(ClientIp, "198.51.100.9"))))
      const deadline = (yield* clock.currentTimeMillis) + 200
      // answered at once, or waiting on a command timeout
      while (Option.isNone(yield* Fiber.poll(answer)) && !Chunk.some(yield* clock.sleeps, (at) => at >= deadline)) yield* tick
      yield* clock.adjust("200 millis")
      const response = yield* Fiber.join(answer).pipe(
        Effect.timeoutFail({ duration: WOKEN, onTimeout: () => new Error("no answer when the instance's clock reached the command timeout") })
      )
      expect(response.status).toBe(503)
      expect(response.headers.get("retry-after")).toBe("5")
      // from here the instance's clock follows real time, for its reconnection probes and its close
      yield* Effect.forkScoped(Effect.forever(Effect.zipRight(tick, clock.adjust("1 millis"))))
      yield* proxy.restore
      let recovered = 0
      for (let i = 0; i < 50 && recovered !== 200; i++) {
        yield* Effect.sleep("100 millis")
        recovered = yield* status(guard.handler, "/", "198.51.100.9")
      }
      expect(recovered).toBe(200)
      yield* Effect.promise(guard.dispose)
    }).pipe(Effect.scoped))

  it.live("Redis down mid-traffic with redisFailOpen: requests are served, answered from memory", () =>
    Effect.gen(function*() {
      const proxy = yield* tcpProxy(6379)
      const guard = instance({ redisPrefix: prefix(), redisUrl: proxy.url, redisCommandTimeoutMs: 200, redisFailOpen: true, rateLimit: 1000 })
      expect(yield* status(guard.handler, "/", "198.51.100.10")).toBe(200)
      yield* proxy.cut
      expect(yield* status(guard.handler, "/", "198.51.100.10")).toBe(200)
      // detection does not need Redis to refuse an attack; only the ban counting is skipped
      expect(yield* status(guard.handler, "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "198.51.100.10")).toBe(400)
      yield* proxy.restore
      yield* Effect.promise(guard.dispose)
    }).pipe(Effect.scoped))

  it.live("Redis absent at start: without fail-open the guard refuses to start with a clear error", () =>
    Effect.gen(function*() {
      const result = yield* Layer.build(
        GuardLive.pipe(Layer.provide(GuardConfig.layer({ enableRedis: true, redisUrl: "redis://127.0.0.1:1", redisConnectTimeoutMs: 300 })))
      ).pipe(Effect.scoped, Effect.flip)
      expect(result._tag).toBe("StoreError")
      expect(result.message).toContain("127.0.0.1:1")
    }))

  it.live("Redis events go through the composite like any other event", () =>
    Effect.gen(function*() {
      const layer = GuardLive.pipe(
        Layer.provideMerge(TestExporter.layer()),
        Layer.provideMerge(GuardConfig.layer({ enableRedis: true, redisPrefix: prefix(), mutedEventTypes: [] }))
      )
      const types = yield* Effect.gen(function*() {
        yield* Effect.sleep("100 millis")
        yield* Effect.flatMap(CompositeHandler, (c) => c.flush)
        return (yield* Effect.flatMap(TestExporter, (t) => t.events)).map((e) => e.eventType)
      }).pipe(Effect.provide(layer))
      expect(types).toContain("redis_connection")
    }))
})
