/**
 * The exporters the configuration turns on, in the reference's order: agent, OpenTelemetry, Logfire.
 * Each exporter module maps the decoded config to its own options; this only puts them in order.
 *
 * @internal
 */
import { Effect } from "effect"
import * as Agent from "../exporters/Agent.js"
import * as Logfire from "../exporters/Logfire.js"
import * as Otel from "../exporters/Otel.js"
import type { ExporterSpec } from "../Exporter.js"
import type { GuardConfigShape } from "../GuardConfig.js"

export const configuredExporters = (config: GuardConfigShape): Effect.Effect<ReadonlyArray<ExporterSpec>> =>
  Effect.map(
    Effect.all([
      Agent.agentExporters(Agent.exportersOptionsFromConfig(config)),
      Otel.otelExporters(Otel.exportersOptionsFromConfig(config)),
      Logfire.logfireExporters(Logfire.exportersOptionsFromConfig(config))
    ]),
    (groups) => groups.flat()
  )
