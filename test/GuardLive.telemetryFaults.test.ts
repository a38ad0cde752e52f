/**
 * The guard's telemetry against backends that fail: a loopback OTLP collector and a guard-agent
 * stand-in that refuse connections, hang, answer 500 or answer garbage. Failures show while
 * traffic flows, and closing never takes longer than `telemetryShutdownTimeoutMs`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Layer, Logger, Metric, Ref, Scope } from "effect"
import { CompositeHandler, EventBus, GuardConfig, type GuardConfigInput, GuardLive } from "effect-guard"
import { exporterUp } from "../src/CompositeHandler.js"
import { makeAgentBackend } from "./support/agentBackend.js"
import { eventually } from "./support/events.js"
import { makeGarbageServer } from "./support/garbageServer.js"
import { makeOtlpReceiver } from "./support/otlpReceiver.js"
import { freePort } from "./support/redisServer.js"

const API_KEY = "test-api-key-0123456789"

const emit = Effect.flatMap(EventBus, (bus) =>
  bus.emit("ip_banned", { actionTaken: "banned", reason: "test", ipAddress: "203.0.113.9" }))

/** A logger that keeps every line. */
const recordingLogs = Effect.gen(function*() {
  const lines = yield* Ref.make(Chunk.empty<string>())
  const layer = Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ logLevel, message }) => {
      const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
      Effect.runSync(Ref.update(lines, Chunk.append(`${logLevel.label} ${text}`)))
    })
  )
  return { layer, lines: Effect.map(Ref.get(lines), Chunk.toReadonlyArray) }
})

/** Builds a guard in a scope of its own, so a test can time its close. */
const openGuard = (input: GuardConfigInput, logs: Layer.Layer<never>) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(GuardLive.pipe(Layer.provide(GuardConfig.layer(input)), Layer.provide(logs)), scope)
    return { scope, run: <A, E>(effect: Effect.Effect<A, E, CompositeHandler | EventBus>) => Effect.provide(effect, context) }
  })

/** Emits an event every 100 ms while `until` does not hold (at most `tries` times). */
const traffic = <A>(check: Effect.Effect<A, never, CompositeHandler | EventBus>, until: (a: A) => boolean, tries = 100) =>
  Effect.gen(function*() {
    let last = yield* check
    for (let i = 0; i < tries && !until(last); i++) {
      yield* emit
      yield* Effect.sleep("100 millis")
      last = yield* check
    }
    return last
  })

const failedHandlers = Effect.flatMap(CompositeHandler, (c) => c.failedHandlers)
const up = (exporter: string) => Effect.map(Metric.value(Metric.tagged(exporterUp, "exporter", exporter)), (state) => state.value)

const otelConfig = (endpoint: string): GuardConfigInput => ({
  enableOtel: true,
  otelExporterEndpoint: endpoint,
  telemetryExportTimeoutMs: 1_000,
  telemetryShutdownTimeoutMs: 1_500
})

describe("exporter failures are visible while traffic flows", () => {
  const reportedWithinSeconds = (endpoint: string) =>
    Effect.gen(function*() {
      const logs = yield* recordingLogs
      const guard = yield* openGuard(otelConfig(endpoint), logs.layer)
      // reported while traffic flows: one second of span batching, then the export (at most
      // telemetryExportTimeoutMs), and the composite's next look at the exporter's health. The OTel
      // SDK batches on its own timers (real time), so no test clock can stand in: the traffic's own
      // bound (100 events, 100 ms apart) only detects a failure that is never reported
      const failed = yield* guard.run(traffic(failedHandlers, (names) => names.includes("otel")))
      expect(failed).toEqual(["otel"])
      expect(yield* guard.run(Effect.flatMap(CompositeHandler, (c) => c.degraded))).toBe(true)
      expect(yield* up("otel")).toBe(0)
      // more traffic, no more lines: one per change
      yield* guard.run(Effect.repeatN(emit, 10))
      expect((yield* logs.lines).filter((line) => line.includes("telemetry exporter otel failed"))).toHaveLength(1)
      yield* Scope.close(guard.scope, Exit.void)
    })

  it.live("a collector nobody listens on", () => Effect.flatMap(freePort, (port) => reportedWithinSeconds(`http://127.0.0.1:${port}`)))

  it.live("a collector that takes requests and never answers", () =>
    Effect.gen(function*() {
      const receiver = yield* makeOtlpReceiver
      yield* receiver.setMode({ _tag: "hang" })
      yield* reportedWithinSeconds(receiver.url)
    }).pipe(Effect.scoped))

  it.live("a collector that answers 500", () =>
    Effect.gen(function*() {
      const receiver = yield* makeOtlpReceiver
      yield* receiver.setMode({ _tag: "status", status: 500 })
      yield* reportedWithinSeconds(receiver.url)
    }).pipe(Effect.scoped))

  it.live("a collector that answers garbage", () => Effect.flatMap(makeGarbageServer, (server) => reportedWithinSeconds(server.url)).pipe(Effect.scoped))

  it.live("recovery is reported once the collector delivers again", () =>
    Effect.gen(function*() {
      const logs = yield* recordingLogs
      const receiver = yield* makeOtlpReceiver
      yield* receiver.setMode({ _tag: "status", status: 500 })
      const guard = yield* openGuard(otelConfig(receiver.url), logs.layer)
      yield* guard.run(traffic(failedHandlers, (names) => names.includes("otel")))
      yield* receiver.setMode({ _tag: "ok" })
      const healed = yield* guard.run(traffic(failedHandlers, (names) => names.length === 0))
      expect(healed).toEqual([])
      expect(yield* up("otel")).toBe(1)
      const lines = yield* logs.lines
      expect(lines.filter((line) => line.includes("telemetry exporter otel failed"))).toHaveLength(1)
      expect(lines.filter((line) => line.includes("telemetry exporter otel recovered"))).toHaveLength(1)
      yield* Scope.close(guard.scope, Exit.void)
    }).pipe(Effect.scoped))

  it.live("an agent backend that answers 500 is reported after the transport's next delivery round", () =>
    Effect.gen(function*() {
      const logs = yield* recordingLogs
      const backend = yield* makeAgentBackend()
      yield* backend.always({ status: 500 })
      const guard = yield* openGuard({
        enableAgent: true,
        agentApiKey: API_KEY,
        agentEndpoint: backend.url,
        agentFlushInterval: 1,
        agentRetryAttempts: 0,
        telemetryShutdownTimeoutMs: 1_000
      }, logs.layer)
      const failed = yield* guard.run(traffic(failedHandlers, (names) => names.includes("agent")))
      expect(failed).toEqual(["agent"])
      yield* backend.always(undefined)
      expect(yield* guard.run(traffic(failedHandlers, (names) => names.length === 0))).toEqual([])
      yield* Scope.close(guard.scope, Exit.void)
    }).pipe(Effect.scoped))
})

describe("closing is bounded by telemetryShutdownTimeoutMs", () => {
  // The deadline runs on the wall clock by design (src/internal/deadline.ts: a test clock cannot
  // make a socket answer), so the close is timed on it; the deadline is long enough that one
  // deadline and one per exporter (twice as long) stay apart however loaded the machine is
  const DEADLINE = 3_000

  it.live("a collector and an agent backend that never answer: the whole close takes one deadline", () =>
    Effect.gen(function*() {
      const logs = yield* recordingLogs
      const receiver = yield* makeOtlpReceiver
      const backend = yield* makeAgentBackend()
      yield* receiver.setMode({ _tag: "hang" })
      yield* backend.hang(true)
      const guard = yield* openGuard({
        ...otelConfig(receiver.url),
        enableAgent: true,
        agentApiKey: API_KEY,
        agentEndpoint: backend.url,
        // the exporters' own timeouts are far past the deadline: the close does not wait for them
        telemetryExportTimeoutMs: 60_000,
        telemetryShutdownTimeoutMs: DEADLINE
      }, logs.layer)
      yield* guard.run(Effect.repeatN(emit, 20))
      const started = Date.now()
      yield* Scope.close(guard.scope, Exit.void)
      const took = Date.now() - started
      expect(took).toBeGreaterThanOrEqual(DEADLINE - 100)
      // one deadline for both exporters, not one per exporter in turn
      expect(took).toBeLessThan(2 * DEADLINE)
      const [warning] = (yield* logs.lines).filter((line) => line.includes("telemetry shutdown deadline"))
      expect(warning).toContain("not stopped: agent, otel")
    }).pipe(Effect.scoped))

  it.live("healthy backends are flushed and stopped well within the deadline", () =>
    Effect.gen(function*() {
      const logs = yield* recordingLogs
      const receiver = yield* makeOtlpReceiver
      const backend = yield* makeAgentBackend()
      const guard = yield* openGuard({
        ...otelConfig(receiver.url),
        enableAgent: true,
        agentApiKey: API_KEY,
        agentEndpoint: backend.url,
        telemetryShutdownTimeoutMs: 5_000
      }, logs.layer)
      yield* guard.run(Effect.repeatN(emit, 19))
      yield* Scope.close(guard.scope, Exit.void)
      expect((yield* backend.acceptedEvents).length).toBe(20)
      expect((yield* receiver.spans).filter((span) => span.name === "guard.event.ip_banned").length).toBe(20)
      expect((yield* logs.lines).filter((line) => line.includes("deadline"))).toEqual([])
    }).pipe(Effect.scoped))
})

describe("under TestClock, as applications test 5-minute windows", () => {
  const productionLike = (agentEndpoint: string): GuardConfigInput => ({
    enableAgent: true,
    enableEnrichment: true,
    agentApiKey: API_KEY,
    agentEndpoint,
    telemetryExportTimeoutMs: 300,
    telemetryShutdownTimeoutMs: 600
  })

  const emitFlushClose = (agentEndpoint: string) =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(GuardLive.pipe(Layer.provide(GuardConfig.layer(productionLike(agentEndpoint)))), scope)
      yield* Effect.provide(emit, context)
      yield* Effect.flatMap(CompositeHandler, (c) => c.flush).pipe(Effect.provide(context))
      const failed = yield* Effect.flatMap(CompositeHandler, (c) => c.failedHandlers).pipe(Effect.provide(context))
      yield* Scope.close(scope, Exit.void)
      return failed
    })

  it.scoped("an unreachable agent: emit, flush and close complete, and the agent is reported failed", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      expect(yield* emitFlushClose(`http://127.0.0.1:${port}`)).toEqual(["agent"])
    }))

  it.scoped("an agent that never answers: emit, flush and close complete within the wall-clock deadlines", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      yield* backend.hang(true)
      expect(yield* emitFlushClose(backend.url)).toEqual(["agent"])
    }))

  it.scoped("events emitted under TestClock still reach a healthy agent on flush", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      expect(yield* emitFlushClose(backend.url)).toEqual([])
      const [event] = yield* eventually(backend.acceptedEvents, (events) => events.length > 0)
      expect(event).toMatchObject({ event_type: "ip_banned" })
    }))
})
