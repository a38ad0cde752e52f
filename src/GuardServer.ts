/**
 * `serveGuarded`: `HttpServer.serve(app, guardMiddleware)` with `GuardPipelineLive`, so that the
 * guard's services stay out of the request context.
 *
 * Every service in a server's context is copied each time the platform adds one for a request (the
 * request itself, the route, the span), so the usual wiring, `HttpServer.serve(app, guardMiddleware)`
 * with `GuardLive` provided to it, makes each request copy the guard's nine services too. Here only
 * the pipeline is in the context: the same checks, events and metrics, and 7 of the 23 KB the guard
 * allocates per GET saved (docs/performance.md). The price: the application's handlers cannot
 * `yield*` the guard's services (`EventBus`, `IpBans`, ...) unless `GuardLive` is provided to them
 * too (the same guard: see `GuardPipelineLive`).
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
 * Serves `app` behind the guard. `middleware` (an access log, say) wraps the guard, as
 * `HttpServer.serve(app, (app) => middleware(guardMiddleware(app)))` would: it sees the requests the
 * guard refuses too. Middleware for the application alone goes on `app` itself.
 *
 * Services `GuardLive` uses when present (`GuardRoutes`, `GeoIpLookup`, `CloudRanges`,
 * `TestExporter`, stores) are taken from this layer's context, and a `GuardLive` provided elsewhere
 * in the same layer graph is this same guard. The guard's exporters are flushed and stopped when the
 * server's scope closes.
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
 * serveGuarded(app).pipe(
 *   Layer.provide(GuardConfig.layerConfig()),
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 3000 })),
 *   Layer.launch,
 *   NodeRuntime.runMain
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const serveGuarded: {
  <E, R>(app: HttpApp.Default<E, R>): Layer.Layer<
    never,
    ConfigError | StoreError,
    HttpServer.HttpServer | GuardConfig | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>
  >
  <E, R, App extends HttpApp.Default<unknown, unknown>>(
    app: HttpApp.Default<E, R>,
    middleware: HttpMiddleware.HttpMiddleware.Applied<App, E, R>
  ): Layer.Layer<
    never,
    ConfigError | StoreError,
    HttpServer.HttpServer | GuardConfig | Exclude<Effect.Effect.Context<App>, HttpServerRequest.HttpServerRequest | Scope.Scope>
  >
} = (
  // the overloads above carry the types; the implementation works with them erased
  app: HttpApp.Default<unknown, unknown>,
  middleware?: (self: HttpApp.Default<unknown, unknown>) => HttpApp.Default<unknown, unknown>
): Layer.Layer<never, ConfigError | StoreError, HttpServer.HttpServer | GuardConfig> =>
  HttpServer.serve(app, middleware === undefined ? guardMiddleware : (inner) => middleware(guardMiddleware(inner))).pipe(
    Layer.provide(GuardPipelineLive)
  ) as Layer.Layer<never, ConfigError | StoreError, HttpServer.HttpServer | GuardConfig>
