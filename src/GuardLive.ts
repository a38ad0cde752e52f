/**
 * `GuardLive`: the one layer that wires every guard service from `GuardConfig`:
 *
 * - telemetry: the composite handler with the exporters the config enables (plus a `TestExporter`
 *   or `GuardExporters` found in the context), the event bus, the metrics collector, the
 *   dynamic-rule manager (polled from the agent when `enableDynamicRules` is on) and, only when
 *   `enableEnrichment` is on, the enricher and its behaviour tracker;
 * - security: the compiled pipeline behind `guardMiddleware`, the detector, and the stores for
 *   bans, rate limits and violation counts: in memory, or in Redis with `enableRedis` (then the
 *   behaviour tracker and the dynamic rules are shared there too, `redis_connection` /
 *   `redis_error` go through the composite like any other event, and with `redisFailOpen` the
 *   stores answer from this instance's memory while Redis cannot: `StoreFallback`).
 *
 * What the configuration cannot say (routes, GeoIP, stores or a detector of your own, extra
 * exporters) is an input of `makeGuardLive`, visible in its layer's type; `GuardLive` takes the same
 * inputs from the context, each when present.
 *
 * @since 0.1.0
 */
import { FetchHttpClient } from "@effect/platform"
import { Context, Duration, Effect, Layer, Option } from "effect"
import { BehaviorTracker } from "./BehaviorTracker.js"
import { CloudRanges } from "./CloudRanges.js"
import { CompositeHandler } from "./CompositeHandler.js"
import type { ConfigError } from "./ConfigError.js"
import { DynamicRuleManager } from "./DynamicRuleManager.js"
import { DynamicRulePoller, optionsFromConfig as pollerOptions } from "./DynamicRulePoller.js"
import { EventBus, optionsFromConfig as busOptions } from "./EventBus.js"
import { EventEnricher, optionsFromConfig as enricherOptions } from "./EventEnricher.js"
import { type ExporterSpec, GuardExporters } from "./Exporter.js"
import { GeoIpLookup } from "./GeoIpLookup.js"
import { GuardConfig } from "./GuardConfig.js"
import { GuardPipeline, optionsFromConfig as pipelineOptions } from "./GuardMiddleware.js"
import { makeFeed } from "./internal/console/feed.js"
import { GuardConsole } from "./GuardConsole.js"
import { consoleOptionsFromConfig, layerMounted } from "./internal/console/mount.js"
import { configuredExporters } from "./internal/exporters.js"
import { IpBans } from "./IpBans.js"
import { MetricsCollector } from "./MetricsCollector.js"
import { RateLimitStore } from "./RateLimitStore.js"
import { GuardRedis, optionsFromConfig as redisOptionsFromConfig } from "./Redis.js"
import { GuardRoutes } from "./RouteGuard.js"
import * as RedisBehaviorTracker from "./stores/redis/BehaviorTracker.js"
import * as RedisDynamicRuleManager from "./stores/redis/DynamicRuleManager.js"
import { layerRedisEvents } from "./stores/redis/events.js"
import { layerIpBansFallback, layerRateLimitStoreFallback, layerViolationCounterFallback, StoreFallback } from "./stores/redis/fallback.js"
import * as RedisIpBans from "./stores/redis/IpBans.js"
import * as RedisRateLimitStore from "./stores/redis/RateLimitStore.js"
import * as RedisViolationCounter from "./stores/redis/ViolationCounter.js"
import { TestExporter } from "./TestExporter.js"
import type { StoreError } from "./StoreError.js"
import { ThreatDetector } from "./ThreatDetector.js"
import { ViolationCounter } from "./ViolationCounter.js"

/**
 * The services `GuardLive` provides.
 *
 * @since 0.1.0
 * @category models
 */
export type GuardServices =
  | CompositeHandler
  | EventBus
  | MetricsCollector
  | DynamicRuleManager
  | GuardPipeline
  | IpBans
  | RateLimitStore
  | ViolationCounter
  | ThreatDetector

/**
 * What the application supplies to {@link makeGuardLive}, each as a layer. Everything left out is
 * built from `GuardConfig`: stores in memory or in Redis, the detector from the detection fields, cloud
 * ranges for the providers `blockCloudProviders` and the routes' `blockClouds` name; no routes, no
 * GeoIP, and only the exporters the configuration enables.
 *
 * @since 0.2.0
 * @category models
 */
export interface GuardLiveInputs {
  /** The application's routes: their settings apply, and their `blockClouds` providers are loaded. */
  readonly routes?: Layer.Layer<GuardRoutes, unknown, unknown> | undefined
  /** Country lookups for the country rules and for the events' `country`. */
  readonly geoIp?: Layer.Layer<GeoIpLookup, unknown, unknown> | undefined
  /** Cloud ranges to use instead of loading them. */
  readonly cloudRanges?: Layer.Layer<CloudRanges, unknown, unknown> | undefined
  /** A detector to use instead of the one the detection fields configure. */
  readonly detector?: Layer.Layer<ThreatDetector, unknown, unknown> | undefined
  /** Stores to use instead of the memory or Redis ones the configuration chooses. */
  readonly stores?: {
    readonly ipBans?: Layer.Layer<IpBans, unknown, unknown> | undefined
    readonly rateLimit?: Layer.Layer<RateLimitStore, unknown, unknown> | undefined
    readonly violations?: Layer.Layer<ViolationCounter, unknown, unknown> | undefined
  } | undefined
  /** Exporters added to the ones the configuration enables (a `TestExporter`'s `spec`, say). */
  readonly exporters?: ReadonlyArray<ExporterSpec> | undefined
}

type Field<I, K extends PropertyKey> = K extends keyof I ? I[K] : never

type Supplied<I extends GuardLiveInputs> = Extract<
  | Field<I, "routes" | "geoIp" | "cloudRanges" | "detector">
  | Field<Field<I, "stores">, "ipBans" | "rateLimit" | "violations">,
  Layer.Layer.Any
>

type ErrorOf<L> = L extends Layer.Layer<infer _A, infer E, infer _R> ? E : never
type ContextOf<L> = L extends Layer.Layer<infer _A, infer _E, infer R> ? R : never

/**
 * The layer of {@link makeGuardLive} for `inputs`: it needs `GuardConfig` and what the supplied
 * layers need, and fails as they can.
 *
 * @since 0.2.0
 * @category models
 */
export type GuardLiveLayer<I extends GuardLiveInputs> = Layer.Layer<
  GuardServices,
  ConfigError | StoreError | ErrorOf<Supplied<I>>,
  GuardConfig | ContextOf<Supplied<I>>
>

/**
 * The guard wired from `GuardConfig` and the inputs given here: a store, detector, routes or
 * exporter in the surrounding context that is not an input is not used, so the layer's type says
 * what the guard is built from.
 *
 * @example
 * ```ts
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 * import { Layer } from "effect"
 * import { GuardConfig, GuardRoutes, makeGuardLive } from "effect-guard"
 *
 * const router = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))
 * const Guard = makeGuardLive({ routes: GuardRoutes.fromRouter(router) }).pipe(
 *   Layer.provide(GuardConfig.layerConfig())
 * )
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const makeGuardLive = <const I extends GuardLiveInputs>(inputs: I): GuardLiveLayer<I> =>
  wire(inputs) as GuardLiveLayer<I>

/**
 * The guard wired from `GuardConfig`, taking from the context what {@link makeGuardLive} takes as
 * inputs: `GuardRoutes`, `GeoIpLookup`, `CloudRanges`, a `ThreatDetector`, `IpBans`,
 * `RateLimitStore`, `ViolationCounter`, a `TestExporter` and the `GuardExporters`, each when
 * present. Use `makeGuardLive` to name them instead.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { GuardConfig, GuardLive } from "effect-guard"
 *
 * const Guard = GuardLive.pipe(Layer.provide(GuardConfig.layerConfig()))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const GuardLive: Layer.Layer<GuardServices, ConfigError | StoreError, GuardConfig> = Layer.unwrapEffect(
  Effect.gen(function*() {
    const found = <I, S>(tag: Context.Tag<I, S>) =>
      Effect.map(Effect.serviceOption(tag), Option.match({ onNone: () => undefined, onSome: (service) => Layer.succeed(tag, service) }))
    const test = yield* Effect.serviceOption(TestExporter)
    const inputs = {
      routes: yield* found(GuardRoutes),
      geoIp: yield* found(GeoIpLookup),
      cloudRanges: yield* found(CloudRanges),
      detector: yield* found(ThreatDetector),
      stores: { ipBans: yield* found(IpBans), rateLimit: yield* found(RateLimitStore), violations: yield* found(ViolationCounter) },
      exporters: [...Option.toArray(test).map((t) => t.spec), ...yield* GuardExporters]
    }
    return makeGuardLive(inputs)
  })
)

/**
 * What the pipeline and the event bus take from the inputs: the services themselves, or `undefined`
 * when the input is not given (never looked up in the surrounding context).
 */
class Lookups extends Context.Tag("effect-guard/GuardLive/Lookups")<Lookups, {
  readonly routes: GuardRoutes["Type"] | undefined
  readonly geoIp: GeoIpLookup["Type"] | undefined
}>() {}

/** The cloud ranges the pipeline gets: given, loaded for the providers blocked, or none. */
class PipelineCloud extends Context.Tag("effect-guard/GuardLive/PipelineCloud")<PipelineCloud, CloudRanges["Type"] | undefined>() {}

const lookupsOf = (inputs: GuardLiveInputs): Layer.Layer<Lookups, unknown, unknown> =>
  Layer.effect(
    Lookups,
    Effect.gen(function*() {
      return {
        routes: inputs.routes === undefined ? undefined : yield* GuardRoutes,
        geoIp: inputs.geoIp === undefined ? undefined : yield* GeoIpLookup
      }
    })
  ).pipe(Layer.provide(Layer.mergeAll(inputs.routes ?? Layer.empty, inputs.geoIp ?? Layer.empty)))

/** The graph: each input as given, the rest from the configuration, read once here. */
const wire = (inputs: GuardLiveInputs): Layer.Layer<GuardServices, unknown, unknown> =>
  Layer.unwrapEffect(
    Effect.gen(function*() {
      const config = yield* GuardConfig
      const fromConfig = yield* configuredExporters(config)
      // the guard console (consolePath) is fed like any exporter
      const consolePath = config.consolePath
      const consoleFeed = consolePath === undefined ? undefined : yield* makeFeed({ capacity: config.consoleBufferSize })
      const exporters = [...fromConfig, ...(inputs.exporters ?? []), ...(consoleFeed === undefined ? [] : [consoleFeed.exporter])]
      const lookups = lookupsOf(inputs)

      // one value, so the whole graph shares one connection
      const redis = GuardRedis.layer(redisOptionsFromConfig(config))
      const shared = <I, E>(memory: Layer.Layer<I, E>, onRedis: Layer.Layer<I, E, GuardRedis>): Layer.Layer<I, E | StoreError> =>
        config.enableRedis ? onRedis.pipe(Layer.provide(redis)) : memory
      const protectedRanges = config.trustedProxies.filter((p) => p !== "unix")

      const rules = shared(DynamicRuleManager.layer, RedisDynamicRuleManager.layer())
      const compositeOptions = {
        exporters,
        mutedEventTypes: config.mutedEventTypes,
        mutedMetricTypes: config.mutedMetricTypes,
        queueCapacity: config.telemetryQueueCapacity,
        exportTimeout: Duration.millis(config.telemetryExportTimeoutMs),
        shutdownTimeout: Duration.millis(config.telemetryShutdownTimeoutMs)
      }
      const composite = config.enableEnrichment
        ? CompositeHandler.layerEnriched(compositeOptions).pipe(
          Layer.provide(EventEnricher.layer(enricherOptions(config))),
          Layer.provide(Layer.merge(shared(BehaviorTracker.layerMemory(), RedisBehaviorTracker.layer()), rules))
        )
        : CompositeHandler.layer(compositeOptions)
      const bus = Layer.unwrapEffect(Effect.map(Lookups, ({ geoIp }) => EventBus.layer({ ...busOptions(config), geoIp })))
      const telemetry = Layer.mergeAll(bus, MetricsCollector.layer).pipe(
        Layer.provideMerge(composite),
        Layer.merge(rules),
        Layer.provide(lookups)
      )
      const withRules = config.enableDynamicRules ? Layer.provideMerge(DynamicRulePoller.layer(pollerOptions(config)), telemetry) : telemetry

      // redisFailOpen: the Redis stores answer from this instance's memory while Redis fails
      const failOpen = <I>(onRedis: Layer.Layer<I, never, GuardRedis>, withFallback: Layer.Layer<I, never, GuardRedis | StoreFallback>) =>
        config.redisFailOpen ? withFallback.pipe(Layer.provide(StoreFallback.layer)) : onRedis
      const stores = Layer.mergeAll(
        inputs.stores?.ipBans ??
          shared(IpBans.layerMemory({ protectedRanges }), failOpen(RedisIpBans.layer({ protectedRanges }), layerIpBansFallback({ protectedRanges }))),
        inputs.stores?.rateLimit ?? shared(RateLimitStore.layerMemory(), failOpen(RedisRateLimitStore.layer, layerRateLimitStoreFallback)),
        inputs.stores?.violations ??
          shared(ViolationCounter.layerMemory(), failOpen(RedisViolationCounter.layer(), layerViolationCounterFallback()))
      )
      const detector = inputs.detector ?? ThreatDetector.layer(ThreatDetector.fromConfig(config))
      const cloud = inputs.cloudRanges === undefined
        ? cloudRanges(config, lookups)
        : Layer.effect(PipelineCloud, CloudRanges).pipe(Layer.provide(inputs.cloudRanges))
      const settings = pipelineOptions(config)
      const pipeline = Layer.unwrapEffect(Effect.gen(function*() {
        const { geoIp, routes } = yield* Lookups
        return GuardPipeline.layer({ settings, routes, geoIp, cloudRanges: yield* PipelineCloud })
      })).pipe(Layer.provide(Layer.mergeAll(stores, detector, cloud, withRules, lookups)))
      const security = consolePath === undefined || consoleFeed === undefined
        ? pipeline
        : Layer.unwrapEffect(Effect.gen(function*() {
          // GuardConsole (a reference: none unless provided) holds the console's code-side options
          const redisConnection = config.enableRedis ? yield* GuardRedis : undefined
          return layerMounted(consoleOptionsFromConfig(config, consolePath, consoleFeed, yield* GuardConsole, redisConnection))
        })).pipe(Layer.provide(Layer.mergeAll(pipeline, stores, withRules, config.enableRedis ? redis : Layer.empty)))
      const redisEvents = config.enableRedis ? layerRedisEvents.pipe(Layer.provide(Layer.merge(redis, withRules))) : Layer.empty
      return Layer.mergeAll(security, withRules, stores, detector, redisEvents)
    })
  )

/**
 * `GuardLive` with `GuardPipeline` as its only output: all `guardMiddleware` needs.
 *
 * A server's context is copied each time the platform adds a service for a request (the request,
 * the route, the span), so every service in it costs every request; with `GuardLive`'s nine that is
 * 7 of the 23 KB the default guard allocates per GET (bench/allocation.ts). Serve with this layer
 * and provide `GuardLive` only to the layers whose handlers use the guard's services (`IpBans` for
 * an admin route, say): within one layer build `GuardLive` is built once, so they share this guard.
 *
 * @example
 * ```ts
 * import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
 * import { Layer } from "effect"
 * import { GuardConfig, GuardPipelineLive, guardMiddleware } from "effect-guard"
 *
 * const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))
 * const server = HttpServer.serve(app, guardMiddleware).pipe(
 *   Layer.provide(GuardPipelineLive),
 *   Layer.provide(GuardConfig.layerConfig())
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const GuardPipelineLive: Layer.Layer<GuardPipeline, ConfigError | StoreError, GuardConfig> = Layer.map(
  GuardLive,
  (services) => Context.make(GuardPipeline, Context.get(services, GuardPipeline))
)

/** Cloud ranges for the providers the config and the routes block; none when no provider is. */
const cloudRanges = (config: GuardConfig["Type"], lookups: Layer.Layer<Lookups, unknown, unknown>): Layer.Layer<PipelineCloud, unknown, unknown> =>
  Layer.unwrapEffect(Effect.map(Lookups, ({ routes }) => {
    const blocked = new Set(config.blockCloudProviders)
    for (const route of routes?.all ?? []) {
      for (const p of route.settings.blockClouds ?? []) blocked.add(p)
    }
    return blocked.size === 0 ? Layer.succeed(PipelineCloud, undefined) : Layer.effect(PipelineCloud, CloudRanges).pipe(
      Layer.provide(CloudRanges.layer({ providers: blocked, refreshInterval: Duration.seconds(config.cloudIpRefreshInterval) })),
      Layer.provide(FetchHttpClient.layer)
    )
  })).pipe(Layer.provide(lookups))
