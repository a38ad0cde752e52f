/**
 * The uncommon cases the guard deals with before its checks: a spoof attempt (reported), a client
 * it cannot identify (refused under fail-secure), an excluded path (reported at most every five
 * minutes per path) and a route that bypasses every check (reported, then let through).
 *
 * @internal
 */
import { Effect, Option } from "effect"
import { UNKNOWN_CLIENT_IP } from "../../ClientIp.js"
import type { CheckEnv, GuardRequest } from "../pipeline.js"

/** How often one excluded path is reported (`path_excluded`). */
const PATH_EXCLUDED_EVERY_MS = 300_000

/** What the preamble decided: go on with the checks (none), refuse the client, or bypass the checks. */
export type Preamble = Option.Option<"refuse" | "bypass">

/** Whether a request needs the preamble at all. */
export const isUncommon = (req: GuardRequest, spoofed: string | undefined): boolean =>
  spoofed !== undefined || req.clientIp === UNKNOWN_CLIENT_IP || req.excluded || req.route?.settings.bypass !== undefined

export const makePreamble = (env: CheckEnv) => {
  const { bus, config } = env
  const excludedReported = new Map<string, number>()

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

  return (req: GuardRequest, spoofed: string | undefined): Effect.Effect<Preamble> =>
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
}
