/**
 * The guard for one configuration and set of routes: the checks it can trigger, built once, and
 * what it does for each request (facts, preamble, checks, the application, the response).
 *
 * @internal
 */
import type { HttpApp, HttpServerResponse } from "@effect/platform"
import { Effect, FiberRef, Option } from "effect"
import * as Authentication from "../../checks/Authentication.js"
import * as CloudIpRefresh from "../../checks/CloudIpRefresh.js"
import * as CloudProvider from "../../checks/CloudProvider.js"
import * as CustomRequest from "../../checks/CustomRequest.js"
import * as CustomValidators from "../../checks/CustomValidators.js"
import * as EmergencyMode from "../../checks/EmergencyMode.js"
import * as HttpsEnforcement from "../../checks/HttpsEnforcement.js"
import * as IpSecurity from "../../checks/IpSecurity.js"
import * as RateLimit from "../../checks/RateLimit.js"
import * as Referrer from "../../checks/Referrer.js"
import * as RequestLogging from "../../checks/RequestLogging.js"
import * as RequestSizeContent from "../../checks/RequestSizeContent.js"
import * as RequiredHeaders from "../../checks/RequiredHeaders.js"
import * as RouteConfig from "../../checks/RouteConfig.js"
import * as SuspiciousActivity from "../../checks/SuspiciousActivity.js"
import * as TimeWindow from "../../checks/TimeWindow.js"
import * as UserAgent from "../../checks/UserAgent.js"
import { type CheckLog, makeRepeatedCheckLog } from "../../CheckLog.js"
import { ConfigError } from "../../ConfigError.js"
import { corsPolicyFor } from "../../CorsHeaders.js"
import type { CheckName } from "../../EventTypes.js"
import type { MetricsCollector } from "../../MetricsCollector.js"
import { currentEvaluation } from "../evaluation.js"
import { anyRoute, type CheckEnv, guardResponse, type GuardRequest, type SecurityCheck } from "../pipeline.js"
import type { GuardEvaluation } from "../routeSettings.js"
import { makeApplicationCall } from "./application.js"
import { makeCheckRunner } from "./checkRun.js"
import { makeFinisher } from "./finish.js"
import { isUncommon, makePreamble } from "./preamble.js"
import { makePreflight } from "./preflight.js"
import { makeRequestFacts } from "./requestFacts.js"
import { makeResponseHeaders } from "./responseHeaders.js"

/** The checks in the reference order; each builds itself only when the configuration or routes can trigger it. */
const BUILDERS: ReadonlyArray<(env: CheckEnv, repeatedLog: CheckLog) => Option.Option<SecurityCheck>> = [
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

/** A guard built for one configuration and set of routes. */
export interface Compiled {
  /** The checks built, in the order they run. */
  readonly checks: ReadonlyArray<CheckName>
  /** Guards `app`. */
  readonly apply: <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R>
}

/** The services a check needs are there: country and cloud rules need their lookups. */
const requiredServices = (env: CheckEnv): Effect.Effect<void, ConfigError> => {
  const { config } = env
  const countryRules = config.whitelistCountries.size > 0 || config.blockedCountries.size > 0 ||
    anyRoute(env, (s) => s.blockedCountries !== undefined || s.allowedCountries !== undefined)
  if (countryRules && env.geo === undefined) {
    return ConfigError.fromIssues([{
      path: "whitelistCountries",
      message: "country rules need a GeoIpLookup layer (e.g. GeoIpLookup.layerMaxmind(path)) provided to GuardLive"
    }])
  }
  const cloudRules = config.blockCloudProviders.size > 0 || anyRoute(env, (s) => s.blockClouds !== undefined)
  if (cloudRules && env.cloud === undefined) {
    return ConfigError.fromIssues([{
      path: "blockCloudProviders",
      message: "cloud provider rules need a CloudRanges layer (GuardLive builds one for blockCloudProviders)"
    }])
  }
  return Effect.void
}

/** The guard for `env`'s configuration and routes. */
export const compile = (env: CheckEnv, metrics: MetricsCollector["Type"]): Effect.Effect<Compiled, ConfigError> =>
  Effect.gen(function*() {
    const { bus, config } = env
    yield* requiredServices(env)
    const repeatedLog = yield* makeRepeatedCheckLog(config.mutedCheckLogs)
    const checks = BUILDERS.flatMap((build) => Option.toArray(build(env, repeatedLog)))
    const cors = corsPolicyFor(config)
    const counts = checks.some((c) => c.name === "rate_limit")
    const finisher = makeFinisher(metrics, makeResponseHeaders(config.securityHeaders, cors), counts ? config.rateLimitHeaders : false)
    const finish = (req: GuardRequest, response: HttpServerResponse.HttpServerResponse) => finisher.finish(finisher.of(req), response)
    const runChecks = makeCheckRunner(env, repeatedLog)
    const application = makeApplicationCall(env, finisher, repeatedLog)
    const preflight = makePreflight(cors, checks)
    const preamble = makePreamble(env)
    const facts = makeRequestFacts(env, (reason) =>
      bus.emit("route_unresolved", {
        actionTaken: config.passiveMode ? "logged_only" : "request_blocked",
        reason,
        metadata: { refusal: "handler_unguarded", ...(config.passiveMode ? { passive_mode: true } : {}) }
      }))

    const checked = <E, R>(app: HttpApp.Default<E, R>, req: GuardRequest): HttpApp.Default<E, R> =>
      preflight.is(req)
        ? Effect.flatMap(runChecks(preflight.checks, req), (verdict) => finish(req, Option.isSome(verdict) ? verdict.value : preflight.answer(req)))
        : Effect.flatMap(runChecks(checks, req), (verdict) => Option.isSome(verdict) ? finish(req, verdict.value) : application.call(app, req))

    const guarded = <E, R>(app: HttpApp.Default<E, R>, req: GuardRequest, spoofed: string | undefined): HttpApp.Default<E, R> =>
      !isUncommon(req, spoofed) ? checked(app, req) : Effect.flatMap(preamble(req, spoofed), (outcome) =>
        Option.isNone(outcome)
          ? checked(app, req)
          : outcome.value === "refuse"
          ? finish(req, guardResponse(env, 403, "Client address could not be determined"))
          : preflight.is(req)
          ? finish(req, preflight.answer(req))
          : application.bypassed(app, req))

    const apply = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
      Effect.withFiberRuntime((fiber) => {
        const { req, spoofed } = facts(fiber)
        // What the guard applied travels with the fiber, for the handlers that check it
        // (RouteGuard.secure) and the events the application emits (the client it resolved): the
        // four fields they read, not the request's facts. Set on the fiber, the facts (a copy of
        // the headers, the body state, ...) outlived the request long enough to be promoted to
        // V8's old generation: 3.9 KB promoted per GET instead of 0.8, its collection a sixth of
        // the guarded server's CPU (`node --trace-gc-nvp`, guard with every optional part off).
        const evaluation: GuardEvaluation = { route: req.route, clientIp: req.clientIp, passive: req.passive, reportUnguarded: req.reportUnguarded }
        return Effect.zipRight(FiberRef.set(currentEvaluation, evaluation), guarded(app, req, spoofed))
      })

    return { checks: checks.map((c) => c.name), apply }
  })
