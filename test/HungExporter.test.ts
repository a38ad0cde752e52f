import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { type ExporterSpec, GuardExporters } from "effect-guard"
import { TRANSPORTS } from "./support/transports.js"

/**
 * An exporter that never answers (its start, its deliveries, its flush, its health) costs the
 * requests nothing: they are answered, refusals and events included, while it hangs. Its start is
 * given up after `telemetryShutdownTimeoutMs`, its deliveries after `telemetryExportTimeoutMs`.
 */
const router = HttpRouter.empty.pipe(HttpRouter.get("/search", HttpServerResponse.text("results")))

const hanging = (start: "hangs" | "starts"): ExporterSpec => ({
  name: "hanging",
  acquire: start === "hangs" ? Effect.never : Effect.succeed({
    name: "hanging",
    exportEvent: () => Effect.never,
    exportMetric: () => Effect.never,
    exportMetrics: () => Effect.never,
    flush: Effect.never,
    health: Effect.never
  })
})

const config = { telemetryExportTimeoutMs: 200, telemetryShutdownTimeoutMs: 300 }

describe("an exporter that hangs", () => {
  for (const transport of TRANSPORTS) {
    for (const start of ["starts", "hangs"] as const) {
      it.scopedLive(`${transport.name}: requests are answered while an exporter that ${start === "hangs" ? "never starts" : "never delivers"} hangs`, () =>
        Effect.gen(function*() {
          const guarded = yield* transport.make({ _tag: "app", app: router }, {
            config,
            guard: Layer.succeed(GuardExporters, [hanging(start)])
          })
          // a client per request, so that no auto-ban answers in the detector's place
          const send = (i: number) =>
            Effect.map(guarded.send({
              method: "GET",
              path: `/search?q=${i % 3 === 0 ? "%3Cscript%3Ealert(1)%3C/script%3E" : `shoes-${i}`}`,
              headers: { host: "guarded.test" },
              from: `198.18.${i >> 8}.${i & 255}`
            }), (r) => r.status)
          // far more than a lane holds: the rest are dropped, never waited for
          const statuses = yield* Effect.forEach(Array.from({ length: 300 }, (_, i) => i), send, { concurrency: 10 })
          expect(statuses.filter((s) => s === 400)).toHaveLength(100)
          expect(statuses.filter((s) => s === 200)).toHaveLength(200)
          // the other exporters still receive the events
          expect((yield* guarded.events).filter((e) => e.eventType === "penetration_attempt").length).toBeGreaterThan(0)
        }))
    }
  }
})
