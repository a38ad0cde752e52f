import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { GuardRoutes, GuardTesting, RouteGuard } from "effect-guard"

const auth = HttpRouter.empty.pipe(
  HttpRouter.post("/login", HttpServerResponse.text("welcome").pipe(RouteGuard.secure({ rateLimit: { requests: 1, window: 300 } })))
)
const app = HttpRouter.empty.pipe(HttpRouter.mount("/auth", auth))

// as in production: the routes' settings given to the guard
const Guard = GuardTesting.layer({}).pipe(Layer.provide(GuardRoutes.fromRouter(app)))

it.effect("a mounted route's own rate limit holds for its window", () =>
  Effect.gen(function*() {
    const login = GuardTesting.request(app, { ip: "198.51.100.7", method: "POST", path: "/auth/login" })
    expect((yield* login).status).toBe(200)
    expect((yield* login).status).toBe(429)
    yield* TestClock.adjust("5 minutes")
    expect((yield* login).status).toBe(200)
  }).pipe(Effect.provide(Guard)))
