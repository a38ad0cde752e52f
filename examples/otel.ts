/**
 * A guarded `@effect/platform` server exporting to an OpenTelemetry collector over OTLP/HTTP.
 *
 *   npx tsx examples/otel.ts http://127.0.0.1:4318 [port]
 *
 * `guardMiddleware` records the request metrics of every request (`guard.request.duration`,
 * `guard.request.count`, `guard.error.count`) and each refusal as a span `guard.event.<type>` that
 * continues the caller's `traceparent` (try `/?q=<script>alert(1)</script>`). The `/` handler also
 * emits an event of its own through `EventBus` when `x-api-key` is missing.
 * `OtelExporter.layerTracerConfig` sends Effect's own spans, the server's request spans included (with
 * `guard.blocked_by` on refused requests), to the same collector with the same resource.
 *
 * Ctrl-C (SIGINT) or SIGTERM closes the layers: the server stops accepting, the guard drains its
 * queue, and the exporters flush and shut down before the process exits.
 */
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import { EventBus } from "../src/EventBus.js"
import { OtelExporter } from "../src/exporters/Otel.js"
import { GuardConfig } from "../src/GuardConfig.js"
import { GuardLive } from "../src/GuardLive.js"
import { guardMiddleware } from "../src/GuardMiddleware.js"

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
  const request = yield* HttpServerRequest.HttpServerRequest
  const bus = yield* EventBus
  const denied = request.headers["x-api-key"] === undefined
  if (denied) {
    // the bus reads IP, user agent, path, method and traceparent from the request in context
    yield* bus.emit("access_denied", { actionTaken: "rejected", reason: "missing x-api-key" })
  }
  return denied
    ? HttpServerResponse.text("missing x-api-key\n", { status: 401 })
    : HttpServerResponse.text("hello\n")
})

const App = HttpRouter.empty.pipe(
  HttpRouter.get("/", hello),
  HttpServer.serve(guardMiddleware),
  HttpServer.withLogAddress
)

// the server is provided first, so built last: it listens once the guard (and its SDK) is ready
const Main = App.pipe(
  Layer.provide(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" })),
  Layer.provide(GuardLive),
  Layer.provide(OtelExporter.layerTracerConfig),
  Layer.provide(Config)
)

NodeRuntime.runMain(Layer.launch(Main))
