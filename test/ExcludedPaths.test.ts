import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { GuardRoutes, RouteGuard, type RouteSettingsInput } from "effect-guard"
import { TRANSPORTS } from "./support/transports.js"

/**
 * `excludePaths` lifts the guard's global filtering (detection, the global user-agent list, the
 * global HTTPS redirect) on subtrees such as `/static` and `/docs`. What a route requires of its own
 * requests is not the guard's filtering but the route's contract: an excluded spelling that the
 * router serves from a protected route (`/:tenant/admin` serves `/static/admin`) meets it too.
 * A request a route serves is excluded by the route's pattern (`/static/:file`), one no route
 * serves by its path: a parametric route does not lose the guard's filtering on an excluded spelling.
 */
const secured = (settings: RouteSettingsInput) => HttpServerResponse.text("secret").pipe(RouteGuard.secure(settings))

const router = HttpRouter.empty.pipe(
  HttpRouter.get("/:tenant/admin", secured({ requireAuth: { type: "bearer", verifier: (t) => Effect.succeed(t === "good") } })),
  HttpRouter.get("/:tenant/key", secured({ apiKey: { header: "x-api-key", verifier: (k) => Effect.succeed(k === "good") } })),
  HttpRouter.get("/:tenant/headers", secured({ requireHeaders: { "x-tenant": "required" } })),
  HttpRouter.get("/:tenant/validated", secured({ customValidators: [() => Effect.succeed(Option.some(HttpServerResponse.text("no", { status: 403 })))] })),
  HttpRouter.get("/:tenant/referred", secured({ requireReferrer: ["example.com"] })),
  HttpRouter.get("/:tenant/agents", secured({ blockUserAgents: ["curl"] })),
  HttpRouter.get("/:tenant/tls", secured({ requireHttps: true })),
  HttpRouter.get("/:tenant/night", secured({ timeWindow: { start: "00:00", end: "00:00", timezone: "UTC" } }))
)

describe("excluded paths", () => {
  for (const transport of TRANSPORTS) {
    it.scopedLive(`${transport.name}: a route's own requirements hold on a path under excludePaths`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, { guard: GuardRoutes.fromRouter(router) })
        const status = (path: string, headers: Record<string, string> = {}) =>
          Effect.map(guarded.send({ method: "GET", path, headers: { host: "guarded.test", "user-agent": "curl/8", ...headers } }), (r) => r.status)
        // the default excludePaths hold /static, /docs and /favicon.ico
        for (const tenant of ["acme", "static", "docs", "favicon.ico"]) {
          expect({ tenant, auth: yield* status(`/${tenant}/admin`) }).toEqual({ tenant, auth: 401 })
          expect({ tenant, key: yield* status(`/${tenant}/key`) }).toEqual({ tenant, key: 401 })
          expect({ tenant, headers: yield* status(`/${tenant}/headers`) }).toEqual({ tenant, headers: 400 })
          expect({ tenant, validated: yield* status(`/${tenant}/validated`) }).toEqual({ tenant, validated: 403 })
          expect({ tenant, referred: yield* status(`/${tenant}/referred`) }).toEqual({ tenant, referred: 403 })
          expect({ tenant, agents: yield* status(`/${tenant}/agents`) }).toEqual({ tenant, agents: 403 })
          expect({ tenant, tls: yield* status(`/${tenant}/tls`) }).toEqual({ tenant, tls: 301 })
          expect({ tenant, night: yield* status(`/${tenant}/night`) }).toEqual({ tenant, night: 403 })
        }
        // and the route's requirements met, the excluded path is served
        expect(yield* status("/static/admin", { authorization: "Bearer good" })).toBe(200)
      }))
  }

  const attack = "?q=%3Cscript%3Ealert(1)%3C/script%3E"

  for (const transport of TRANSPORTS) {
    it.scopedLive(`${transport.name}: the global user-agent list, HTTPS redirect and detection stay lifted there`, () =>
      Effect.gen(function*() {
        const open = HttpRouter.empty.pipe(
          HttpRouter.get("/static/:file", HttpServerResponse.text("file")),
          HttpRouter.get("/:dir/page", HttpServerResponse.text("page"))
        )
        const guarded = yield* transport.make({ _tag: "app", app: open }, {
          guard: GuardRoutes.fromRouter(open),
          config: { enforceHttps: true, blockedUserAgents: ["curl"] }
        })
        const status = (path: string) =>
          Effect.map(guarded.send({ method: "GET", path, headers: { host: "guarded.test", "user-agent": "curl/8" } }), (r) => r.status)
        expect(yield* status(`/static/file${attack}`)).toBe(200)
        expect(yield* status("/assets/page")).toBe(301)
      }))
  }

  for (const transport of TRANSPORTS) {
    it.scopedLive(`${transport.name}: a parametric route serving an excluded spelling is judged by its pattern, not lifted`, () =>
      Effect.gen(function*() {
        const open = HttpRouter.empty.pipe(HttpRouter.get("/:tenant/search", HttpServerResponse.text("results")))
        const guarded = yield* transport.make({ _tag: "app", app: open }, { guard: GuardRoutes.fromRouter(open) })
        const status = (path: string) =>
          Effect.map(guarded.send({ method: "GET", path, headers: { host: "guarded.test" } }), (r) => r.status)
        expect(yield* status(`/acme/search${attack}`)).toBe(400)
        expect(yield* status(`/static/search${attack}`)).toBe(400)
        expect(yield* status(`/docs/search${attack}`)).toBe(400)
        expect(yield* status("/static/search?q=shoes")).toBe(200)
      }))
  }

  for (const transport of TRANSPORTS) {
    it.scopedLive(`${transport.name}: a request no route serves is excluded by its path`, () =>
      Effect.gen(function*() {
        const open = HttpRouter.empty.pipe(HttpRouter.get("/:tenant/search", HttpServerResponse.text("results")))
        const guarded = yield* transport.make({ _tag: "app", app: open }, { guard: GuardRoutes.fromRouter(open) })
        const status = (path: string) =>
          Effect.map(guarded.send({ method: "GET", path, headers: { host: "guarded.test" } }), (r) => r.status)
        // the router answers 404: the guard did not scan it
        expect(yield* status(`/static/css/site.css${attack}`)).toBe(404)
        expect(yield* status(`/assets/css/site.css${attack}`)).toBe(400)
      }))
  }

  for (const transport of TRANSPORTS) {
    it.scopedLive(`${transport.name}: a route's own suspiciousDetection holds on an excluded path`, () =>
      Effect.gen(function*() {
        const open = HttpRouter.empty.pipe(
          HttpRouter.get("/static/upload", HttpServerResponse.text("stored").pipe(RouteGuard.secure({ suspiciousDetection: true }))),
          HttpRouter.get("/static/:file", HttpServerResponse.text("file"))
        )
        const guarded = yield* transport.make({ _tag: "app", app: open }, { guard: GuardRoutes.fromRouter(open) })
        const status = (path: string) =>
          Effect.map(guarded.send({ method: "GET", path, headers: { host: "guarded.test" } }), (r) => r.status)
        expect(yield* status(`/static/upload${attack}`)).toBe(400)
        expect(yield* status(`/static/file${attack}`)).toBe(200)
      }))
  }
})
