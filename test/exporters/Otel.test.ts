import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Logger, Ref } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { CompositeHandler, make as makeComposite } from "../../src/CompositeHandler.js"
import { make as makeEnricher, optionsFromConfig as enricherOptions } from "../../src/EventEnricher.js"
import { EventBus } from "../../src/EventBus.js"
import type { MetricType } from "../../src/EventTypes.js"
import { loadOtelModules, make, OTEL_UNAVAILABLE_MESSAGE, OtelExporter } from "../../src/exporters/Otel.js"
import { makeInstruments, MAX_BUFFERED } from "../../src/exporters/internal/instruments.js"
import { otlpSignalUrl } from "../../src/exporters/internal/telemetryShape.js"
import { decodeGuardConfig, GuardConfig, type GuardConfigInput } from "../../src/GuardConfig.js"
import { GuardLive } from "../../src/GuardLive.js"
import { make as makeCollector, MetricsCollector } from "../../src/MetricsCollector.js"
import { SecurityEvent, SecurityMetric } from "../../src/SecurityEvent.js"
import { make as makeTestExporter } from "../../src/TestExporter.js"
import { makeOtlpReceiver } from "../support/otlpReceiver.js"

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const PARENT_SPAN_ID = "00f067aa0ba902b7"

const guard = (input: GuardConfigInput, extra: Layer.Layer<never> = Layer.empty) =>
  GuardLive.pipe(Layer.provide(Layer.merge(GuardConfig.layer(input), extra)), Layer.orDie)

const otelConfig = (endpoint: string, input: GuardConfigInput = {}): GuardConfigInput => ({
  enableOtel: true,
  otelExporterEndpoint: endpoint,
  telemetryExportTimeoutMs: 2_000,
  telemetryShutdownTimeoutMs: 3_000,
  ...input
})

/** Runs `body` with a guard, flushes, and closes the guard (which shuts the exporter down). */
const withGuard = <A, E>(
  layer: Layer.Layer<CompositeHandler | EventBus | MetricsCollector>,
  body: Effect.Effect<A, E, CompositeHandler | EventBus | MetricsCollector>
) =>
  Effect.gen(function*() {
    const a = yield* body
    const composite = yield* CompositeHandler
    yield* composite.flush
    return a
  }).pipe(Effect.provide(layer))

const banned = (metadata: Record<string, unknown> = {}) =>
  Effect.flatMap(EventBus, (bus) =>
    bus.emit("ip_banned", {
      actionTaken: "banned",
      reason: "too many failed logins",
      ipAddress: "203.0.113.9",
      endpoint: "/login",
      method: "POST",
      statusCode: 403,
      metadata
    }))

/** A logger that keeps every message, to assert on warnings. */
const captureLogs = Effect.gen(function*() {
  const lines = yield* Ref.make(Chunk.empty<string>())
  const logger = Logger.make(({ logLevel, message }) => {
    const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
    Effect.runSync(Ref.update(lines, Chunk.append(`${logLevel.label} ${text}`)))
  })
  return { lines: Effect.map(Ref.get(lines), Chunk.toReadonlyArray), layer: Logger.replace(Logger.defaultLogger, logger) }
})

/** A loopback port with nothing listening on it. */
const closedPort = Effect.async<number>((resume) => {
  const server = http.createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** Registers an `unhandledRejection` spy for the rest of the scope. */
const watchUnhandledRejections = Effect.acquireRelease(
  Effect.sync(() => {
    const seen: Array<unknown> = []
    const listener = (reason: unknown) => {
      seen.push(reason)
    }
    process.on("unhandledRejection", listener)
    return { seen, listener }
  }),
  ({ listener }) => Effect.sync(() => process.off("unhandledRejection", listener))
)

const event = (metadata: Record<string, unknown>) =>
  new SecurityEvent({
    idempotencyKey: "k-1",
    timestamp: new Date(),
    eventType: "penetration_attempt",
    ipAddress: "198.51.100.7",
    actionTaken: "blocked",
    reason: "sql injection",
    endpoint: "/search",
    method: "GET",
    metadata
  })

describe("OtelExporter", () => {
  describe("endpoint", () => {
    it("appends the signal path to a base URL and keeps a full signal path", () => {
      expect(otlpSignalUrl("http://localhost:4318", "/v1/traces")).toBe("http://localhost:4318/v1/traces")
      expect(otlpSignalUrl("http://jaeger:4318/", "/v1/traces")).toBe("http://jaeger:4318/v1/traces")
      expect(otlpSignalUrl("http://collector.internal:4318/v1/traces", "/v1/traces")).toBe(
        "http://collector.internal:4318/v1/traces"
      )
      expect(otlpSignalUrl("http://collector.internal:4318/v1/traces", "/v1/metrics")).toBe(
        "http://collector.internal:4318/v1/metrics"
      )
      expect(otlpSignalUrl("http://host:4318/v1/logs", "/v1/metrics")).toBe("http://host:4318/v1/metrics")
      expect(otlpSignalUrl(undefined, "/v1/metrics")).toBe("http://localhost:4318/v1/metrics")
    })

    it.scopedLive("warns that port 4317 is the gRPC port", () =>
      Effect.gen(function*() {
        const logs = yield* captureLogs
        const spec = make({ serviceName: "svc", endpoint: "http://127.0.0.1:4317", shutdownTimeoutMillis: 500 })
        yield* Effect.scoped(spec.acquire).pipe(Effect.provide(logs.layer))
        expect((yield* logs.lines).filter((l) => l.includes("4317") && l.includes("gRPC"))).toHaveLength(1)
      }))
  })

  describe("on the wire", () => {
    it.scopedLive("sends each event as a span guard.event.<type> with the event's fields as attributes", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        yield* withGuard(guard(otelConfig(receiver.url)), banned({ attempts: 7, route: { id: "login" } }))
        const spans = yield* receiver.awaitSpans((s) => s.some((x) => x.name === "guard.event.ip_banned"))
        const span = spans.find((s) => s.name === "guard.event.ip_banned")!
        expect(span.attributes).toMatchObject({
          "guard.event_type": "ip_banned",
          "guard.ip_address": "203.0.113.9",
          "guard.action_taken": "banned",
          "guard.reason": "too many failed logins",
          "guard.endpoint": "/login",
          "guard.method": "POST",
          "guard.status_code": 403,
          "guard.metadata.attempts": 7,
          "guard.metadata.route": "{\"id\":\"login\"}"
        })
        expect(Object.values(span.attributes)).not.toContain(null)
        expect(span.scope).toBe("effect-guard")
      }))

    it.scopedLive("uses otelServiceName for the resource, overridden by a service.name resource attribute", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        yield* withGuard(
          guard(otelConfig(receiver.url, {
            otelServiceName: "guard-prod",
            otelResourceAttributes: { "deployment.environment": "test", "service.name": "checkout-guard" }
          })),
          banned()
        )
        const [span] = yield* receiver.awaitSpans((s) => s.length > 0)
        expect(span?.resource).toMatchObject({ "service.name": "checkout-guard", "deployment.environment": "test" })
      }))

    it.scopedLive("makes the span a child of the incoming traceparent, carrying its tracestate", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        yield* withGuard(
          guard(otelConfig(receiver.url)),
          banned({ traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`, tracestate: "vendor=abc" })
        )
        const [span] = yield* receiver.awaitSpans((s) => s.length > 0)
        expect(span?.traceId).toBe(TRACE_ID)
        expect(span?.parentSpanId).toBe(PARENT_SPAN_ID)
        expect(span?.traceState).toBe("vendor=abc")
        expect(span?.attributes).not.toHaveProperty("guard.metadata.traceparent")
      }))

    it.scopedLive("ignores a malformed traceparent and starts a new trace", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        yield* withGuard(guard(otelConfig(receiver.url)), banned({ traceparent: `00-${"0".repeat(32)}-${PARENT_SPAN_ID}-01` }))
        const [span] = yield* receiver.awaitSpans((s) => s.length > 0)
        expect(span?.traceId).toMatch(/^[0-9a-f]{32}$/)
        expect(span?.traceId).not.toBe("0".repeat(32))
        expect(span?.parentSpanId).toBe("")
      }))

    it.scopedLive("starts the span at the event's timestamp", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        const at = new Date("2024-05-01T12:00:00.000Z")
        yield* Effect.scoped(Effect.gen(function*() {
          const exporter = yield* make({ serviceName: "svc", endpoint: receiver.url }).acquire
          yield* exporter.exportEvent(new SecurityEvent({ ...event({}), timestamp: at }))
          yield* exporter.flush
        }))
        const [span] = yield* receiver.awaitSpans((s) => s.length > 0)
        expect(span?.startTimeUnixNano).toBe(BigInt(at.getTime()) * 1_000_000n)
      }))

    it.scopedLive("never sends a muted event type", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        yield* withGuard(
          guard(otelConfig(receiver.url, { mutedEventTypes: ["rate_limited"] })),
          Effect.gen(function*() {
            const bus = yield* EventBus
            yield* bus.emit("rate_limited", { actionTaken: "throttled", reason: "limit", ipAddress: "203.0.113.9" })
            yield* banned()
          })
        )
        yield* receiver.awaitSpans((s) => s.some((x) => x.name === "guard.event.ip_banned"))
        expect((yield* receiver.spans).map((s) => s.name)).toEqual(["guard.event.ip_banned"])
      }))

    it.scopedLive("records request metrics on the three instruments with their units and tags", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        yield* withGuard(
          guard(otelConfig(receiver.url)),
          Effect.flatMap(MetricsCollector, (m) =>
            m.collectRequest({ endpoint: "/login", method: "POST", status: 500, responseTime: 0.25 }))
        )
        const metrics = yield* receiver.awaitMetrics((ms) => ms.length >= 3)
        const byName = new Map(metrics.map((m) => [m.name, m]))
        expect(byName.get("guard.request.duration")).toMatchObject({ kind: "histogram", unit: "s" })
        expect(byName.get("guard.request.duration")?.points[0]).toMatchObject({
          count: 1,
          sum: 0.25,
          attributes: { endpoint: "/login", method: "POST", status: "500" }
        })
        expect(byName.get("guard.request.count")).toMatchObject({ kind: "sum", unit: "{request}" })
        expect(byName.get("guard.request.count")?.points[0]).toMatchObject({ value: 1, attributes: { endpoint: "/login" } })
        expect(byName.get("guard.error.count")).toMatchObject({ kind: "sum", unit: "{error}" })
        expect(byName.get("guard.error.count")?.points[0]?.value).toBe(1)
      }))

    it.scopedLive("counts every request when many arrive in one batch, per attribute set", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        yield* withGuard(
          guard(otelConfig(receiver.url)),
          Effect.flatMap(MetricsCollector, (m) =>
            Effect.forEach(Array.from({ length: 50 }, (_, i) => i), (i) =>
              m.collectRequest({ endpoint: i % 5 === 0 ? "/b" : "/a", method: "GET", status: i % 10 === 0 ? 503 : 200, responseTime: 0.01 }), {
              discard: true
            }))
        )
        const metrics = yield* receiver.awaitMetrics((ms) => ms.length >= 3)
        const points = (name: string) => metrics.find((m) => m.name === name)?.points ?? []
        const count = (name: string, endpoint: string) =>
          points(name).filter((p) => p.attributes["endpoint"] === endpoint).reduce((n, p) => n + Number(p.value ?? p.count), 0)
        expect(count("guard.request.count", "/a")).toBe(40)
        expect(count("guard.request.count", "/b")).toBe(10)
        expect(count("guard.error.count", "/b")).toBe(5)
        expect(count("guard.request.duration", "/a")).toBe(40)
      }))

    it.scopedLive("never sends a muted metric type", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        yield* withGuard(
          guard(otelConfig(receiver.url, { mutedMetricTypes: ["response_time"] })),
          Effect.flatMap(MetricsCollector, (m) =>
            m.collectRequest({ endpoint: "/", method: "GET", status: 200, responseTime: 0.01 }))
        )
        const metrics = yield* receiver.awaitMetrics((ms) => ms.some((m) => m.name === "guard.request.count"))
        expect(metrics.map((m) => m.name)).not.toContain("guard.request.duration")
      }))

    it.scopedLive("aggregates requests itself, with the enrichment's tags, while an exporter beside it gets every request's metrics", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        const beside = yield* makeTestExporter()
        const config = yield* Effect.orDie(decodeGuardConfig({ otelServiceName: "shop" }))
        const received = yield* Effect.scoped(Effect.gen(function*() {
          const composite = yield* makeComposite({
            exporters: [make({ serviceName: "shop", endpoint: receiver.url }), beside.spec],
            enricher: makeEnricher(enricherOptions(config))
          })
          const metrics = makeCollector({
            muted: new Set(),
            send: composite.sendMetric,
            sendBatch: composite.sendMetrics,
            record: composite.recordRequest,
            buildsRequestMetrics: composite.buildsRequestMetrics
          })
          yield* Effect.forEach(["/a", "/a", "/b"], (endpoint) =>
            metrics.collectRequest({ endpoint, method: "GET", status: 200, responseTime: 0.02 }), { discard: true })
          yield* composite.flush
          return yield* beside.metrics
        }))
        // the other exporter: a response_time and a request_count per request, enriched, as before
        expect(received.map((metric) => metric.metricType).sort()).toEqual([
          ...Array(3).fill("request_count"),
          ...Array(3).fill("response_time")
        ])
        expect(received[0]?.tags).toMatchObject({ "guard.service.name": "shop" })
        const metrics = yield* receiver.awaitMetrics((ms) => ms.length >= 2)
        const points = metrics.find((m) => m.name === "guard.request.count")?.points ?? []
        expect(points.map((p) => [p.attributes["endpoint"], p.value]).sort()).toEqual([["/a", 2], ["/b", 1]])
        expect(points[0]?.attributes).toMatchObject({ method: "GET", "guard.service.name": "shop" })
        expect(metrics.find((m) => m.name === "guard.request.duration")?.points[0]?.attributes).toMatchObject({
          status: "200",
          "guard.service.name": "shop"
        })
      }))

    it("records what it buffered by itself once the buffer is full, and the same totals", async () => {
      const modules = await loadOtelModules()
      const reader = new modules.metrics.PeriodicExportingMetricReader({
        exporter: new modules.metrics.InMemoryMetricExporter(modules.metrics.AggregationTemporality.CUMULATIVE),
        exportIntervalMillis: 3_600_000
      })
      const provider = new modules.metrics.MeterProvider({ readers: [reader] })
      const instruments = makeInstruments(provider.getMeter("test"))
      const sink = instruments.requestSink({ muted: new Set(), tags: {} })
      const total = async () => {
        const { resourceMetrics } = await reader.collect()
        const count = resourceMetrics.scopeMetrics[0]?.metrics.find((m) => m.descriptor.name === "guard.request.count")
        return count?.dataPoints.reduce((n, p) => n + Number(p.value), 0) ?? 0
      }
      for (let i = 0; i < MAX_BUFFERED; i++) sink({ endpoint: "/", method: "GET", status: 200, responseTime: 0.001 })
      expect(await total()).toBe(MAX_BUFFERED)
      sink({ endpoint: "/", method: "GET", status: 200, responseTime: 0.001 })
      expect(await total()).toBe(MAX_BUFFERED)
      instruments.drain()
      expect(await total()).toBe(MAX_BUFFERED + 1)
      await provider.shutdown()
    })

    it.scopedLive("flushes spans that were never flushed when the scope closes", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        yield* banned().pipe(Effect.provide(guard(otelConfig(receiver.url))))
        expect((yield* receiver.spans).map((s) => s.name)).toEqual(["guard.event.ip_banned"])
      }))
  })

  describe("attributes", () => {
    it.scopedLive("carries enrichment keys and never lets metadata overwrite a canonical attribute", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        yield* Effect.scoped(Effect.gen(function*() {
          const exporter = yield* make({ serviceName: "svc", endpoint: receiver.url }).acquire
          yield* exporter.exportEvent(event({
            "guard.threat_score": 90,
            "guard.behavior.correlation_key": "2b06d6c4973760f5",
            "guard.ip_address": "6.6.6.6",
            "guard.event_type": "spoofed",
            "guard.rule.id": null,
            missing: undefined,
            tags: ["a", "b"]
          }))
          yield* exporter.flush
        }))
        const [span] = yield* receiver.awaitSpans((s) => s.length > 0)
        expect(span?.attributes).toMatchObject({
          "guard.threat_score": 90,
          "guard.behavior.correlation_key": "2b06d6c4973760f5",
          "guard.ip_address": "198.51.100.7",
          "guard.event_type": "penetration_attempt",
          "guard.metadata.tags": "[\"a\",\"b\"]"
        })
        expect(span?.attributes).not.toHaveProperty("guard.rule.id")
        expect(span?.attributes).not.toHaveProperty("guard.metadata.missing")
      }))
  })

  describe("unknown metric types", () => {
    it.scopedLive("warns once per type and drops the metric", () =>
      Effect.gen(function*() {
        const logs = yield* captureLogs
        const receiver = yield* makeOtlpReceiver
        const odd = new SecurityMetric({
          timestamp: new Date(),
          metricType: "queue_depth" as MetricType,
          value: 3,
          tags: {}
        }, true)
        yield* Effect.scoped(Effect.gen(function*() {
          const exporter = yield* make({ serviceName: "svc", endpoint: receiver.url }).acquire
          yield* exporter.exportMetric(odd)
          yield* exporter.exportMetric(odd)
          yield* exporter.exportMetric(odd)
          yield* exporter.flush
        })).pipe(Effect.provide(logs.layer))
        const warnings = (yield* logs.lines).filter((l) => l.includes("Unknown OTEL metric type queue_depth"))
        expect(warnings).toHaveLength(1)
        expect((yield* receiver.metrics).map((m) => m.name)).not.toContain("queue_depth")
      }))
  })

  describe("missing packages", () => {
    it.scopedLive("logs one warning, lists the exporter as failed, and the guard runs on", () =>
      Effect.gen(function*() {
        const logs = yield* captureLogs
        const failingLoad = () => Promise.reject(new Error("Cannot find package '@opentelemetry/sdk-trace-base'"))
        const result = yield* Effect.gen(function*() {
          yield* banned()
          const composite = yield* CompositeHandler
          yield* composite.flush
          return { failed: yield* composite.failedHandlers, exporters: composite.exporters }
        }).pipe(
          Effect.provide(guard(otelConfig("http://127.0.0.1:9"), OtelExporter.layer({ load: failingLoad }))),
          Effect.provide(logs.layer)
        )
        expect(result.failed).toEqual(["otel"])
        expect(result.exporters).toEqual([])
        expect((yield* logs.lines).filter((l) => l.includes(OTEL_UNAVAILABLE_MESSAGE))).toHaveLength(1)
      }))
  })

  describe("failing collector", () => {
    // what the composite knows of the exporter the moment emission returns: nothing has failed yet,
    // so emission did not wait for the export (an ordering, not a timing)
    const emitsAtOnce = Effect.gen(function*() {
      yield* banned()
      yield* Effect.flatMap(MetricsCollector, (m) => m.send("request_count", 1, { endpoint: "/" }))
      return yield* Effect.flatMap(CompositeHandler, (composite) => composite.failedHandlers)
    })

    const failureIsVisible = (endpoint: string) =>
      Effect.gen(function*() {
        const rejections = yield* watchUnhandledRejections
        const outcome = yield* Effect.gen(function*() {
          const failedOnReturn = yield* emitsAtOnce
          const composite = yield* CompositeHandler
          yield* composite.flush
          return { failedOnReturn, failed: yield* composite.failedHandlers, degraded: yield* composite.degraded }
        }).pipe(Effect.provide(guard(otelConfig(endpoint, { telemetryExportTimeoutMs: 400, telemetryShutdownTimeoutMs: 800 }))))
        yield* Effect.sleep("100 millis")
        expect(outcome.failedOnReturn).toEqual([])
        expect(outcome.failed).toEqual(["otel"])
        expect(outcome.degraded).toBe(true)
        expect(rejections.seen).toEqual([])
      })

    it.scopedLive("leaves emission unaffected and reports the exporter failed when nothing listens", () =>
      Effect.flatMap(closedPort, (port) => failureIsVisible(`http://127.0.0.1:${port}`)))

    it.scopedLive("leaves emission unaffected and reports the exporter failed when the collector answers 500", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        yield* receiver.setMode({ _tag: "status", status: 500 })
        yield* failureIsVisible(receiver.url)
      }))

    it.scopedLive("leaves emission unaffected and reports the exporter failed when the collector is too slow", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        yield* receiver.setMode({ _tag: "slow", delayMs: 5_000 })
        yield* failureIsVisible(receiver.url)
      }))
  })

  describe("Effect tracer", () => {
    it.scopedLive("layerTracerConfig sends the guard's Effect spans to the same collector with the same resource", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        const config = GuardConfig.layer(otelConfig(receiver.url, { otelServiceName: "guard-effect" }))
        yield* Effect.void.pipe(
          Effect.withSpan("guard.check.rate_limit", { attributes: { "guard.check": "rate_limit" } }),
          Effect.provide(OtelExporter.layerTracerConfig.pipe(Layer.provide(config), Layer.orDie))
        )
        const spans = yield* receiver.awaitSpans((s) => s.length > 0)
        expect(spans[0]).toMatchObject({
          name: "guard.check.rate_limit",
          attributes: { "guard.check": "rate_limit" },
          resource: { "service.name": "guard-effect" }
        })
      }))

    it.scopedLive("layerShareTracer sends event spans through the application's tracer provider", () =>
      Effect.gen(function*() {
        const receiver = yield* makeOtlpReceiver
        const otel = yield* Effect.promise(loadOtelModules)
        const memory = new otel.traceBase.InMemorySpanExporter()
        const appProvider = new otel.traceBase.BasicTracerProvider({
          spanProcessors: [new otel.traceBase.SimpleSpanProcessor(memory)]
        })
        const { OtelTracerProvider } = yield* Effect.promise(() => import("@effect/opentelemetry/Tracer"))
        const shared = OtelExporter.layerShareTracer.pipe(Layer.provide(Layer.succeed(OtelTracerProvider, appProvider)))
        yield* withGuard(guard(otelConfig(receiver.url), shared), banned())
        expect(memory.getFinishedSpans().map((s) => s.name)).toEqual(["guard.event.ip_banned"])
        expect(yield* receiver.spans).toEqual([])
        yield* Effect.promise(() => appProvider.shutdown())
      }))
  })
})
