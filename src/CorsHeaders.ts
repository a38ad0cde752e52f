/**
 * CORS headers (reference §4.9): for a request with an `Origin` the guard allows, the response
 * (the application's or the guard's own refusal, so a browser can read a 429) carries
 * `Access-Control-Allow-Origin` and the configured credentials and exposed headers; a preflight is
 * answered 204 by the guard before its checks (it carries no credentials), and the application
 * never sees it. Unlike the reference, a preflight's `Access-Control-Max-Age` is `corsMaxAge` (not
 * a fixed 3600); when specific origins are listed every response carries `Vary: Origin`, added to
 * the application's own `Vary`, so caches keep answers for different origins apart; and the
 * preflight-only headers are not sent on every response.
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
export type CorsHeaderEntries = ReadonlyArray<readonly [name: string, value: string]>

/**
 * @since 0.1.0
 * @category models
 */
export interface CorsPolicy {
  /**
   * The headers for a response to a request from `origin`: the CORS headers when it is allowed,
   * and `Vary: Origin` on every response (allowed or not, with an origin or without) when specific
   * origins are listed, since the answer then depends on the origin.
   */
  readonly headersFor: (origin: string | undefined) => CorsHeaderEntries
  /** Whether `Origin` is allowed. */
  readonly allows: (origin: string | undefined) => boolean
  /** Whether responses vary by `Origin` (specific origins are listed). */
  readonly variesByOrigin: boolean
  /** Whether a request is a CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`. */
  readonly isPreflight: (method: string, headers: Readonly<Record<string, string | undefined>>) => boolean
  /** The preflight-only headers of the answer to a preflight that asked for `requestedHeaders`. */
  readonly preflightHeaders: (requestedHeaders: string | undefined) => Readonly<Record<string, string>>
}

/**
 * `vary` with `name` added, unless it is already there (or `*`).
 *
 * @example
 * ```ts
 * addToVary("Accept-Encoding", "Origin") // "Accept-Encoding, Origin"
 * addToVary(undefined, "Origin") // "Origin"
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const addToVary = (vary: string | undefined, name: string): string => {
  if (vary === undefined || vary.trim() === "") return name
  const present = vary.split(",").map((v) => v.trim().toLowerCase())
  return present.includes("*") || present.includes(name.toLowerCase()) ? vary : `${vary}, ${name}`
}

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
  const variesByOrigin = listed.size > 0
  const vary: CorsHeaderEntries = variesByOrigin ? [["vary", "Origin"]] : []
  const common: CorsHeaderEntries = [
    ...(config.corsAllowCredentials ? [["access-control-allow-credentials", "true"] as const] : []),
    ...(config.corsExposeHeaders.length > 0 ? [["access-control-expose-headers", config.corsExposeHeaders.join(", ")] as const] : []),
    ...vary
  ]
  const anyOrigin: CorsHeaderEntries = [["access-control-allow-origin", "*"], ...common]
  const byOrigin = new Map([...listed].map((o) => [o, [["access-control-allow-origin", o], ...common] as CorsHeaderEntries]))
  const refused = wildcard ? anyOrigin : vary
  const anyHeader = config.corsAllowHeaders.includes("*")
  const methods = config.corsAllowMethods.join(", ")
  const headers = config.corsAllowHeaders.join(", ")
  const maxAge = String(config.corsMaxAge)
  return {
    headersFor: (origin) => (origin === undefined ? vary : byOrigin.get(origin.toLowerCase()) ?? refused),
    allows: (origin) => origin !== undefined && (wildcard || listed.has(origin.toLowerCase())),
    variesByOrigin,
    isPreflight: (method, h) => method === "OPTIONS" && h["origin"] !== undefined && h["access-control-request-method"] !== undefined,
    preflightHeaders: (requested) => ({
      "access-control-allow-methods": methods,
      // "*" is taken literally by browsers when credentials are sent: echo what was asked for
      ...(anyHeader
        ? requested === undefined ? {} : { "access-control-allow-headers": requested, vary: addToVary(variesByOrigin ? "Origin" : undefined, "Access-Control-Request-Headers") }
        : { "access-control-allow-headers": headers }),
      "access-control-max-age": maxAge
    })
  }
}
