/**
 * `serveGuarded` and `GuardPipelineLive`: the guard in front of a server without its services in the
 * request context, and a server that accepts no request before the guard can answer it.
 */
import { HttpMiddleware, HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, Ref, Schedule } from "effect"
import {
  EventBus,
  type ExporterSpec,
  GuardConfig,
  GuardExporters,
  GuardLive,
  guardMiddleware,
  GuardPipelineLive,
  IpBans,
  serveGuarded,
  TestExporter
} from "effect-guard"
import * as http from "node:http"
import { createServer } from "node:http"
import { get, statusAndBody } from "./support/guarded.js"
import { makeOtlpReceiver } from "./support/otlpReceiver.js"
import { freePort, makeRedisServer } from "./support/redisServer.js"

/** Whether the handler can see the guard's event bus. */
const app = HttpRouter.empty.pipe(
  HttpRouter.get("/", Effect.map(Effect.serviceOption(EventBus), (bus) => HttpServerResponse.text(Option.isSome(bus) ? "bus" : "no bus"))),
  HttpRouter.get("/search", HttpServerResponse.text("ok"))
)

const server = (middleware?: HttpMiddleware.HttpMiddleware) =>
  (middleware === undefined ? serveGuarded(app, NodeHttpServer.layerTest) : serveGuarded(app, NodeHttpServer.layerTest, middleware)).pipe(
    Layer.provideMerge(TestExporter.layer()),
    Layer.provide(GuardConfig.layer({ enableRateLimiting: false }))
  )

/** Events reach the exporter off the request path: wait for them (live clock), within a bound. */
const eventsOf = (type: string) =>
  Effect.flatMap(TestExporter, (t) => t.events).pipe(
    Effect.map((events) => events.filter((e) => e.eventType === type)),
    Effect.filterOrFail((events) => events.length > 0, () => "no event yet"),
    Effect.retry({ schedule: Schedule.spaced("10 millis"), times: 200 }),
    Effect.orDie
  )

describe("serveGuarded", () => {
  it.scopedLive("guards every request as guardMiddleware does, with the security headers", () =>
    Effect.gen(function*() {
      const passed = yield* get("/")
      expect(passed.headers["x-content-type-options"]).toBe("nosniff")
      const refused = yield* get("/search?q=%27%20OR%201%3D1%20--")
      expect(yield* statusAndBody(refused)).toEqual({ status: 400, body: "Suspicious activity detected" })
      expect(refused.headers["x-content-type-options"]).toBe("nosniff")
      const [event] = yield* eventsOf("penetration_attempt")
      expect(event).toMatchObject({ eventType: "penetration_attempt", endpoint: "/search" })
    }).pipe(Effect.provide(server())))

  it.scoped("keeps the guard's services out of the handlers' context", () =>
    Effect.gen(function*() {
      expect(yield* statusAndBody(yield* get("/"))).toEqual({ status: 200, body: "no bus" })
    }).pipe(Effect.provide(server())))

  it.scoped("wraps the guard in the extra middleware: it sees the requests the guard refuses too", () =>
    Effect.gen(function*() {
      const statuses = yield* Ref.make<ReadonlyArray<number>>([])
      const recording = HttpMiddleware.make((inner) => Effect.tap(inner, (response) => Ref.update(statuses, (s) => [...s, response.status])))
      yield* Effect.gen(function*() {
        expect((yield* get("/")).status).toBe(200)
        expect((yield* get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")).status).toBe(400)
      }).pipe(Effect.provide(server(recording)))
      expect(yield* Ref.get(statuses)).toEqual([200, 400])
    }))

  it.scoped("shares one guard with a GuardLive provided beside it: a ban made there refuses the server's requests", () =>
    Effect.gen(function*() {
      const client = { "x-forwarded-for": "198.51.100.7" }
      expect((yield* get("/", client)).status).toBe(200)
      yield* Effect.flatMap(IpBans, (bans) => bans.ban("198.51.100.7", "1 hour", "banned by an admin route"))
      expect((yield* get("/", client)).status).toBe(403)
    }).pipe(Effect.provide(
      Layer.merge(serveGuarded(app, NodeHttpServer.layerTest), GuardLive).pipe(
        Layer.provideMerge(TestExporter.layer()),
        Layer.provide(GuardConfig.layer({ enableRateLimiting: false, trustedProxies: ["127.0.0.1", "::1"] }))
      )
    )))

  it.scoped("flushes and stops the guard's exporters when the server's scope closes", () =>
    Effect.gen(function*() {
      const exporter = yield* TestExporter
      yield* Effect.scoped(Effect.gen(function*() {
        const running = yield* Layer.build(serveGuarded(app, NodeHttpServer.layerTest).pipe(
          Layer.provide(GuardConfig.layer({ enableRateLimiting: false }))
        ))
        expect((yield* get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").pipe(Effect.provide(running))).status).toBe(400)
      }))
      const lifecycle = yield* exporter.lifecycle
      expect(lifecycle[0]).toBe("start")
      expect(lifecycle.slice(-2)).toEqual(["flush", "stop"])
      // the event queued by the refused request was delivered before the exporter stopped
      expect((yield* exporter.events).map((e) => e.eventType)).toContain("penetration_attempt")
    }).pipe(Effect.provide(TestExporter.layer())))
})

describe("GuardPipelineLive", () => {
  it.scoped("serves guardMiddleware with the pipeline alone in the context", () =>
    Effect.gen(function*() {
      const passed = yield* get("/")
      expect(yield* statusAndBody(passed)).toEqual({ status: 200, body: "no bus" })
      expect(passed.headers["x-content-type-options"]).toBe("nosniff")
      expect((yield* get("/search?q=%27%20OR%201%3D1%20--")).status).toBe(400)
    }).pipe(Effect.provide(
      HttpServer.serve(app, guardMiddleware).pipe(
        Layer.provide(GuardPipelineLive),
        Layer.provideMerge(TestExporter.layer()),
        Layer.provide(GuardConfig.layer({ enableRateLimiting: false })),
        Layer.provideMerge(NodeHttpServer.layerTest)
      )
    )))
})

/**
 * GETs `/` on `port` from the moment the server starts: refused connections are tried again (every
 * 20 ms, within 30 s); the first accepted request must be answered within `answerMs`.
 */
const firstAnswer = (port: number, answerMs: number) =>
  Effect.promise(async () => {
    const attempt = () =>
      new Promise<{ readonly status: number; readonly body: string } | "refused" | "unanswered">((resolve) => {
        const request = http.get({ host: "127.0.0.1", port, path: "/", agent: false }, (response) => {
          let body = ""
          response.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")))
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body }))
        })
        request.on("error", () => resolve("refused"))
        request.setTimeout(answerMs, () => {
          request.destroy()
          resolve("unanswered")
        })
      })
    for (let i = 0; i < 1500; i++) {
      const outcome = await attempt()
      if (outcome !== "refused") return outcome
      await new Promise((r) => setTimeout(r, 20))
    }
    return "refused" as const
  })

/** An exporter that takes `millis` to start, as a slow SDK load or a far collector would. */
const slowToStart = (millis: number): ExporterSpec => ({
  name: "slow-start",
  acquire: Effect.as(Effect.sleep(Duration.millis(millis)), {
    name: "slow-start",
    exportEvent: () => Effect.void,
    exportMetric: () => Effect.void,
    flush: Effect.void,
    health: Effect.succeed(true)
  })
})

describe("ready before listening", () => {
  /** OpenTelemetry and Redis on, and a second more of start-up: the window a request could fall in. */
  const slowGuard = Effect.gen(function*() {
    const redis = yield* makeRedisServer
    const collector = yield* makeOtlpReceiver
    return Layer.merge(
      GuardConfig.layer({ enableOtel: true, otelExporterEndpoint: collector.url, enableRedis: true, redisUrl: redis.url }),
      Layer.succeed(GuardExporters, [slowToStart(1_000)])
    )
  })

  it.live("serveGuarded: a request sent while the server starts is answered", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const inputs = yield* slowGuard
      yield* Effect.forkScoped(Layer.launch(serveGuarded(app, NodeHttpServer.layer(createServer, { port })).pipe(Layer.provide(inputs))))
      expect(yield* firstAnswer(port, 5_000)).toEqual({ status: 200, body: "no bus" })
    }).pipe(Effect.scoped))

  it.live("HttpServer.serve with the server layer provided before GuardLive: a request sent while it starts is answered", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const inputs = yield* slowGuard
      const Server = app.pipe(
        HttpServer.serve(guardMiddleware),
        Layer.provide(NodeHttpServer.layer(createServer, { port })), // built last: listens once the guard is ready
        Layer.provide(GuardLive),
        Layer.provide(inputs)
      )
      yield* Effect.forkScoped(Layer.launch(Server))
      expect(yield* firstAnswer(port, 5_000)).toEqual({ status: 200, body: "bus" })
    }).pipe(Effect.scoped))

  it.live("provided the other way round, the server listens before the guard is built and that request is never answered", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const Server = app.pipe(
        HttpServer.serve(guardMiddleware),
        Layer.provide(GuardLive),
        Layer.provide(Layer.merge(GuardConfig.layer({}), Layer.succeed(GuardExporters, [slowToStart(3_000)]))),
        Layer.provide(NodeHttpServer.layer(createServer, { port })) // built first: listens at once
      )
      yield* Effect.forkScoped(Layer.launch(Server))
      expect(yield* firstAnswer(port, 1_000)).toBe("unanswered")
    }).pipe(Effect.scoped))
})
