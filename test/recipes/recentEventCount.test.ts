import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { EnrichmentKeys, GuardTesting } from "effect-guard"

const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))

// The production configuration: the agent transport on, with enrichment. The test layer keeps the
// enrichment and captures what the agent would have been sent.
const Guard = GuardTesting.layer({
  blacklist: ["203.0.113.0/24"],
  enableAgent: true,
  agentApiKey: "test-api-key-0001",
  enableEnrichment: true
})

it.effect("guard.behavior.recent_event_count counts a client's events of the last 300 seconds", () =>
  Effect.gen(function*() {
    const blocked = GuardTesting.request(app, { ip: "203.0.113.7" })
    const recentCount = Effect.map(blocked, (response) => response.events.map((event) => event.metadata[EnrichmentKeys.recentEventCount]))

    expect(yield* recentCount).toEqual([1]) // t = 0 s
    yield* TestClock.adjust("200 seconds")
    expect(yield* recentCount).toEqual([2]) // t = 200 s: both events are recent
    yield* TestClock.adjust("100 seconds")
    expect(yield* recentCount).toEqual([2]) // t = 300 s: the event of t = 0 s has left the window
  }).pipe(Effect.provide(Guard)))
