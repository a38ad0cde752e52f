import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { EnrichmentKeys, GuardTesting } from "effect-guard"

const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))

const Guard = GuardTesting.layer({
  rateLimit: 1,
  mutedEventTypes: ["rate_limited"],
  blacklist: ["203.0.113.0/24"],
  enableAgent: true,
  agentApiKey: "test-api-key-0001",
  agentProjectId: "shop-prod",
  enableEnrichment: true
})

it.effect("exporters receive the events that are not muted, with the enrichment keys", () =>
  Effect.gen(function*() {
    const limited = GuardTesting.request(app, { ip: "198.51.100.7" })
    yield* limited
    const refused = yield* limited
    expect(refused.status).toBe(429)
    expect(refused.events).toEqual([]) // rate_limited is muted: no exporter receives it

    const blocked = yield* GuardTesting.request(app, { ip: "203.0.113.7" })
    expect(blocked.status).toBe(403)
    const [event] = blocked.events
    expect(event?.eventType).toBe("ip_blocked")
    expect(event?.metadata).toMatchObject({
      [EnrichmentKeys.projectId]: "shop-prod",
      [EnrichmentKeys.threatScore]: 50,
      [EnrichmentKeys.recentEventCount]: 1
    })
  }).pipe(Effect.provide(Guard)))
