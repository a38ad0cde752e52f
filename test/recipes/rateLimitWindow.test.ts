import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { GuardTesting } from "effect-guard"

const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))

it.effect("a client gets two requests per 5-minute window, and two more once it has passed", () =>
  Effect.gen(function*() {
    const get = GuardTesting.request(app, { ip: "203.0.113.7", path: "/" })
    expect((yield* get).status).toBe(200)
    expect((yield* get).status).toBe(200)
    const refused = yield* get
    expect(refused.status).toBe(429)
    expect(refused.events.map((event) => event.eventType)).toEqual(["rate_limited"])

    yield* TestClock.adjust("5 minutes")
    expect((yield* get).status).toBe(200)
  }).pipe(Effect.provide(GuardTesting.layer({ rateLimit: 2, rateLimitWindow: 300 }))))
