import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { GuardRoutes } from "effect-guard"
import { TRANSPORTS } from "./support/transports.js"

const echo = HttpServerResponse.text("echo")
const router = HttpRouter.empty.pipe(
  HttpRouter.get("/echo", echo),
  HttpRouter.post("/echo", echo),
  HttpRouter.get("/users/:id", echo),
  HttpRouter.get("/other", echo)
)

describe("endpointRateLimits", () => {
  for (const transport of TRANSPORTS) {
    it.scopedLive(`${transport.name}: every spelling of a path the router serves shares the path's one budget`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, { config: { endpointRateLimits: { "/echo": [2, 60] } } })
        expect((yield* guarded.send({ method: "GET", path: "/echo" })).status).toBe(200)
        expect((yield* guarded.send({ method: "POST", path: "/echo", body: "x" })).status).toBe(200)
        const variants = ["/echo", "/echo/", "/ECHO", "/%65cho", "/echo;x", "/echo?x=1", "/Echo/", ...(transport.name === "node" ? ["//echo", "http://a.test/echo"] : [])]
        for (const path of variants) expect({ path, status: (yield* guarded.send({ method: "GET", path })).status }).toEqual({ path, status: 429 })
        // HEAD is served by the GET route: the same endpoint
        expect((yield* guarded.send({ method: "HEAD", path: "/echo" })).status).toBe(429)
        expect((yield* guarded.send({ method: "GET", path: "/other" })).status).toBe(200)
        // another client has its own budget
        expect((yield* guarded.send({ method: "GET", path: "/echo", from: "198.51.100.2" })).status).toBe(200)
        const [event] = (yield* guarded.events).filter((e) => e.eventType === "dynamic_rule_violation")
        expect(event!.metadata).toMatchObject({ endpoint: "/echo", rule_type: "endpoint_rate_limit" })
      }))

    it.scopedLive(`${transport.name}: a limit on a route pattern covers every path of that route`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, {
          config: { endpointRateLimits: { "/users/:id": [1, 60] } },
          guard: GuardRoutes.fromRouter(router)
        })
        expect((yield* guarded.send({ method: "GET", path: "/users/1" })).status).toBe(200)
        expect((yield* guarded.send({ method: "GET", path: "/users/2" })).status).toBe(429)
        expect((yield* guarded.send({ method: "GET", path: "/USERS/3/" })).status).toBe(429)
      }))
  }
})
