import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, HttpMiddleware, HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Schema } from "effect"
import { GuardRoutes, RouteGuard, RouteNotGuarded } from "effect-guard"
import { TRANSPORTS } from "./support/transports.js"

const Api = HttpApi.make("wired").add(
  HttpApiGroup.make("admin").add(
    HttpApiEndpoint.get("item")`/admin/${HttpApiSchema.param("id", Schema.String)}`.addSuccess(Schema.String)
      .annotate(RouteGuard, { requireAuth: { type: "bearer", verifier: (token) => Effect.succeed(token === "ok") } })
  )
)
const ApiLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide(HttpApiBuilder.group(Api, "admin", (h) => h.handle("item", ({ path }) => Effect.succeed(path.id))))
) as Layer.Layer<HttpApi.Api>

const admin = HttpServerResponse.text("admin area").pipe(RouteGuard.secure({ requireAuth: { type: "bearer" } }))
const router = HttpRouter.empty.pipe(
  HttpRouter.get("/", HttpServerResponse.text("home")),
  HttpRouter.get("/admin", admin)
)

describe("route settings do not depend on where the routes are provided", () => {
  for (const transport of TRANSPORTS) {
    it.scopedLive(`${transport.name}: routes provided to the server instead of GuardLive are found and applied`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, { server: GuardRoutes.fromRouter(router) })
        expect((yield* guarded.send({ method: "GET", path: "/admin" })).status).toBe(401)
        expect((yield* guarded.send({ method: "HEAD", path: "/admin" })).status).toBe(401)
        expect((yield* guarded.send({ method: "GET", path: "/" })).status).toBe(200)
      }))

    it.scopedLive(`${transport.name}: a protected handler whose routes the guard never got refuses to run: 500 and route_unresolved`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router })
        expect(yield* guarded.send({ method: "GET", path: "/admin" })).toMatchObject({ status: 500, body: "Security check failed" })
        expect((yield* guarded.send({ method: "GET", path: "/" })).status).toBe(200)
        const [event] = (yield* guarded.events).filter((e) => e.eventType === "route_unresolved")
        expect(event).toMatchObject({ actionTaken: "request_blocked", metadata: { refusal: "handler_unguarded" } })
        expect(event!.reason).toContain("resolved no route")
      }))

    it.scopedLive(`${transport.name}: in passive mode the mismatch is reported and the handler runs`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, { config: { passiveMode: true } })
        expect((yield* guarded.send({ method: "GET", path: "/admin" })).status).toBe(200)
        expect((yield* guarded.events).find((e) => e.eventType === "route_unresolved")?.actionTaken).toBe("logged_only")
      }))

    it.scopedLive(`${transport.name}: settings hidden by HttpRouter.use fail closed instead of serving unprotected`, () =>
      Effect.gen(function*() {
        const wrapped = router.pipe(HttpRouter.use(HttpMiddleware.withLoggerDisabled))
        const guarded = yield* transport.make({ _tag: "app", app: wrapped }, { guard: GuardRoutes.fromRouter(wrapped) })
        expect((yield* guarded.send({ method: "GET", path: "/admin" })).status).toBe(500)
        expect((yield* guarded.events).find((e) => e.eventType === "route_unresolved")?.reason).toContain("applied the settings of GET /admin")
      }))

    it.scopedLive(`${transport.name}: the same settings given as a table are honoured by the handler's own check`, () =>
      Effect.gen(function*() {
        const wrapped = router.pipe(HttpRouter.use(HttpMiddleware.withLoggerDisabled))
        const table = GuardRoutes.layer([{ method: "GET", path: "/admin", settings: { requireAuth: { type: "bearer" } } }])
        const guarded = yield* transport.make({ _tag: "app", app: wrapped }, { guard: table, config: { authVerifier: () => Effect.succeed(true) } })
        expect((yield* guarded.send({ method: "GET", path: "/admin" })).status).toBe(401)
        expect((yield* guarded.send({ method: "GET", path: "/admin", headers: { authorization: "Bearer t" } })).status).toBe(200)
      }))
  }

  for (const transport of TRANSPORTS) {
    it.scopedLive(`${transport.name}: an HttpApi served without GuardRoutes.fromApi still gets its endpoints' settings, HEAD included`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "api", api: ApiLive })
        for (const method of ["GET", "HEAD"]) {
          for (const path of ["/admin/7", "/admin/7/", "/ADMIN/7", "/%61dmin/7"]) {
            expect({ method, path, status: (yield* guarded.send({ method, path })).status }).toEqual({ method, path, status: 401 })
          }
        }
        expect((yield* guarded.send({ method: "GET", path: "/admin/7", headers: { authorization: "Bearer ok" } })).status).toBe(200)
      }))
  }

  it.effect("a protected handler run without any guard dies with RouteNotGuarded (GuardNotRun), answered 500", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(admin)
      expect(Exit.isFailure(exit) && exit.cause._tag === "Die" && exit.cause.defect instanceof RouteNotGuarded).toBe(true)
      if (Exit.isFailure(exit) && exit.cause._tag === "Die") expect((exit.cause.defect as RouteNotGuarded).reason).toBe("GuardNotRun")
    }))
})
