/**
 * The exporters the configuration turns on, in the reference's order: agent, OpenTelemetry, Logfire.
 *
 * @internal
 */
import { Effect } from "effect"
import { agentExporters } from "../exporters/Agent.js"
import { logfireExporters } from "../exporters/Logfire.js"
import { otelExporters } from "../exporters/Otel.js"
import type { ExporterSpec } from "../Exporter.js"
import type { GuardConfigShape } from "../GuardConfig.js"

export const configuredExporters = (config: GuardConfigShape): Effect.Effect<ReadonlyArray<ExporterSpec>> =>
  Effect.map(
    Effect.all([agentExporters(config), otelExporters(config), logfireExporters(config)]),
    (groups) => groups.flat()
  )
