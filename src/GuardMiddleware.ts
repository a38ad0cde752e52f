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
import {
  type HttpApp,
  Headers,
  HttpIncomingMessage,
  HttpMiddleware,
  HttpRouter,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import { HttpApp as App } from "@effect/platform"
import { Cause, Clock, Context, Effect, FiberRef, Layer, LogLevel, Option, Tracer } from "effect"
import * as Authentication from "./checks/Authentication.js"
import * as BehaviorRules from "./checks/BehaviorRules.js"
import * as CloudIpRefresh from "./checks/CloudIpRefresh.js"
import * as CloudProvider from "./checks/CloudProvider.js"
import * as CustomRequest from "./checks/CustomRequest.js"
import * as CustomValidators from "./checks/CustomValidators.js"
import * as EmergencyMode from "./checks/EmergencyMode.js"
import * as HttpsEnforcement from "./checks/HttpsEnforcement.js"
import * as IpSecurity from "./checks/IpSecurity.js"
import * as RateLimit from "./checks/RateLimit.js"
import * as Referrer from "./checks/Referrer.js"
import * as RequestLogging from "./checks/RequestLogging.js"
import * as RequestSizeContent from "./checks/RequestSizeContent.js"
import * as RequiredHeaders from "./checks/RequiredHeaders.js"
import * as RouteConfig from "./checks/RouteConfig.js"
import * as SuspiciousActivity from "./checks/SuspiciousActivity.js"
import * as TimeWindow from "./checks/TimeWindow.js"
import * as UserAgent from "./checks/UserAgent.js"
import { makeRepeatedCheckLog } from "./CheckLog.js"
import { ClientIp, ClientIpRegistry, makeClientIpResolver, UNKNOWN_CLIENT_IP } from "./ClientIp.js"
import { CloudRanges } from "./CloudRanges.js"
import { ConfigError } from "./ConfigError.js"
import { addToVary, corsPolicyFor } from "./CorsHeaders.js"
import { DynamicRuleManager } from "./DynamicRuleManager.js"
import { EventBus } from "./EventBus.js"
import { type CheckName, METRIC_TYPE_VALUES } from "./EventTypes.js"
import { GeoIpLookup } from "./GeoIpLookup.js"
import { GuardConfig } from "./GuardConfig.js"
import {
  anyRoute,
  type CheckEnv,
  flatMapNow,
  type GuardRequest,
  guardResponse,
  maxBodyOf,
  pass,
  type SecurityCheck,
  succeeded,
  type Verdict
} from "./internal/pipeline.js"
import { makeClientKeys } from "./internal/ip.js"
import { headersOnWrite, type NodeResponse, nodeResponseOf } from "./internal/nodeResponse.js"
import { pathOf } from "./internal/path.js"
import { IpBans } from "./IpBans.js"
import { MetricsCollector } from "./MetricsCollector.js"
import { RateLimitStore } from "./RateLimitStore.js"
import { apiRoutes } from "./internal/routeDiscovery.js"
import { currentEvaluation, GuardRoutes } from "./RouteGuard.js"
import { securityHeadersFor } from "./SecurityHeaders.js"
import { StoreError } from "./StoreError.js"
import { ThreatDetector } from "./ThreatDetector.js"
import { ViolationCounter } from "./ViolationCounter.js"

const BUILDERS: ReadonlyArray<(env: CheckEnv) => Option.Option<SecurityCheck>> = [
  RouteConfig.make,
  EmergencyMode.make,
  HttpsEnforcement.make,
  RequestLogging.make,
  RequestSizeContent.make,
  RequiredHeaders.make,
  Authentication.make,
  Referrer.make,
  CustomValidators.make,
  TimeWindow.make,
  CloudIpRefresh.make,
  IpSecurity.make,
  CloudProvider.make,
  UserAgent.make,
  RateLimit.make,
  SuspiciousActivity.make,
  CustomRequest.make
]

const EMPTY_ROUTES: GuardRoutes["Type"] = { find: () => undefined, resolve: () => Option.none(), declared: false, all: [] }

/** The checks a CORS preflight goes through before the guard answers it: who the client is. */
const PREFLIGHT_CHECKS: ReadonlySet<CheckName> = new Set<CheckName>(["emergency_mode", "ip_security", "cloud_provider", "rate_limit"])

/** How often one excluded path is reported (`path_excluded`). */
const PATH_EXCLUDED_EVERY_MS = 300_000

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
  /** The routes found where the pipeline was built (provided to `GuardLive`), if any. */
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
   * Builds the pipeline from the guard's services; `GuardRoutes`, `GeoIpLookup` and `CloudRanges`
   * are used when present. Country rules without a `GeoIpLookup` are a `ConfigError`.
   *
   * @since 0.1.0
   */
  static readonly layer: Layer.Layer<
    GuardPipeline,
    ConfigError,
    GuardConfig | EventBus | MetricsCollector | IpBans | RateLimitStore | ViolationCounter | ThreatDetector | DynamicRuleManager
  > = Layer.effect(GuardPipeline, Effect.suspend(() => make))
}

/**
 * The guard as an `HttpMiddleware`: serve it with `HttpServer.serve(guardMiddleware)` (or pass it to
 * `HttpApp.toWebHandler`) and provide `GuardLive`.
 *
 * The routes whose settings it applies are found wherever they are: `GuardRoutes` provided where the
 * application runs (the server's layer), else provided to `GuardLive`, else the `HttpApi` being
 * served. Protected handlers check that their settings were applied (see `RouteGuard.secure`).
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
 * Whether Node's HTTP parser already keeps the body within `max`: it reads exactly Content-Length
 * bytes, and a request with neither Content-Length nor Transfer-Encoding has no body. A cap would
 * then change nothing, and providing it (`Effect.provideService`) copies the request's context and
 * takes an acquire-release around the application: about 4 µs, a twentieth of a bare GET.
 */
const framedWithin = (req: GuardRequest, max: number): boolean => {
  if (!req.onNode || req.headers["transfer-encoding"] !== undefined) return false
  const declared = req.headers["content-length"]
  if (declared === undefined) return true
  const length = Number(declared)
  return Number.isSafeInteger(length) && length >= 0 && length <= max
}

/** Sets an attribute on the request span, if there is one (cheaper than `annotateCurrentSpan`). */
const annotateRequestSpan = (key: string, value: string): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) => {
    const span = Context.getOption(fiber.currentContext, Tracer.ParentSpan)
    if (Option.isSome(span) && span.value._tag === "Span") span.value.attribute(key, value)
    return Effect.void
  })

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<
  GuardPipelineShape,
  ConfigError,
  GuardConfig | EventBus | MetricsCollector | IpBans | RateLimitStore | ViolationCounter | ThreatDetector | DynamicRuleManager
> = Effect.gen(function*() {
  const services: Omit<CheckEnv, "routes"> = {
    config: yield* GuardConfig,
    bus: yield* EventBus,
    bans: yield* IpBans,
    rateLimits: yield* RateLimitStore,
    violations: yield* ViolationCounter,
    detector: yield* ThreatDetector,
    rules: yield* DynamicRuleManager,
    geo: Option.getOrUndefined(yield* Effect.serviceOption(GeoIpLookup)),
    cloud: Option.getOrUndefined(yield* Effect.serviceOption(CloudRanges))
  }
  const metrics = yield* MetricsCollector
  const registry = Option.getOrUndefined(yield* Effect.serviceOption(ClientIpRegistry))
  const own = Option.getOrUndefined(yield* Effect.serviceOption(GuardRoutes))
  const variants = new Map<GuardRoutes["Type"], Effect.Effect<GuardPipelineShape, ConfigError>>()
  const build = (routes: GuardRoutes["Type"] | undefined): Effect.Effect<GuardPipelineShape, ConfigError> =>
    Effect.map(compile({ ...services, routes: routes ?? EMPTY_ROUTES }, metrics, registry), ({ apply, checks }) =>
      GuardPipeline.of({ checks, apply, routes, forRoutes }))
  const forRoutes = (routes: GuardRoutes["Type"]): Effect.Effect<GuardPipelineShape, ConfigError> => {
    const known = variants.get(routes)
    if (known !== undefined) return known
    return Effect.flatten(Effect.tap(Effect.exit(build(routes)), (exit) => {
      variants.set(routes, exit)
    }))
  }
  return yield* build(own)
})

/** The pipeline for `env`'s configuration and routes. */
const compile = (
  env: CheckEnv,
  metrics: MetricsCollector["Type"],
  registry: ClientIpRegistry["Type"] | undefined
): Effect.Effect<{ readonly checks: ReadonlyArray<CheckName>; readonly apply: GuardPipelineShape["apply"] }, ConfigError> =>
  Effect.gen(function*() {
    const { bus, config } = env
    const countryRules = config.whitelistCountries.size > 0 || config.blockedCountries.size > 0 ||
      anyRoute(env, (s) => s.blockedCountries !== undefined || s.allowedCountries !== undefined)
    if (countryRules && env.geo === undefined) {
      return yield* ConfigError.fromIssues([{
        path: "whitelistCountries",
        message: "country rules need a GeoIpLookup layer (e.g. GeoIpLookup.layerMaxmind(path)) provided to GuardLive"
      }])
    }
    const cloudRules = config.blockCloudProviders.size > 0 || anyRoute(env, (s) => s.blockClouds !== undefined)
    if (cloudRules && env.cloud === undefined) {
      return yield* ConfigError.fromIssues([{
        path: "blockCloudProviders",
        message: "cloud provider rules need a CloudRanges layer (GuardLive builds one for blockCloudProviders)"
      }])
    }

    const repeatedLog = yield* makeRepeatedCheckLog(config.mutedCheckLogs)
    const checks = BUILDERS.flatMap((build) => Option.toArray(build(env)))
    const spans = new Map(checks.map((c) => [c.name, `guard.check.${c.name}`]))
    const resolveIp = makeClientIpResolver(config)
    const clientKeys = makeClientKeys(config.ipv6Subnet)
    const securityHeaders = Headers.fromInput(securityHeadersFor(config.securityHeaders))
    const headerEntries = Object.entries(securityHeaders)
    const cors = corsPolicyFor(config)
    const addsHeaders = headerEntries.length > 0 || cors !== undefined
    const writesHeaders = headersOnWrite(headerEntries)
    /** Puts the security (and CORS) headers on the Node response, if there is one; whether it did. */
    const setNodeHeaders = (response: NodeResponse | undefined, headers: Headers.Headers): boolean => {
      if (response === undefined) return false
      if (headerEntries.length > 0 && !writesHeaders(response)) {
        for (const [name, value] of headerEntries) response.setHeader(name, value)
      }
      if (cors !== undefined) for (const [name, value] of cors.headersFor(headers["origin"])) response.setHeader(name, value)
      return true
    }
    /** `headers` with `Origin` added to the application's own `Vary`, which would otherwise replace the guard's. */
    const withVaryOrigin = (headers: Headers.Headers, own: Headers.Headers): Headers.Headers =>
      cors?.variesByOrigin === true && own["vary"] !== undefined ? Headers.set(headers, "vary", addToVary(own["vary"], "Origin")) : headers
    const headersOf = (req: GuardRequest): Headers.Headers => {
      const corsHeaders = cors?.headersFor(req.headers["origin"]) ?? []
      return corsHeaders.length === 0 ? securityHeaders : Headers.merge(securityHeaders, Headers.fromInput(corsHeaders))
    }
    const withSecurityHeaders = !addsHeaders
      ? (_: GuardRequest, response: HttpServerResponse.HttpServerResponse) => response
      : (req: GuardRequest, response: HttpServerResponse.HttpServerResponse) => {
        // One rebuild, the application's own headers winning. A setHeader per header copies the
        // headers twice each time, and setHeaders spreads two objects into one, a slow path in V8:
        // for the eleven defaults they take 1.7 and 3.4 times as long as this.
        const bare = HttpServerResponse.empty({
          status: response.status,
          statusText: response.statusText,
          headers: withVaryOrigin(Headers.merge(headersOf(req), response.headers), response.headers),
          cookies: response.cookies
        })
        return response.body._tag === "Empty" ? bare : HttpServerResponse.setBody(bare, response.body)
      }
    /**
     * A CORS preflight is answered by the guard, and the application never sees it, once the checks
     * of who the client is have passed (emergency mode, bans and IP lists, cloud ranges, rate
     * limits): a banned or blacklisted client gets no 204. A browser sends a preflight without
     * credentials or the request's own headers, so the checks that need them (authentication,
     * required headers, a route's validators) would refuse every one; the request that follows goes
     * through all of them.
     */
    const preflightChecks = checks.filter((check) => PREFLIGHT_CHECKS.has(check.name))
    const answersPreflight = (req: GuardRequest): boolean => cors !== undefined && cors.isPreflight(req.method, req.headers)
    const preflight = (req: GuardRequest): HttpServerResponse.HttpServerResponse => {
      const { headers } = req
      const allowed = cors !== undefined && cors.allows(headers["origin"])
      return HttpServerResponse.empty({
        status: 204,
        ...(allowed ? { headers: Headers.fromInput(cors.preflightHeaders(headers["access-control-request-headers"])) } : {})
      })
    }
    const excludes = config.excludePaths.map((p) => (p.endsWith("/") ? p.slice(0, -1) : p))
    const isExcluded = (path: string) => excludes.some((p) => path === p || path.startsWith(`${p}/`))
    const excludedReported = new Map<string, number>()

    const traced = (check: SecurityCheck, req: GuardRequest): Effect.Effect<Verdict, StoreError> =>
      config.traceSecurityChecks
        // suspended, so that a check answering synchronously still does its work inside its span
        ? Effect.withSpan(Effect.suspend(() => check.run(req)), spans.get(check.name) ?? check.name, { kind: "internal", captureStackTrace: false })
        : check.run(req)

    /** What a check that failed means for the request: a refusal, or none to go on with the next check. */
    const onCheckFailure = (check: SecurityCheck, cause: Cause.Cause<StoreError>): Effect.Effect<Verdict> => {
      if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
      const storeError = Option.getOrUndefined(Cause.failureOption(cause))
      // once per 10 s per check at most: an outage would otherwise write a line per request
      if (storeError instanceof StoreError) {
        if (config.redisFailOpen) {
          return Effect.as(repeatedLog(check.name, `Security check ${check.name} skipped: state store unavailable (fail-open)`, { cause: storeError.message }), Option.none())
        }
        return Effect.as(
          repeatedLog(check.name, `Security check ${check.name} failed: state store unavailable; answered 503`, { level: LogLevel.Error, cause: storeError.message }),
          Option.some(guardResponse(env, 503, "Service temporarily unavailable", { "retry-after": "5" }))
        )
      }
      const log = repeatedLog(check.name, `Error in security check ${check.name}`, { level: LogLevel.Error, cause })
      return Effect.as(log, config.failSecure ? Option.some(guardResponse(env, 500, "Security check failed")) : Option.none())
    }

    const reportExcluded = (req: GuardRequest): Effect.Effect<void> => {
      const last = excludedReported.get(req.path)
      if (last !== undefined && req.startedAt - last < PATH_EXCLUDED_EVERY_MS) return Effect.void
      if (excludedReported.size >= 1000) excludedReported.clear()
      excludedReported.set(req.path, req.startedAt)
      return bus.emit("path_excluded", {
        actionTaken: "security_checks_bypassed",
        reason: `Path ${req.path} excluded from security checks`,
        metadata: { excluded_path: req.path, configured_exclusions: config.excludePaths }
      })
    }

    /** Records the request metrics (the clock read is the response time). */
    const record = (req: GuardRequest, status: number): Effect.Effect<void> =>
      metrics.collectRequest({
        endpoint: req.path,
        method: req.method,
        status,
        responseTime: (req.clock.unsafeCurrentTimeMillis() - req.startedAt) / 1000
      })

    /** Records the metrics of `response`, then goes on with `value` (at once when nothing was sent). */
    const recordThen = <A>(req: GuardRequest, response: HttpServerResponse.HttpServerResponse, value: A): Effect.Effect<A> => {
      const collected = record(req, response.status)
      return succeeded(collected) ? Effect.succeed(value) : Effect.as(collected, value)
    }

    /** Called once the response is known: the metrics, and the security headers unless Node adds them. */
    const finish = (req: GuardRequest, response: HttpServerResponse.HttpServerResponse): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
      recordThen(req, response, req.headersSet ? response : withSecurityHeaders(req, response))

    /**
     * The application with its metrics recorded from the response it returned, or, when it failed,
     * from the response the platform sent for the failure.
     */
    const recorded = <E, R>(app: HttpApp.Default<E, R>, req: GuardRequest): HttpApp.Default<E, R> =>
      Effect.matchCauseEffect(app, {
        onFailure: (cause) =>
          Effect.zipRight(
            Effect.flatMap(HttpServerError.causeResponse(cause), ([response]) => record(req, response.status)),
            Effect.failCause(cause)
          ),
        onSuccess: (response) => recordThen(req, response, response)
      })

    const varyOnNode = (_: HttpServerRequest.HttpServerRequest, response: HttpServerResponse.HttpServerResponse) =>
      Effect.succeed(
        response.headers["vary"] === undefined ? response : HttpServerResponse.setHeader(response, "vary", addToVary(response.headers["vary"], "Origin"))
      )

    // The platform sends the application's response inside the app the middleware wraps, so the
    // portable way to add headers to it is a pre-response handler; its fiber-ref local makes every
    // later fiber-ref write in the request copy a larger table. It is installed only when headers
    // must be added and Node cannot take them (web handlers); metrics alone need no handler.
    const recordsMetrics = !METRIC_TYPE_VALUES.every((t) => metrics.isMuted(t))
    const callApp = <E, R>(app: HttpApp.Default<E, R>, req: GuardRequest): HttpApp.Default<E, R> => {
      if (addsHeaders && !req.headersSet) return Effect.zipRight(App.appendPreResponseHandler((_, response) => finish(req, response)), app)
      const called = recordsMetrics ? recorded(app, req) : app
      // Node replaces the Vary set on its response with the application's own: Origin is added to it
      return cors?.variesByOrigin === true ? Effect.zipRight(App.appendPreResponseHandler(varyOnNode), called) : called
    }

    /**
     * The checks from `index` on; the first refusal ends the run. A check that has already answered
     * (in-process stores, nothing to look up) is followed at once, without a fiber step. One failure
     * handler covers the whole run (a handler per check would cost every request two more steps per
     * check); it knows which check failed because the run records the check it is in.
     */
    const refusedBy = (check: SecurityCheck, verdict: Verdict): Effect.Effect<Verdict> =>
      Effect.as(annotateRequestSpan("guard.blocked_by", check.name), verdict)

    const runChecks = (list: ReadonlyArray<SecurityCheck>, req: GuardRequest, index: number): Effect.Effect<Verdict> => {
      const bypass = req.route?.settings.bypass
      let current = index
      const from = (start: number): Effect.Effect<Verdict, StoreError> => {
        for (let i = start; i < list.length; i++) {
          const check = list[i]!
          if ((req.excluded && !check.onExcludedPaths) || bypass?.has(check.name) === true) continue
          current = i
          let result: Effect.Effect<Verdict, StoreError>
          try {
            result = traced(check, req)
          } catch (defect) {
            // a check that throws while answering synchronously fails like one that dies in its effect
            result = Effect.die(defect)
          }
          if (succeeded(result)) {
            if (Option.isNone(result.value)) continue
            return refusedBy(check, result.value)
          }
          return Effect.flatMap(result, (verdict) => Option.isSome(verdict) ? refusedBy(check, verdict) : from(i + 1))
        }
        return pass
      }
      const run = from(index)
      return succeeded(run) ? run : Effect.catchAllCause(run, (cause) =>
        Effect.flatMap(onCheckFailure(list[current]!, cause), (verdict) =>
          Option.isSome(verdict) ? Effect.succeed(verdict) : runChecks(list, req, current + 1)))
    }

    const withBehaviour = <E, R>(app: HttpApp.Default<E, R>, req: GuardRequest): HttpApp.Default<E, R> => {
      // The application's read is capped (a body without Content-Length is measured first, by
      // request_size_content), except in passive mode, which must not cut any request short.
      const max = config.passiveMode ? undefined : maxBodyOf(config, req)
      // a request Node gives no body (framed within 0 bytes) needs no cap, nor a look for one
      const call: HttpApp.Default<E, R> = max === undefined || framedWithin(req, 0) ? callApp(app, req) : Effect.withFiberRuntime<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest>((fiber) => {
        // never above a cap the application already has
        const outer = Context.get(fiber.currentContext, HttpIncomingMessage.MaxBodySize)
        const cap = Option.isSome(outer) && Number(outer.value) > 0 ? Math.min(max, Number(outer.value)) : max
        return callApp(framedWithin(req, cap) ? app : HttpIncomingMessage.withMaxBodySize(app, Option.some(cap)), req)
      })
      if (req.route?.settings.behaviorRules === undefined) return call
      return Effect.flatMap(
        BehaviorRules.beforeHandler(env, req).pipe(
          Effect.catchAll((error) => Effect.as(repeatedLog("route_config", "behaviour rules skipped: state store unavailable", { cause: error.message }), Option.none()))
        ),
        (verdict) =>
          Option.isSome(verdict) ? finish(req, verdict.value) : Effect.tap(call, (response) =>
            BehaviorRules.afterHandler(env, req, response).pipe(
              Effect.catchAll((error) => repeatedLog("route_config", "return-pattern rules skipped: state store unavailable", { cause: error.message }))
            ))
      )
    }

    /** The uncommon cases: a spoof attempt, an unknown client, an excluded path, a bypassed route. */
    const preamble = (req: GuardRequest, spoofed: string | undefined): Effect.Effect<Option.Option<"refuse" | "bypass">> =>
      Effect.gen(function*() {
        if (spoofed !== undefined) {
          yield* bus.emit("suspicious_request", {
            actionTaken: "spoofing_detected",
            reason: `Potential IP spoof attempt: X-Forwarded-For header ${spoofed}`,
            handlerName: "ip_extraction",
            ...(req.peerIp === undefined ? {} : { ipAddress: req.peerIp })
          })
        }
        if (req.clientIp === UNKNOWN_CLIENT_IP && config.failSecure) return Option.some("refuse" as const)
        if (req.excluded) yield* reportExcluded(req)
        if (req.route?.settings.bypass?.has("all") === true && !config.passiveMode) {
          yield* bus.emit("security_bypass", {
            actionTaken: "all_checks_bypassed",
            reason: "Route configured to bypass all security checks",
            metadata: { bypassed_checks: ["all"], endpoint: req.path }
          })
          return Option.some("bypass" as const)
        }
        return Option.none()
      })

    const guarded = <E, R>(app: HttpApp.Default<E, R>, req: GuardRequest, spoofed: string | undefined): HttpApp.Default<E, R> => {
      const isPreflight = answersPreflight(req)
      // a thunk: checks that answer synchronously run as it is called, so only after the preamble
      const checked = isPreflight
        ? () => flatMapNow(runChecks(preflightChecks, req, 0), (verdict) => finish(req, Option.isSome(verdict) ? verdict.value : preflight(req)))
        : () => flatMapNow(runChecks(checks, req, 0), (verdict) => Option.isSome(verdict) ? finish(req, verdict.value) : withBehaviour(app, req))
      const uncommon = spoofed !== undefined || req.clientIp === UNKNOWN_CLIENT_IP || req.excluded || req.route?.settings.bypass !== undefined
      if (!uncommon) return checked()
      return Effect.flatMap(preamble(req, spoofed), (outcome) =>
        Option.isNone(outcome)
          ? checked()
          : outcome.value === "refuse"
          ? finish(req, guardResponse(env, 403, "Client address could not be determined"))
          : isPreflight
          ? finish(req, preflight(req))
          : callApp(app, req))
    }

    const reportUnguarded = (reason: string): Effect.Effect<void> =>
      bus.emit("route_unresolved", {
        actionTaken: config.passiveMode ? "logged_only" : "request_blocked",
        reason,
        metadata: { refusal: "handler_unguarded", ...(config.passiveMode ? { passive_mode: true } : {}) }
      })

    const apply = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
      Effect.flatMap(env.rules.current, (rules) => Effect.withFiberRuntime((fiber) => {
        const context = fiber.currentContext
        const request = Context.unsafeGet(context, HttpServerRequest.HttpServerRequest)
        const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
        // web handlers have no socket: the host can pass the peer address as `ClientIp`
        const peer = Option.getOrUndefined(request.remoteAddress) ?? Option.getOrUndefined(Context.getOption(context, ClientIp))
        const headers = request.headers
        const nodeResponse = nodeResponseOf(request)
        const resolution = resolveIp({ remoteAddress: peer, headers })
        const path = pathOf(request.url)
        const routerConfig = fiber.getFiberRef(HttpRouter.currentRouterConfig)
        const req: GuardRequest = {
          reportUnguarded,
          passive: config.passiveMode,
          request,
          headers,
          method: request.method,
          path,
          clientIp: resolution.ip,
          clientKey: clientKeys(resolution.ip),
          routerConfig,
          peerIp: peer,
          // the router's own rules, under the router config in force for this request
          route: env.routes.find(request.method, request.url, routerConfig),
          excluded: excludes.length > 0 && isExcluded(path),
          rules: Option.getOrUndefined(rules),
          startedAt: clock.unsafeCurrentTimeMillis(),
          onNode: nodeResponse !== undefined,
          headersSet: addsHeaders && setNodeHeaders(nodeResponse, headers),
          clock,
          state: { whitelisted: false, country: Option.none(), body: undefined }
        }
        if (registry !== undefined && typeof request.source === "object" && request.source !== null) {
          registry.set(request.source, req.clientIp)
        }
        // what the guard applied travels with the fiber, for the handlers that check it (RouteGuard.secure)
        return Effect.zipRight(
          FiberRef.set(currentEvaluation, req),
          guarded(app, req, resolution.spoofSuspected ? (resolution.forwardedChain ?? "") : undefined)
        )
      }))

    return { checks: checks.map((c) => c.name), apply }
  })
