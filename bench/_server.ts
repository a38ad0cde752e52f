/**
 * A server for the server benchmarks. Prints "ready" once it serves requests. Modes:
 *
 * - `bare`: the router alone; `guarded`: behind `guardMiddleware` (default config, detection on);
 *   `guarded-otel`: the same exporting OpenTelemetry to `OTLP_URL`; `guarded-console`: the same with
 *   the guard console at /__guard (token `CONSOLE_TOKEN` of bench/_inProcess.ts).
 * - `guarded-lean`: the same `guardMiddleware` with `GuardPipelineLive` instead of `GuardLive`: the
 *   guard's services out of the request context, the pipeline alone in it (as `serveGuarded` serves).
 * - What a guard costs before it checks anything (bench/breakdown.ts): `empty` (a middleware that
 *   does nothing), `context` (`GuardLive` in the context, the middleware only reads the pipeline),
 *   `hook` (only a pre-response handler), `context-hook` (both), `guarded-minimal` (the guard with
 *   every optional part off: no security headers, detection, rate limit or auto-ban).
 */
import { HttpApp, HttpMiddleware, HttpServer } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { createServer } from "node:http"
import { GuardLive, guardMiddleware, GuardPipeline, GuardPipelineLive } from "../src/index.js"
import { router } from "./_app.js"
import { benchConfig, consoleConfig, minimalConfig } from "./_inProcess.js"

const [mode = "bare", portText = "0"] = process.argv.slice(2)
const port = Number(portText)

const guardConfig = benchConfig({
  ...(mode === "guarded-minimal" ? minimalConfig : {}),
  ...(mode === "guarded-console" ? consoleConfig : {}),
  ...(mode === "guarded-otel" ? { enableOtel: true, otelExporterEndpoint: process.env["OTLP_URL"] ?? "http://127.0.0.1:4318" } : {})
})

const withGuardLive = <A, E, R>(layer: Layer.Layer<A, E, R>) => layer.pipe(Layer.provide(GuardLive), Layer.provide(guardConfig))

const readsPipeline = HttpMiddleware.make((app) => Effect.flatMap(GuardPipeline, () => app))
const hook = HttpMiddleware.make((app) => Effect.zipRight(HttpApp.appendPreResponseHandler((_, response) => Effect.succeed(response)), app))

const serve = mode === "bare"
  ? HttpServer.serve(router)
  : mode === "empty"
  ? HttpServer.serve(router, (app) => app)
  : mode === "context"
  ? withGuardLive(HttpServer.serve(router, readsPipeline))
  : mode === "hook"
  ? HttpServer.serve(router, hook)
  : mode === "context-hook"
  ? withGuardLive(HttpServer.serve(router, (app) => hook(readsPipeline(app))))
  : mode === "guarded" || mode === "guarded-otel" || mode === "guarded-minimal" || mode === "guarded-console"
  ? withGuardLive(HttpServer.serve(router, guardMiddleware))
  : mode === "guarded-lean"
  ? HttpServer.serve(router, guardMiddleware).pipe(Layer.provide(GuardPipelineLive), Layer.provide(guardConfig))
  : (() => {
    throw new Error(`unknown mode ${mode}`)
  })()

const main = serve.pipe(
  Layer.provide(NodeHttpServer.layer(createServer, { port })),
  Layer.provide(Logger.minimumLogLevel(LogLevel.Error)),
  // "ready" once the handler is installed, not on a timer: under valgrind start-up outlasts any
  // timer, and a benchmark's first request then went out long before the server served
  Layer.tap(() => Effect.sync(() => console.log("ready"))),
  Layer.launch,
  Effect.zipLeft(Effect.void)
)

NodeRuntime.runMain(main)
