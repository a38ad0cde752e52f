/**
 * The small interface every telemetry exporter implements (OpenTelemetry, Logfire, the guard-agent
 * transport, the in-memory `TestExporter`). Start and stop are the acquire and release of a scoped
 * `ExporterSpec.acquire`, so an exporter cannot be started twice or used after it stopped.
 *
 * @since 0.1.0
 */
import { Context, Data, type Effect, type Scope } from "effect"
import type { MetricType } from "./EventTypes.js"
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
  /**
   * Optional, for exporters that aggregate (the OpenTelemetry instruments): a synchronous sink for
   * finished requests, asked for once when the composite starts. An exporter that has one receives
   * each request here instead of as `response_time`, `request_count` and `error_rate` metrics, so
   * no metric object is built for it per request; metrics sent with `MetricsCollector.send` still
   * come through `exportMetric(s)`. The sink must not throw or block; `flush` delivers what it holds.
   */
  readonly requestSink?: ((options: RequestSinkOptions) => RequestSink) | undefined
  /** Push out whatever the exporter buffers. */
  readonly flush: Effect.Effect<void, ExporterError>
  /** `true` while the exporter believes it can deliver. */
  readonly health: Effect.Effect<boolean>
}

/**
 * What a request sink is built with: the request metric types that are muted, and the tags the
 * enrichment adds to every metric (the `guard.*` identity keys; none without enrichment).
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestSinkOptions {
  readonly muted: ReadonlySet<MetricType>
  readonly tags: Readonly<Record<string, string>>
}

/**
 * What one finished request reports.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestMetrics {
  readonly endpoint: string
  readonly method: string
  readonly status: number
  /** Seconds. */
  readonly responseTime: number
}

/**
 * Takes one finished request, synchronously, on the request path.
 *
 * @since 0.1.0
 * @category models
 */
export type RequestSink = (request: RequestMetrics) => void

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
