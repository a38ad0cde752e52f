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
 * - What the platform charges for what the guard adds, without the guard: `bare-headers` (the
 *   application's own response carries the default guard's ten security headers), `bare-headers-hook`
 *   (the same ten added by a pre-response handler with `HttpServerResponse.setHeaders`, as the
 *   platform's `cors` middleware adds its own), `services-1` and `services-9` (one or nine services of
 *   the server's own in the request context, as many as `GuardLive` adds, a middleware reading one).
 */
import { HttpApp, HttpMiddleware, HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Context, Effect, Layer, Logger, LogLevel } from "effect"
import { createServer } from "node:http"
import { decodeGuardConfig, GuardLive, guardMiddleware, GuardPipeline, GuardPipelineLive } from "../src/index.js"
import { securityHeaderSet, securityHeadersFor } from "../src/SecurityHeaders.js"
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

/** The default guard's security headers on a plain-text response to an HTTP request. */
const defaultHeaders = securityHeadersFor(securityHeaderSet(Effect.runSync(decodeGuardConfig({})).securityHeaders), false, false)
const withHeaders = HttpRouter.empty.pipe(HttpRouter.get("/hello", HttpServerResponse.text("hello", { headers: defaultHeaders })))
const headersHook = HttpMiddleware.make((app) =>
  Effect.zipRight(HttpApp.appendPreResponseHandler((_, response) => Effect.succeed(HttpServerResponse.setHeaders(response, defaultHeaders))), app)
)

interface OwnService {
  readonly _: unique symbol
}
/** `n` services of the server's own in the context, and a middleware that reads the first. */
const ownServices = (n: number) => {
  const tags = Array.from({ length: n }, (_, i) => Context.GenericTag<OwnService, { readonly id: number }>(`bench/Service${i}`))
  const context = tags.reduce((ctx: Context.Context<OwnService>, tag, i) => Context.add(ctx, tag, { id: i }), Context.empty() as Context.Context<OwnService>)
  const reads = HttpMiddleware.make((app) => Effect.flatMap(tags[0]!, () => app))
  return HttpServer.serve(router, reads).pipe(Layer.provide(Layer.succeedContext(context)))
}

const serve = mode === "bare"
  ? HttpServer.serve(router)
  : mode === "bare-headers"
  ? HttpServer.serve(withHeaders)
  : mode === "bare-headers-hook"
  ? HttpServer.serve(router, headersHook)
  : mode === "services-1"
  ? ownServices(1)
  : mode === "services-9"
  ? ownServices(9)
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
