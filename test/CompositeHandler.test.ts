import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Metric, Scope } from "effect"
import { CompositeHandler, droppedTelemetry, type ExporterSpec, TestExporter } from "effect-guard"
import { make as makeComposite } from "effect-guard/CompositeHandler"
import { make as makeTestExporter } from "effect-guard/TestExporter"
import { eventually, makeEvent, makeMetric } from "./support/events.js"

describe("CompositeHandler", () => {
  it.scoped("delivers every event and metric to every exporter", () =>
    Effect.gen(function*() {
      const a = yield* makeTestExporter({ name: "a" })
      const b = yield* makeTestExporter({ name: "b" })
      const composite = yield* makeComposite({ exporters: [a.spec, b.spec] })
      yield* composite.sendEvent(makeEvent("ip_banned"))
      yield* composite.sendMetric(makeMetric("request_count"))
      yield* composite.flush
      for (const exporter of [a, b]) {
        expect((yield* exporter.events).map((e) => e.eventType)).toEqual(["ip_banned"])
        expect((yield* exporter.metrics).map((m) => m.metricType)).toEqual(["request_count"])
      }
    }))

  it.scoped("muted event and metric types never reach an exporter", () =>
    Effect.gen(function*() {
      const exporter = yield* makeTestExporter()
      const composite = yield* makeComposite({
        exporters: [exporter.spec],
        mutedEventTypes: new Set(["rate_limited"]),
        mutedMetricTypes: new Set(["response_time"])
      })
      yield* composite.sendEvent(makeEvent("rate_limited"))
      yield* composite.sendEvent(makeEvent("ip_banned"))
      yield* composite.sendMetric(makeMetric("response_time"))
      yield* composite.sendMetric(makeMetric("request_count"))
      yield* composite.flush
      expect((yield* exporter.events).map((e) => e.eventType)).toEqual(["ip_banned"])
      expect((yield* exporter.metrics).map((m) => m.metricType)).toEqual(["request_count"])
    }))

  it.scoped("every exporter receives its own copy of the event", () =>
    Effect.gen(function*() {
      const a = yield* makeTestExporter({ name: "a" })
      const b = yield* makeTestExporter({ name: "b" })
      const composite = yield* makeComposite({ exporters: [a.spec, b.spec] })
      const original = makeEvent("ip_banned", { metadata: { nested: { n: 1 } } })
      yield* composite.sendEvent(original)
      yield* composite.flush
      const [seenByA] = yield* a.events
      const [seenByB] = yield* b.events
      ;(seenByA!.metadata["nested"] as { n: number }).n = 99
      expect(seenByB!.metadata["nested"]).toEqual({ n: 1 })
      expect(original.metadata["nested"]).toEqual({ n: 1 })
      expect(seenByA).not.toBe(seenByB)
    }))

  it.scoped("an emitter cannot set guard.* keys: enrichment owns that namespace", () =>
    Effect.gen(function*() {
      const exporter = yield* makeTestExporter()
      const composite = yield* makeComposite({ exporters: [exporter.spec] })
      yield* composite.sendEvent(makeEvent("ip_banned", { metadata: { "guard.threat_score": 0, kept: true } }))
      yield* composite.flush
      const [event] = yield* exporter.events
      expect(event!.metadata).toEqual({ kept: true })
    }))

  it.live("an exporter that fails or throws does not stop the others, and is reported", () =>
    Effect.gen(function*() {
      const good = yield* makeTestExporter({ name: "good" })
      const failing = yield* makeTestExporter({ name: "failing", behavior: "fail" })
      const throwing = yield* makeTestExporter({ name: "throwing", behavior: "throw" })
      const composite = yield* makeComposite({ exporters: [failing.spec, throwing.spec, good.spec] })
      for (let i = 0; i < 3; i++) yield* composite.sendEvent(makeEvent("ip_blocked"))
      yield* composite.flush
      expect(yield* good.events).toHaveLength(3)
      expect(yield* composite.degraded).toBe(true)
      expect(yield* composite.failedHandlers).toEqual(["failing", "throwing"])
    }).pipe(Effect.scoped))

  it.live("an exporter that never answers neither delays emission nor the other exporters", () =>
    Effect.gen(function*() {
      const good = yield* makeTestExporter({ name: "good" })
      const hung = yield* makeTestExporter({ name: "hung", behavior: "hang" })
      // a timeout of an hour: if emission or the healthy exporter waited for the hung one, this test could not end
      const composite = yield* makeComposite({ exporters: [hung.spec, good.spec], exportTimeout: "1 hour", shutdownTimeout: "200 millis" })
      for (let i = 0; i < 100; i++) yield* composite.sendEvent(makeEvent("ip_blocked"))
      const delivered = yield* eventually(good.events, (es) => es.length === 100)
      expect(delivered).toHaveLength(100)
    }).pipe(Effect.scoped))

  it.live("an exporter that does not answer within its timeout is reported as failed", () =>
    Effect.gen(function*() {
      const good = yield* makeTestExporter({ name: "good" })
      const hung = yield* makeTestExporter({ name: "hung", behavior: "hang" })
      const composite = yield* makeComposite({ exporters: [hung.spec, good.spec], exportTimeout: "50 millis", shutdownTimeout: "200 millis" })
      yield* composite.sendEvent(makeEvent("ip_blocked"))
      const failed = yield* eventually(composite.failedHandlers, (names) => names.includes("hung"))
      expect(failed).toEqual(["hung"])
      expect(yield* composite.degraded).toBe(true)
    }).pipe(Effect.scoped))

  it.live("a full queue drops new payloads and counts them instead of blocking", () =>
    Effect.gen(function*() {
      const hung = yield* makeTestExporter({ name: "hung", behavior: "hang" })
      const composite = yield* makeComposite({
        exporters: [hung.spec],
        queueCapacity: 4,
        exportTimeout: "20 millis",
        shutdownTimeout: "100 millis"
      })
      // without yielding, the background fiber cannot drain: the 5th offer onwards must drop
      yield* Effect.forEach(Array.from({ length: 10 }), () => composite.sendEvent(makeEvent("ip_blocked")), { discard: true })
      expect(yield* composite.dropped).toBeGreaterThanOrEqual(6)
    }).pipe(Effect.scoped))

  it.effect("an exporter that fails to start is reported and the others run", () =>
    Effect.gen(function*() {
      const good = yield* makeTestExporter({ name: "good" })
      const broken = yield* makeTestExporter({ name: "broken", failOnStart: true })
      const scope = yield* Scope.make()
      const composite = yield* makeComposite({ exporters: [broken.spec, good.spec] }).pipe(Scope.extend(scope))
      expect(yield* composite.started).toBe(true)
      expect(yield* composite.degraded).toBe(true)
      expect(yield* composite.failedHandlers).toEqual(["broken"])
      expect(composite.exporters).toEqual(["good"])
      yield* Scope.close(scope, Exit.void)
    }))

  it.effect("closing the scope delivers every queued event, flushes, then stops the exporters", () =>
    Effect.gen(function*() {
      const exporter = yield* makeTestExporter()
      const scope = yield* Scope.make()
      const composite = yield* makeComposite({ exporters: [exporter.spec] }).pipe(Scope.extend(scope))
      yield* Effect.forEach(Array.from({ length: 50 }), () => composite.sendEvent(makeEvent("ip_blocked")), { discard: true })
      yield* Scope.close(scope, Exit.void)
      expect(yield* exporter.events).toHaveLength(50)
      expect(yield* exporter.lifecycle).toEqual(["start", "flush", "stop"])
      expect(yield* composite.started).toBe(false)
    }))

  it.live("closing the scope with a hung exporter ends, the hung call released and the others served", () =>
    Effect.gen(function*() {
      const good = yield* makeTestExporter({ name: "good" })
      const released = yield* Deferred.make<void>()
      const hung: ExporterSpec = {
        name: "hung",
        acquire: Effect.succeed({
          name: "hung",
          exportEvent: () => Effect.onInterrupt(Effect.never, () => Deferred.succeed(released, undefined)),
          exportMetric: () => Effect.never,
          flush: Effect.never,
          health: Effect.succeed(true)
        })
      }
      const scope = yield* Scope.make()
      const composite = yield* makeComposite({
        exporters: [hung, good.spec],
        exportTimeout: "50 millis",
        shutdownTimeout: "200 millis"
      }).pipe(Scope.extend(scope))
      for (let i = 0; i < 20; i++) yield* composite.sendEvent(makeEvent("ip_blocked"))
      // without its deadlines the close would wait on the hung exporter for ever
      yield* Scope.close(scope, Exit.void)
      // and nothing of the hung exporter is left running
      yield* Deferred.await(released)
      expect(yield* good.events).toHaveLength(20)
    }))

  it.effect("TestExporter is a layer too", () =>
    Effect.gen(function*() {
      const exporter = yield* TestExporter
      expect(exporter.name).toBe("test")
      expect(CompositeHandler.key).toBe("effect-guard/CompositeHandler")
    }).pipe(Effect.provide(TestExporter.layer())))
})

describe("CompositeHandler request sinks", () => {
  it.scoped("a sink that throws never reaches the request: the loss is counted under its exporter", () =>
    Effect.gen(function*() {
      const exporter = yield* makeTestExporter({ name: "throwing-sink" })
      const spec = {
        ...exporter.spec,
        acquire: Effect.map(exporter.spec.acquire, (running) => ({
          ...running,
          requestSink: () => () => {
            throw new Error("sink broke")
          }
        }))
      }
      const composite = yield* makeComposite({ exporters: [spec] })
      const lost = Metric.tagged(droppedTelemetry, "lane", "throwing-sink")
      const before = (yield* Metric.value(lost)).count
      expect(() => composite.recordRequest({ endpoint: "/a", method: "GET", status: 200, responseTime: 0.001 })).not.toThrow()
      composite.recordRequest({ endpoint: "/a", method: "GET", status: 500, responseTime: 0.002 })
      expect((yield* Metric.value(lost)).count - before).toBe(2)
      // events still flow to the exporter
      yield* composite.sendEvent(makeEvent("ip_banned"))
      yield* composite.flush
      expect((yield* exporter.events).map((e) => e.eventType)).toEqual(["ip_banned"])
    }))
})
