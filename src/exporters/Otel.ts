/**
 * The Otel exporter (placeholder until implemented).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { ExporterSpec } from "../Exporter.js"
import type { GuardConfigShape } from "../GuardConfig.js"

/**
 * The Otel exporters the configuration enables (none or one).
 *
 * @since 0.1.0
 * @category exporters
 */
export const otelExporters = (_config: GuardConfigShape): Effect.Effect<ReadonlyArray<ExporterSpec>> => Effect.succeed([])
