import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { afterEach, beforeEach, describe, expect, it, vi } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Fiber, Layer, TestClock } from "effect"
import { EventBus, GuardConfig, GuardTesting, IpBans } from "effect-guard"

const app = HttpRouter.empty.pipe(
  HttpRouter.get("/", HttpServerResponse.text("hello")),
  HttpRouter.get("/boom", Effect.die("the handler broke")),
  HttpRouter.post("/echo", Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => Effect.map(r.text, (text) => HttpServerResponse.text(text)))),
  HttpRouter.get("/slow", Effect.as(Effect.sleep("10 seconds"), HttpServerResponse.text("late"))),
  HttpRouter.get("/host", Effect.map(HttpServerRequest.HttpServerRequest, (r) => HttpServerResponse.text(r.headers["host"] ?? "")))
)

describe("GuardTesting.layer", () => {
  // every fetch the process makes, while a test runs
  const fetched: Array<string> = []
  beforeEach(() => {
    fetched.length = 0
    vi.spyOn(globalThis, "fetch").mockImplementation((input) => {
      fetched.push(String(input instanceof Request ? input.url : input))
      return Promise.reject(new Error("no network in this test"))
    })
  })
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it.effect("builds a production configuration that reaches out everywhere without leaving the process", () =>
    Effect.gen(function*() {
      const response = yield* GuardTesting.request(app, { ip: "198.51.100.7" })
      expect(response.status).toBe(200)
      // the poller's first poll ran at once: let it finish, and the agent's delivery round too
      yield* TestClock.adjust("1 hour")
      yield* GuardTesting.events
      expect(fetched).toEqual([])
    }).pipe(Effect.provide(GuardTesting.layer({
      enableAgent: true,
      agentApiKey: "test-api-key-0001",
      agentEndpoint: "http://127.0.0.1:9",
      enableDynamicRules: true,
      enableEnrichment: true,
      enableOtel: true,
      otelExporterEndpoint: "http://127.0.0.1:9",
      enableRedis: true,
      redisUrl: "redis://127.0.0.1:9",
      blockCloudProviders: ["AWS"]
    }))))

  it.effect("keeps bans in memory when the production configuration names Redis", () =>
    Effect.gen(function*() {
      yield* Effect.flatMap(IpBans, (bans) => bans.ban("203.0.113.7", 300, "manual"))
      expect((yield* GuardTesting.request(app, { ip: "203.0.113.7" })).status).toBe(403)
    }).pipe(Effect.provide(GuardTesting.layer({ enableRedis: true, redisUrl: "redis://127.0.0.1:9" }))))

  it.effect("refuses a configuration GuardConfig refuses, with the same ConfigError", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Layer.build(GuardTesting.layer({ rateLimt: 5 } as never)))
      expect(Exit.isFailure(exit)).toBe(true)
      const expected = yield* Effect.exit(Layer.build(GuardConfig.layer({ rateLimt: 5 } as never)))
      expect(exit).toEqual(expected)
    }).pipe(Effect.scoped))

  it.effect("layerConfig reads GUARD_* variables through the ConfigProvider", () =>
    Effect.gen(function*() {
      const get = GuardTesting.request(app, { ip: "198.51.100.7" })
      yield* get
      expect((yield* get).status).toBe(429)
    }).pipe(Effect.provide(GuardTesting.layerConfig().pipe(
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["GUARD_RATE_LIMIT", "1"]]))))
    ))))
})

describe("GuardTesting.request", () => {
  it.effect("returns only the events of its own request, not those emitted before it", () =>
    Effect.gen(function*() {
      yield* Effect.flatMap(EventBus, (bus) => bus.emit("ip_banned", { actionTaken: "banned", reason: "manual", ipAddress: "198.51.100.9" }))
      const blocked = yield* GuardTesting.request(app, { ip: "203.0.113.7" })
      expect(blocked.events.map((event) => event.eventType)).toEqual(["ip_blocked"])
      expect((yield* GuardTesting.events).map((event) => event.eventType)).toEqual(["ip_banned", "ip_blocked"])
    }).pipe(Effect.provide(GuardTesting.layer({ blacklist: ["203.0.113.0/24"] }))))

  it.effect("keys an IPv6 client by its /64, and reads an IPv4-mapped address as IPv4", () =>
    Effect.gen(function*() {
      expect((yield* GuardTesting.request(app, { ip: "2001:db8::1" })).status).toBe(200)
      expect((yield* GuardTesting.request(app, { ip: "2001:db8::ffff:2" })).status).toBe(429)
      expect((yield* GuardTesting.request(app, { ip: "2001:db8:0:1::1" })).status).toBe(200)
      expect((yield* GuardTesting.request(app, { ip: "::ffff:203.0.113.7" })).status).toBe(403)
    }).pipe(Effect.provide(GuardTesting.layer({ rateLimit: 1, blacklist: ["203.0.113.7"] }))))

  it.effect("believes X-Forwarded-For from a trusted proxy only, and reports it from anyone else", () =>
    Effect.gen(function*() {
      const viaProxy = yield* GuardTesting.request(app, { ip: "10.0.0.2", headers: { "x-forwarded-for": "203.0.113.7" } })
      expect(viaProxy.status).toBe(403)
      const spoofed = yield* GuardTesting.request(app, { ip: "198.51.100.7", headers: { "x-forwarded-for": "10.0.0.2" } })
      expect(spoofed.status).toBe(200)
      expect(spoofed.events.map((event) => [event.eventType, event.actionTaken])).toEqual([["suspicious_request", "spoofing_detected"]])
    }).pipe(Effect.provide(GuardTesting.layer({ trustedProxies: ["10.0.0.0/8"], blacklist: ["203.0.113.7"] }))))

  it.effect("sends the method, headers and body as given, and a Host header like a client", () =>
    Effect.gen(function*() {
      const echoed = yield* GuardTesting.request(app, { method: "POST", path: "/echo", headers: { "content-type": "text/plain" }, body: "Zoë" })
      expect([echoed.status, echoed.body]).toEqual([200, "Zoë"])
      expect((yield* GuardTesting.request(app, { path: "/host" })).body).toBe("localhost")
      expect((yield* GuardTesting.request(app, { path: "https://shop.example:8443/host" })).body).toBe("shop.example:8443")
      const head = yield* GuardTesting.request(app, { method: "HEAD" })
      expect([head.status, head.body]).toEqual([200, ""])
    }).pipe(Effect.provide(GuardTesting.layer({}))))

  it.effect("scans the body whatever its declared type, and refuses an attack in it", () =>
    Effect.gen(function*() {
      const attack = JSON.stringify({ comment: "<script>alert(document.cookie)</script>" })
      for (const type of ["application/json", "text/plain", "application/octet-stream"]) {
        const response = yield* GuardTesting.request(app, { method: "POST", path: "/echo", headers: { "content-type": type }, body: attack })
        expect(response.status, type).toBe(400)
        expect(response.events.map((event) => event.eventType), type).toEqual(["penetration_attempt"])
      }
    }).pipe(Effect.provide(GuardTesting.layer({}))))

  it.effect("answers https only with enforceHttps, as the URL's scheme says", () =>
    Effect.gen(function*() {
      const plain = yield* GuardTesting.request(app, { path: "http://shop.example/" })
      expect([plain.status, plain.headers["location"]]).toEqual([301, "https://shop.example/"])
      expect((yield* GuardTesting.request(app, { path: "https://shop.example/" })).status).toBe(200)
    }).pipe(Effect.provide(GuardTesting.layer({ enforceHttps: true }))))

  it.effect("answers a failing handler with 500, its metrics recorded", () =>
    Effect.gen(function*() {
      const failed = yield* GuardTesting.request(app, { path: "/boom" })
      expect(failed.status).toBe(500)
      expect(failed.metrics.filter((metric) => metric.metricType === "response_time").map((metric) => metric.tags["status"])).toEqual(["500"])
    }).pipe(Effect.provide(GuardTesting.layer({}))))

  it.effect("waits on the TestClock like any fiber when the handler sleeps", () =>
    Effect.gen(function*() {
      const slow = yield* Effect.fork(GuardTesting.request(app, { path: "/slow" }))
      yield* TestClock.adjust("10 seconds")
      const response = yield* Fiber.join(slow)
      expect([response.status, response.body]).toEqual([200, "late"])
    }).pipe(Effect.provide(GuardTesting.layer({}))))

  it.effect("dies, naming the mistake, for a request fetch cannot send (a GET with a body)", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(GuardTesting.request(app, { method: "GET", body: "x" }))
      expect(Exit.isFailure(exit) && String(exit.cause)).toMatch(/GET\/HEAD method cannot have body/)
    }).pipe(Effect.provide(GuardTesting.layer({}))))
})
