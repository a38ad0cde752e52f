/**
 * `serveGuarded`: serves an app behind the guard, on a server layer that starts listening only once
 * the guard is built, with only the guard's pipeline in the request context.
 *
 * **Ready before listening.** `NodeHttpServer.layer` listens as soon as it is built, and
 * `HttpServer.serve` attaches the handler later, when its own layer is built: a request accepted in
 * between waits forever. `Layer.provide` builds the layer it is given first, so the usual wiring,
 * `HttpServer.serve(...)` with the guard provided to it and the server provided after that, listens
 * before the guard is built (loading the OpenTelemetry SDK, connecting to Redis), exactly when a
 * rolling deploy's health checks and first requests arrive. `serveGuarded` takes the server layer
 * itself and builds it after the guard, so the port accepts nothing the guard cannot answer.
 *
 * **A lean request context.** Every service in a server's context is copied each time the platform
 * adds one for a request (the request itself, the route, the span), so serving with `GuardLive`
 * provided makes each request copy the guard's nine services too. Here only the pipeline is in the
 * context: the same checks, events and metrics, and 7 of the 23 KB the guard allocates per GET saved
 * (docs/performance.md). Handlers that `yield*` the guard's services (`EventBus`, `IpBans`, ...) get
 * them from a `GuardLive` provided to the layer: within one layer build it is this same guard.
 *
 * @since 0.1.0
 */
import { type HttpApp, type HttpMiddleware, HttpServer, type HttpServerRequest } from "@effect/platform"
import { type Effect, Layer, type Scope } from "effect"
import type { ConfigError } from "./ConfigError.js"
import type { GuardConfig } from "./GuardConfig.js"
import { GuardPipelineLive } from "./GuardLive.js"
import { guardMiddleware } from "./GuardMiddleware.js"
import type { StoreError } from "./StoreError.js"

/**
 * Serves `app` behind the guard on `server`, which is built (and so listens) only once the guard is
 * ready. The layer's outputs are the server layer's (`HttpServer`, and an `HttpClient` with
 * `NodeHttpServer.layerTest`). `middleware` (an access log, say) wraps the guard, as
 * `HttpServer.serve(app, (app) => middleware(guardMiddleware(app)))` would: it sees the requests the
 * guard refuses too. Middleware for the application alone goes on `app` itself.
 *
 * Services `GuardLive` uses when present (`GuardRoutes`, `GeoIpLookup`, `CloudRanges`,
 * `GuardExporters`, stores) are taken from this layer's context, and a `GuardLive` provided in the
 * same layer graph is this same guard. Closing the layer stops the server first (no new
 * connections), then the guard (its exporters flushed and stopped within
 * `telemetryShutdownTimeoutMs`).
 *
 * @example
 * ```ts
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 * import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
 * import { Layer } from "effect"
 * import { createServer } from "node:http"
 * import { GuardConfig, serveGuarded } from "effect-guard"
 *
 * const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))
 *
 * serveGuarded(app, NodeHttpServer.layer(createServer, { port: 3000 })).pipe(
 *   Layer.provide(GuardConfig.layerConfig()),
 *   Layer.launch,
 *   NodeRuntime.runMain
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const serveGuarded: {
  <E, R, SOut, SE, SR>(
    app: HttpApp.Default<E, R>,
    server: Layer.Layer<HttpServer.HttpServer | SOut, SE, SR>
  ): Layer.Layer<
    HttpServer.HttpServer | SOut,
    SE | ConfigError | StoreError,
    SR | GuardConfig | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope | HttpServer.HttpServer | SOut>
  >
  <E, R, App extends HttpApp.Default<unknown, unknown>, SOut, SE, SR>(
    app: HttpApp.Default<E, R>,
    server: Layer.Layer<HttpServer.HttpServer | SOut, SE, SR>,
    middleware: HttpMiddleware.HttpMiddleware.Applied<App, E, R>
  ): Layer.Layer<
    HttpServer.HttpServer | SOut,
    SE | ConfigError | StoreError,
    SR | GuardConfig | Exclude<Effect.Effect.Context<App>, HttpServerRequest.HttpServerRequest | Scope.Scope | HttpServer.HttpServer | SOut>
  >
} = (
  // the overloads above carry the types; the implementation works with them erased
  app: HttpApp.Default<unknown, unknown>,
  server: Layer.Layer<HttpServer.HttpServer, unknown, unknown>,
  middleware?: (self: HttpApp.Default<unknown, unknown>) => HttpApp.Default<unknown, unknown>
): Layer.Layer<HttpServer.HttpServer, unknown, unknown> =>
  HttpServer.serve(app, middleware === undefined ? guardMiddleware : (inner) => middleware(guardMiddleware(inner))).pipe(
    Layer.provideMerge(server),
    // Layer.provide builds its argument first: the guard, then the server (which listens), then serve
    Layer.provide(GuardPipelineLive)
  )
