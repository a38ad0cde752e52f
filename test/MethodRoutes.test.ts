import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { GuardRoutes, RouteGuard, type RouteSettingsInput } from "effect-guard"
import { type Transport, TRANSPORTS } from "./support/transports.js"

/**
 * A route's settings hold for every method the router serves it with: `HEAD` (which falls back to
 * the `GET` route), the methods of an `all` route, in an `HttpApi` and in a mounted router alike.
 * A method no route serves reaches no handler. Node's parser takes only the methods it knows; a web
 * handler takes any token.
 */
const settings: RouteSettingsInput = {
  requireAuth: { type: "bearer", verifier: (t) => Effect.succeed(t === "good") },
  rateLimit: { requests: 2, window: 300 }
}
const secured = HttpServerResponse.text("secret").pipe(RouteGuard.secure(settings))
const admin = HttpRouter.empty.pipe(HttpRouter.get("/users", secured))
const router = HttpRouter.empty.pipe(
  HttpRouter.mount("/admin", admin),
  HttpRouter.all("/any", HttpServerResponse.text("any").pipe(RouteGuard.secure(settings)))
)

const Api = HttpApi.make("shop").add(
  HttpApiGroup.make("admin").add(HttpApiEndpoint.get("users", "/admin/users").addSuccess(Schema.String).annotate(RouteGuard, settings))
)
const ApiLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide(HttpApiBuilder.group(Api, "admin", (handlers) => handlers.handle("users", () => Effect.succeed("secret"))))
)

const statusOf = (guarded: Transport) => (method: string, path: string, headers: Record<string, string> = {}) =>
  Effect.map(guarded.send({ method, path, headers: { host: "guarded.test", ...headers } }), (r) => r.status)

const good = { authorization: "Bearer good" }

describe("methods on per-route settings", () => {
  for (const transport of TRANSPORTS) {
    for (const [name, served] of [["a mounted router", "router"], ["an HttpApi", "api"]] as const) {
      it.scopedLive(`${transport.name}: HEAD meets the GET route's settings and spends its budget, in ${name}`, () =>
        Effect.gen(function*() {
          const guarded = served === "router"
            ? yield* transport.make({ _tag: "app", app: router }, { guard: GuardRoutes.fromRouter(router) })
            : yield* transport.make({ _tag: "api", api: ApiLive })
          const status = statusOf(guarded)
          expect(yield* status("HEAD", "/admin/users")).toBe(401)
          expect(yield* status("HEAD", "/admin/users/", good)).toBe(200)
          expect(yield* status("GET", "/admin/users", good)).toBe(200)
          expect(yield* status("HEAD", "/admin/USERS", good)).toBe(429)
          // methods no route serves reach no handler
          for (const method of ["OPTIONS", "POST", "PROPFIND", "DELETE"]) {
            expect({ method, status: yield* status(method, "/admin/users", good) }).toEqual({ method, status: 404 })
          }
        }))
    }

    it.scopedLive(`${transport.name}: an all route's settings hold for every method it serves`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, { guard: GuardRoutes.fromRouter(router) })
        const status = statusOf(guarded)
        for (const method of ["GET", "HEAD", "OPTIONS", "DELETE", "PROPFIND", "MKCOL", "PURGE"]) {
          expect({ method, status: yield* status(method, "/any") }).toEqual({ method, status: 401 })
        }
        if (transport.name === "web") {
          // a token no router knows: no route, no handler
          expect(yield* status("SCAN", "/any", good)).toBe(404)
          // fetch spells `patch` PATCH, and the route's settings hold for it
          expect(yield* status("patch", "/any")).toBe(401)
        }
      }))
  }
})
