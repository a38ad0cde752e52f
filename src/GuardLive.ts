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
 * Services already in the context win: provide `GuardRoutes`, `GeoIpLookup`, `CloudRanges`, a
 * `ThreatDetector` or other stores to `GuardLive` and it uses them. `GuardRoutes` provided to the
 * server instead is found by `guardMiddleware` too (then a route's `blockClouds` needs `CloudRanges`
 * here, since `GuardLive` did not see it).
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
import { DynamicRulePoller } from "./DynamicRulePoller.js"
import { EventBus } from "./EventBus.js"
import { EventEnricher } from "./EventEnricher.js"
import { GuardExporters } from "./Exporter.js"
import { GuardConfig } from "./GuardConfig.js"
import { GuardPipeline } from "./GuardMiddleware.js"
import { makeFeed } from "./internal/console/feed.js"
import { layerMounted } from "./internal/console/mount.js"
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
    const config = yield* GuardConfig
    const fromConfig = yield* configuredExporters(config)
    const test = yield* Effect.serviceOption(TestExporter)
    const extra = yield* GuardExporters
    // the guard console (consolePath) is fed like any exporter
    const consoleFeed = config.consolePath === undefined ? undefined : yield* makeFeed({ capacity: config.consoleBufferSize })
    const exporters = [...fromConfig, ...Option.toArray(test).map((t) => t.spec), ...extra, ...(consoleFeed === undefined ? [] : [consoleFeed.exporter])]

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
        Layer.provide(EventEnricher.layer),
        Layer.provide(Layer.merge(shared(BehaviorTracker.layerMemory(), RedisBehaviorTracker.layer()), rules))
      )
      : CompositeHandler.layer(compositeOptions)
    const telemetry = Layer.mergeAll(EventBus.layer, MetricsCollector.layer).pipe(
      Layer.provideMerge(composite),
      Layer.merge(rules)
    )
    const withRules = config.enableDynamicRules ? Layer.provideMerge(DynamicRulePoller.layer, telemetry) : telemetry

    // redisFailOpen: the Redis stores answer from this instance's memory while Redis fails
    const failOpen = <I>(onRedis: Layer.Layer<I, never, GuardRedis>, withFallback: Layer.Layer<I, never, GuardRedis | StoreFallback>) =>
      config.redisFailOpen ? withFallback.pipe(Layer.provide(StoreFallback.layer)) : onRedis
    const stores = Layer.mergeAll(
      yield* existingOr(
        IpBans,
        shared(IpBans.layerMemory({ protectedRanges }), failOpen(RedisIpBans.layer({ protectedRanges }), layerIpBansFallback({ protectedRanges })))
      ),
      yield* existingOr(RateLimitStore, shared(RateLimitStore.layerMemory(), failOpen(RedisRateLimitStore.layer, layerRateLimitStoreFallback))),
      yield* existingOr(
        ViolationCounter,
        shared(ViolationCounter.layerMemory(), failOpen(RedisViolationCounter.layer(), layerViolationCounterFallback()))
      )
    )
    const detector = yield* existingOr(ThreatDetector, ThreatDetector.layer(ThreatDetector.fromConfig(config)))
    const cloud = yield* cloudRanges(config)
    const pipeline = GuardPipeline.layer.pipe(Layer.provide(Layer.mergeAll(stores, detector, cloud, withRules)))
    const security = consoleFeed === undefined
      ? pipeline
      : layerMounted(consoleFeed).pipe(Layer.provide(Layer.mergeAll(pipeline, stores, withRules, config.enableRedis ? redis : Layer.empty)))
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

/** The service already in the context, or `fallback`. */
const existingOr = <I, S, E>(tag: Context.Tag<I, S>, fallback: Layer.Layer<I, E>) =>
  Effect.map(Effect.serviceOption(tag), (found): Layer.Layer<I, E> =>
    Option.isSome(found) ? Layer.succeed(tag, found.value) : fallback)

/** Cloud ranges for the providers the config and routes block, unless the context has some. */
const cloudRanges = (config: GuardConfig["Type"]) =>
  Effect.gen(function*() {
    const existing = yield* Effect.serviceOption(CloudRanges)
    if (Option.isSome(existing)) return Layer.succeed(CloudRanges, existing.value)
    const routes = yield* Effect.serviceOption(GuardRoutes)
    const providers = new Set(config.blockCloudProviders)
    for (const route of Option.match(routes, { onNone: () => [], onSome: (r) => r.all })) {
      for (const p of route.settings.blockClouds ?? []) providers.add(p)
    }
    if (providers.size === 0) return Layer.empty
    return CloudRanges.layer({ providers, refreshInterval: Duration.seconds(config.cloudIpRefreshInterval) }).pipe(
      Layer.provide(FetchHttpClient.layer)
    )
  })
