/**
 * A small guarded API: `npm run demo` (port from PORT, default 3000).
 *
 * Global settings come from GUARD_* variables, so any setting can be tried without code, e.g.
 *
 *   GUARD_RATE_LIMIT=5 GUARD_BLACKLIST=203.0.113.0/24 GUARD_PASSIVE_MODE=true npm run demo
 *   curl -i localhost:3000/                       # 200, with security headers
 *   curl -i 'localhost:3000/search?q=1%27%20OR%201=1--'   # 400, penetration_attempt
 *   curl -i -X POST localhost:3000/login -d '{}'  # 415: the route only takes JSON
 *   curl -i localhost:3000/admin -H 'authorization: Bearer demo-token'
 *
 * Two routes carry their own settings: /login (JSON only, 5 per minute) and /admin (bearer auth).
 * Events and metrics are printed as they are exported, and the guard console shows them live at
 * /__guard: its URL is printed at start, with a token made up for this run unless GUARD_CONSOLE_TOKEN
 * sets one. The port accepts connections only once the
 * guard is built. SIGINT / SIGTERM close the scopes: the server stops accepting, then queued telemetry
 * is flushed, within telemetryShutdownTimeoutMs, before the process exits.
 */
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import { createServer } from "node:http"
import { GuardConfig, GuardExporters, GuardLive, guardMiddleware, GuardRoutes, RouteGuard, type ExporterSpec } from "../src/index.js"

const router = HttpRouter.empty.pipe(
  HttpRouter.get("/", HttpServerResponse.text("effect-guard demo: try /search?q=..., POST /login, GET /admin\n")),
  HttpRouter.get("/search", Effect.map(HttpServerRequest.HttpServerRequest, (req) => HttpServerResponse.text(`searched: ${req.url}\n`))),
  HttpRouter.post(
    "/login",
    HttpServerResponse.text("welcome\n").pipe(
      RouteGuard.secure({ allowedContentTypes: ["application/json"], maxRequestSize: 4096, rateLimit: { requests: 5, window: 60 } })
    )
  ),
  HttpRouter.get(
    "/admin",
    HttpServerResponse.text("admin area\n").pipe(
      RouteGuard.secure({ requireAuth: { type: "bearer", verifier: (token) => Effect.succeed(token === "demo-token") } })
    )
  ),
  HttpRouter.get("/health", HttpServerResponse.text("ok\n").pipe(RouteGuard.secure({ bypass: ["rate_limit", "suspicious_activity"] })))
)

/** Prints what an exporter would receive, one line per event or metric. */
const consoleExporter: ExporterSpec = {
  name: "console",
  acquire: Effect.succeed({
    name: "console",
    exportEvent: (event) =>
      Effect.log(`event ${event.eventType} ${event.actionTaken} ip=${event.ipAddress} ${event.method ?? ""} ${event.endpoint ?? ""}: ${event.reason}`),
    exportMetric: (metric) => Effect.logDebug(`metric ${metric.metricType}=${metric.value} ${JSON.stringify(metric.tags)}`),
    flush: Effect.void,
    health: Effect.succeed(true)
  })
}

const CONSOLE_PATH = "/__guard"

// Layer.provide builds its argument first: the server is built, and listens, only once the guard
// below it is ready (with GUARD_ENABLE_OTEL or GUARD_ENABLE_REDIS that takes a moment), so no
// request is accepted that the guard cannot answer yet. The console's URL is printed after that.
const Server = Layer.unwrapEffect(
  Effect.gen(function*() {
    const port = yield* Config.integer("PORT").pipe(Config.withDefault(3000))
    // GUARD_CONSOLE_TOKEN, read by GuardConfig.layerConfig, wins over the token made up here
    const fromEnv = yield* Config.option(Config.redacted("GUARD_CONSOLE_TOKEN"))
    const token = Option.getOrElse(fromEnv, () => Redacted.make(randomBytes(18).toString("base64url")))
    const shown = Option.isSome(fromEnv) ? "<GUARD_CONSOLE_TOKEN>" : Redacted.value(token)
    const served = router.pipe(
      HttpServer.serve(guardMiddleware),
      HttpServer.withLogAddress,
      Layer.provide(NodeHttpServer.layer(createServer, { port })),
      Layer.provide(GuardLive),
      Layer.provide(GuardRoutes.fromRouter(router)),
      Layer.provide(Layer.succeed(GuardExporters, [consoleExporter])),
      Layer.provide(GuardConfig.layerConfig({ consolePath: CONSOLE_PATH, consoleToken: Redacted.value(token) }))
    )
    return Layer.effectDiscard(Effect.log(`Guard console: http://localhost:${port}${CONSOLE_PATH}/?token=${shown}`)).pipe(Layer.provide(served))
  })
)

NodeRuntime.runMain(Layer.launch(Server))
