/**
 * CORS preflights. The guard answers one itself (204), and the application never sees it, once
 * the checks of who the client is have passed (emergency mode, bans and IP lists, cloud ranges,
 * rate limits): a banned or blacklisted client gets no 204. A browser sends a preflight without
 * credentials or the request's own headers, so the checks that need them (authentication,
 * required headers, a route's validators) would refuse every one; the request that follows goes
 * through all of them.
 *
 * @internal
 */
import { Headers, HttpServerResponse } from "@effect/platform"
import type { CorsPolicy } from "../../CorsHeaders.js"
import type { CheckName } from "../../EventTypes.js"
import type { GuardRequest, SecurityCheck } from "../pipeline.js"

/** The checks a CORS preflight goes through before the guard answers it: who the client is. */
const PREFLIGHT_CHECKS: ReadonlySet<CheckName> = new Set<CheckName>(["emergency_mode", "ip_security", "cloud_provider", "rate_limit"])

export interface Preflight {
  /** The checks of a preflight, out of all the checks built. */
  readonly checks: ReadonlyArray<SecurityCheck>
  /** Whether the guard answers this request as a preflight. */
  readonly is: (req: GuardRequest) => boolean
  /** The answer to a preflight that passed its checks. */
  readonly answer: (req: GuardRequest) => HttpServerResponse.HttpServerResponse
}

export const makePreflight = (cors: CorsPolicy | undefined, checks: ReadonlyArray<SecurityCheck>): Preflight => ({
  checks: checks.filter((check) => PREFLIGHT_CHECKS.has(check.name)),
  is: (req) => cors !== undefined && cors.isPreflight(req.method, req.headers),
  answer: (req) => {
    const { headers } = req
    const allowed = cors !== undefined && cors.allows(headers["origin"])
    return HttpServerResponse.empty({
      status: 204,
      ...(allowed ? { headers: Headers.fromInput(cors.preflightHeaders(headers["access-control-request-headers"])) } : {})
    })
  }
})
