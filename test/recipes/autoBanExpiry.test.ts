import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { GuardTesting } from "effect-guard"

const app = HttpRouter.empty.pipe(HttpRouter.get("/search", HttpServerResponse.text("results")))

it.effect("a client banned after two attacks is let in again once the 5-minute ban expires", () =>
  Effect.gen(function*() {
    const attack = GuardTesting.request(app, { ip: "203.0.113.7", path: "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E" })
    const search = GuardTesting.request(app, { ip: "203.0.113.7", path: "/search?q=shoes" })

    expect((yield* attack).status).toBe(400)
    const second = yield* attack
    expect(second.events.map((event) => event.eventType)).toContain("ip_banned")
    expect((yield* search).status).toBe(403)

    yield* TestClock.adjust("5 minutes")
    expect((yield* search).status).toBe(200)
  }).pipe(Effect.provide(GuardTesting.layer({ autoBanThreshold: 2, autoBanDuration: 300 }))))
