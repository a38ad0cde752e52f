import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Logger, Ref } from "effect"
import { CompositeHandler } from "../../src/CompositeHandler.js"
import { EventBus } from "../../src/EventBus.js"
import {
  loadLogfireModules,
  LOGFIRE_UNAVAILABLE_MESSAGE,
  LogfireExporter,
  type LogfireExporterSettings
} from "../../src/exporters/Logfire.js"
import { GuardConfig, type GuardConfigInput } from "../../src/GuardConfig.js"
import { GuardLive } from "../../src/GuardLive.js"
import { MetricsCollector } from "../../src/MetricsCollector.js"
import { makeOtlpReceiver } from "../support/otlpReceiver.js"

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const PARENT_SPAN_ID = "00f067aa0ba902b7"

const guard = (input: GuardConfigInput, settings: LogfireExporterSettings) =>
  GuardLive.pipe(
    Layer.provide(Layer.merge(GuardConfig.layer({
      enableLogfire: true,
      logfireServiceName: "guard-logfire",
      telemetryExportTimeoutMs: 2_000,
      telemetryShutdownTimeoutMs: 3_000,
      ...input
    }), LogfireExporter.layer(settings))),
    Layer.orDie
  )

const withGuard = <A, E>(
  layer: Layer.Layer<CompositeHandler | EventBus | MetricsCollector>,
  body: Effect.Effect<A, E, CompositeHandler | EventBus | MetricsCollector>
) =>
  Effect.gen(function*() {
    const a = yield* body
    const composite = yield* CompositeHandler
    yield* composite.flush
    return { result: a, failed: yield* composite.failedHandlers }
  }).pipe(Effect.provide(layer))

const banned = (metadata: Record<string, unknown> = {}) =>
  Effect.flatMap(EventBus, (bus) =>
    bus.emit("ip_banned", {
      actionTaken: "banned",
      reason: "too many failed logins",
      ipAddress: "203.0.113.9",
      endpoint: "/login",
      method: "POST",
      metadata
    }))

const captureLogs = Effect.gen(function*() {
  const lines = yield* Ref.make(Chunk.empty<string>())
  const logger = Logger.make(({ logLevel, message }) => {
    const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
    Effect.runSync(Ref.update(lines, Chunk.append(`${logLevel.label} ${text}`)))
  })
  return { lines: Effect.map(Ref.get(lines), Chunk.toReadonlyArray), layer: Logger.replace(Logger.defaultLogger, logger) }
})

describe("LogfireExporter", () => {
  // First on purpose: the Logfire API keeps the tracer of the last SDK it configured, so adoption is
  // shown in a process where Logfire was never configured, as in an application that uses another SDK.
  it.scopedLive("adopts an OpenTelemetry SDK that is already registered instead of configuring Logfire", () =>
    Effect.gen(function*() {
      const logs = yield* captureLogs
      const receiver = yield* makeOtlpReceiver
      const { api, traceBase } = yield* Effect.promise(loadLogfireModules)
      const memory = new traceBase.InMemorySpanExporter()
      const host = new traceBase.BasicTracerProvider({ spanProcessors: [new traceBase.SimpleSpanProcessor(memory)] })
      yield* Effect.acquireRelease(
        Effect.sync(() => api.trace.setGlobalTracerProvider(host)),
        () => Effect.promise(() => host.shutdown()).pipe(Effect.ensuring(Effect.sync(() => api.trace.disable())))
      )
      yield* withGuard(guard({}, { otlpEndpoint: receiver.url }), banned()).pipe(Effect.provide(logs.layer))
      expect(memory.getFinishedSpans().map((s) => s.name)).toEqual(["guard.event.ip_banned"])
      expect(yield* receiver.spans).toEqual([])
      expect((yield* logs.lines).filter((l) => l.includes("already configured"))).toHaveLength(1)
    }))

  it.scopedLive("sends each event as a protobuf span guard.event.<type> with the OpenTelemetry attributes", () =>
    Effect.gen(function*() {
      const receiver = yield* makeOtlpReceiver
      const { failed } = yield* withGuard(guard({}, { otlpEndpoint: receiver.url }), banned({ attempts: 7 }))
      const spans = yield* receiver.awaitSpans((s) => s.some((x) => x.name === "guard.event.ip_banned"))
      const span = spans.find((s) => s.name === "guard.event.ip_banned")!
      expect(failed).toEqual([])
      expect(span.attributes).toMatchObject({
        "guard.event_type": "ip_banned",
        "guard.ip_address": "203.0.113.9",
        "guard.action_taken": "banned",
        "guard.reason": "too many failed logins",
        "guard.endpoint": "/login",
        "guard.method": "POST",
        "guard.metadata.attempts": 7
      })
      expect(span.resource).toMatchObject({ "service.name": "guard-logfire" })
      expect((yield* receiver.requests).find((r) => r.path === "/v1/traces")?.contentType).toBe("application/x-protobuf")
    }))

  it.scopedLive("makes the event span a child of the incoming traceparent", () =>
    Effect.gen(function*() {
      const receiver = yield* makeOtlpReceiver
      yield* withGuard(
        guard({}, { otlpEndpoint: receiver.url }),
        banned({ traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01` })
      )
      const [span] = yield* receiver.awaitSpans((s) => s.length > 0)
      expect(span?.traceId).toBe(TRACE_ID)
      expect(span?.parentSpanId).toBe(PARENT_SPAN_ID)
    }))

  it.scopedLive("logs each metric as guard.metric.<type> with value, endpoint and the tags", () =>
    Effect.gen(function*() {
      const receiver = yield* makeOtlpReceiver
      yield* withGuard(
        guard({}, { otlpEndpoint: receiver.url }),
        Effect.flatMap(MetricsCollector, (m) => m.send("request_count", 1, { endpoint: "/login", method: "POST" }))
      )
      const spans = yield* receiver.awaitSpans((s) => s.some((x) => x.name === "guard.metric.request_count"))
      expect(spans.find((s) => s.name === "guard.metric.request_count")?.attributes).toMatchObject({
        value: 1,
        endpoint: "/login",
        method: "POST",
        "logfire.span_type": "log"
      })
    }))

  it.scopedLive("records the OpenTelemetry instruments on Logfire's meter when enableOtel is on too", () =>
    Effect.gen(function*() {
      const otelCollector = yield* makeOtlpReceiver
      const logfireCollector = yield* makeOtlpReceiver
      yield* withGuard(
        guard({ enableOtel: true, otelExporterEndpoint: otelCollector.url }, { otlpEndpoint: logfireCollector.url }),
        Effect.flatMap(MetricsCollector, (m) =>
          m.collectRequest({ endpoint: "/login", method: "POST", status: 503, responseTime: 0.2 }))
      )
      const seen = yield* logfireCollector.awaitMetrics((ms) =>
        ["guard.request.duration", "guard.request.count", "guard.error.count"].every((n) => ms.some((m) => m.name === n))
      )
      expect(seen.find((m) => m.name === "guard.request.duration")?.unit).toBe("s")
      const otelSeen = yield* otelCollector.awaitMetrics((ms) => ms.length >= 3)
      // cumulative metrics are sent again on every flush, so compare the distinct names
      expect([...new Set(otelSeen.map((m) => m.name))].sort()).toEqual(["guard.error.count", "guard.request.count", "guard.request.duration"])
    }))

  it.scopedLive("leaves no process listeners behind", () =>
    Effect.gen(function*() {
      const receiver = yield* makeOtlpReceiver
      const before = process.listenerCount("unhandledRejection") + process.listenerCount("SIGTERM")
      const during = yield* withGuard(
        guard({}, { otlpEndpoint: receiver.url }),
        Effect.sync(() => process.listenerCount("unhandledRejection") + process.listenerCount("SIGTERM"))
      )
      expect(during.result).toBe(before)
    }))

  it.scopedLive("logs one warning when the SDK is missing, lists the exporter as failed, and the guard runs on", () =>
    Effect.gen(function*() {
      const logs = yield* captureLogs
      const { failed } = yield* withGuard(
        guard({}, { load: () => Promise.reject(new Error("Cannot find package '@pydantic/logfire-node'")) }),
        banned()
      ).pipe(Effect.provide(logs.layer))
      expect(failed).toEqual(["logfire"])
      expect((yield* logs.lines).filter((l) => l.includes(LOGFIRE_UNAVAILABLE_MESSAGE))).toHaveLength(1)
    }))

  it.scopedLive("leaves emission unaffected and reports the exporter failed when the collector answers 500", () =>
    Effect.gen(function*() {
      const receiver = yield* makeOtlpReceiver
      yield* receiver.setMode({ _tag: "status", status: 500 })
      const rejections: Array<unknown> = []
      const spy = (reason: unknown) => {
        rejections.push(reason)
      }
      process.on("unhandledRejection", spy)
      yield* Effect.addFinalizer(() => Effect.sync(() => process.off("unhandledRejection", spy)))
      const { failed, result: failedOnReturn } = yield* withGuard(
        guard({ telemetryExportTimeoutMs: 400, telemetryShutdownTimeoutMs: 800 }, { otlpEndpoint: receiver.url }),
        // what the composite knows the moment emission returns: emission did not wait for the export
        Effect.zipRight(banned(), Effect.flatMap(CompositeHandler, (composite) => composite.failedHandlers))
      )
      yield* Effect.sleep("100 millis")
      expect(failedOnReturn).toEqual([])
      expect(failed).toEqual(["logfire"])
      expect(rejections).toEqual([])
    }))
})

describe("LogfireExporter when the collector is down or slow", () => {
  const emissionUnaffected = (otlpEndpoint: string) =>
    Effect.gen(function*() {
      const rejections: Array<unknown> = []
      const spy = (reason: unknown) => {
        rejections.push(reason)
      }
      process.on("unhandledRejection", spy)
      yield* Effect.addFinalizer(() => Effect.sync(() => process.off("unhandledRejection", spy)))
      // the export timeout is far shorter than the test: emission must not wait for the collector
      const { failed } = yield* withGuard(
        guard({ telemetryExportTimeoutMs: 400, telemetryShutdownTimeoutMs: 800 }, { otlpEndpoint }),
        Effect.zipRight(banned(), banned())
      )
      yield* Effect.sleep("100 millis")
      expect(failed).toEqual(["logfire"])
      expect(rejections).toEqual([])
    })

  it.scopedLive("a collector with nothing listening leaves emission unaffected and is reported", () =>
    emissionUnaffected("http://127.0.0.1:1"))

  it.scopedLive("a collector that answers too slowly leaves emission unaffected and is reported", () =>
    Effect.gen(function*() {
      const receiver = yield* makeOtlpReceiver
      yield* receiver.setMode({ _tag: "slow", delayMs: 5_000 })
      yield* emissionUnaffected(receiver.url)
    }))
})
