/**
 * `referrer`: a route with `requireReferrer` needs a `Referer` whose host is one of the allowed
 * hosts or a subdomain of one; 403 otherwise.
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import { anyRoute, type CheckEnv, pass, refuse, type SecurityCheck } from "../internal/pipeline.js"

const hostOf = (entry: string): string => {
  const trimmed = entry.trim().toLowerCase()
  try {
    return new URL(trimmed.includes("://") ? trimmed : `http://${trimmed}`).hostname
  } catch {
    return trimmed
  }
}

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> => {
  if (!anyRoute(env, (s) => s.requireReferrer !== undefined)) return Option.none()
  const hostsByRoute = new WeakMap<object, ReadonlyArray<string>>()
  return Option.some({
    name: "referrer",
    onExcludedPaths: true,
    run: (req) => {
      const allowed = req.route?.settings.requireReferrer
      if (allowed === undefined) return pass
      let hosts = hostsByRoute.get(allowed)
      if (hosts === undefined) {
        hosts = allowed.map(hostOf)
        hostsByRoute.set(allowed, hosts)
      }
      const referer = req.headers["referer"]
      if (referer === undefined || referer.trim() === "") {
        return refuse(env, req, {
          check: "referrer",
          event: "access_denied",
          reason: "Referrer required",
          status: 403,
          message: "Referrer required",
          metadata: { violation_type: "require_referrer", allowed_domains: hosts },
          emit: { decoratorType: "content_filtering" }
        })
      }
      let host: string | undefined
      try {
        host = new URL(referer).hostname.toLowerCase()
      } catch {
        host = undefined
      }
      if (host !== undefined && hosts.some((h) => host === h || host.endsWith(`.${h}`))) return pass
      return refuse(env, req, {
        check: "referrer",
        event: "access_denied",
        reason: "Invalid referrer",
        status: 403,
        message: "Invalid referrer",
        metadata: { violation_type: "require_referrer", allowed_domains: hosts, referrer_host: host ?? null },
        emit: { decoratorType: "content_filtering" }
      })
    }
  })
}
