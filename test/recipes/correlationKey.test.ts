import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { correlationKey, EnrichmentKeys, GuardTesting } from "effect-guard"

const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))

const Guard = GuardTesting.layer({
  blacklist: ["203.0.113.0/24"],
  enableAgent: true,
  agentApiKey: "test-api-key-0001",
  enableEnrichment: true,
  otelServiceName: "shop"
})

it.effect("guard.behavior.correlation_key is one per client, service and 300-second bucket", () =>
  Effect.gen(function*() {
    const keyOf = Effect.map(
      GuardTesting.request(app, { ip: "203.0.113.7" }),
      (response) => response.events[0]?.metadata[EnrichmentKeys.correlationKey]
    )

    const first = yield* keyOf // t = 0 s, bucket 0
    expect(first).toBe(correlationKey("203.0.113.7", "shop", 0))
    yield* TestClock.adjust("299 seconds")
    expect(yield* keyOf).toBe(first) // t = 299 s: the same bucket
    yield* TestClock.adjust("1 second")
    const next = yield* keyOf // t = 300 s: the next bucket
    expect(next).not.toBe(first)
    expect(next).toBe(correlationKey("203.0.113.7", "shop", 300))
  }).pipe(Effect.provide(Guard)))
