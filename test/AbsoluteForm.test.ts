import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { GuardRoutes, RouteGuard, type RouteSettingsInput } from "effect-guard"
import { nodeGuarded, rawExchange, webGuarded } from "./support/transports.js"

/**
 * On Node a request target may be written in absolute form (`GET http://host/path`, as clients write
 * to a proxy) and reaches the application as written. The router reads it by its path: it drops
 * `http://host` or `https://host` up to the next `/` and matches the rest. The guard reads the same
 * path for every check (route settings, excluded paths, limits, keys, events), so the two forms of
 * one request get one answer. A web handler is handed a parsed URL: no absolute form reaches it.
 */
const secured = (settings: RouteSettingsInput) => HttpServerResponse.text("ok").pipe(RouteGuard.secure(settings))

const router = HttpRouter.empty.pipe(
  HttpRouter.get("/admin", secured({ requireAuth: { type: "bearer", verifier: (t) => Effect.succeed(t === "good") } })),
  HttpRouter.get("/limited", secured({ rateLimit: { requests: 1, window: 300 } })),
  HttpRouter.get("/echo", HttpServerResponse.text("echo")),
  HttpRouter.get("/search", HttpServerResponse.text("results")),
  HttpRouter.get("/static/:file", HttpServerResponse.text("file")),
  HttpRouter.get("/server-status", HttpServerResponse.text("status page")),
  HttpRouter.get("/phpmyadmin/index.php", HttpServerResponse.text("pma")),
  HttpRouter.get("/users/:id", HttpServerResponse.text("user"))
)

const attack = "q=%3Cscript%3Ealert(1)%3C/script%3E"

describe("absolute-form targets on Node", () => {
  const guard = (config = {}) =>
    Effect.gen(function*() {
      const guarded = yield* nodeGuarded({ _tag: "app", app: router }, { guard: GuardRoutes.fromRouter(router), config })
      const port = Number(guarded.address.split(":")[1])
      const status = (target: string, headers = "") =>
        Effect.map(
          rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: shop.example\r\n${headers}Connection: close\r\n\r\n`, { halfClose: false }),
          (reply) => Number(reply.split(" ")[1])
        )
      return { guarded, status }
    })

  it.scopedLive("a route's own requirements and limits hold, one budget for both forms", () =>
    Effect.gen(function*() {
      const { status } = yield* guard({ endpointRateLimits: { "/echo": [1, 60] } })
      expect(yield* status("http://other.example/admin")).toBe(401)
      expect(yield* status("https://other.example/admin", "Authorization: Bearer good\r\n")).toBe(200)
      expect(yield* status("http://other.example/limited")).toBe(200)
      expect(yield* status("/limited")).toBe(429)
      expect(yield* status("/echo")).toBe(200)
      expect(yield* status("http://other.example/echo")).toBe(429)
    }))

  it.scopedLive("an excluded path is excluded in both forms, and nothing else is", () =>
    Effect.gen(function*() {
      const { status } = yield* guard()
      // served under /static (excluded): not scanned; under /search: refused
      expect(yield* status(`/static/site.css?${attack}`)).toBe(200)
      expect(yield* status(`http://other.example/static/site.css?${attack}`)).toBe(200)
      expect(yield* status(`http://other.example/search?${attack}`)).toBe(400)
      // no route serves /docs/x: excluded by its path, the router answers 404 in both forms
      expect(yield* status(`/docs/x?${attack}`)).toBe(404)
      expect(yield* status(`http://other.example/docs/x?${attack}`)).toBe(404)
      // a path under /static written into the authority is no path under /static
      expect(yield* status(`http://static/search?${attack}`)).toBe(400)
    }))

  it.scopedLive("the path and the authority are both scanned", () =>
    Effect.gen(function*() {
      const { status } = yield* guard()
      expect(yield* status("http://other.example/search/%3Cscript%3Ealert(1)%3C%2Fscript%3E")).toBe(400)
      expect(yield* status("http://x'or'1'='1'--/search")).toBe(400)
    }))

  it.scopedLive("a `?` in the authority cuts no path: the path the router serves is the path scanned", () =>
    Effect.gen(function*() {
      const { status } = yield* guard()
      // the router drops `http://host?/` and serves /server-status; the guard reads that path
      for (const origin of ["http://h?", "http://h?x=1", "https://other.example?", "http://h#", "http://h?a&b=c"]) {
        expect(yield* status(`${origin}/server-status`)).toBe(400)
        expect(yield* status(`${origin}/phpmyadmin/index.php`)).toBe(400)
        expect(yield* status(`${origin}/search?${attack}`)).toBe(400)
      }
      // what sits between the authority and the served path is scanned as well
      expect(yield* status("http://h?q=%3Cscript%3Ealert(1)%3C/script%3E/search")).toBe(400)
      expect(yield* status("http://x'or'1'='1'--?/search")).toBe(400)
    }))

  it.scopedLive("benign absolute forms with a `?` in the authority are served", () =>
    Effect.gen(function*() {
      const { status } = yield* guard()
      expect(yield* status("http://h?/search?q=blue+shoes")).toBe(200)
      expect(yield* status("http://h?/users/42")).toBe(200)
      expect(yield* status("http://other.example?lang=en/echo")).toBe(200)
    }))

  it.scopedLive("excluded paths, route settings and limit keys read the served path too", () =>
    Effect.gen(function*() {
      const { guarded, status } = yield* guard({ endpointRateLimits: { "/echo": [1, 60] } })
      expect(yield* status("http://h?/admin")).toBe(401)
      expect(yield* status("http://h?/admin", "Authorization: Bearer good\r\n")).toBe(200)
      expect(yield* status("http://h?/limited")).toBe(200)
      expect(yield* status("/limited")).toBe(429)
      expect(yield* status("http://h?x=1/echo")).toBe(200)
      expect(yield* status("/echo")).toBe(429)
      // served under /static (excluded) in every spelling; a /static written before the `?` is not the path
      expect(yield* status(`http://h?/static/site.css?${attack}`)).toBe(200)
      expect(yield* status(`http://static?/search?${attack}`)).toBe(400)
      const events = (yield* guarded.events).filter((e) => e.eventType === "penetration_attempt")
      expect(events.map((e) => e.endpoint)).toEqual(["/search"])
    }))

  it.scopedLive("events name the path the router served, not the target as written", () =>
    Effect.gen(function*() {
      const { guarded, status } = yield* guard()
      expect(yield* status(`http://other.example/search?${attack}`)).toBe(400)
      const [event] = (yield* guarded.events).filter((e) => e.eventType === "penetration_attempt")
      expect(event?.endpoint).toBe("/search")
    }))

  it.scopedLive("a target the router reads no path from matches no route", () =>
    Effect.gen(function*() {
      const { status } = yield* guard()
      // find-my-way drops only a lower-case http:// or https:// origin
      expect(yield* status("HTTP://other.example/search")).toBe(404)
      expect(yield* status("ftp://other.example/search")).toBe(404)
    }))
})

describe("the same targets under toWebHandler", () => {
  it.scopedLive("a web handler is handed a parsed URL: `?/x` is the query of `/`, never the route /x", () =>
    Effect.gen(function*() {
      const web = yield* webGuarded({ _tag: "app", app: router }, { guard: GuardRoutes.fromRouter(router) })
      const send = (path: string) => web.send({ method: "GET", path, headers: {} })
      expect((yield* send("/phpmyadmin/index.php")).status).toBe(400)
      expect((yield* send("/server-status")).status).toBe(400)
      for (const path of ["?/phpmyadmin/index.php", "?/server-status"]) {
        const reply = yield* send(path)
        expect(reply.body).not.toBe("pma")
        expect(reply.body).not.toBe("status page")
        expect(reply.status).not.toBe(200)
      }
    }))
})
