/**
 * What every security check shares: the per-request context, the services it may use, and the one
 * way to refuse a request (emit the event, log unless muted, answer unless in passive mode).
 *
 * @internal
 */
import type { Headers, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { type Clock, Effect, LogLevel, Option } from "effect"
import type { RouterConfig } from "find-my-way-ts"
import { type BodySize, type Overflow, peekBody } from "./bodyPeek.js"
import type { CountedWindow } from "./rateLimitHeaders.js"
import { refusalResponse } from "./refusalBody.js"
import { checkLogFor } from "../CheckLog.js"
import type { PipelineSettings } from "./config/pipeline.js"
import type { ActiveRules } from "../DynamicRuleManager.js"
import type { CloudRanges } from "../CloudRanges.js"
import type { DynamicRuleManager } from "../DynamicRuleManager.js"
import type { EmitOptions, EventBus } from "../EventBus.js"
import type { CheckName, EventType } from "../EventTypes.js"
import type { GeoIpLookup } from "../GeoIpLookup.js"
import type { BanResult, IpBans } from "../IpBans.js"
import type { RateLimitStore } from "../RateLimitStore.js"
import type { GuardEvaluation, GuardRoutes, ResolvedRoute, RouteSettings } from "../RouteGuard.js"
import type { StoreError } from "../StoreError.js"
import type { ThreatDetector } from "../ThreatDetector.js"
import type { ViolationCounter } from "../ViolationCounter.js"

/** The services and settings a check is built from (once, when the pipeline is built). */
export interface CheckEnv {
  readonly config: PipelineSettings
  readonly routes: GuardRoutes["Type"]
  readonly bus: EventBus["Type"]
  readonly bans: IpBans["Type"]
  readonly rateLimits: RateLimitStore["Type"]
  readonly violations: ViolationCounter["Type"]
  readonly detector: ThreatDetector["Type"]
  readonly rules: DynamicRuleManager["Type"]
  readonly geo: GeoIpLookup["Type"] | undefined
  readonly cloud: CloudRanges["Type"] | undefined
}

/** Per-request facts, computed once by the pipeline and read by every check. */
export interface GuardRequest extends GuardEvaluation {
  readonly request: HttpServerRequest.HttpServerRequest
  /**
   * The request's headers, read once: platform-node builds a fresh copy (lower-cased, arrays
   * joined) on every access to `request.headers`, and a request passes through several checks.
   */
  readonly headers: Headers.Headers
  readonly method: string
  /** The path without the query string, as received. */
  readonly path: string
  readonly clientIp: string
  /**
   * What the client is counted, limited and banned under: `clientIp` for IPv4, its network of
   * `ipv6Subnet` bits for IPv6.
   */
  readonly clientKey: string
  /** The router config in force for this request (`HttpRouter.currentRouterConfig`). */
  readonly routerConfig: Partial<RouterConfig>
  /** The socket peer (before `X-Forwarded-For`), if known. */
  readonly peerIp: string | undefined
  readonly route: ResolvedRoute | undefined
  /**
   * The request is in `excludePaths` (the pattern of the route that serves it, else its path): bans,
   * IP lists, rate limits and the route's own requirements apply, the guard's global filtering does not.
   */
  readonly excluded: boolean
  /** Dynamic rules in force when the request arrived. */
  readonly rules: ActiveRules | undefined
  readonly startedAt: number
  /** Served by Node's HTTP server (platform-node), whose parser frames the body by its Content-Length. */
  readonly onNode: boolean
  /** Arrived over HTTPS: a TLS socket, an `https:` URL, or `X-Forwarded-Proto` from a trusted proxy. */
  readonly secure: boolean
  /** The request fiber's clock: the response time is measured with it. */
  readonly clock: Clock.Clock
  /** Facts checks learn along the way. Scoped to this request. */
  readonly state: {
    /** Set by a global whitelist match: later filtering checks are skipped. */
    whitelisted: boolean
    country: Option.Option<Option.Option<string>>
    /** The body as read by {@link peekedBody}, once it has been. */
    body: BodySize | undefined
    /** The rate-limit windows the request was counted in, for the response's rate-limit fields. */
    rateLimits: Array<CountedWindow> | undefined
  }
}

/** A check's verdict: a response refuses the request. */
export type Verdict = Option.Option<HttpServerResponse.HttpServerResponse>

export const pass: Effect.Effect<Verdict> = Effect.succeed(Option.none())

export interface SecurityCheck {
  readonly name: CheckName
  /**
   * Runs on paths in `excludePaths` too. A check that enforces a route's own settings does: the
   * router may serve an excluded spelling from a protected route (`/:tenant/admin` serves `/static/admin`).
   */
  readonly onExcludedPaths: boolean
  readonly run: (req: GuardRequest) => Effect.Effect<Verdict, StoreError>
}

/** Whether any declared route sets `field`. */
export const anyRoute = (env: CheckEnv, has: (settings: RouteSettings) => boolean): boolean =>
  env.routes.all.some((r) => has(r.settings))

/**
 * The most body bytes a request may have: its route's `maxRequestSize`, else the global one. The
 * size check (which measures a chunked body before anyone reads it), the cap on the application's
 * read and the detector's read of a chunked body all use this one answer, so the detector never
 * reads more than the application would. A route that bypasses the size check has no limit: a cap
 * that nothing measures against first would reset the connection of a body over it, not answer 413.
 */
export const maxBodyOf = (config: PipelineSettings, req: GuardRequest): number | undefined =>
  req.route?.settings.bypass?.has("request_size_content") === true
    ? undefined
    : req.route?.settings.maxRequestSize ?? config.maxRequestSize

/**
 * The request's body, read up to `max` bytes and left for the application (see `bodyPeek.ts`); read
 * once per request, so the size check and the detector share one read (the first read's `max` and
 * `overflow` hold). `undefined` when there is no body to read, or it cannot be read and left.
 */
export const peekedBody = (req: GuardRequest, max: number, overflow: Overflow): Effect.Effect<BodySize> | undefined => {
  const known = req.state.body
  if (known !== undefined) return Effect.succeed(known)
  const read = peekBody(req.request, req.headers, max, overflow)
  return read === undefined ? undefined : Effect.tap(read, (size) => {
    req.state.body = size
  })
}

/** The media type of a `Content-Type` value, lower-cased, without its parameters. */
export const mediaType = (header: string | undefined): string => (header ?? "").split(";")[0]!.trim().toLowerCase()

/** A guard response: the default message unless `customErrorResponses` overrides it, in the body format configured. */
export const guardResponse = (
  env: CheckEnv,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {}
): HttpServerResponse.HttpServerResponse => refusalResponse(env.config, status, message, headers)

const levels = {
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error
} as const

const suspiciousLevel = (env: CheckEnv): LogLevel.LogLevel => levels[env.config.logSuspiciousLevel]
export const logLevelOf = (name: keyof typeof levels): LogLevel.LogLevel => levels[name]

/** What a refusal says: the event, the log line and the response. */
export interface Refusal {
  readonly check: CheckName
  readonly event: EventType
  readonly reason: string
  readonly status: number
  readonly message: string
  readonly headers?: Readonly<Record<string, string>>
  readonly metadata?: Readonly<Record<string, unknown>>
  readonly emit?: Omit<EmitOptions, "actionTaken" | "reason" | "metadata">
  /** Action recorded in active mode (default `request_blocked`). */
  readonly action?: string
}

/**
 * Refuses the request: emits the event (action `logged_only` in passive mode), logs unless the
 * check's logs are muted, and answers, except in passive mode where the request goes on.
 */
export const refuse = (env: CheckEnv, req: GuardRequest, refusal: Refusal): Effect.Effect<Verdict> => {
  const passive = env.config.passiveMode
  const line = `${passive ? "[PASSIVE MODE] " : ""}${refusal.reason} (${req.method} ${req.path} from ${req.clientIp})`
  const log = checkLogFor(env.config.mutedCheckLogs)(refusal.check, line, { level: suspiciousLevel(env) })
  return Effect.zipRight(
    Effect.zipRight(
      env.bus.emit(refusal.event, {
        ...refusal.emit,
        actionTaken: passive ? "logged_only" : (refusal.action ?? "request_blocked"),
        reason: refusal.reason,
        metadata: passive ? { ...refusal.metadata, passive_mode: true } : { ...refusal.metadata }
      }),
      log
    ),
    Effect.succeed(passive ? Option.none() : Option.some(guardResponse(env, refusal.status, refusal.message, refusal.headers)))
  )
}

/** The client's country, looked up at most once per request. */
export const countryOf = (env: CheckEnv, req: GuardRequest): Effect.Effect<Option.Option<string>> => {
  if (Option.isSome(req.state.country)) return Effect.succeed(req.state.country.value)
  if (env.geo === undefined) return Effect.succeed(Option.none())
  return env.geo.country(req.clientIp).pipe(
    Effect.tapError((error) =>
      env.bus.emit("geo_lookup_failed", { actionTaken: "lookup_failed", reason: `Geographic lookup failed: ${error.message}` })),
    Effect.orElseSucceed(() => Option.none<string>()),
    Effect.tap((country) => {
      req.state.country = Option.some(country)
    })
  )
}

/**
 * Bans `req`'s client for `seconds`, emitting `ip_banned` (or `ip_ban_failed` when the ban is
 * refused, e.g. for a trusted proxy). Returns whether the ban is in place. Never in passive mode.
 */
export const banClient = (
  env: CheckEnv,
  req: GuardRequest,
  check: CheckName,
  seconds: number,
  reason: string
): Effect.Effect<boolean, StoreError> => {
  if (env.config.passiveMode) return Effect.succeed(false)
  const banned = (result: BanResult) =>
    Effect.as(
      Effect.zipRight(
        env.bus.emit("ip_banned", {
          actionTaken: "banned",
          reason,
          handlerName: "ip_ban",
          metadata: { duration: seconds, ...(result._tag === "Banned" && result.ip !== req.clientIp ? { banned_network: result.ip } : {}) }
        }),
        result._tag === "Banned" && Option.isSome(result.evicted)
          ? checkLogFor(env.config.mutedCheckLogs)(check, `ban store full: the ban of ${result.evicted.value} was dropped`)
          : Effect.void
      ),
      true
    )
  const failed = (result: Extract<BanResult, { _tag: "Refused" }>) =>
    Effect.as(
      env.bus.emit("ip_ban_failed", {
        actionTaken: "ban_not_applied",
        reason: `Ban failed for ${req.clientIp}: ${result.message}`,
        metadata: { ip_address: req.clientIp, refusal: result.refusal }
      }),
      false
    )
  const ban = (target: string) => env.bans.ban(target, `${seconds} seconds`, reason)
  // an IPv6 client is banned with its whole network, the address alone when the network holds a
  // protected address (a trusted proxy)
  return Effect.flatMap(ban(req.clientKey), (result) =>
    result._tag === "Banned"
      ? banned(result)
      : result.refusal === "Protected" && req.clientKey !== req.clientIp
      ? Effect.flatMap(ban(req.clientIp), (single) => single._tag === "Banned" ? banned(single) : failed(single))
      : failed(result))
}

/** The auto-ban policy in force: dynamic rules override the configuration. */
export const autoBanPolicy = (env: CheckEnv, req: GuardRequest) => {
  const rules = req.rules?.rules
  return {
    enabled: rules?.enableIpBanning ?? env.config.enableIpBanning,
    threshold: rules?.autoBanThreshold ?? env.config.autoBanThreshold,
    duration: rules?.autoBanDuration ?? env.config.autoBanDuration
  }
}
