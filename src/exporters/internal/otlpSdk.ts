/**
 * The OpenTelemetry SDK both OTLP exporters stand on (`Otel` over OTLP/HTTP JSON, `Logfire` over
 * OTLP/HTTP protobuf): loaded with `import()` on start, since the packages are optional peer
 * dependencies, and a missing package turned into the exporter's `Unavailable` failure.
 *
 * @internal
 */
import type * as OtelApi from "@opentelemetry/api"
import { Effect } from "effect"
import { ExporterError } from "../../Exporter.js"
import type { RemoteParent } from "./telemetryShape.js"

/** How the OTLP exporters encode: JSON (`http`) or protobuf (`proto`), both over HTTP. */
export type OtlpEncoding = "http" | "proto"

interface OtlpExporters {
  readonly http: {
    readonly traces: typeof import("@opentelemetry/exporter-trace-otlp-http")
    readonly metrics: typeof import("@opentelemetry/exporter-metrics-otlp-http")
  }
  readonly proto: {
    readonly traces: typeof import("@opentelemetry/exporter-trace-otlp-proto")
    readonly metrics: typeof import("@opentelemetry/exporter-metrics-otlp-proto")
  }
}

/** The API, the trace and metric SDKs, and the OTLP exporters of one encoding. */
export interface OtlpSdk<E extends OtlpEncoding> {
  readonly api: typeof import("@opentelemetry/api")
  readonly traceBase: typeof import("@opentelemetry/sdk-trace-base")
  readonly metrics: typeof import("@opentelemetry/sdk-metrics")
  readonly traceExporter: OtlpExporters[E]["traces"]
  readonly metricExporter: OtlpExporters[E]["metrics"]
}

const exportersOf: { readonly [E in OtlpEncoding]: () => Promise<OtlpExporters[E]> } = {
  http: async () => {
    const [traces, metrics] = await Promise.all([
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/exporter-metrics-otlp-http")
    ])
    return { traces, metrics }
  },
  proto: async () => {
    const [traces, metrics] = await Promise.all([
      import("@opentelemetry/exporter-trace-otlp-proto"),
      import("@opentelemetry/exporter-metrics-otlp-proto")
    ])
    return { traces, metrics }
  }
}

/** Loads the SDK with the exporters of `encoding`; rejects when a package is not installed. */
export const loadOtlpSdk = async <E extends OtlpEncoding>(encoding: E): Promise<OtlpSdk<E>> => {
  const load: () => Promise<OtlpExporters[E]> = exportersOf[encoding]
  const [api, traceBase, metrics, exporters] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/sdk-metrics"),
    load()
  ])
  return { api, traceBase, metrics, traceExporter: exporters.traces, metricExporter: exporters.metrics }
}

/**
 * Runs an exporter's loader on start: a rejection (a package not installed) logs `message` once and
 * fails with reason `"Unavailable"`, so the composite lists the exporter in `failedHandlers` while
 * the guard runs on.
 */
export const loadOrUnavailable = <M>(exporter: string, message: string, load: () => Promise<M>): Effect.Effect<M, ExporterError> =>
  Effect.tryPromise({
    try: load,
    catch: (cause) => new ExporterError({ exporter, reason: "Unavailable", message, cause })
  }).pipe(Effect.tapError((error) => Effect.logWarning(error.message)))

/**
 * The span context of the caller's trace (from the event's `traceparent` / `tracestate`), marked
 * remote. A `tracestate` the API refuses is left out, never an error.
 */
export const remoteSpanContext = (
  api: typeof import("@opentelemetry/api"),
  parent: RemoteParent | undefined
): OtelApi.SpanContext | undefined => {
  if (parent === undefined) return undefined
  let traceState: OtelApi.TraceState | undefined
  try {
    traceState = parent.traceState === undefined ? undefined : api.createTraceState(parent.traceState)
  } catch {
    traceState = undefined
  }
  return {
    traceId: parent.traceId,
    spanId: parent.spanId,
    traceFlags: parent.traceFlags,
    isRemote: true,
    ...(traceState === undefined ? {} : { traceState })
  }
}
