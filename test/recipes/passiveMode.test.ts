import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { GuardTesting } from "effect-guard"

const app = HttpRouter.empty.pipe(HttpRouter.get("/search", HttpServerResponse.text("results")))

it.effect("in passive mode an attack goes through, and the events say it would have been blocked", () =>
  Effect.gen(function*() {
    const response = yield* GuardTesting.request(app, {
      ip: "203.0.113.7",
      path: "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    })
    expect(response.status).toBe(200)
    expect(response.events.map((event) => [event.eventType, event.actionTaken])).toEqual([
      ["penetration_attempt", "logged_only"]
    ])
  }).pipe(Effect.provide(GuardTesting.layer({ passiveMode: true }))))
