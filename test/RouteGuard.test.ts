import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Option, Schema, TestClock } from "effect"
import { GuardRoutes, RouteGuard } from "effect-guard"
import { events, get, guardedServer, send, statusAndBody } from "./support/guarded.js"

const ok = HttpServerResponse.text("ok")
const from = (ip: string, headers: Record<string, string> = {}) => ({ "x-forwarded-for": ip, ...headers })
const viaProxy = { trustedProxies: ["127.0.0.1", "::1"] }

const router = HttpRouter.empty.pipe(
  HttpRouter.get("/public", ok),
  HttpRouter.get("/admin", ok.pipe(RouteGuard.secure({
    requireAuth: { type: "bearer", verifier: (token) => Effect.succeed(token === "s3cret") }
  }))),
  HttpRouter.get("/keys", ok.pipe(RouteGuard.secure({ apiKey: { header: "X-API-Key" } }))),
  HttpRouter.post("/upload", ok.pipe(RouteGuard.secure({ allowedContentTypes: ["application/json"], maxRequestSize: 64 }))),
  HttpRouter.get("/partner", ok.pipe(RouteGuard.secure({ requireHeaders: { "x-partner": "required", "x-version": "2" } }))),
  HttpRouter.get("/embed", ok.pipe(RouteGuard.secure({ requireReferrer: ["example.com"] }))),
  HttpRouter.get("/office", ok.pipe(RouteGuard.secure({ timeWindow: { start: "09:00", end: "17:00", timezone: "UTC" } }))),
  HttpRouter.get("/login", ok.pipe(RouteGuard.secure({ rateLimit: { requests: 2, window: 60 } }))),
  HttpRouter.get("/health", ok.pipe(RouteGuard.secure({ bypass: ["rate_limit"] }))),
  HttpRouter.get("/internal", ok.pipe(RouteGuard.secure({ ipWhitelist: ["10.0.0.0/8"] }))),
  HttpRouter.get("/validated", ok.pipe(RouteGuard.secure({
    customValidators: [(request) =>
      Effect.succeed(request.headers["x-ok"] === "1" ? Option.none() : Option.some(HttpServerResponse.text("nope", { status: 422 })))]
  }))),
  HttpRouter.get("/code", ok.pipe(RouteGuard.secure({ suspiciousDetection: false }))),
  HttpRouter.get("/search", ok.pipe(RouteGuard.secure({ suspiciousDetection: true }))),
  HttpRouter.get("/users/:id", ok.pipe(RouteGuard.secure({ blockUserAgents: ["^curl/"] }))),
  HttpRouter.get("/report", ok.pipe(RouteGuard.secure({
    behaviorRules: [{ ruleType: "usage", threshold: 2, window: 60, action: "throttle" }]
  }))),
  HttpRouter.get("/probe/:id", HttpServerResponse.text("no such thing", { status: 404 }).pipe(RouteGuard.secure({
    behaviorRules: [{ ruleType: "return_pattern", pattern: "status:404", threshold: 2, window: 60, action: "ban", banDuration: 600 }]
  })))
)

const api = HttpApi.make("api").add(
  HttpApiGroup.make("users")
    .add(HttpApiEndpoint.get("list", "/users").addSuccess(Schema.String))
    .add(HttpApiEndpoint.post("create", "/users").addSuccess(Schema.String).annotate(RouteGuard, { rateLimit: { requests: 1, window: 60 } }))
)

const guarded = (config: Parameters<typeof guardedServer>[1] = {}) =>
  guardedServer(router, config, GuardRoutes.fromRouter(router))

describe("RouteGuard", () => {
  it.scoped("bearer auth: missing or wrong credentials get 401 with a challenge; a verified token passes", () =>
    Effect.gen(function*() {
      const missing = yield* get("/admin")
      expect(missing.status).toBe(401)
      expect(missing.headers["www-authenticate"]).toBe("Bearer")
      expect((yield* get("/admin", { authorization: "Bearer wrong" })).status).toBe(401)
      expect((yield* get("/admin", { authorization: "Bearer s3cret" })).status).toBe(200)
      const failures = (yield* events).filter((e) => e.eventType === "authentication_failed")
      expect(failures).toHaveLength(2)
      expect(failures[0]!.metadata["auth_type"]).toBe("bearer")
    }).pipe(Effect.provide(guarded())))

  it.scoped("an API key route without any verifier fails closed", () =>
    Effect.gen(function*() {
      expect((yield* get("/keys", { "x-api-key": "anything" })).status).toBe(401)
    }).pipe(Effect.provide(guarded())))

  it.scoped("the guard's authVerifier serves routes without their own", () =>
    Effect.gen(function*() {
      expect((yield* get("/keys", { "x-api-key": "good-key" })).status).toBe(200)
      expect((yield* get("/keys", { "x-api-key": "bad-key" })).status).toBe(401)
    }).pipe(Effect.provide(guarded({ authVerifier: (credential) => Effect.succeed(credential === "good-key") }))))

  it.scoped("content type and size are enforced per route (415, 413)", () =>
    Effect.gen(function*() {
      expect((yield* send("POST", "/upload", { headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(200)
      expect((yield* send("POST", "/upload", { headers: { "content-type": "text/plain" }, body: "hi" })).status).toBe(415)
      expect((yield* send("POST", "/upload", { headers: { "content-type": "application/json" }, body: JSON.stringify({ x: "y".repeat(100) }) })).status).toBe(413)
    }).pipe(Effect.provide(guarded())))

  it.scoped("required headers: missing or mismatched gets 400 without echoing the value", () =>
    Effect.gen(function*() {
      expect(yield* statusAndBody(yield* get("/partner", { "x-version": "2" }))).toEqual({ status: 400, body: "Missing required header: x-partner" })
      expect(yield* statusAndBody(yield* get("/partner", { "x-partner": "acme", "x-version": "3" }))).toEqual({
        status: 400,
        body: "Header 'x-version' does not match the required value"
      })
      expect((yield* get("/partner", { "x-partner": "acme", "x-version": "2" })).status).toBe(200)
    }).pipe(Effect.provide(guarded())))

  it.scoped("referrer: required, and a subdomain of an allowed host passes", () =>
    Effect.gen(function*() {
      expect(yield* statusAndBody(yield* get("/embed"))).toEqual({ status: 403, body: "Referrer required" })
      expect((yield* get("/embed", { referer: "https://evil.test/x" })).status).toBe(403)
      expect((yield* get("/embed", { referer: "https://cdn.example.com/page" })).status).toBe(200)
    }).pipe(Effect.provide(guarded())))

  it.scoped("time window: refused outside the hours, served inside (TestClock)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2026, 0, 5, 8, 30))
      expect(yield* statusAndBody(yield* get("/office"))).toEqual({ status: 403, body: "Access not allowed at this time" })
      yield* TestClock.setTime(Date.UTC(2026, 0, 5, 12, 0))
      expect((yield* get("/office")).status).toBe(200)
    }).pipe(Effect.provide(guarded())))

  it.scoped("a route rate limit applies to that route only", () =>
    Effect.gen(function*() {
      expect((yield* get("/login")).status).toBe(200)
      expect((yield* get("/login")).status).toBe(200)
      expect((yield* get("/login")).status).toBe(429)
      expect((yield* get("/public")).status).toBe(200)
    }).pipe(Effect.provide(guarded())))

  it.scoped("bypass relaxes a global check on its route", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 3; i++) expect((yield* get("/health")).status).toBe(200)
      yield* get("/public")
      expect((yield* get("/public")).status).toBe(429)
    }).pipe(Effect.provide(guarded({ enableRateLimiting: true, rateLimit: 1 }))))

  it.scoped("a route IP whitelist admits only its clients", () =>
    Effect.gen(function*() {
      expect((yield* get("/internal", from("10.2.3.4"))).status).toBe(200)
      expect((yield* get("/internal", from("198.51.100.1"))).status).toBe(403)
      expect((yield* events).find((e) => e.eventType === "access_denied")?.metadata["violation_type"]).toBe("ip_restriction")
    }).pipe(Effect.provide(guarded(viaProxy))))

  it.scoped("a custom validator's response refuses the request", () =>
    Effect.gen(function*() {
      expect(yield* statusAndBody(yield* get("/validated"))).toEqual({ status: 422, body: "nope" })
      expect((yield* get("/validated", { "x-ok": "1" })).status).toBe(200)
    }).pipe(Effect.provide(guarded())))

  it.scoped("detection can be turned off per route", () =>
    Effect.gen(function*() {
      expect((yield* get("/code?snippet=%3Cscript%3Ealert(1)%3C/script%3E")).status).toBe(200)
      expect((yield* get("/public?snippet=%3Cscript%3Ealert(1)%3C/script%3E")).status).toBe(400)
    }).pipe(Effect.provide(guarded())))

  it.scoped("detection can be turned on per route where the global setting is off", () =>
    Effect.gen(function*() {
      expect((yield* get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E")).status).toBe(400)
      expect((yield* get("/public?q=%3Cscript%3Ealert(1)%3C/script%3E")).status).toBe(200)
    }).pipe(Effect.provide(guarded({ enablePenetrationDetection: false }))))

  it.scoped("route patterns with parameters match, and route user-agent rules apply", () =>
    Effect.gen(function*() {
      expect((yield* get("/users/42", { "user-agent": "curl/8.5" })).status).toBe(403)
      expect((yield* get("/users/42", { "user-agent": "Mozilla/5.0" })).status).toBe(200)
    }).pipe(Effect.provide(guarded())))

  it.scoped("a usage rule throttles a client past its threshold and reports a behavior_violation", () =>
    Effect.gen(function*() {
      expect((yield* get("/report")).status).toBe(200)
      expect((yield* get("/report")).status).toBe(200)
      const throttled = yield* get("/report")
      expect(throttled.status).toBe(429)
      // a refusal before the handler is still a response of the guard's: security headers included
      expect(throttled.headers["x-content-type-options"]).toBe("nosniff")
      const [violation] = (yield* events).filter((e) => e.eventType === "behavior_violation")
      expect(violation).toMatchObject({ actionTaken: "throttle", ruleType: "usage" })
    }).pipe(Effect.provide(guarded())))

  it.scoped("a return-pattern rule bans a client whose responses keep matching", () =>
    Effect.gen(function*() {
      const prober = from("198.51.100.77")
      for (let i = 0; i < 3; i++) expect((yield* get(`/probe/${i}`, prober)).status).toBe(404)
      expect(yield* statusAndBody(yield* get("/public", prober))).toEqual({ status: 403, body: "IP address banned" })
      expect((yield* get("/public", from("198.51.100.78"))).status).toBe(200)
      expect((yield* events).map((e) => e.eventType)).toEqual(expect.arrayContaining(["behavior_violation", "ip_banned"]))
    }).pipe(Effect.provide(guarded(viaProxy))))

  it.scoped("in strict mode an undeclared route is refused with 404 and route_unresolved", () =>
    Effect.gen(function*() {
      expect((yield* get("/wp-admin.php")).status).toBe(404)
      expect((yield* events).map((e) => e.eventType)).toContain("route_unresolved")
    }).pipe(Effect.provide(guarded({ routeResolutionStrict: true }))))

  it.effect("bad route settings fail with a ConfigError naming the route and field", () =>
    Effect.gen(function*() {
      const broken = HttpRouter.empty.pipe(
        HttpRouter.get("/a", ok.pipe(RouteGuard.secure({ ipWhitelist: ["10.0.0.300"], timeWindow: { start: "9am", end: "17:00" } })))
      )
      const result = yield* Layer.build(GuardRoutes.fromRouter(broken)).pipe(Effect.scoped, Effect.either)
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) {
        expect(result.left.message).toContain("routes[GET /a].ipWhitelist.0")
        expect(result.left.message).toContain("routes[GET /a].timeWindow.start")
      }
    }))

  it.effect("a size limit on a route that bypasses the size check is refused as contradictory", () =>
    Effect.gen(function*() {
      const contradictory = HttpRouter.empty.pipe(
        HttpRouter.post("/upload", ok.pipe(RouteGuard.secure({ bypass: ["request_size_content"], maxRequestSize: 1_000 })))
      )
      const error = yield* Layer.build(GuardRoutes.fromRouter(contradictory)).pipe(Effect.scoped, Effect.flip)
      expect(error.message).toContain("routes[POST /upload].maxRequestSize")
      expect(error.message).toContain("bypasses request_size_content")
    }))

  it.effect("HttpApi endpoints carry settings as annotations", () =>
    Effect.gen(function*() {
      const routes = yield* GuardRoutes
      expect(Option.map(routes.resolve("POST", "/users"), (r) => r.settings.rateLimit)).toEqual(Option.some({ requests: 1, window: 60 }))
      expect(Option.map(routes.resolve("GET", "/users"), (r) => r.settings)).toEqual(Option.some({}))
      expect(Option.isNone(routes.resolve("DELETE", "/users"))).toBe(true)
    }).pipe(Effect.provide(GuardRoutes.fromApi(api))))
})
