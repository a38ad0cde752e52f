/**
 * `guardMiddleware`: the 17-check security pipeline as one `HttpMiddleware`. For each request it
 * resolves the client IP (trusted proxies only), the route's settings and the dynamic rules in
 * force, runs the checks that the configuration and routes can trigger (the others are never built)
 * in the reference order, stops at the first refusal, then calls the application. Every response,
 * the guard's and the application's, gets the security headers and is recorded as metrics.
 *
 * @example
 * ```ts
 * import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
 * import { Layer } from "effect"
 * import { GuardConfig, GuardLive, guardMiddleware } from "effect-guard"
 *
 * const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))
 * const server = app.pipe(
 *   HttpServer.serve(guardMiddleware),
 *   Layer.provide(GuardLive),
 *   Layer.provide(GuardConfig.layerConfig())
 * )
 * ```
 *
 * @since 0.1.0
 */
import type { HttpApp } from "@effect/platform"
import { HttpMiddleware, type HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Context, Effect, Layer, Option } from "effect"
import type { CloudRanges } from "./CloudRanges.js"
import type { ConfigError } from "./ConfigError.js"
import { DynamicRuleManager } from "./DynamicRuleManager.js"
import { EventBus } from "./EventBus.js"
import type { CheckName } from "./EventTypes.js"
import type { GeoIpLookup } from "./GeoIpLookup.js"
import { GuardConfig, type GuardConfigShape } from "./GuardConfig.js"
import { type PipelineSettings, pipelineSettings } from "./internal/config/pipeline.js"
import { compile } from "./internal/middleware/compile.js"
import type { CheckEnv } from "./internal/pipeline.js"
import { apiRoutes } from "./internal/routeDiscovery.js"
import { IpBans } from "./IpBans.js"
import { MetricsCollector } from "./MetricsCollector.js"
import { RateLimitStore } from "./RateLimitStore.js"
import { GuardRoutes } from "./RouteGuard.js"
import { ThreatDetector } from "./ThreatDetector.js"
import { ViolationCounter } from "./ViolationCounter.js"

const EMPTY_ROUTES: GuardRoutes["Type"] = { find: () => undefined, resolve: () => Option.none(), declared: false, all: [] }

/**
 * What {@link GuardPipeline} holds.
 *
 * @since 0.1.0
 * @category models
 */
export interface GuardPipelineShape {
  /** The checks built for this configuration and these routes, in the order they run. */
  readonly checks: ReadonlyArray<CheckName>
  /** Guards `app`. */
  readonly apply: <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R>
  /** The routes the pipeline was built with (an input of `GuardLive`), if any. */
  readonly routes: GuardRoutes["Type"] | undefined
  /**
   * The same guard (services, stores, configuration) for other routes: those provided where the
   * application runs, or the `HttpApi` it serves. Built once per routes value.
   */
  readonly forRoutes: (routes: GuardRoutes["Type"]) => Effect.Effect<GuardPipelineShape, ConfigError>
}

/**
 * The compiled pipeline.
 *
 * @since 0.1.0
 * @category tags
 */
export class GuardPipeline extends Context.Tag("effect-guard/GuardPipeline")<GuardPipeline, GuardPipelineShape>() {
  /**
   * Builds the pipeline from its settings and inputs (routes, country lookups, cloud ranges: each
   * used only when given here) and the guard's services. Country rules without `geoIp`, or cloud
   * rules without `cloudRanges`, are a `ConfigError`.
   *
   * @since 0.2.0
   */
  static layer(options: GuardPipelineOptions): Layer.Layer<GuardPipeline, ConfigError, GuardPipelineServices> {
    return Layer.effect(GuardPipeline, make(options))
  }

  /**
   * {@link GuardPipeline.layer} with the settings of `GuardConfig` ({@link optionsFromConfig}),
   * without routes, country lookups or cloud ranges (`GuardLive` wires those).
   *
   * @since 0.1.0
   */
  static readonly layerConfig: Layer.Layer<GuardPipeline, ConfigError, GuardConfig | GuardPipelineServices> = Layer
    .unwrapEffect(Effect.map(GuardConfig, (config) => GuardPipeline.layer({ settings: optionsFromConfig(config) })))
}

/**
 * The services every pipeline is built from.
 *
 * @since 0.2.0
 * @category models
 */
export type GuardPipelineServices =
  | EventBus
  | MetricsCollector
  | IpBans
  | RateLimitStore
  | ViolationCounter
  | ThreatDetector
  | DynamicRuleManager

/**
 * The fields of a decoded `GuardConfig` the pipeline reads: its checks, response headers and
 * refusals.
 *
 * @since 0.2.0
 * @category models
 */
export type GuardPipelineSettings = PipelineSettings

/**
 * Options of {@link GuardPipeline.layer}: the settings, and what the configuration cannot say.
 *
 * @since 0.2.0
 * @category models
 */
export interface GuardPipelineOptions {
  readonly settings: GuardPipelineSettings
  /** The application's routes, whose settings apply. Without them, global settings only. */
  readonly routes?: GuardRoutes["Type"] | undefined
  /** Country lookups, for the country rules. */
  readonly geoIp?: GeoIpLookup["Type"] | undefined
  /** Cloud ranges, for `blockCloudProviders` and the routes' `blockClouds`. */
  readonly cloudRanges?: CloudRanges["Type"] | undefined
}

/**
 * The pipeline's settings from a decoded `GuardConfig`: those fields, no others.
 *
 * @since 0.2.0
 * @category constructors
 */
export const optionsFromConfig: (config: GuardConfigShape) => GuardPipelineSettings = pipelineSettings

/**
 * The guard as an `HttpMiddleware`: serve it with `HttpServer.serve(guardMiddleware)` (or pass it to
 * `HttpApp.toWebHandler`) and provide `GuardLive`.
 *
 * The routes whose settings it applies are, per request: `GuardRoutes` provided where the
 * application runs (the server's layer), else those the pipeline was built with (an input of
 * `GuardLive`), else the `HttpApi` being served. These two lookups in the request's context are the
 * middleware's only optional inputs; everything else comes from `GuardPipeline`. Protected handlers
 * check that their settings were applied (see `RouteGuard.secure`).
 *
 * @since 0.1.0
 * @category middleware
 */
export const guardMiddleware = HttpMiddleware.make(
  <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | GuardPipeline> => {
    // the guarded app is built once per pipeline and routes, not once per request
    let built: { readonly pipeline: GuardPipelineShape; readonly routes: unknown; readonly guarded: HttpApp.Default<E, R> } | undefined
    const fromApi = apiRoutes()
    // one step: read from the context as the platform's own middleware do
    return Effect.withFiberRuntime<HttpServerResponse.HttpServerResponse, E, R | GuardPipeline | HttpServerRequest.HttpServerRequest>((fiber) => {
      const context = fiber.currentContext
      const pipeline = Context.unsafeGet(context, GuardPipeline)
      const routes = Option.getOrUndefined(Context.getOption(context, GuardRoutes)) ?? pipeline.routes ?? fromApi(context)
      if (built !== undefined && built.pipeline === pipeline && built.routes === routes) return built.guarded
      if (routes === pipeline.routes) {
        built = { pipeline, routes, guarded: pipeline.apply(app) }
        return built.guarded
      }
      const forRoutes = Effect.isEffect(routes) ? Effect.flatMap(routes, pipeline.forRoutes) : pipeline.forRoutes(routes!)
      return Effect.matchEffect(forRoutes, {
        onFailure: (error) =>
          Effect.as(
            Effect.logError(`guardMiddleware: the routes found cannot be guarded: ${error.message}`),
            HttpServerResponse.text("Security check failed", { status: 500 })
          ),
        onSuccess: (guard) => {
          const guarded = guard.apply(app)
          built = { pipeline, routes, guarded }
          return guarded
        }
      })
    })
  }
)

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: GuardPipelineOptions): Effect.Effect<GuardPipelineShape, ConfigError, GuardPipelineServices> =>
  Effect.gen(function*() {
    const services: Omit<CheckEnv, "routes"> = {
      config: options.settings,
      bus: yield* EventBus,
      bans: yield* IpBans,
      rateLimits: yield* RateLimitStore,
      violations: yield* ViolationCounter,
      detector: yield* ThreatDetector,
      rules: yield* DynamicRuleManager,
      geo: options.geoIp,
      cloud: options.cloudRanges
    }
    const metrics = yield* MetricsCollector
    const variants = new Map<GuardRoutes["Type"], Effect.Effect<GuardPipelineShape, ConfigError>>()
    const build = (routes: GuardRoutes["Type"] | undefined): Effect.Effect<GuardPipelineShape, ConfigError> =>
      Effect.map(compile({ ...services, routes: routes ?? EMPTY_ROUTES }, metrics), ({ apply, checks }) =>
        GuardPipeline.of({ checks, apply, routes, forRoutes }))
    const forRoutes = (routes: GuardRoutes["Type"]): Effect.Effect<GuardPipelineShape, ConfigError> => {
      const known = variants.get(routes)
      if (known !== undefined) return known
      return Effect.flatten(Effect.tap(Effect.exit(build(routes)), (exit) => {
        variants.set(routes, exit)
      }))
    }
    return yield* build(options.routes)
  })
