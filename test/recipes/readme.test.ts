import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { GuardTesting } from "effect-guard"

const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))

it.effect("allows two requests per client every 5 minutes", () =>
  Effect.gen(function*() {
    const get = GuardTesting.request(app, { ip: "203.0.113.7" })
    yield* get
    yield* get
    expect((yield* get).status).toBe(429)
    yield* TestClock.adjust("5 minutes")
    expect((yield* get).status).toBe(200)
  }).pipe(Effect.provide(GuardTesting.layer({ rateLimit: 2, rateLimitWindow: 300 }))))
