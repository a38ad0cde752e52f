import { HttpApp, HttpClient, HttpClientRequest, HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import { ClientIp, decodeGuardConfig, GuardConfig, GuardLive, guardMiddleware, GuardRoutes, IpBans, RouteGuard, TestExporter } from "effect-guard"
import { get, guardedServer } from "./support/guarded.js"
import { TRANSPORTS } from "./support/transports.js"

const app = HttpRouter.empty.pipe(HttpRouter.get("/data", HttpServerResponse.text("data")))
const varying = app.pipe(HttpRouter.get("/compressed", HttpServerResponse.text("gz", { headers: { vary: "Accept-Encoding" } })))
const routed = app.pipe(HttpRouter.get("/private", HttpServerResponse.text("private").pipe(RouteGuard.secure({
  requireAuth: { type: "bearer", verifier: (token) => Effect.succeed(token === "s3cret") }
}))))
const APP = "https://app.example.com"

const preflight = (path: string, headers: Record<string, string>) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => client.execute(HttpClientRequest.options(path).pipe(HttpClientRequest.setHeaders(headers))))

const cors = (response: { readonly headers: Readonly<Record<string, string>> }) =>
  Object.fromEntries(Object.entries(response.headers).filter(([name]) => name.startsWith("access-control-") || name === "vary"))

describe("CORS", () => {
  it.scoped("is off by default: a request with an Origin gets no CORS headers", () =>
    Effect.gen(function*() {
      expect(cors(yield* get("/data", { origin: APP }))).toEqual({})
    }).pipe(Effect.provide(guardedServer(app, {}))))

  it.scoped("a listed origin is echoed; other origins and requests without one get only Vary: Origin", () =>
    Effect.gen(function*() {
      expect(cors(yield* get("/data", { origin: APP }))).toEqual({
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "X-Request-Id",
        vary: "Origin"
      })
      // the answer depends on the origin, so every response says so, for caches
      expect(cors(yield* get("/data", { origin: "https://evil.example" }))).toEqual({ vary: "Origin" })
      expect(cors(yield* get("/data"))).toEqual({ vary: "Origin" })
    }).pipe(Effect.provide(guardedServer(app, {
      enableCors: true,
      corsAllowOrigins: [APP],
      corsAllowCredentials: true,
      corsExposeHeaders: ["X-Request-Id"]
    }))))

  it.scoped("with the default \"*\" any origin is allowed, without Vary", () =>
    Effect.gen(function*() {
      expect(cors(yield* get("/data", { origin: "https://anywhere.example" }))).toEqual({ "access-control-allow-origin": "*" })
    }).pipe(Effect.provide(guardedServer(app, { enableCors: true }))))

  it.scoped("a preflight is answered 204 by the guard with the methods, the headers asked for and corsMaxAge", () =>
    Effect.gen(function*() {
      // the router has no OPTIONS route: the application never sees the preflight
      const answer = yield* preflight("/data", { origin: APP, "access-control-request-method": "PUT", "access-control-request-headers": "x-token" })
      expect(answer.status).toBe(204)
      expect(cors(answer)).toEqual({
        "access-control-allow-origin": APP,
        "access-control-allow-methods": "GET, PUT",
        "access-control-allow-headers": "x-token",
        "access-control-max-age": "120",
        vary: "Origin, Access-Control-Request-Headers"
      })
      // from an origin that is not listed: answered, but with nothing a browser would accept
      const foreign = yield* preflight("/data", { origin: "https://evil.example", "access-control-request-method": "PUT" })
      expect([foreign.status, cors(foreign)]).toEqual([204, { vary: "Origin" }])
      // an OPTIONS request that is not a preflight goes to the application (no such route: 404)
      expect((yield* preflight("/data", {})).status).toBe(404)
    }).pipe(Effect.provide(guardedServer(app, { enableCors: true, corsAllowOrigins: [APP], corsAllowMethods: ["get", "put"], corsMaxAge: 120 }))))

  it.scoped("a preflight is answered before the checks that would refuse it for want of credentials; a refusal of the request itself carries the CORS headers", () =>
    Effect.gen(function*() {
      const answer = yield* preflight("/private", { origin: APP, "access-control-request-method": "GET", "access-control-request-headers": "authorization" })
      expect([answer.status, answer.headers["access-control-allow-origin"], answer.headers["access-control-allow-headers"]])
        .toEqual([204, APP, "authorization"])
      // the request itself: refused without a token, and the page can read why
      const refused = yield* get("/private", { origin: APP })
      expect([refused.status, refused.headers["access-control-allow-origin"]]).toEqual([401, APP])
      expect((yield* get("/private", { origin: APP, authorization: "Bearer s3cret" })).status).toBe(200)
      // rate limited (the preflight counted too): the page can read the 429 (its Retry-After too, if
      // listed in corsExposeHeaders)
      const limited = yield* get("/data", { origin: APP })
      expect([limited.status, limited.headers["access-control-allow-origin"]]).toEqual([429, APP])
    }).pipe(Effect.provide(guardedServer(routed, { enableCors: true, corsAllowOrigins: [APP], enableRateLimiting: true, rateLimit: 2 }, GuardRoutes.fromRouter(routed)))))

  for (const transport of TRANSPORTS) {
    it.scopedLive(`${transport.name}: a preflight from a blacklisted, banned or rate-limited client is refused, not answered 204`, () =>
      Effect.gen(function*() {
        const asks = { origin: APP, "access-control-request-method": "PUT" }
        const guarded = yield* transport.make({ _tag: "app", app }, {
          config: { enableCors: true, corsAllowOrigins: [APP], blacklist: ["203.0.113.0/24"], enableRateLimiting: true, rateLimit: 2 }
        })
        expect((yield* guarded.send({ method: "OPTIONS", path: "/data", headers: asks, from: "198.51.100.1" })).status).toBe(204)
        const blacklisted = yield* guarded.send({ method: "OPTIONS", path: "/data", headers: asks, from: "203.0.113.9" })
        expect([blacklisted.status, blacklisted.headers["access-control-allow-methods"]]).toEqual([403, undefined])
        yield* guarded.send({ method: "OPTIONS", path: "/data", headers: asks, from: "198.51.100.1" })
        expect((yield* guarded.send({ method: "OPTIONS", path: "/data", headers: asks, from: "198.51.100.1" })).status).toBe(429)
        expect((yield* guarded.events).map((e) => e.eventType)).toEqual(expect.arrayContaining(["ip_blocked", "rate_limited"]))
      }))

    it.scopedLive(`${transport.name}: a preflight from a banned client is refused`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app }, { config: { enableCors: true } })
        const ban = yield* IpBans.pipe(Effect.flatMap((bans) => bans.ban("198.51.100.66", "1 hour", "test")), Effect.provide(guarded.context))
        expect(ban._tag).toBe("Banned")
        const asked = yield* guarded.send({ method: "OPTIONS", path: "/data", headers: { origin: APP, "access-control-request-method": "GET" }, from: "198.51.100.66" })
        expect(asked.status).toBe(403)
      }))
  }

  it.scoped("Origin is added to the application's own Vary instead of being replaced by it", () =>
    Effect.gen(function*() {
      expect((yield* get("/compressed", { origin: APP })).headers["vary"]).toBe("Accept-Encoding, Origin")
      expect((yield* get("/compressed")).headers["vary"]).toBe("Accept-Encoding, Origin")
      expect((yield* get("/data", { origin: APP })).headers["vary"]).toBe("Origin")
    }).pipe(Effect.provide(guardedServer(varying, { enableCors: true, corsAllowOrigins: [APP] }))))

  it.live("under HttpApp.toWebHandler the same headers reach the response", () =>
    Effect.gen(function*() {
      const layer = GuardLive.pipe(
        Layer.provideMerge(TestExporter.layer()),
        Layer.provideMerge(GuardConfig.layer({ enableCors: true, corsAllowOrigins: [APP], enableRateLimiting: false }))
      )
      const { dispose, handler } = HttpApp.toWebHandlerLayer(varying, layer, { middleware: guardMiddleware })
      const call = (init: RequestInit) => Effect.promise(() => handler(new Request("http://guarded.test/data", init), Context.make(ClientIp, "198.51.100.1")))
      const simple = yield* call({ headers: { origin: APP } })
      expect([simple.headers.get("access-control-allow-origin"), simple.headers.get("vary"), yield* Effect.promise(() => simple.text())])
        .toEqual([APP, "Origin", "data"])
      const compressed = yield* Effect.promise(() => handler(new Request("http://guarded.test/compressed"), Context.make(ClientIp, "198.51.100.1")))
      expect(compressed.headers.get("vary")).toBe("Accept-Encoding, Origin")
      const answer = yield* call({ method: "OPTIONS", headers: { origin: APP, "access-control-request-method": "POST" } })
      expect([answer.status, answer.headers.get("access-control-allow-methods"), answer.headers.get("x-content-type-options")])
        .toEqual([204, "GET, POST, PUT, PATCH, DELETE, OPTIONS", "nosniff"])
      yield* Effect.promise(dispose)
    }))

  describe("configuration", () => {
    it.effect("origins are checked and canonicalised; credentials cannot go with \"*\"", () =>
      Effect.gen(function*() {
        const config = yield* decodeGuardConfig({ enableCors: true, corsAllowOrigins: ["HTTPS://App.Example.com:443"] })
        expect(config.corsAllowOrigins).toEqual([APP])
        const notAnOrigin = yield* Effect.flip(decodeGuardConfig({ corsAllowOrigins: ["app.example.com", "https://a.example/path"] }))
        expect(notAnOrigin.issues.map((i) => i.path)).toEqual(["corsAllowOrigins[0]", "corsAllowOrigins[1]"])
        expect(notAnOrigin.message).toContain("expected \"*\" or scheme://host[:port]")
        const subdomains = yield* Effect.flip(decodeGuardConfig({ corsAllowOrigins: ["https://*.example.com"] }))
        expect(subdomains.message).toContain("origins cannot hold wildcards")
        const wildcard = yield* Effect.flip(decodeGuardConfig({ enableCors: true, corsAllowCredentials: true }))
        expect(wildcard.message).toContain("corsAllowCredentials cannot go with corsAllowOrigins \"*\"")
      }))

    it.effect("reads from GUARD_* variables like every other field", () =>
      Effect.gen(function*() {
        const config = yield* GuardConfig.pipe(
          Effect.provide(GuardConfig.layerConfig()),
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([
            ["GUARD_ENABLE_CORS", "true"],
            ["GUARD_CORS_ALLOW_ORIGINS", "https://a.example, https://b.example"],
            ["GUARD_CORS_MAX_AGE", "60"]
          ])))
        )
        expect([config.enableCors, config.corsAllowOrigins, config.corsMaxAge]).toEqual([true, ["https://a.example", "https://b.example"], 60])
      }))
  })
})
