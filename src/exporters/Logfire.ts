/**
 * The Logfire exporter, on the Logfire Node SDK (`@pydantic/logfire-node`): every security event
 * becomes a span `guard.event.<event_type>` with the same attributes as the OpenTelemetry span (a
 * child of the caller's trace when the event carries a W3C `traceparent`), and every metric a
 * structured log `guard.metric.<metric_type>` with `value`, `endpoint` and the tags. With `enableOtel`
 * on as well, the three request instruments are also recorded on the Logfire SDK's meter, so Logfire
 * sees what the OpenTelemetry collector sees.
 *
 * The SDK is an optional peer dependency loaded with `import()` on start. It is process-global by
 * nature, so the exporter contains it: it configures Logfire only when no OpenTelemetry SDK is
 * registered yet (otherwise it adopts the existing one and says so), switches every Node
 * auto-instrumentation off, takes the SDK's process listeners off again, and shuts the SDK down when
 * the scope closes, only if it configured it.
 *
 * Without a token nothing goes to logfire.dev (`sendToLogfire: "if-token-present"`); `otlpEndpoint`
 * sends the same spans and metrics to any OTLP/HTTP collector, which needs no token.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { GuardConfig, GuardLive } from "effect-guard"
 * import { LogfireExporter } from "effect-guard/exporters/Logfire"
 *
 * const Guard = GuardLive.pipe(
 *   Layer.provide(GuardConfig.layer({ enableLogfire: true, logfireServiceName: "checkout" })),
 *   Layer.provide(LogfireExporter.layer({ environment: "prod" })) // token from LOGFIRE_TOKEN
 * )
 * ```
 *
 * @since 0.1.0
 */
import type * as OtelApi from "@opentelemetry/api"
import { Context, Duration, Effect, Layer, MutableRef, Option } from "effect"
import { type Exporter, ExporterError, type ExporterSpec } from "../Exporter.js"
import { withinDeadline } from "../internal/deadline.js"
import type { GuardConfigShape } from "../GuardConfig.js"
import type { SecurityEvent, SecurityMetric } from "../SecurityEvent.js"
import { type Instruments, makeInstruments } from "./internal/instruments.js"
import { DISABLED_AUTO_INSTRUMENTATIONS, withoutNewProcessListeners } from "./internal/logfireContainment.js"
import { loadOrUnavailable, loadOtlpSdk, type OtlpSdk, remoteSpanContext } from "./internal/otlpSdk.js"
import { eventAttributes, otlpSignalUrl, type RemoteParent, remoteParent } from "./internal/telemetryShape.js"

/**
 * The modules the exporter needs, loaded on start: the Logfire SDK and the OpenTelemetry SDK with the
 * OTLP/HTTP protobuf exporters it builds on.
 *
 * @since 0.1.0
 * @category models
 */
export interface LogfireModules extends OtlpSdk<"proto"> {
  readonly logfire: typeof import("@pydantic/logfire-node")
}

/**
 * Loads the Logfire SDK and the OpenTelemetry packages it builds on; rejects when one is missing.
 *
 * @since 0.1.0
 * @category loaders
 */
export const loadLogfireModules = async (): Promise<LogfireModules> => {
  const [logfire, sdk] = await Promise.all([import("@pydantic/logfire-node"), loadOtlpSdk("proto")])
  return { ...sdk, logfire }
}

/**
 * The warning logged (once per start) when the Logfire SDK cannot be loaded.
 *
 * @since 0.1.0
 * @category constants
 */
export const LOGFIRE_UNAVAILABLE_MESSAGE = "logfire not installed, Logfire handler disabled"

/**
 * Settings that are not part of `GuardConfig`.
 *
 * @since 0.1.0
 * @category models
 */
export interface LogfireExporterSettings {
  /** Loads the SDK. Default: {@link loadLogfireModules}. Tests inject a failing loader. */
  readonly load?: (() => Promise<LogfireModules>) | undefined
  /** Logfire write token. Default: the SDK's (`LOGFIRE_TOKEN`, then `.logfire/` credentials). */
  readonly token?: string | undefined
  /** Whether to send to logfire.dev. Default `"if-token-present"`, so no token means no error. */
  readonly sendToLogfire?: boolean | "if-token-present" | undefined
  /**
   * Also send the spans and metrics to this OTLP/HTTP collector (protobuf; base URL or full signal
   * URL). Needs no token: the way to run Logfire telemetry into a local collector.
   */
  readonly otlpEndpoint?: string | undefined
  /** `deployment.environment.name` of the resource. */
  readonly environment?: string | undefined
  /** Record the three request instruments on Logfire's meter. Default: on when `enableOtel` is on. */
  readonly recordInstruments?: boolean | undefined
  /** Print spans to the console as well. Default `false`. */
  readonly console?: boolean | undefined
}

/**
 * Everything `make` needs.
 *
 * @since 0.1.0
 * @category models
 */
export interface LogfireExporterOptions extends LogfireExporterSettings {
  /** Exporter name in `CompositeHandler.failedHandlers`. Default `"logfire"`. */
  readonly name?: string | undefined
  readonly serviceName: string
  /** Longest time one OTLP request to `otlpEndpoint` may take. Default 10 seconds. */
  readonly exportTimeoutMillis?: number | undefined
  /** Longest time flushing and shutting the SDK down may take on close. Default 10 seconds. */
  readonly shutdownTimeoutMillis?: number | undefined
}

/** Whether some OpenTelemetry SDK (Logfire's or the host's) already owns the global tracer provider. */
const globalProviderRegistered = (api: LogfireModules["api"]): boolean => {
  const current = api.trace.getTracerProvider()
  const noop = new api.ProxyTracerProvider().getDelegate()
  return current instanceof api.ProxyTracerProvider ? current.getDelegate() !== noop : current !== noop
}

const parentSpanOf = (api: LogfireModules["api"], parent: RemoteParent | undefined): OtelApi.Span | undefined => {
  const remote = remoteSpanContext(api, parent)
  return remote === undefined ? undefined : api.trace.wrapSpanContext(remote)
}

/** Attributes of a metric log: the tags, then `value` and `endpoint` (kept from the tags if needed). */
const metricLogAttributes = (metric: SecurityMetric): Record<string, unknown> => {
  const attributes: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(metric.tags)) {
    if (key !== "value" && key !== "endpoint") attributes[key] = value
  }
  attributes["value"] = metric.value
  const endpoint = metric.endpoint ?? metric.tags["endpoint"]
  if (endpoint !== undefined) attributes["endpoint"] = endpoint
  return attributes
}

/**
 * The exporter as an `ExporterSpec`. When the SDK cannot be loaded, `acquire` logs
 * {@link LOGFIRE_UNAVAILABLE_MESSAGE} and fails with reason `"Unavailable"`, so the composite lists
 * the exporter in `failedHandlers` while the guard runs on.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: LogfireExporterOptions): ExporterSpec => {
  const name = options.name ?? "logfire"
  const load = options.load ?? loadLogfireModules
  const timeoutMillis = options.exportTimeoutMillis ?? 10_000
  const shutdownMillis = options.shutdownTimeoutMillis ?? 10_000

  const acquire = Effect.gen(function*() {
    const modules = yield* loadOrUnavailable(name, LOGFIRE_UNAVAILABLE_MESSAGE, load)
    const { api, logfire } = modules

    yield* Effect.acquireRelease(
      Effect.suspend(() => {
        if (globalProviderRegistered(api)) {
          return Effect.as(
            Effect.logWarning(
              `logfire (or another OpenTelemetry SDK) is already configured for this process; the guard uses it and will not apply its logfireServiceName ${options.serviceName}`
            ),
            false
          )
        }
        return Effect.try({
          try: () => {
            const endpoint = options.otlpEndpoint
            withoutNewProcessListeners(() =>
              logfire.configure({
                serviceName: options.serviceName,
                sendToLogfire: options.sendToLogfire ?? "if-token-present",
                console: options.console ?? false,
                nodeAutoInstrumentations: DISABLED_AUTO_INSTRUMENTATIONS,
                variables: false,
                ...(options.token === undefined ? {} : { token: options.token }),
                ...(options.environment === undefined ? {} : { environment: options.environment }),
                ...(endpoint === undefined ? {} : {
                  additionalSpanProcessors: [
                    new modules.traceBase.BatchSpanProcessor(
                      new modules.traceExporter.OTLPTraceExporter({ url: otlpSignalUrl(endpoint, "/v1/traces"), timeoutMillis }),
                      { exportTimeoutMillis: timeoutMillis }
                    )
                  ],
                  metrics: {
                    additionalReaders: [
                      new modules.metrics.PeriodicExportingMetricReader({
                        exporter: new modules.metricExporter.OTLPMetricExporter({
                          url: otlpSignalUrl(endpoint, "/v1/metrics"),
                          timeoutMillis
                        }),
                        exportIntervalMillis: 60_000,
                        exportTimeoutMillis: timeoutMillis
                      })
                    ]
                  }
                })
              })
            )
            return true
          },
          catch: (cause) => new ExporterError({ exporter: name, reason: "Start", message: `${name}: logfire.configure failed`, cause })
        })
      }),
      (configuredHere) =>
        configuredHere
          ? Effect.tryPromise(() => logfire.shutdown({ flush: true, timeoutMillis: shutdownMillis })).pipe(
            (shutdown) => withinDeadline(shutdown, Duration.millis(shutdownMillis + 500)),
            Effect.flatMap((done) =>
              Option.isNone(done) ? Effect.logWarning(`${name}: Logfire did not shut down within ${shutdownMillis}ms`) : Effect.void
            ),
            Effect.catchAllCause((cause) => Effect.logWarning(`${name}: Logfire shutdown failed`, cause))
          )
          : Effect.void
    )

    const instruments: Instruments | undefined = options.recordInstruments === true
      ? makeInstruments(api.metrics.getMeter("effect-guard"))
      : undefined
    const healthy = MutableRef.make(true)

    // untraced on purpose: a span per exported event would itself be exported (telemetry about telemetry)
    const exportEvent = (event: SecurityEvent) =>
      // a plain generator: Effect.fn captures a stack trace per call (about 10 µs), several per request
      Effect.gen(function*() {
        yield* Effect.try({
          try: () => {
            const parentSpan = parentSpanOf(api, remoteParent(event.metadata))
            // from the root context, so nothing ambient becomes the parent by accident
            api.context.with(api.ROOT_CONTEXT, () =>
              logfire.span(`guard.event.${event.eventType}`, {
                attributes: eventAttributes(event),
                ...(parentSpan === undefined ? {} : { parentSpan }),
                callback: () => undefined
              }))
          },
          catch: (cause) => new ExporterError({ exporter: name, reason: "Send", message: `${name}: cannot record the event span`, cause })
        })
      })

    const logMetric = (metric: SecurityMetric) =>
      api.context.with(api.ROOT_CONTEXT, () => logfire.info(`guard.metric.${metric.metricType}`, metricLogAttributes(metric)))
    const cannotLog = (cause: unknown) =>
      new ExporterError({ exporter: name, reason: "Send", message: `${name}: cannot log the metric`, cause })

    const exportMetrics = (metrics: ReadonlyArray<SecurityMetric>) =>
      Effect.try({
        try: () => {
          for (const metric of metrics) logMetric(metric)
          instruments?.record(metrics)
        },
        catch: cannotLog
      })

    const flush = Effect.tryPromise({
      try: () => logfire.forceFlush({ timeoutMillis }),
      catch: (cause) => new ExporterError({ exporter: name, reason: "Flush", message: `${name}: Logfire export failed`, cause })
    }).pipe(
      Effect.tapBoth({
        onFailure: () => Effect.sync(() => MutableRef.set(healthy, false)),
        onSuccess: () => Effect.sync(() => MutableRef.set(healthy, true))
      })
    )

    const exporter: Exporter = {
      name,
      exportEvent,
      exportMetric: (metric) => exportMetrics([metric]),
      exportMetrics,
      flush,
      health: Effect.sync(() => MutableRef.get(healthy))
    }
    return exporter
  })

  return { name, acquire }
}

/**
 * The exporter settings in context (a reference: none needed). `GuardLive` reads it when
 * `enableLogfire` is on.
 *
 * @since 0.1.0
 * @category tags
 */
export class LogfireExporter extends Context.Reference<LogfireExporter>()("effect-guard/LogfireExporter", {
  defaultValue: (): LogfireExporterSettings => ({})
}) {
  /**
   * Settings for the exporter `GuardLive` builds from the configuration.
   *
   * @since 0.1.0
   */
  static layer(settings: LogfireExporterSettings): Layer.Layer<LogfireExporter> {
    return Layer.succeed(LogfireExporter, settings)
  }

  /**
   * @since 0.1.0
   */
  static readonly make = make
}

/**
 * The options `GuardLive` uses for the configuration's exporter.
 *
 * @since 0.1.0
 * @category constructors
 */
export const optionsFromConfig = (
  config: GuardConfigShape,
  settings: LogfireExporterSettings = {}
): LogfireExporterOptions => ({
  recordInstruments: config.enableOtel,
  ...settings,
  serviceName: config.logfireServiceName,
  exportTimeoutMillis: config.telemetryExportTimeoutMs,
  shutdownTimeoutMillis: config.telemetryShutdownTimeoutMs
})

/**
 * What a decoded `GuardConfig` sets of the Logfire exporter.
 *
 * @since 0.2.0
 * @category models
 */
export interface LogfireConfigOptions {
  readonly serviceName: string
  /** Default for the setting of the same name (the `LogfireExporter` settings may override it). */
  readonly recordInstruments: boolean
  readonly exportTimeoutMillis: number
  readonly shutdownTimeoutMillis: number
}

/**
 * The Logfire exporter `GuardConfig` asks for: some when `enableLogfire` is on.
 *
 * @since 0.2.0
 * @category constructors
 */
export const exportersOptionsFromConfig = (config: GuardConfigShape): Option.Option<LogfireConfigOptions> =>
  config.enableLogfire
    ? Option.some({
      serviceName: config.logfireServiceName,
      recordInstruments: config.enableOtel,
      exportTimeoutMillis: config.telemetryExportTimeoutMs,
      shutdownTimeoutMillis: config.telemetryShutdownTimeoutMs
    })
    : Option.none()

/**
 * The Logfire exporters for `options`: one when given, built with the `LogfireExporter` settings in
 * context.
 *
 * @since 0.1.0
 * @category exporters
 */
export const logfireExporters = (options: Option.Option<LogfireConfigOptions>): Effect.Effect<ReadonlyArray<ExporterSpec>> =>
  Option.match(options, {
    onNone: () => Effect.succeed([]),
    onSome: ({ recordInstruments, ...fixed }) =>
      Effect.map(LogfireExporter, (settings) => [make({ recordInstruments, ...settings, ...fixed })])
  })
