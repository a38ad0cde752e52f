/**
 * A guarded `@effect/platform` server exporting to an OpenTelemetry collector over OTLP/HTTP.
 *
 *   npx tsx examples/otel.ts http://127.0.0.1:4318 [port]
 *
 * Every request to `/` emits one security event (a span `guard.event.access_denied` that continues
 * the caller's `traceparent`) and the request metrics (`guard.request.duration`,
 * `guard.request.count`, `guard.error.count`). `OtelExporter.layerTracer` sends Effect's own spans,
 * the server's request spans included, to the same collector with the same resource. The guard
 * middleware is not wired here: the handler emits the event through `EventBus` itself.
 *
 * Ctrl-C (SIGINT) or SIGTERM closes the layers: the server stops accepting, the guard drains its
 * queue, and the exporters flush and shut down before the process exits.
 */
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Clock, Effect, Layer } from "effect"
import { createServer } from "node:http"
import { EventBus } from "../src/EventBus.js"
import { OtelExporter } from "../src/exporters/Otel.js"
import { GuardConfig } from "../src/GuardConfig.js"
import { GuardLive } from "../src/GuardLive.js"
import { MetricsCollector } from "../src/MetricsCollector.js"

const collector = process.argv[2] ?? "http://127.0.0.1:4318"
const port = Number(process.argv[3] ?? 3000)

const Config = GuardConfig.layer({
  enableOtel: true,
  otelServiceName: "guarded-example",
  otelExporterEndpoint: collector,
  otelResourceAttributes: { "deployment.environment": "dev" },
  telemetryShutdownTimeoutMs: 5_000
})

const hello = Effect.gen(function*() {
  const started = yield* Clock.currentTimeMillis
  const request = yield* HttpServerRequest.HttpServerRequest
  const bus = yield* EventBus
  const metrics = yield* MetricsCollector
  const denied = request.headers["x-api-key"] === undefined
  if (denied) {
    // the bus reads IP, user agent, path, method and traceparent from the request in context
    yield* bus.emit("access_denied", { actionTaken: "rejected", reason: "missing x-api-key" })
  }
  const status = denied ? 401 : 200
  const finished = yield* Clock.currentTimeMillis
  yield* metrics.collectRequest({
    endpoint: "/",
    method: request.method,
    status,
    responseTime: (finished - started) / 1000
  })
  return denied
    ? HttpServerResponse.text("missing x-api-key\n", { status })
    : HttpServerResponse.text("hello\n")
})

const App = HttpRouter.empty.pipe(
  HttpRouter.get("/", hello),
  HttpServer.serve(),
  HttpServer.withLogAddress
)

const Main = App.pipe(
  Layer.provide(GuardLive),
  Layer.provide(OtelExporter.layerTracer),
  Layer.provide(Config),
  Layer.provide(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" }))
)

NodeRuntime.runMain(Layer.launch(Main))
