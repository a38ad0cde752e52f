/**
 * The OpenTelemetry exporter: every security event becomes a span `guard.event.<event_type>` (a child
 * of the caller's trace when the event carries a W3C `traceparent`), and request metrics feed three
 * instruments, `guard.request.duration` (histogram, seconds), `guard.request.count` and
 * `guard.error.count` (counters), all sent over OTLP/HTTP.
 *
 * The OpenTelemetry packages are optional peer dependencies, loaded with `import()` when the exporter
 * starts. The exporter builds its own tracer and meter providers and never registers global ones, so
 * two guards in one process, or a guard next to the application's own SDK, do not clash. Closing the
 * scope flushes spans and metrics and shuts those providers down, within a deadline.
 *
 * `OtelExporter.layerTracer` (`layerTracerConfig` from `GuardConfig`) sends the guard's own Effect
 * spans (one per security check) to the same collector; `OtelExporter.layerShareTracer` makes the exporter use the tracer provider the application
 * already provides through `@effect/opentelemetry` instead of building one.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { GuardConfig, GuardLive } from "effect-guard"
 * import { OtelExporter } from "effect-guard/exporters/Otel"
 *
 * const Config = GuardConfig.layer({ enableOtel: true, otelExporterEndpoint: "http://collector:4318" })
 * const Guard = Layer.mergeAll(GuardLive, OtelExporter.layerTracerConfig).pipe(Layer.provide(Config))
 * ```
 *
 * @since 0.1.0
 */
import type * as OtelApi from "@opentelemetry/api"
import type { OtelTracerProvider } from "@effect/opentelemetry/Tracer"
import { Context, Duration, Effect, Layer, MutableRef, Option, Ref, Schedule } from "effect"
import { type Exporter, ExporterError, type ExporterSpec } from "../Exporter.js"
import { withinDeadline } from "../internal/deadline.js"
import { GuardConfig, type GuardConfigShape } from "../GuardConfig.js"
import type { SecurityEvent, SecurityMetric } from "../SecurityEvent.js"
import { makeInstruments } from "./internal/instruments.js"
import { loadOrUnavailable, loadOtlpSdk, type OtlpSdk, remoteSpanContext } from "./internal/otlpSdk.js"
import {
  eventAttributes,
  isGrpcPort,
  otlpSignalUrl,
  type RemoteParent,
  remoteParent,
  resourceAttributes
} from "./internal/telemetryShape.js"

/**
 * The OpenTelemetry modules the exporter needs: the SDK with the OTLP/HTTP (JSON) exporters, and
 * `@opentelemetry/resources`. They are loaded on start, so the packages are optional peer dependencies.
 *
 * @since 0.1.0
 * @category models
 */
export interface OtelModules extends OtlpSdk<"http"> {
  readonly resources: typeof import("@opentelemetry/resources")
}

/**
 * Loads the OpenTelemetry packages with dynamic `import()`; rejects when one is not installed.
 *
 * @since 0.1.0
 * @category loaders
 */
export const loadOtelModules = async (): Promise<OtelModules> => {
  const [sdk, resources] = await Promise.all([loadOtlpSdk("http"), import("@opentelemetry/resources")])
  return { ...sdk, resources }
}

/**
 * The warning logged (once per start) when the OpenTelemetry packages cannot be loaded.
 *
 * @since 0.1.0
 * @category constants
 */
export const OTEL_UNAVAILABLE_MESSAGE = "opentelemetry-sdk not installed, OTEL handler disabled"

/**
 * Settings that are not part of `GuardConfig`: how to load the SDK, and providers to share.
 *
 * @since 0.1.0
 * @category models
 */
export interface OtelExporterSettings {
  /** Loads the SDK modules. Default: {@link loadOtelModules}. Tests inject a failing loader. */
  readonly load?: (() => Promise<OtelModules>) | undefined
  /**
   * Emit event spans through this provider instead of building one (the application's provider,
   * e.g. from `@effect/opentelemetry` or the global one). The guard flushes it but never shuts it down.
   */
  readonly tracerProvider?: OtelApi.TracerProvider | undefined
  /** Record metrics through this provider instead of building one. Never shut down by the guard. */
  readonly meterProvider?: OtelApi.MeterProvider | undefined
  /** How often the metric reader exports on its own. Default 60 seconds. */
  readonly metricExportIntervalMillis?: number | undefined
  /**
   * How long spans wait in the batch processor before being sent. Default 1 second: a failing
   * collector shows in `CompositeHandler.failedHandlers` within seconds of the first event.
   */
  readonly spanScheduledDelayMillis?: number | undefined
}

/**
 * Everything `make` needs.
 *
 * @since 0.1.0
 * @category models
 */
export interface OtelExporterOptions extends OtelExporterSettings {
  /** Exporter name in `CompositeHandler.failedHandlers`. Default `"otel"`. */
  readonly name?: string | undefined
  readonly serviceName: string
  /** Applied after `service.name`, so a `service.name` here wins. */
  readonly resourceAttributes?: Readonly<Record<string, string>> | undefined
  /** OTLP/HTTP base URL or full signal URL. Default `http://localhost:4318`. */
  readonly endpoint?: string | undefined
  /** Longest time one OTLP request may take. Default 10 seconds. */
  readonly exportTimeoutMillis?: number | undefined
  /** Longest time flushing and shutting down the providers may take on close. Default 10 seconds. */
  readonly shutdownTimeoutMillis?: number | undefined
}

const TRACER_NAME = "effect-guard"

interface OwnedProviders {
  readonly tracerProvider: OtelApi.TracerProvider
  readonly meterProvider: OtelApi.MeterProvider
  /** Flush every provider (shared ones too). */
  readonly flush: () => Promise<void>
  /** Flush, then shut down the providers the exporter built itself. */
  readonly shutdown: () => Promise<void>
}

const hasForceFlush = (u: unknown): u is { forceFlush: () => Promise<unknown> } =>
  typeof u === "object" && u !== null && "forceFlush" in u && typeof u.forceFlush === "function"

/** Whether the last background export of each signal went through, for `health`. */
interface SignalHealth {
  readonly traces: MutableRef.MutableRef<boolean>
  readonly metrics: MutableRef.MutableRef<boolean>
}

const buildProviders = (
  otel: OtelModules,
  options: OtelExporterOptions,
  healthy: SignalHealth
): OwnedProviders => {
  const resource = otel.resources.resourceFromAttributes(
    resourceAttributes(options.serviceName, options.resourceAttributes ?? {})
  )
  const timeoutMillis = options.exportTimeoutMillis ?? 10_000
  const owned: Array<{ forceFlush: () => Promise<unknown>; shutdown: () => Promise<unknown> }> = []

  let tracerProvider = options.tracerProvider
  if (tracerProvider === undefined) {
    const exporter = new otel.traceExporter.OTLPTraceExporter({
      url: otlpSignalUrl(options.endpoint, "/v1/traces"),
      timeoutMillis
    })
    const observed: import("@opentelemetry/sdk-trace-base").SpanExporter = {
      export: (spans, done) =>
        exporter.export(spans, (result) => {
          MutableRef.set(healthy.traces, result.code === 0)
          done(result)
        }),
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush()
    }
    const provider = new otel.traceBase.BasicTracerProvider({
      resource,
      spanProcessors: [
        new otel.traceBase.BatchSpanProcessor(observed, {
          exportTimeoutMillis: timeoutMillis,
          scheduledDelayMillis: options.spanScheduledDelayMillis ?? 1_000
        })
      ]
    })
    owned.push(provider)
    tracerProvider = provider
  }

  let meterProvider = options.meterProvider
  if (meterProvider === undefined) {
    const interval = options.metricExportIntervalMillis ?? 60_000
    const exporter = new otel.metricExporter.OTLPMetricExporter({
      url: otlpSignalUrl(options.endpoint, "/v1/metrics"),
      timeoutMillis
    })
    // the reader asks the exporter how to aggregate: those questions go to it unchanged
    const observed: import("@opentelemetry/sdk-metrics").PushMetricExporter = {
      export: (metrics, done) =>
        exporter.export(metrics, (result) => {
          MutableRef.set(healthy.metrics, result.code === 0)
          done(result)
        }),
      forceFlush: () => exporter.forceFlush(),
      shutdown: () => exporter.shutdown(),
      selectAggregationTemporality: (kind) => exporter.selectAggregationTemporality(kind),
      selectAggregation: (kind) => exporter.selectAggregation(kind)
    }
    const provider = new otel.metrics.MeterProvider({
      resource,
      readers: [
        new otel.metrics.PeriodicExportingMetricReader({
          exporter: observed,
          exportIntervalMillis: interval,
          exportTimeoutMillis: Math.min(timeoutMillis, interval)
        })
      ]
    })
    owned.push(provider)
    meterProvider = provider
  }

  const flushables = [tracerProvider, meterProvider].flatMap((p) => (hasForceFlush(p) ? [p] : []))
  return {
    tracerProvider,
    meterProvider,
    flush: async () => {
      await Promise.all(flushables.map((p) => p.forceFlush()))
    },
    shutdown: async () => {
      // shared providers are flushed (our spans are in them) but never shut down
      await Promise.allSettled(flushables.map((p) => p.forceFlush()))
      await Promise.allSettled(owned.map((p) => p.shutdown()))
    }
  }
}

const parentContext = (otel: OtelModules, parent: RemoteParent | undefined): OtelApi.Context => {
  const remote = remoteSpanContext(otel.api, parent)
  return remote === undefined ? otel.api.ROOT_CONTEXT : otel.api.trace.setSpanContext(otel.api.ROOT_CONTEXT, remote)
}

/**
 * The exporter as an `ExporterSpec`: `acquire` loads the SDK, builds the providers and instruments;
 * closing the scope flushes and shuts them down. When the SDK cannot be loaded, `acquire` logs
 * {@link OTEL_UNAVAILABLE_MESSAGE} and fails with reason `"Unavailable"`, so the composite lists the
 * exporter in `failedHandlers` while the guard runs on.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: OtelExporterOptions): ExporterSpec => {
  const name = options.name ?? "otel"
  const load = options.load ?? loadOtelModules
  const shutdownTimeout = Duration.millis(options.shutdownTimeoutMillis ?? 10_000)

  const acquire = Effect.gen(function*() {
    const otel = yield* loadOrUnavailable(name, OTEL_UNAVAILABLE_MESSAGE, load)

    if (isGrpcPort(options.endpoint)) {
      yield* Effect.logWarning(
        `otelExporterEndpoint ${options.endpoint} uses port 4317, the OTLP/gRPC port; this exporter speaks OTLP/HTTP (usually port 4318)`
      )
    }

    // set by the exporters' own results: a flush that resolves proves nothing (the SDK resolves it
    // when an export fails too)
    const healthy: SignalHealth = { traces: MutableRef.make(true), metrics: MutableRef.make(true) }
    const providers = yield* Effect.acquireRelease(
      Effect.try({
        try: () => buildProviders(otel, options, healthy),
        catch: (cause) =>
          new ExporterError({ exporter: name, reason: "Start", message: `${name}: cannot build the OpenTelemetry providers`, cause })
      }),
      (p) =>
        Effect.tryPromise(() => p.shutdown()).pipe(
          (shutdown) => withinDeadline(shutdown, shutdownTimeout),
          Effect.flatMap((done) =>
            Option.isNone(done)
              ? Effect.logWarning(`${name}: OpenTelemetry providers did not shut down within ${Duration.format(shutdownTimeout)}`)
              : Effect.void
          ),
          Effect.catchAllCause((cause) => Effect.logWarning(`${name}: OpenTelemetry shutdown failed`, cause))
        )
    )

    const tracer = providers.tracerProvider.getTracer(TRACER_NAME)
    const instruments = makeInstruments(providers.meterProvider.getMeter(TRACER_NAME))
    const cannotDrain = (cause: unknown) =>
      new ExporterError({ exporter: name, reason: "Send", message: `${name}: cannot record the buffered requests`, cause })
    const drain = Effect.try({ try: () => instruments.drain(), catch: cannotDrain })
    // The request sink buffers requests per attribute set; they reach the instruments at least once
    // a second, before every flush, and (finalizers run last-in first-out) before the providers stop.
    yield* Effect.addFinalizer(() => Effect.ignore(drain))
    yield* Effect.forkScoped(
      Effect.repeat(Effect.ignore(drain), Schedule.spaced(Duration.millis(Math.min(1000, options.metricExportIntervalMillis ?? 60_000))))
    )
    const warnedTypes = yield* Ref.make<ReadonlySet<string>>(new Set())

    // untraced on purpose: a span per exported event would itself be exported (telemetry about telemetry)
    const exportEvent = (event: SecurityEvent) =>
      // a plain generator: Effect.fn captures a stack trace per call (about 10 µs), several per request
      Effect.gen(function*() {
        yield* Effect.try({
          try: () => {
            const context = parentContext(otel, remoteParent(event.metadata))
            const span = tracer.startSpan(
              `guard.event.${event.eventType}`,
              { startTime: event.timestamp, attributes: eventAttributes(event) },
              context
            )
            span.end(event.timestamp)
          },
          catch: (cause) => new ExporterError({ exporter: name, reason: "Send", message: `${name}: cannot record the event span`, cause })
        })
      })

    const warnUnknown = (metricType: string) =>
      Effect.flatMap(
        Ref.modify(warnedTypes, (s) => [!s.has(metricType), s.has(metricType) ? s : new Set([...s, metricType])]),
        (first) => (first ? Effect.logWarning(`Unknown OTEL metric type ${metricType} - no instrument recorded`) : Effect.void)
      )

    const cannotRecord = (cause: unknown) =>
      new ExporterError({ exporter: name, reason: "Send", message: `${name}: cannot record the metric`, cause })

    const exportMetrics = (metrics: ReadonlyArray<SecurityMetric>) =>
      Effect.flatMap(Effect.try({ try: () => instruments.record(metrics), catch: cannotRecord }), (unknown) =>
        unknown.length === 0 ? Effect.void : Effect.forEach(new Set(unknown), warnUnknown, { discard: true }))

    const flush = Effect.zipRight(drain, Effect.tryPromise({
      try: () => providers.flush(),
      catch: (cause) => new ExporterError({ exporter: name, reason: "Flush", message: `${name}: OTLP export failed`, cause })
    }))

    const exporter: Exporter = {
      name,
      exportEvent,
      exportMetric: (metric) => exportMetrics([metric]),
      exportMetrics,
      requestSink: instruments.requestSink,
      flush,
      health: Effect.sync(() => MutableRef.get(healthy.traces) && MutableRef.get(healthy.metrics))
    }
    return exporter
  })

  return { name, acquire }
}

/**
 * The exporter settings in context (a reference: none needed). Provide `OtelExporter.layer(...)` to
 * share a provider or inject a loader; `GuardLive` reads it when `enableOtel` is on.
 *
 * @since 0.1.0
 * @category tags
 */
export class OtelExporter extends Context.Reference<OtelExporter>()("effect-guard/OtelExporter", {
  defaultValue: (): OtelExporterSettings => ({})
}) {
  /**
   * Settings for the exporter `GuardLive` builds from the configuration.
   *
   * @since 0.1.0
   */
  static layer(settings: OtelExporterSettings): Layer.Layer<OtelExporter> {
    return Layer.succeed(OtelExporter, settings)
  }

  /**
   * Use the tracer provider the application already provides with `@effect/opentelemetry`
   * (`NodeSdk.layer`, `Tracer.layer`): the guard's event spans join the application's pipeline and
   * the guard builds no tracer provider of its own. Metrics still use the guard's meter provider
   * unless `OtelExporter.layer({ meterProvider })` says otherwise.
   *
   * @since 0.1.0
   */
  static readonly layerShareTracer: Layer.Layer<OtelExporter, never, OtelTracerProvider> = Layer.unwrapEffect(
    Effect.map(
      Effect.promise(() => import("@effect/opentelemetry/Tracer")),
      (EffectOtel) =>
        Layer.effect(
          OtelExporter,
          Effect.gen(function*() {
            const current = yield* OtelExporter
            const tracerProvider = yield* EffectOtel.OtelTracerProvider
            return { ...current, tracerProvider }
          })
        )
    )
  )

  /**
   * Effect's tracer backed by OpenTelemetry, exporting to the same collector with the same resource as
   * the event spans (`@effect/opentelemetry`'s `NodeSdk.layer`). Provide it to the application (it
   * replaces Effect's tracer, so the guard's per-check spans and the application's spans are
   * exported). When the packages are missing it logs {@link OTEL_UNAVAILABLE_MESSAGE} and provides
   * nothing. Closing the scope flushes and shuts down. The SDK loads through the `OtelExporter`
   * settings in context.
   *
   * @since 0.2.0
   */
  static layerTracer(options: OtelTracerOptions): Layer.Layer<never> {
    return Layer.unwrapEffect(
      Effect.gen(function*() {
        const settings = yield* OtelExporter
        const loaded = yield* Effect.tryPromise(() =>
          Promise.all([(settings.load ?? loadOtelModules)(), import("@effect/opentelemetry/NodeSdk")])
        ).pipe(Effect.option)
        if (Option.isNone(loaded)) {
          yield* Effect.logWarning(OTEL_UNAVAILABLE_MESSAGE)
          return Layer.empty
        }
        const [otel, NodeSdk] = loaded.value
        const timeoutMillis = options.exportTimeoutMillis ?? 10_000
        const attributes = options.resourceAttributes ?? {}
        return Layer.discard(NodeSdk.layer(() => ({
          resource: { serviceName: attributes["service.name"] ?? options.serviceName, attributes },
          spanProcessor: new otel.traceBase.BatchSpanProcessor(
            new otel.traceExporter.OTLPTraceExporter({
              url: otlpSignalUrl(options.endpoint, "/v1/traces"),
              timeoutMillis
            }),
            { exportTimeoutMillis: timeoutMillis }
          ),
          shutdownTimeout: Duration.millis(options.shutdownTimeoutMillis ?? 10_000)
        })))
      })
    )
  }

  /**
   * {@link OtelExporter.layerTracer} with the collector of `GuardConfig`; nothing happens when
   * `enableOtel` is off.
   *
   * @since 0.1.0
   */
  static readonly layerTracerConfig: Layer.Layer<never, never, GuardConfig> = Layer.unwrapEffect(
    Effect.map(GuardConfig, (config) =>
      Option.match(exportersOptionsFromConfig(config), {
        onNone: () => Layer.empty,
        onSome: (options) => OtelExporter.layerTracer(options)
      }))
  )

  /**
   * @since 0.1.0
   */
  static readonly make = make
}

/**
 * Where the OpenTelemetry exporter and tracer send, and as which service: the part of
 * {@link OtelExporterOptions} that `GuardConfig` sets.
 *
 * @since 0.2.0
 * @category models
 */
export interface OtelTracerOptions {
  readonly serviceName: string
  /** Applied after `service.name`, so a `service.name` here wins. */
  readonly resourceAttributes?: Readonly<Record<string, string>> | undefined
  /** OTLP/HTTP base URL or full signal URL. Default `http://localhost:4318`. */
  readonly endpoint?: string | undefined
  /** Longest time one OTLP request may take. Default 10 seconds. */
  readonly exportTimeoutMillis?: number | undefined
  /** Longest time flushing and shutting down may take on close. Default 10 seconds. */
  readonly shutdownTimeoutMillis?: number | undefined
}

/**
 * The exporter's options from a decoded `GuardConfig`, with the `OtelExporter` settings on top.
 *
 * @since 0.1.0
 * @category constructors
 */
export const optionsFromConfig = (config: GuardConfigShape, settings: OtelExporterSettings = {}): OtelExporterOptions => ({
  ...settings,
  serviceName: config.otelServiceName,
  resourceAttributes: config.otelResourceAttributes,
  endpoint: config.otelExporterEndpoint,
  exportTimeoutMillis: config.telemetryExportTimeoutMs,
  shutdownTimeoutMillis: config.telemetryShutdownTimeoutMs
})

/**
 * What a decoded `GuardConfig` asks of OpenTelemetry: the collector and service when `enableOtel` is
 * on, none otherwise.
 *
 * @since 0.2.0
 * @category constructors
 */
export const exportersOptionsFromConfig = (config: GuardConfigShape): Option.Option<OtelTracerOptions> =>
  config.enableOtel ? Option.some(optionsFromConfig(config)) : Option.none()

/**
 * The OpenTelemetry exporters for `options`: one when given, built with the `OtelExporter` settings in
 * context.
 *
 * @since 0.1.0
 * @category exporters
 */
export const otelExporters = (options: Option.Option<OtelTracerOptions>): Effect.Effect<ReadonlyArray<ExporterSpec>> =>
  Option.match(options, {
    onNone: () => Effect.succeed([]),
    onSome: (options) => Effect.map(OtelExporter, (settings) => [make({ ...settings, ...options })])
  })
