/**
 * The small interface every telemetry exporter implements (OpenTelemetry, Logfire, the guard-agent
 * transport, the in-memory `TestExporter`). Start and stop are the acquire and release of a scoped
 * `ExporterSpec.acquire`, so an exporter cannot be started twice or used after it stopped.
 *
 * @since 0.1.0
 */
import { Context, Data, type Effect, type Scope } from "effect"
import type { SecurityEvent, SecurityMetric } from "./SecurityEvent.js"

/**
 * A failure inside one exporter. The composite isolates it: other exporters and requests never see it.
 *
 * @since 0.1.0
 * @category errors
 */
export class ExporterError extends Data.TaggedError("ExporterError")<{
  readonly exporter: string
  readonly reason: "Start" | "Send" | "Flush" | "Timeout" | "Unavailable"
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * A started exporter. Each call receives its own copy of the payload.
 *
 * @since 0.1.0
 * @category models
 */
export interface Exporter {
  readonly name: string
  readonly exportEvent: (event: SecurityEvent) => Effect.Effect<void, ExporterError>
  readonly exportMetric: (metric: SecurityMetric) => Effect.Effect<void, ExporterError>
  /**
   * Optional: many metrics in one call. The composite uses it, when present, for each run of
   * consecutive metrics in a batch, so an exporter can record them in one synchronous step.
   */
  readonly exportMetrics?: ((metrics: ReadonlyArray<SecurityMetric>) => Effect.Effect<void, ExporterError>) | undefined
  /** Push out whatever the exporter buffers. */
  readonly flush: Effect.Effect<void, ExporterError>
  /** `true` while the exporter believes it can deliver. */
  readonly health: Effect.Effect<boolean>
}

/**
 * How to start an exporter: `acquire` starts it in the given scope, and closing that scope flushes
 * and stops it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExporterSpec {
  readonly name: string
  readonly acquire: Effect.Effect<Exporter, ExporterError, Scope.Scope>
}

/**
 * Extra exporters the application adds to the ones the configuration enables (`enableOtel`,
 * `enableLogfire`, `enableAgent`). Defaults to none.
 *
 * @since 0.1.0
 * @category tags
 */
export class GuardExporters extends Context.Reference<GuardExporters>()("effect-guard/GuardExporters", {
  defaultValue: (): ReadonlyArray<ExporterSpec> => []
}) {}
