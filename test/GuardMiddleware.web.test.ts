import { HttpApp, HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Logger, Option, TestClock } from "effect"
import { ClientIp, GuardConfig, type GuardConfigInput, GuardLive, guardMiddleware, GuardRoutes, IpBans, TestExporter } from "effect-guard"
import { events, metrics } from "./support/guarded.js"

const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("ok")), HttpRouter.get("/search", HttpServerResponse.text("ok")))

/** The guard under `HttpApp.toWebHandlerLayer`: no socket, so the host passes the peer as `ClientIp`. */
const webHandler = (config: GuardConfigInput) => {
  const layer = GuardLive.pipe(
    Layer.provideMerge(TestExporter.layer()),
    Layer.provideMerge(GuardConfig.layer({ enableRateLimiting: false, ...config }))
  )
  return HttpApp.toWebHandlerLayer(app, layer, { middleware: guardMiddleware })
}

const request = (handler: ReturnType<typeof webHandler>["handler"], path: string, peer: string, headers: Record<string, string> = {}) =>
  Effect.promise(() => handler(new Request(`http://guarded.test${path}`, { headers }), Context.make(ClientIp, peer)))

describe("guardMiddleware under HttpApp.toWebHandler", () => {
  it.live("blocks, passes and reports exactly as on a Node server", () =>
    Effect.gen(function*() {
      const { dispose, handler } = webHandler({ blacklist: ["203.0.113.0/24"] })
      expect((yield* request(handler, "/", "198.51.100.1")).status).toBe(200)
      const blocked = yield* request(handler, "/", "203.0.113.7")
      expect(blocked.status).toBe(403)
      expect(yield* Effect.promise(() => blocked.text())).toBe("Forbidden")
      expect(blocked.headers.get("x-content-type-options")).toBe("nosniff")
      const attack = yield* request(handler, "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "198.51.100.1")
      expect(attack.status).toBe(400)
      yield* Effect.promise(dispose)
    }))

  it.scopedLive("a JSON body is scanned and still readable by the handler, also under a router mounted at a prefix", () =>
    Effect.gen(function*() {
      const echo = HttpRouter.empty.pipe(
        HttpRouter.post("/echo", Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => Effect.map(r.text, (text) => HttpServerResponse.text(text))))
      )
      const runtime = yield* Layer.toRuntime(GuardLive.pipe(Layer.provideMerge(TestExporter.layer()), Layer.provideMerge(GuardConfig.layer({}))))
      const handler = HttpApp.toWebHandlerRuntime(runtime)(HttpRouter.empty.pipe(HttpRouter.mount("/api", echo)), guardMiddleware)
      const post = (body: string) =>
        Effect.promise(() =>
          handler(
            new Request("http://guarded.test/api/echo", {
              method: "POST",
              // as a server runtime passes on the client's header
              headers: { "content-type": "application/json", "content-length": String(new TextEncoder().encode(body).byteLength) },
              body
            }),
            Context.make(ClientIp, "198.51.100.1")
          )
        )
      const body = JSON.stringify({ name: "Zoë" })
      const read = yield* post(body)
      expect([read.status, yield* Effect.promise(() => read.text())]).toEqual([200, body])
      // the application reads the body as the web platform does, a byte-order mark dropped
      const marked = yield* post(`\uFEFF${body}`)
      expect([marked.status, yield* Effect.promise(() => marked.text())]).toEqual([200, body])
      expect((yield* post(JSON.stringify({ comment: "<script>alert(document.cookie)</script>" }))).status).toBe(400)
    }))

  it.live("adds the security headers without overriding the application's, and records the metrics, as on a Node server", () =>
    Effect.gen(function*() {
      // a Node server takes the headers on its own response; a web handler has none, so the guard
      // rebuilds the application's response instead, and both must give the same answer
      const framing = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("ok", { headers: { "x-frame-options": "DENY" } })))
      const layer = GuardLive.pipe(Layer.provideMerge(TestExporter.layer()), Layer.provideMerge(GuardConfig.layer({ enableRateLimiting: false })))
      const { dispose, handler } = HttpApp.toWebHandlerLayer(framing, layer, { middleware: guardMiddleware })
      const response = yield* Effect.promise(() => handler(new Request("http://guarded.test/"), Context.make(ClientIp, "198.51.100.1")))
      expect([response.headers.get("x-frame-options"), response.headers.get("x-content-type-options")]).toEqual(["DENY", "nosniff"])
      expect((yield* request(handler, "/missing", "198.51.100.1")).headers.get("x-download-options")).toBe("noopen")
      yield* Effect.promise(dispose)
    }))

  it.scopedLive("with the security headers off, records the metrics of the application's responses and of its failures", () =>
    Effect.gen(function*() {
      const failing = app.pipe(HttpRouter.get("/boom", Effect.die("the handler broke")))
      const runtime = yield* Layer.toRuntime(GuardLive.pipe(
        Layer.provideMerge(Layer.merge(TestExporter.layer(), GuardRoutes.fromRouter(failing))),
        Layer.provideMerge(GuardConfig.layer({ enableRateLimiting: false, securityHeaders: { enabled: false } }))
      ))
      const handler = HttpApp.toWebHandlerRuntime(runtime)(failing, guardMiddleware)
      for (const path of ["/", "/missing", "/boom"]) {
        yield* Effect.promise(() => handler(new Request(`http://guarded.test${path}`), Context.make(ClientIp, "198.51.100.1")))
      }
      const recorded = yield* metrics.pipe(Effect.provide(runtime))
      expect(recorded.filter((m) => m.metricType === "response_time").map((m) => `${m.tags["endpoint"]} ${m.tags["status"]}`))
        .toEqual(["/ 200", "unmatched 404", "/boom 500"])
    }))

  it.live("without any peer address, fail-secure refuses with 403", () =>
    Effect.gen(function*() {
      const { dispose, handler } = webHandler({})
      const response = yield* Effect.promise(() => handler(new Request("http://guarded.test/")))
      expect(response.status).toBe(403)
      expect(yield* Effect.promise(() => response.text())).toBe("Client address could not be determined")
      expect(response.headers.get("x-content-type-options")).toBe("nosniff")
      yield* Effect.promise(dispose)
    }))

  it.live("with failSecure off, an unknown peer is served as \"unknown\"", () =>
    Effect.gen(function*() {
      const { dispose, handler } = webHandler({ failSecure: false })
      expect((yield* Effect.promise(() => handler(new Request("http://guarded.test/")))).status).toBe(200)
      yield* Effect.promise(dispose)
    }))
})

describe("bad input never crashes the guard", () => {
  it.live("garbage X-Forwarded-For, a 64 KB header, a malformed traceparent and a broken Content-Length get well-formed answers", () =>
    Effect.gen(function*() {
      const { dispose, handler } = webHandler({ trustedProxies: ["127.0.0.1"] })
      const cases: ReadonlyArray<Record<string, string>> = [
        { "x-forwarded-for": "not-an-ip, 999.1.1.1, [::1, ,,," },
        { "x-forwarded-for": Array.from({ length: 5_000 }, (_, i) => `10.0.${i >> 8 & 255}.${i & 255}`).join(", ") },
        { "x-huge": "a".repeat(64 * 1024) },
        { traceparent: "00-zzzz-not-a-trace-01", tracestate: "==,,;garbage" },
        { "content-length": "12abc" }
      ]
      for (const headers of cases) {
        const response = yield* request(handler, "/", "127.0.0.1", headers)
        expect(response.status).toBeLessThan(500)
      }
      yield* Effect.promise(dispose)
    }))
})

describe("bans and logs", () => {
  it.effect("an auto-ban expires after autoBanDuration (TestClock)", () =>
    Effect.gen(function*() {
      // the guarded app run directly in the test fiber, so the TestClock drives bans and windows
      const guardedApp = guardMiddleware(app)
      const status = (path: string) =>
        guardedApp.pipe(
          Effect.provideService(HttpServerRequest.HttpServerRequest, HttpServerRequest.fromWeb(new Request(`http://guarded.test${path}`))),
          Effect.provideService(ClientIp, "198.51.100.9"),
          Effect.scoped,
          Effect.map((response) => response.status),
          Effect.catchAll(() => Effect.succeed(404))
        )
      expect(yield* status("/search?q=..%2F..%2Fetc%2Fpasswd")).toBe(403)
      expect(yield* status("/")).toBe(403)
      yield* TestClock.adjust("59 minutes")
      expect(yield* status("/")).toBe(403)
      yield* TestClock.adjust("2 minutes")
      expect(yield* status("/")).toBe(200)
      const bans = yield* IpBans
      expect(Option.isNone(yield* bans.isBanned("198.51.100.9"))).toBe(true)
    }).pipe(Effect.provide(GuardLive.pipe(Layer.provide(GuardConfig.layer({ enableRateLimiting: false, autoBanThreshold: 1, autoBanDuration: 3600 }))))))

  it.live("a muted check's logs are silent while the others log", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const logger = Logger.make(({ message }) => {
        lines.push(String(message))
      })
      const layer = GuardLive.pipe(
        Layer.provideMerge(GuardConfig.layer({
          enableRateLimiting: true,
          rateLimit: 1,
          blockedUserAgents: ["badbot"],
          mutedCheckLogs: ["rate_limit"]
        })),
        Layer.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      const { dispose, handler } = HttpApp.toWebHandlerLayer(app, Layer.merge(layer, Logger.replace(Logger.defaultLogger, logger)), { middleware: guardMiddleware })
      yield* request(handler, "/", "198.51.100.1")
      expect((yield* request(handler, "/", "198.51.100.1")).status).toBe(429)
      expect((yield* request(handler, "/", "198.51.100.2", { "user-agent": "badbot/1" })).status).toBe(403)
      yield* Effect.promise(dispose)
      expect(lines.some((l) => l.includes("Rate limit"))).toBe(false)
      expect(lines.some((l) => l.includes("badbot"))).toBe(true)
    }))

  it.scopedLive("a body sent without Content-Length is held to maxRequestSize: over it 413, within it the handler reads it whole", () =>
    Effect.gen(function*() {
      // the platform reads a web request's body with no cap: the guard measures a copy of it first
      const echo = HttpRouter.empty.pipe(
        HttpRouter.post("/echo", Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => Effect.map(r.text, (text) => HttpServerResponse.text(text))))
      )
      const runtime = yield* Layer.toRuntime(
        GuardLive.pipe(Layer.provideMerge(TestExporter.layer()), Layer.provideMerge(GuardConfig.layer({ maxRequestSize: 1_000 })))
      )
      const handler = HttpApp.toWebHandlerRuntime(runtime)(echo, guardMiddleware)
      const streamed = (chunks: ReadonlyArray<string>) =>
        Effect.promise(() =>
          handler(
            new Request("http://guarded.test/echo", {
              method: "POST",
              headers: { "content-type": "application/octet-stream" },
              body: new ReadableStream<Uint8Array>({
                start(controller) {
                  for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk))
                  controller.close()
                }
              }),
              duplex: "half"
            } as RequestInit),
            Context.make(ClientIp, "198.51.100.1")
          )
        )
      const big = yield* streamed(Array.from({ length: 8 }, () => "x".repeat(500)))
      expect([big.status, yield* Effect.promise(() => big.text())]).toEqual([413, "Request too large"])
      // the request said nothing of how its body is sent, and the event does not pretend it did
      const event = (yield* events.pipe(Effect.provide(runtime))).find((e) => e.eventType === "content_filtered")
      expect(event?.metadata).toMatchObject({ violation_type: "max_request_size", max_request_size: 1_000 })
      expect(event?.metadata["transfer_encoding"]).toBeUndefined()
      const parts = ["a".repeat(600), "b".repeat(400)]
      const fits = yield* streamed(parts)
      expect([fits.status, yield* Effect.promise(() => fits.text())]).toEqual([200, parts.join("")])
    }))

  it.scopedLive("a body longer than its Content-Length says is held to maxRequestSize too: a web host's framing is not the guard's", () =>
    Effect.gen(function*() {
      // a web request's body is a stream of the host's making, which need not hold to the header
      // (HTTP/2 and HTTP/3 frame bodies without it; a host may pass on the header of a chunked body)
      const echo = HttpRouter.empty.pipe(
        HttpRouter.post("/echo", Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => Effect.map(r.text, (text) => HttpServerResponse.text(`${text.length}`))))
      )
      const runtime = yield* Layer.toRuntime(
        GuardLive.pipe(Layer.provideMerge(TestExporter.layer()), Layer.provideMerge(GuardConfig.layer({ maxRequestSize: 1_000 })))
      )
      const handler = HttpApp.toWebHandlerRuntime(runtime)(echo, guardMiddleware)
      const post = (declared: number, body: string) =>
        Effect.promise(() =>
          handler(
            new Request("http://guarded.test/echo", {
              method: "POST",
              headers: { "content-type": "application/octet-stream", "content-length": String(declared) },
              body: new TextEncoder().encode(body)
            }),
            Context.make(ClientIp, "198.51.100.1")
          )
        )
      const understated = yield* post(10, "x".repeat(4_000))
      expect([understated.status, yield* Effect.promise(() => understated.text())]).toEqual([413, "Request too large"])
      const honest = yield* post(900, "y".repeat(900))
      expect([honest.status, yield* Effect.promise(() => honest.text())]).toEqual([200, "900"])
    }))

  it.scopedLive("a body under a Content-Length of 0 is still scanned: the handler reads the stream, not the header", () =>
    Effect.gen(function*() {
      const echo = HttpRouter.empty.pipe(
        HttpRouter.post("/echo", Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => Effect.map(r.text, (text) => HttpServerResponse.text(text))))
      )
      const runtime = yield* Layer.toRuntime(GuardLive.pipe(Layer.provideMerge(TestExporter.layer()), Layer.provideMerge(GuardConfig.layer({}))))
      const handler = HttpApp.toWebHandlerRuntime(runtime)(echo, guardMiddleware)
      const post = (body: string) =>
        Effect.promise(() =>
          handler(
            new Request("http://guarded.test/echo", {
              method: "POST",
              headers: { "content-type": "application/json", "content-length": "0" },
              body: new TextEncoder().encode(body)
            }),
            Context.make(ClientIp, "198.51.100.1")
          )
        )
      const attack = yield* post(JSON.stringify({ q: "1' UNION SELECT password FROM users--" }))
      expect(attack.status).toBe(400)
      const benign = yield* post(JSON.stringify({ q: "a cup of tea" }))
      expect([benign.status, yield* Effect.promise(() => benign.text())]).toEqual([200, JSON.stringify({ q: "a cup of tea" })])
    }))

})
