/**
 * A server for bench/middleware.ts: `bare`, `guarded` (default config, detection on) or
 * `guarded-otel` (the same exporting OpenTelemetry to `OTLP_URL`). Prints "ready" when listening.
 */
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { createServer } from "node:http"
import { GuardConfig, GuardLive, guardMiddleware } from "../src/index.js"

const [mode = "bare", portText = "0"] = process.argv.slice(2)
const port = Number(portText)

const router = HttpRouter.empty.pipe(
  HttpRouter.get("/hello", HttpServerResponse.text("hello")),
  HttpRouter.post("/items", Effect.flatMap(HttpServerRequest.HttpServerRequest, (req) =>
    Effect.map(req.json, (body) => HttpServerResponse.text(`stored ${Object.keys(body as object).length} fields`))))
)

// Default guard configuration, except a global limit no benchmark reaches (one client sends everything).
const guardConfig = GuardConfig.layer({
  rateLimit: 1_000_000,
  rateLimitWindow: 1,
  // BENCH_GUARD_CONFIG (JSON) lets an experiment switch parts off, e.g. '{"securityHeaders":{"enabled":false}}'
  ...(JSON.parse(process.env["BENCH_GUARD_CONFIG"] ?? "{}") as object),
  ...(mode === "guarded-otel" ? { enableOtel: true, otelExporterEndpoint: process.env["OTLP_URL"] ?? "http://127.0.0.1:4318" } : {})
})

const serve = mode === "bare"
  ? HttpServer.serve(router)
  : HttpServer.serve(router, guardMiddleware).pipe(Layer.provide(GuardLive), Layer.provide(guardConfig))

const main = serve.pipe(
  Layer.provide(NodeHttpServer.layer(createServer, { port })),
  Layer.provide(Logger.minimumLogLevel(LogLevel.Error)),
  Layer.launch,
  Effect.zipLeft(Effect.void)
)

Effect.runFork(Effect.sync(() => setTimeout(() => console.log("ready"), 300)))
NodeRuntime.runMain(main)
