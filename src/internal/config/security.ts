/**
 * Config fields of the security pipeline (IP filtering, proxies, countries, cloud providers, user
 * agents, rate limits, bans, HTTPS and security headers, emergency mode, passive mode, hooks), with
 * the cross-field rules that apply to them.
 *
 * @internal
 */
import type { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { type Effect, type Option, Schema } from "effect"
import { vetPattern } from "../detection/redos.js"
import { isValidRange } from "../ip.js"
import { NonEmptyString, PositiveInt, optional, withDefault } from "./fields.js"

/** An IP address or CIDR block, validated. */
export const IpOrCidr = Schema.String.pipe(
  Schema.filter((s) => (isValidRange(s) ? undefined : `${JSON.stringify(s)} is not an IP address or CIDR block`))
)

const ipList = withDefault(Schema.Array(IpOrCidr), () => [])

/** A trusted proxy: an IP, a CIDR block, or `unix` for connections without a peer address. */
const TrustedProxy = Schema.String.pipe(
  Schema.filter((s) =>
    s === "unix" || isValidRange(s) ? undefined : `${JSON.stringify(s)} is not an IP address, CIDR block or "unix"`)
)

/** An ISO 3166-1 alpha-2 country code; decoded upper case. */
export const CountryCode = Schema.transform(
  Schema.String.pipe(
    Schema.filter((s) => (/^[A-Za-z]{2}$/.test(s) ? undefined : `${JSON.stringify(s)} is not a two-letter country code`))
  ),
  Schema.String,
  { strict: true, decode: (s) => s.toUpperCase(), encode: (s) => s }
)

const countrySet = withDefault(Schema.ReadonlySet(CountryCode), () => new Set<string>())

/** The cloud providers whose published ranges the guard can load. */
export const CLOUD_PROVIDER_VALUES = ["AWS", "Azure", "GCP"] as const

/** A case-insensitive user-agent regex, vetted for linear-time matching. */
export const UserAgentPattern = NonEmptyString.pipe(
  Schema.filter((p) => {
    const verdict = vetPattern(p, "i")
    return verdict.safe ? undefined : `user-agent pattern ${JSON.stringify(p)} is rejected: ${verdict.reason}`
  })
)

const LogLevelName = Schema.Literal("debug", "info", "warning", "error")

/** An HTTP status code. */
const StatusKey = Schema.String.pipe(
  Schema.filter((s) => (/^[1-5]\d\d$/.test(s) ? undefined : `${JSON.stringify(s)} is not an HTTP status code`))
)

/** A header value: no control characters, so it cannot split the head (CR, LF) or be refused by Node. */
const HeaderText = Schema.String.pipe(
  Schema.filter((v) => (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(v) ? "header values may not contain control characters (CR, LF, NUL, ...)" : undefined))
)

/** A header's value, or `false` to leave it out. */
const headerOrOff = (value: string | false) =>
  withDefault(Schema.Union(HeaderText, Schema.Literal(false)), (): string | false => value)

/** A CSP directive name (`script-src`, or `scriptSrc` as helmet writes it). */
const CspDirectiveName = Schema.String.pipe(
  Schema.filter((n) => (/^[A-Za-z][A-Za-z-]*$/.test(n) ? undefined : `${JSON.stringify(n)} is not a CSP directive name`))
)

/** One source of a CSP directive: no `;` or `,` (they would start another directive or policy), no whitespace. */
const CspSource = Schema.String.pipe(
  Schema.filter((v) => (/^[^\s;,\u0000-\u001f\u007f]+$/.test(v) ? undefined : `CSP source ${JSON.stringify(v)} may not be empty or hold whitespace, ";" or ","`))
)

/**
 * `Content-Security-Policy` on document responses (HTML, XHTML, SVG, XML, or no type): a policy as text, directives
 * to build one from (over the defaults unless `useDefaults: false`; `false` drops a default
 * directive, `true` or `[]` sends it without sources), or `false` for none.
 */
const ContentSecurityPolicy = Schema.Union(
  HeaderText,
  Schema.Literal(false),
  Schema.Struct({
    useDefaults: withDefault(Schema.Boolean, () => true),
    directives: withDefault(
      Schema.Record({ key: CspDirectiveName, value: Schema.Union(Schema.Array(CspSource), Schema.Boolean) }),
      () => ({})
    )
  })
)

/** The CSP settings as decoded: text, off, or directives. */
export type ContentSecurityPolicySetting = Schema.Schema.Type<typeof ContentSecurityPolicy>

const SecurityHeaders = Schema.Struct({
  enabled: withDefault(Schema.Boolean, () => true),
  /** `Strict-Transport-Security`, on HTTPS requests only; 0 leaves it out. */
  hstsMaxAge: withDefault(Schema.Int.pipe(Schema.nonNegative()), () => 31_536_000),
  hstsIncludeSubdomains: withDefault(Schema.Boolean, () => true),
  hstsPreload: withDefault(Schema.Boolean, () => false),
  contentSecurityPolicy: withDefault(ContentSecurityPolicy, () => ({ useDefaults: true, directives: {} })),
  crossOriginEmbedderPolicy: headerOrOff(false),
  crossOriginOpenerPolicy: headerOrOff("same-origin"),
  crossOriginResourcePolicy: headerOrOff("same-origin"),
  originAgentCluster: headerOrOff("?1"),
  referrerPolicy: headerOrOff("no-referrer"),
  contentTypeOptions: headerOrOff("nosniff"),
  dnsPrefetchControl: headerOrOff("off"),
  downloadOptions: headerOrOff("noopen"),
  frameOptions: headerOrOff("SAMEORIGIN"),
  permittedCrossDomainPolicies: headerOrOff("none"),
  xssProtection: headerOrOff("0"),
  permissionsPolicy: headerOrOff(false),
  /** More headers for every response; one named here replaces the guard's own of that name. */
  custom: withDefault(
    Schema.Record({
      key: Schema.String.pipe(Schema.pattern(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { message: () => "header names must be RFC 7230 tokens" })),
      value: HeaderText
    }),
    () => ({})
  )
})

/** Security headers settings, decoded with their defaults. */
export type SecurityHeadersConfig = Schema.Schema.Type<typeof SecurityHeaders>

/**
 * The last global check: return a response to block, or none to let the request through.
 */
export type CustomRequestCheck = (
  request: HttpServerRequest.HttpServerRequest
) => Effect.Effect<Option.Option<HttpServerResponse.HttpServerResponse>>

/**
 * Verifies a credential (bearer token, basic credentials, API key) for routes that require
 * authentication: `true` accepts it.
 */
export type AuthVerifier = (
  credential: string,
  request: HttpServerRequest.HttpServerRequest
) => Effect.Effect<boolean>

/**
 * The client a request is counted as by the rate limits (a user id, an API key): the guard keys the
 * request's windows by it instead of the client's address. A key function that fails, dies or gives
 * an empty key counts the request by address, and the guard logs why.
 */
export type RateLimitKey = (request: HttpServerRequest.HttpServerRequest) => Effect.Effect<string>

/** `true` leaves the request out of every rate limit (not counted, no rate-limit headers). */
export type RateLimitSkip = (request: HttpServerRequest.HttpServerRequest) => Effect.Effect<boolean>

/** The `RateLimit` header fields a limited route answers with (see docs/configuration.md). */
export const RATE_LIMIT_HEADERS_VALUES = ["draft-8", "draft-7", "draft-6"] as const

const RateLimitHeadersSetting = Schema.Union(
  Schema.Literal(...RATE_LIMIT_HEADERS_VALUES, false),
  // from the environment: GUARD_RATE_LIMIT_HEADERS=false (or off)
  Schema.transform(Schema.Literal("false", "off"), Schema.Literal(false), { strict: true, decode: () => false as const, encode: () => "false" as const })
)

/** The body format of a guard refusal. */
const RefusalFormat = Schema.Literal("text", "problem+json")

/**
 * How the guard's refusals with one status read: plain text (the message, or `detail`), or an
 * RFC 9457 problem (`application/problem+json` with `type`, `title`, `status` and `detail`).
 */
const RefusalBody = Schema.Struct({
  format: optional(RefusalFormat),
  /** A URI naming the problem type (default `about:blank`). */
  type: optional(NonEmptyString),
  /** Default: the status's reason phrase (`Too Many Requests`). */
  title: optional(NonEmptyString),
  /** Default: the guard's message for the refusal (or `customErrorResponses`'s). */
  detail: optional(Schema.String)
})

/** How a refusal with some status reads, decoded. */
export type RefusalBodySetting = Schema.Schema.Type<typeof RefusalBody>

const fn = <F>(what: string) =>
  Schema.declare((u: unknown): u is F => typeof u === "function", {
    identifier: what,
    message: () => `expected a function (${what}); it can only be set in code`
  })

export const securityFields = {
  /** Log and emit every violation with action `logged_only`, never block: for rolling out. */
  passiveMode: withDefault(Schema.Boolean, () => false),
  /** A check that fails unexpectedly answers 500 (`true`) or is skipped (`false`). */
  failSecure: withDefault(Schema.Boolean, () => true),
  /** Paths (and their subtrees) that skip detection; bans, IP lists and rate limits still apply. */
  excludePaths: withDefault(
    Schema.Array(Schema.String.pipe(Schema.startsWith("/"))),
    () => ["/docs", "/redoc", "/openapi.json", "/openapi.yaml", "/favicon.ico", "/static"]
  ),
  /** Replaces the default message of a guard response, by status code. */
  customErrorResponses: withDefault(Schema.Record({ key: StatusKey, value: Schema.String }), () => ({})),
  /** Requests that match no declared route are refused with 404 (`route_unresolved`). */
  routeResolutionStrict: withDefault(Schema.Boolean, () => false),

  whitelist: ipList,
  blacklist: ipList,
  trustedProxies: withDefault(Schema.Array(TrustedProxy), () => []),
  trustedProxyDepth: withDefault(PositiveInt, () => 1),
  trustXForwardedProto: withDefault(Schema.Boolean, () => false),
  /**
   * IPv6 clients are counted, limited and banned by their network of this many bits (one /64 is
   * one subscriber, who can pick any of its 2^64 addresses); 128 keys them by address. IPv4 clients
   * are always keyed by address.
   */
  ipv6Subnet: withDefault(Schema.Int.pipe(Schema.between(8, 128)), () => 64),

  enableIpBanning: withDefault(Schema.Boolean, () => true),
  autoBanThreshold: withDefault(PositiveInt, () => 10),
  /** Seconds. */
  autoBanDuration: withDefault(PositiveInt, () => 3600),
  enableRateLimitAutoBan: withDefault(Schema.Boolean, () => false),

  whitelistCountries: countrySet,
  blockedCountries: countrySet,

  blockCloudProviders: withDefault(Schema.ReadonlySet(Schema.Literal(...CLOUD_PROVIDER_VALUES)), () => new Set<"AWS" | "Azure" | "GCP">()),
  /** Seconds between two refreshes of the cloud ranges. */
  cloudIpRefreshInterval: withDefault(Schema.Int.pipe(Schema.between(60, 86_400)), () => 3600),

  blockedUserAgents: withDefault(Schema.Array(UserAgentPattern), () => []),

  enableRateLimiting: withDefault(Schema.Boolean, () => true),
  rateLimit: withDefault(PositiveInt, () => 10),
  /** Seconds. */
  rateLimitWindow: withDefault(PositiveInt, () => 60),
  /** Exact path -> [requests, window seconds]. */
  endpointRateLimits: withDefault(
    Schema.Record({ key: Schema.String.pipe(Schema.startsWith("/")), value: Schema.Tuple(PositiveInt, PositiveInt) }),
    () => ({})
  ),
  /**
   * The rate-limit header fields on every response of a rate-limited request: the IETF draft 8
   * `RateLimit` / `RateLimit-Policy` lists (default), draft 7's `RateLimit: limit=, remaining=,
   * reset=`, draft 6's `RateLimit-Limit` / `-Remaining` / `-Reset`, or `false` for none. A 429
   * carries `Retry-After` whatever this says.
   */
  rateLimitHeaders: withDefault(RateLimitHeadersSetting, (): (typeof RATE_LIMIT_HEADERS_VALUES)[number] | false => "draft-8"),
  /** The client every rate limit counts a request as (default: its address, or IPv6 network). */
  rateLimitKey: optional(fn<RateLimitKey>("rateLimitKey")),
  /** Leaves a request out of every rate limit. */
  rateLimitSkip: optional(fn<RateLimitSkip>("rateLimitSkip")),

  /** The body of every guard refusal: plain text (default) or `application/problem+json`. */
  refusalFormat: withDefault(RefusalFormat, () => "text" as const),
  /** How the refusals of one status read, over `refusalFormat` (e.g. `{ "429": { format: "problem+json", type: "https://example.com/probs/quota" } }`). */
  refusalBodies: withDefault(Schema.Record({ key: StatusKey, value: RefusalBody }), () => ({})),

  enforceHttps: withDefault(Schema.Boolean, () => false),
  securityHeaders: withDefault(SecurityHeaders, () => Schema.decodeSync(SecurityHeaders)({})),
  /** Requests with a larger `Content-Length` are refused with 413 on every route. */
  maxRequestSize: optional(PositiveInt),

  emergencyMode: withDefault(Schema.Boolean, () => false),
  emergencyWhitelist: ipList,

  /** Level of the per-request access log line (the `request_logging` check); none disables it. */
  logRequestLevel: optional(LogLevelName),
  /** Level of block and suspicious-activity lines. */
  logSuspiciousLevel: withDefault(LogLevelName, () => "warning" as const),

  /**
   * A span per security check on every request (about 8 µs each). Off by default: the request span
   * already says which check refused a request (`guard.blocked_by`).
   */
  traceSecurityChecks: withDefault(Schema.Boolean, () => false),

  customRequestCheck: optional(fn<CustomRequestCheck>("customRequestCheck")),
  authVerifier: optional(fn<AuthVerifier>("authVerifier"))
} as const

type SecurityConfig = Schema.Struct.Type<typeof securityFields>

export const securityRules: ReadonlyArray<(c: SecurityConfig) => Schema.FilterIssue | undefined> = [
  (c) =>
    c.trustXForwardedProto && c.trustedProxies.length === 0
      ? { path: ["trustXForwardedProto"], message: "trustXForwardedProto needs trustedProxies: X-Forwarded-Proto is only honoured from a trusted proxy" }
      : undefined
]
