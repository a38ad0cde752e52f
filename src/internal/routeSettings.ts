/**
 * The schema of route settings and the shapes of a resolved request (`ResolvedRoute`,
 * `GuardEvaluation`), apart from `RouteGuard.ts`, whose `secure` reports through the event bus: the
 * event bus reads the evaluation, so these types sit where it can import them without a circle.
 * `RouteGuard.ts` re-exports all of them.
 *
 * @internal
 */
import type { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { type Effect, type Option, Schema } from "effect"
import { CHECK_NAME_VALUES } from "../EventTypes.js"
import { optional, PositiveInt, withDefault } from "./config/fields.js"
import { type AuthVerifier, CLOUD_PROVIDER_VALUES, CountryCode, IpOrCidr, type RateLimitKey, type RateLimitSkip, UserAgentPattern } from "./config/security.js"

/**
 * A route-level validator: return a response to refuse the request.
 *
 * @since 0.1.0
 * @category models
 */
export type RouteValidator = (
  request: HttpServerRequest.HttpServerRequest
) => Effect.Effect<Option.Option<HttpServerResponse.HttpServerResponse>>

const fn = <F>(what: string) =>
  Schema.declare((u: unknown): u is F => typeof u === "function", {
    identifier: what,
    message: () => `expected a function (${what})`
  })

const HHMM = Schema.String.pipe(
  Schema.filter((s) => (/^([01]\d|2[0-3]):[0-5]\d$/.test(s) ? undefined : `${JSON.stringify(s)} is not a HH:MM time`))
)

const TimeZone = Schema.String.pipe(
  Schema.filter((tz) => {
    try {
      new Intl.DateTimeFormat("en-GB", { timeZone: tz })
      return undefined
    } catch {
      return `${JSON.stringify(tz)} is not an IANA time zone`
    }
  })
)

/**
 * Names `bypass` accepts: the reference's groups plus any check name.
 *
 * @since 0.1.0
 * @category vocabulary
 */
export const BYPASS_VALUES = ["all", "ip_ban", "ip", "clouds", "rate_limit", "penetration", ...CHECK_NAME_VALUES] as const

/**
 * @since 0.1.0
 * @category vocabulary
 */
export type BypassName = (typeof BYPASS_VALUES)[number]

const BehaviorRule = Schema.Struct({
  /** `usage`: calls per window; `frequency`: the same, stated as a rate; `return_pattern`: responses matching `pattern`. */
  ruleType: Schema.Literal("usage", "frequency", "return_pattern"),
  threshold: PositiveInt,
  /** Seconds. */
  window: withDefault(PositiveInt, () => 3600),
  /** For `return_pattern`: `status:NNN` (or `status:4xx`). */
  pattern: optional(Schema.String.pipe(Schema.pattern(/^status:[1-5](\d\d|xx)$/, { message: () => "pattern must be status:NNN or status:Nxx" }))),
  action: withDefault(Schema.Literal("ban", "log", "throttle", "alert"), () => "log" as const),
  /** Seconds; defaults to the guard's `autoBanDuration`. */
  banDuration: optional(PositiveInt)
}).pipe(
  Schema.filter((r) =>
    r.ruleType === "return_pattern" && r.pattern === undefined ? { path: ["pattern"], message: "return_pattern rules need a pattern" } : undefined)
)

/**
 * The schema of route settings.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RouteSettingsSchema = Schema.Struct({
  ipWhitelist: optional(Schema.Array(IpOrCidr)),
  ipBlacklist: optional(Schema.Array(IpOrCidr)),
  blockedCountries: optional(Schema.ReadonlySet(CountryCode)),
  allowedCountries: optional(Schema.ReadonlySet(CountryCode)),
  /** Blocks requests from these providers' ranges (overrides the global set on this route). */
  blockClouds: optional(Schema.ReadonlySet(Schema.Literal(...CLOUD_PROVIDER_VALUES))),
  /** Per client on this route, on top of the global limit. Window in seconds (default 60). */
  rateLimit: optional(Schema.Struct({ requests: PositiveInt, window: withDefault(PositiveInt, () => 60) })),
  /** The client this route's requests are counted as by every limit they meet (over the global `rateLimitKey`). */
  rateLimitKey: optional(fn<RateLimitKey>("rateLimitKey")),
  /** Leaves a request of this route out of every rate limit (over the global `rateLimitSkip`). */
  rateLimitSkip: optional(fn<RateLimitSkip>("rateLimitSkip")),
  /** What one request of this route counts for in every limit it meets (default 1). */
  rateLimitCost: optional(PositiveInt),
  requireHttps: optional(Schema.Boolean),
  requireAuth: optional(Schema.Struct({
    type: withDefault(Schema.Literal("bearer", "basic"), () => "bearer" as const),
    verifier: optional(fn<AuthVerifier>("verifier"))
  })),
  apiKey: optional(Schema.Struct({
    header: withDefault(Schema.String.pipe(Schema.minLength(1)), () => "x-api-key"),
    verifier: optional(fn<AuthVerifier>("verifier"))
  })),
  /** Header name -> required value (`"required"`: present with any value). */
  requireHeaders: optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  allowedContentTypes: optional(Schema.Array(Schema.String.pipe(Schema.minLength(1)))),
  /** Bytes, by `Content-Length`. */
  maxRequestSize: optional(PositiveInt),
  timeWindow: optional(Schema.Struct({ start: HHMM, end: HHMM, timezone: withDefault(TimeZone, () => "UTC") })),
  blockUserAgents: optional(Schema.Array(UserAgentPattern)),
  /** Allowed referrer hosts (subdomains included). */
  requireReferrer: optional(Schema.Array(Schema.String.pipe(Schema.minLength(1)))),
  customValidators: optional(Schema.Array(fn<RouteValidator>("validator"))),
  bypass: optional(Schema.ReadonlySet(Schema.Literal(...BYPASS_VALUES))),
  /** Turns the `suspicious_activity` check on or off for this route. */
  suspiciousDetection: optional(Schema.Boolean),
  behaviorRules: optional(Schema.Array(BehaviorRule))
}).pipe(
  Schema.filter((s) =>
    s.bypass?.has("request_size_content") === true && s.maxRequestSize !== undefined
      ? {
        path: ["maxRequestSize"],
        message: "maxRequestSize has no effect on a route that bypasses request_size_content (the bypass lifts every size limit there); drop one of them"
      }
      : undefined
  ),
  Schema.annotations({ identifier: "RouteSettings" })
)

/**
 * Decoded route settings.
 *
 * @since 0.1.0
 * @category models
 */
export type RouteSettings = Schema.Schema.Type<typeof RouteSettingsSchema>

/**
 * Route settings as written in code.
 *
 * @since 0.1.0
 * @category models
 */
export type RouteSettingsInput = Schema.Schema.Encoded<typeof RouteSettingsSchema>

/**
 * A behaviour rule of a route.
 *
 * @since 0.1.0
 * @category models
 */
export type BehaviorRule = Schema.Schema.Type<typeof BehaviorRule>

/**
 * The route a request resolved to.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedRoute {
  /** `METHOD /pattern`, the pattern with the prefixes of the routers it is mounted in. */
  readonly id: string
  /** The pattern part of `id`. */
  readonly path: string
  readonly settings: RouteSettings
  /** The settings as written (what {@link RouteGuard.secure} compares). */
  readonly source: RouteSettingsInput
}

/**
 * What the guard decided about the request its fiber serves: the route whose settings it applied
 * (none when it resolved no route). `guardMiddleware` sets it before the application runs; a handler
 * wrapped with {@link RouteGuard.secure} reads it.
 *
 * @since 0.1.0
 * @category models
 */
export interface GuardEvaluation {
  readonly route: ResolvedRoute | undefined
  /** The client the guard resolved (trusted proxies only): events emitted for the request name it. */
  readonly clientIp: string
  /** The guard only reports (`passiveMode`): a protected handler reports a mismatch, and runs. */
  readonly passive: boolean
  /** Reports a protected handler that ran without its settings applied (`route_unresolved`). */
  readonly reportUnguarded: (reason: string) => Effect.Effect<void>
}
