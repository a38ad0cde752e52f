import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Schema } from "effect"
import { GuardRoutes, RouteGuard, type RouteSettingsInput } from "effect-guard"
import { type GuardedOptions, type Served, TRANSPORTS } from "./support/transports.js"

/**
 * Every route records, through a validator of its own settings, that the guard applied them; its
 * handler answers with its id. For each request, the route the guard applied must be the route whose
 * handler ran (or none when none ran).
 */
const applied: Array<string> = []
const settingsOf = (id: string): RouteSettingsInput => ({
  customValidators: [() => Effect.sync(() => applied.push(id)).pipe(Effect.as(Option.none()))]
})
const answer = (id: string) => HttpServerResponse.text(id, { headers: { "x-route": id } })
const routed = (id: string) => answer(id).pipe(RouteGuard.secure(settingsOf(id)))

const leaf = (name: string) =>
  HttpRouter.empty.pipe(
    HttpRouter.get("/", routed(`${name} GET /`)),
    HttpRouter.get("/admin", routed(`${name} GET /admin`)),
    HttpRouter.get("/users/:id", routed(`${name} GET /users/:id`)),
    HttpRouter.post("/echo", routed(`${name} POST /echo`))
  )

const withPrefix = (prefix: string, name: string) =>
  HttpRouter.empty.pipe(
    HttpRouter.get(`${prefix}/admin` as `/${string}`, routed(`${name} GET /admin`)),
    HttpRouter.get(`${prefix}/users/:id` as `/${string}`, routed(`${name} GET /users/:id`))
  )

const top = HttpRouter.get("/admin", routed("top GET /admin"))

const ROUTERS: ReadonlyArray<{ readonly kind: string; readonly router: HttpRouter.HttpRouter<unknown, never>; readonly base: string }> = [
  { kind: "HttpRouter", router: leaf("leaf"), base: "" },
  { kind: "HttpRouter.mount", router: HttpRouter.empty.pipe(top, HttpRouter.mount("/api", leaf("mounted"))), base: "/api" },
  { kind: "HttpRouter.mountApp", router: HttpRouter.empty.pipe(top, HttpRouter.mountApp("/api", leaf("app"))), base: "/api" },
  {
    kind: "HttpRouter.mountApp includePrefix",
    router: HttpRouter.empty.pipe(top, HttpRouter.mountApp("/api", withPrefix("/api", "prefixed"), { includePrefix: true })),
    base: "/api"
  },
  {
    kind: "nested mountApp",
    router: HttpRouter.empty.pipe(top, HttpRouter.mountApp("/v1", HttpRouter.empty.pipe(HttpRouter.mountApp("/api", leaf("inner"))))),
    base: "/v1/api"
  }
]

const Api = HttpApi.make("resolution")
  .add(HttpApiGroup.make("root").add(HttpApiEndpoint.get("admin", "/admin").addSuccess(Schema.String).annotate(RouteGuard, settingsOf("api GET /admin"))))
  .add(
    HttpApiGroup.make("users")
      .add(HttpApiEndpoint.get("user")`/users/${HttpApiSchema.param("id", Schema.String)}`.addSuccess(Schema.String).annotate(RouteGuard, settingsOf("api GET /users/:id")))
      .add(HttpApiEndpoint.post("echo", "/echo").addSuccess(Schema.String).annotate(RouteGuard, settingsOf("api POST /echo")))
      .prefix("/api")
  )
const ApiLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide(HttpApiBuilder.group(Api, "root", (h) => h.handle("admin", () => Effect.succeed(answer("api GET /admin"))))),
  Layer.provide(HttpApiBuilder.group(Api, "users", (h) =>
    h.handle("user", () => Effect.succeed(answer("api GET /users/:id"))).handle("echo", () => Effect.succeed(answer("api POST /echo")))))
) as Layer.Layer<HttpApi.Api>

/** Spellings of one path that a router may take as that path. */
const variants = (path: string): ReadonlyArray<string> => [
  path,
  `${path}/`,
  `/${path}`,
  path.toUpperCase(),
  path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
  `${path};jsessionid=1`,
  `${path}?q=1`,
  path.replace(/\/([^/]*)$/, "//$1"),
  `${path}%2F`,
  `${path}/..`,
  `${path}%00`,
  // the absolute form of the request line, as a request to a proxy is written
  `http://guarded.test${path}`
]

const METHODS = ["GET", "HEAD", "POST", "DELETE", "OPTIONS", "PATCH"] as const

// no refusal but the route's own: every request reaches the application, which answers or 404s
const observing = { enablePenetrationDetection: false }

const served: ReadonlyArray<{ readonly kind: string; readonly served: Served; readonly options: GuardedOptions; readonly base: string }> = [
  ...ROUTERS.map(({ base, kind, router }) => ({
    kind,
    served: { _tag: "app", app: router } as Served,
    options: { config: observing, guard: GuardRoutes.fromRouter(router) },
    base
  })),
  // the API served is found by the guard itself
  { kind: "HttpApi", served: { _tag: "api", api: ApiLive }, options: { config: observing }, base: "/api" }
]

describe("route resolution", () => {
  for (const transport of TRANSPORTS) {
    for (const { base, kind, options, served: app } of served) {
      it.scopedLive(`${transport.name}, ${kind}: for every method and path variant the guard applies exactly the route whose handler runs`, () =>
        Effect.gen(function*() {
          const guarded = yield* transport.make(app, options)
          const paths = ["/admin", `${base}/admin`, `${base}/users/42`, `${base}/echo`, base === "" ? "/" : base]
            .flatMap(variants)
            .filter((p) => transport.name === "node" || p.startsWith("/") && !p.startsWith("//"))
          let handled = 0
          for (const method of METHODS) {
            for (const path of [...new Set(paths)]) {
              applied.length = 0
              const reply = yield* guarded.send({ method, path })
              const ran = reply.headers["x-route"]
              if (ran !== undefined) handled++
              // a protected handler that ran without its settings would have answered 500
              expect({ method, path, status: reply.status === 500 ? 500 : "not 500" }).toEqual({ method, path, status: "not 500" })
              expect({ method, path, applied: applied.at(-1) }).toEqual({ method, path, applied: ran })
            }
          }
          // the table is not vacuous: HEAD, trailing slashes, case and encodings reach handlers
          expect(handled).toBeGreaterThan(20)
        }))
    }
  }

  for (const transport of TRANSPORTS) {
    it.scopedLive(`${transport.name}: HEAD is answered by the GET route, and gets that route's settings`, () =>
      Effect.gen(function*() {
        const router = HttpRouter.empty.pipe(
          HttpRouter.get("/admin", HttpServerResponse.text("admin").pipe(RouteGuard.secure({ requireAuth: { type: "bearer" } })))
        )
        const guarded = yield* transport.make({ _tag: "app", app: router }, { guard: GuardRoutes.fromRouter(router) })
        expect((yield* guarded.send({ method: "GET", path: "/admin" })).status).toBe(401)
        expect((yield* guarded.send({ method: "HEAD", path: "/admin" })).status).toBe(401)
        expect((yield* guarded.send({ method: "HEAD", path: "/ADMIN/" })).status).toBe(401)
      }))
  }

  it.effect("GuardRoutes.resolve follows the router: HEAD falls back to GET, mounts first, includePrefix kept", () =>
    Effect.gen(function*() {
      const routes = yield* GuardRoutes
      const id = (method: string, url: string) => Option.getOrUndefined(Option.map(routes.resolve(method, url), (r) => r.id))
      expect(id("HEAD", "/admin")).toBe("GET /admin")
      expect(id("GET", "/api/admin")).toBe("GET /api/admin")
      expect(id("HEAD", "/api/users/7?x=1")).toBe("GET /api/users/:id")
      expect(id("GET", "/API/admin")).toBeUndefined()
      expect(id("GET", "/legacy/anything")).toBe("* /legacy/*")
    }).pipe(Effect.provide(GuardRoutes.fromRouter(HttpRouter.empty.pipe(
      top,
      HttpRouter.mountApp("/api", withPrefix("/api", "p"), { includePrefix: true }),
      HttpRouter.mountApp("/legacy", HttpServerResponse.text("legacy"))
    )))))
})
