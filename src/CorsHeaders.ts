/**
 * CORS headers (reference §4.9): for a request with an `Origin` the guard allows, the response
 * (the application's or the guard's own refusal, so a browser can read a 429) carries
 * `Access-Control-Allow-Origin` and the configured credentials and exposed headers; a preflight is
 * answered 204 by the guard before its checks (it carries no credentials). Unlike the reference, a
 * preflight's `Access-Control-Max-Age` is `corsMaxAge` (not a fixed 3600), an echoed origin comes
 * with `Vary: Origin` so caches keep answers for different origins apart, and the preflight-only
 * headers are not sent on every response.
 *
 * @since 0.1.0
 */
import type { GuardConfigShape } from "./GuardConfig.js"

type CorsSettings = Pick<
  GuardConfigShape,
  | "enableCors"
  | "corsAllowOrigins"
  | "corsAllowMethods"
  | "corsAllowHeaders"
  | "corsAllowCredentials"
  | "corsExposeHeaders"
  | "corsMaxAge"
>

/**
 * @since 0.1.0
 * @category models
 */
export type HeaderEntries = ReadonlyArray<readonly [name: string, value: string]>

/**
 * @since 0.1.0
 * @category models
 */
export interface CorsPolicy {
  /** The headers for a response to a request from `origin`: none without an origin or for one not allowed. */
  readonly headersFor: (origin: string | undefined) => HeaderEntries
  /** Whether a request is a CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`. */
  readonly isPreflight: (method: string, headers: Readonly<Record<string, string | undefined>>) => boolean
  /** The preflight-only headers of the answer to a preflight that asked for `requestedHeaders`. */
  readonly preflightHeaders: (requestedHeaders: string | undefined) => Readonly<Record<string, string>>
}

const NONE: HeaderEntries = []

/**
 * The CORS policy `config` describes; none when `enableCors` is off.
 *
 * @since 0.1.0
 * @category constructors
 */
export const corsPolicyFor = (config: CorsSettings): CorsPolicy | undefined => {
  if (!config.enableCors) return undefined
  const listed = new Set(config.corsAllowOrigins.filter((o) => o !== "*"))
  const wildcard = config.corsAllowOrigins.includes("*")
  const common: HeaderEntries = [
    ...(config.corsAllowCredentials ? [["access-control-allow-credentials", "true"] as const] : []),
    ...(config.corsExposeHeaders.length > 0 ? [["access-control-expose-headers", config.corsExposeHeaders.join(", ")] as const] : [])
  ]
  const anyOrigin: HeaderEntries = [["access-control-allow-origin", "*"], ...common]
  const byOrigin = new Map([...listed].map((o) => [o, [["access-control-allow-origin", o], ["vary", "Origin"], ...common] as HeaderEntries]))
  const anyHeader = config.corsAllowHeaders.includes("*")
  const methods = config.corsAllowMethods.join(", ")
  const headers = config.corsAllowHeaders.join(", ")
  const maxAge = String(config.corsMaxAge)
  return {
    headersFor: (origin) =>
      origin === undefined ? NONE : byOrigin.get(origin.toLowerCase()) ?? (wildcard ? anyOrigin : NONE),
    isPreflight: (method, h) => method === "OPTIONS" && h["origin"] !== undefined && h["access-control-request-method"] !== undefined,
    preflightHeaders: (requested) => ({
      "access-control-allow-methods": methods,
      // "*" is taken literally by browsers when credentials are sent: echo what was asked for
      ...(anyHeader
        ? requested === undefined ? {} : { "access-control-allow-headers": requested, vary: "Origin, Access-Control-Request-Headers" }
        : { "access-control-allow-headers": headers }),
      "access-control-max-age": maxAge
    })
  }
}
