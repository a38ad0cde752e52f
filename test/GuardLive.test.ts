import { HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Context, Effect, Exit, Layer, ManagedRuntime, Option } from "effect"
import {
  ClientIp,
  CompositeHandler,
  EnrichmentKeys,
  EventBus,
  GeoIpLookup,
  GuardConfig,
  type GuardConfigInput,
  GuardLive,
  type GuardPipeline,
  IpBans,
  makeGuardLive,
  MetricsCollector,
  TestExporter
} from "effect-guard"

const guard = (config: GuardConfigInput, exporter = TestExporter.layer()) =>
  GuardLive.pipe(Layer.provideMerge(exporter), Layer.provide(GuardConfig.layer(config)))

const emitBlocked = Effect.flatMap(EventBus, (bus) =>
  bus.emit("ip_blocked", { actionTaken: "request_blocked", reason: "blacklisted", metadata: { filter_type: "global" } }))

const delivered = Effect.gen(function*() {
  yield* Effect.flatMap(CompositeHandler, (c) => c.flush)
  const exporter = yield* TestExporter
  return { events: yield* exporter.events, metrics: yield* exporter.metrics }
})

describe("GuardLive", () => {
  it.scoped("events and metrics reach the exporters, raw when enrichment is off", () =>
    Effect.gen(function*() {
      yield* emitBlocked
      yield* Effect.flatMap(MetricsCollector, (m) =>
        m.collectRequest({ endpoint: "/api", method: "GET", status: 503, responseTime: 0.012 }))
      const { events, metrics } = yield* delivered
      expect(events.map((e) => e.eventType)).toEqual(["ip_blocked"])
      expect(events[0]!.metadata).toEqual({ filter_type: "global" })
      expect(metrics.map((m) => [m.metricType, m.value, m.tags])).toEqual([
        ["response_time", 0.012, { endpoint: "/api", method: "GET", status: "503" }],
        ["request_count", 1, { endpoint: "/api", method: "GET" }],
        ["error_rate", 1, { endpoint: "/api", method: "GET", status: "503" }]
      ])
    }).pipe(Effect.provide(guard({}))))

  it.scoped("muted event and metric types never reach the exporter", () =>
    Effect.gen(function*() {
      const bus = yield* EventBus
      yield* bus.emit("rate_limited", { actionTaken: "request_blocked", reason: "too many" })
      yield* emitBlocked
      yield* Effect.flatMap(MetricsCollector, (m) =>
        m.collectRequest({ endpoint: "/", method: "GET", status: 200, responseTime: 0.001 }))
      const { events, metrics } = yield* delivered
      expect(events.map((e) => e.eventType)).toEqual(["ip_blocked"])
      expect(metrics.map((m) => m.metricType)).toEqual(["request_count"])
      expect(bus.isMuted("rate_limited")).toBe(true)
    }).pipe(Effect.provide(guard({ mutedEventTypes: ["rate_limited"], mutedMetricTypes: ["response_time"] }))))

  // live clock: the agent transport (on with enrichment) retries on real time
  it.live("with enrichment on, exporters see the guard.* keys on events and identity tags on metrics", () =>
    Effect.gen(function*() {
      yield* emitBlocked.pipe(Effect.provideService(ClientIp, "198.51.100.4"))
      yield* Effect.flatMap(MetricsCollector, (m) => m.send("request_count", 1, { endpoint: "/" }))
      const { events, metrics } = yield* delivered
      expect(events[0]!.metadata).toMatchObject({
        [EnrichmentKeys.projectId]: "proj-1",
        [EnrichmentKeys.serviceName]: "guard-core",
        [EnrichmentKeys.threatScore]: 50,
        [EnrichmentKeys.recentEventCount]: 1
      })
      expect(metrics[0]!.tags[EnrichmentKeys.projectId]).toBe("proj-1")
      expect(metrics[0]!.tags[EnrichmentKeys.threatScore]).toBeUndefined()
    }).pipe(Effect.provide(guard({
      enableAgent: true,
      agentApiKey: "test-api-key-0001",
      agentProjectId: "proj-1",
      enableEnrichment: true,
      // the agent transport is on with enrichment: point it at a closed loopback port
      agentEndpoint: "http://127.0.0.1:9",
      telemetryExportTimeoutMs: 200,
      telemetryShutdownTimeoutMs: 500
    })), Effect.scoped))

  it.scoped("inside a request the event carries the client, the endpoint and the trace headers", () =>
    Effect.gen(function*() {
      const request = HttpServerRequest.fromWeb(new Request("http://guarded.test/admin/users?page=2", {
        headers: {
          "user-agent": "curl/8.5",
          traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
          tracestate: "vendor=1"
        }
      }))
      yield* emitBlocked.pipe(
        Effect.provideService(HttpServerRequest.HttpServerRequest, request),
        Effect.provideService(ClientIp, "203.0.113.9")
      )
      const [event] = (yield* delivered).events
      expect(event).toMatchObject({
        ipAddress: "203.0.113.9",
        country: "NL",
        userAgent: "curl/8.5",
        endpoint: "/admin/users",
        method: "GET",
        handlerName: "middleware"
      })
      expect(event!.metadata).toEqual({
        filter_type: "global",
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        tracestate: "vendor=1"
      })
    }).pipe(Effect.provide(guard({}).pipe(Layer.provide(Layer.succeed(GeoIpLookup, {
      country: (ip) => Effect.succeed(ip === "203.0.113.9" ? Option.some("NL") : Option.none())
    }))))))

  it.scoped("outside a request the event says what the emitter knows", () =>
    Effect.gen(function*() {
      yield* Effect.flatMap(EventBus, (bus) =>
        bus.emit("dynamic_rule_applied", { actionTaken: "rules_updated", reason: "Applied", ipAddress: "system" }))
      const [event] = (yield* delivered).events
      expect(event).toMatchObject({ ipAddress: "system", handlerName: "guard" })
      expect(event!.endpoint).toBeUndefined()
    }).pipe(Effect.provide(guard({}))))

  it.live("emission never waits for an exporter that never answers", () =>
    Effect.gen(function*() {
      // the exporter timeout is an hour: had emission waited for the exporter, this test could not end
      for (let i = 0; i < 1_000; i++) yield* emitBlocked
      const composite = yield* CompositeHandler
      // and what did not fit was dropped and counted, at the intake or in the hung exporter's lane
      const byExporter = Object.values(yield* composite.droppedByExporter).reduce((a, b) => a + b, 0)
      expect((yield* composite.dropped) + byExporter).toBeGreaterThan(0)
    }).pipe(
      Effect.provide(guard(
        { telemetryExportTimeoutMs: 3_600_000, telemetryShutdownTimeoutMs: 100, telemetryQueueCapacity: 64 },
        TestExporter.layer({ behavior: "hang" })
      ))
    ))

  it.live("closing the guard's scope delivers every queued event", () =>
    Effect.gen(function*() {
      const runtime = ManagedRuntime.make(guard({}))
      yield* Effect.promise(() =>
        runtime.runPromise(Effect.forEach(Array.from({ length: 200 }), () => emitBlocked, { discard: true })))
      const exporter = yield* Effect.promise(() => runtime.runPromise(TestExporter))
      yield* Effect.promise(() => runtime.dispose())
      expect(yield* exporter.events).toHaveLength(200)
      expect(yield* exporter.lifecycle).toEqual(["start", "flush", "stop"])
    }))

  it.live("the same layer serves a web handler: events are emitted per request", () =>
    Effect.gen(function*() {
      const runtime = ManagedRuntime.make(guard({}))
      const rt = yield* Effect.promise(() => runtime.runtime())
      const app = Effect.gen(function*() {
        yield* emitBlocked
        return HttpServerResponse.text("ok")
      })
      const handler = HttpApp.toWebHandlerRuntime(rt)(app)
      const response = yield* Effect.promise(() => handler(new Request("http://guarded.test/hello")))
      expect(response.status).toBe(200)
      const events = yield* Effect.promise(() => runtime.runPromise(delivered.pipe(Effect.map((d) => d.events))))
      expect(events.map((e) => e.endpoint)).toEqual(["/hello"])
      yield* Effect.promise(() => runtime.dispose())
    }))
})

describe("makeGuardLive", () => {
  const bansFor = (layer: Layer.Layer<IpBans>) =>
    Effect.map(Layer.build(layer), (context) => Context.get(context, IpBans))

  it.scoped("the exporters given as inputs receive the events", () =>
    Effect.gen(function*() {
      const capture = Context.get(yield* Layer.build(TestExporter.layer()), TestExporter)
      yield* Effect.gen(function*() {
        yield* emitBlocked
        yield* Effect.flatMap(CompositeHandler, (c) => c.flush)
      }).pipe(Effect.provide(makeGuardLive({ exporters: [capture.spec] }).pipe(Layer.provide(GuardConfig.layer({})))))
      expect((yield* capture.events).map((e) => e.eventType)).toEqual(["ip_blocked"])
    }))

  it.scoped("a store given as an input is the guard's store", () =>
    Effect.gen(function*() {
      const own = yield* bansFor(IpBans.layerMemory())
      const guardBans = yield* IpBans.pipe(
        Effect.provide(makeGuardLive({ stores: { ipBans: Layer.succeed(IpBans, own) } }).pipe(Layer.provide(GuardConfig.layer({}))))
      )
      yield* guardBans.ban("203.0.113.7", "1 hour", "test")
      expect(Option.isSome(yield* own.isBanned("203.0.113.7"))).toBe(true)
    }))

  it.scoped("a service in the surrounding context that is not an input is not used", () =>
    Effect.gen(function*() {
      const outside = yield* bansFor(IpBans.layerMemory())
      const [explicit, implicit] = yield* Effect.all([
        IpBans.pipe(Effect.provide(makeGuardLive({}).pipe(Layer.provide(GuardConfig.layer({}))))),
        IpBans.pipe(Effect.provide(GuardLive.pipe(Layer.provide(GuardConfig.layer({})))))
      ]).pipe(Effect.provideService(IpBans, outside))
      yield* outside.ban("203.0.113.8", "1 hour", "test")
      expect(Option.isSome(yield* explicit.isBanned("203.0.113.8"))).toBe(false)
      // GuardLive takes the same inputs from the context
      expect(Option.isSome(yield* implicit.isBanned("203.0.113.8"))).toBe(true)
    }))

  it.effect("country lookups in the surrounding context that are not an input are not used by the pipeline", () =>
    Effect.gen(function*() {
      const config = GuardConfig.layer({ whitelistCountries: ["NL"] })
      const geoIp = Layer.succeed(GeoIpLookup, { country: () => Effect.succeed(Option.some("NL")) })
      const build = (guardLayer: Layer.Layer<GuardPipeline, unknown, GuardConfig>) =>
        Effect.scoped(Layer.build(guardLayer.pipe(Layer.provide(config)))).pipe(Effect.provide(geoIp), Effect.exit)
      const explicit = yield* build(makeGuardLive({}))
      expect(Exit.isFailure(explicit) && String(Cause.squash(explicit.cause))).toContain("country rules need a GeoIpLookup")
      expect(Exit.isSuccess(yield* build(makeGuardLive({ geoIp })))).toBe(true)
      // GuardLive takes the same inputs from the context
      expect(Exit.isSuccess(yield* build(GuardLive))).toBe(true)
    }))
})
