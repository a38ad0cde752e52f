import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Schema } from "effect"
import { CompositeHandler, GuardRoutes, TestExporter } from "effect-guard"
import * as MetricsCollectorModule from "effect-guard/MetricsCollector"
import { type Transport, TRANSPORTS } from "./support/transports.js"

/**
 * A request's metrics name the route that served it (its pattern), not the path as sent, and a
 * request no route serves is `unmatched`; a method outside RFC 9110 (and PATCH) is `_OTHER`. A
 * scanner that tries thousands of paths and methods adds no series to a metrics backend.
 */
const admin = HttpRouter.empty.pipe(HttpRouter.get("/users/:id", HttpServerResponse.text("admin user")))
const router = HttpRouter.empty.pipe(
  HttpRouter.get("/users/:id", HttpServerResponse.text("user")),
  HttpRouter.all("/any", HttpServerResponse.text("any")),
  HttpRouter.mount("/admin", admin)
)

const Api = HttpApi.make("shop").add(
  HttpApiGroup.make("orders").add(
    HttpApiEndpoint.get("order", "/orders/:id").setPath(Schema.Struct({ id: Schema.String })).addSuccess(Schema.String)
  )
)
const ApiLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide(HttpApiBuilder.group(Api, "orders", (handlers) => handlers.handle("order", ({ path }) => Effect.succeed(path.id))))
)

/** `method endpoint status` of every `response_time` delivered so far. */
const recorded = (guarded: Transport) => {
  const context = guarded.context as unknown as Context.Context<CompositeHandler | TestExporter>
  return Effect.zipRight(Context.get(context, CompositeHandler).flush, Context.get(context, TestExporter).metrics).pipe(
    Effect.map((metrics) =>
      metrics.filter((m) => m.metricType === "response_time").map((m) => `${m.tags["method"]} ${m.tags["endpoint"]} ${m.tags["status"]}`))
  )
}

describe("request metrics", () => {
  for (const transport of TRANSPORTS) {
    it.scopedLive(`${transport.name}: a scanner's paths make the routes' patterns and one unmatched series`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, { guard: GuardRoutes.fromRouter(router) })
        const send = (method: string, path: string) => guarded.send({ method, path, headers: { host: "guarded.test" } })
        for (let i = 0; i < 20; i++) {
          yield* send("GET", `/users/${i}`)
          yield* send("GET", `/probe-${i}/index.html`)
          yield* send("GET", `/admin/users/${i}?x=${i}`)
        }
        yield* send("HEAD", "/users/7")
        yield* send("GET", "/USERS/7/")
        const series = new Set(yield* recorded(guarded))
        expect([...series].sort()).toEqual([
          "GET /admin/users/:id 200",
          "GET /users/:id 200",
          "GET unmatched 404",
          "HEAD /users/:id 200"
        ])
      }))
  }

  for (const transport of TRANSPORTS) {
    it.scopedLive(`${transport.name}: a method outside the standard ones is _OTHER`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, { guard: GuardRoutes.fromRouter(router) })
        for (const method of ["PROPFIND", "MKCOL", "PATCH"]) yield* guarded.send({ method, path: "/any", headers: { host: "guarded.test" } })
        expect(new Set(yield* recorded(guarded))).toEqual(new Set(["_OTHER /any 200", "PATCH /any 200"]))
        if (transport.name === "web") {
          // a web handler takes any token as a method (Node's parser refuses them); no route serves one
          for (let i = 0; i < 5; i++) yield* guarded.send({ method: `SCAN${i}`, path: "/any", headers: { host: "guarded.test" } })
          expect(new Set(yield* recorded(guarded))).toEqual(new Set(["_OTHER /any 200", "PATCH /any 200", "_OTHER unmatched 404"]))
        }
      }))
  }

  for (const transport of TRANSPORTS) {
    it.scopedLive(`${transport.name}: an HttpApi's requests are named by the endpoint's path`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "api", api: ApiLive })
        for (const id of ["1", "2", "3"]) yield* guarded.send({ method: "GET", path: `/orders/${id}`, headers: { host: "guarded.test" } })
        yield* guarded.send({ method: "GET", path: "/orders", headers: { host: "guarded.test" } })
        expect(new Set(yield* recorded(guarded))).toEqual(new Set(["GET /orders/:id 200", "GET unmatched 404"]))
      }))
  }
})

describe("the public MetricsCollector module", () => {
  it("exports the tag values a user compares with, and no helper of the middleware's", () => {
    expect(MetricsCollectorModule.OTHER_METHOD).toBe("_OTHER")
    expect(MetricsCollectorModule.UNMATCHED_ENDPOINT).toBe("unmatched")
    expect(Object.keys(MetricsCollectorModule)).not.toContain("metricMethod")
  })
})
