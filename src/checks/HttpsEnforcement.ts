/**
 * `https_enforcement`: a plain-HTTP request to a route (or app) that requires HTTPS is redirected
 * (301) to the same URL over HTTPS. `X-Forwarded-Proto` counts only from a trusted proxy with
 * `trustXForwardedProto`. A route's `requireHttps` overrides the global `enforceHttps` either way,
 * and holds on paths in `excludePaths`, where the global setting does not.
 *
 * @since 0.1.0
 */
import { HttpServerResponse } from "@effect/platform"
import { Effect, Option } from "effect"
import { anyRoute, type CheckEnv, pass, refuse, type SecurityCheck } from "../internal/pipeline.js"
import { servedTarget } from "../internal/path.js"

const SAFE_HOST = /^(?:[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> => {
  const { config } = env
  if (!config.enforceHttps && !anyRoute(env, (s) => s.requireHttps === true)) return Option.none()
  return Option.some({
    name: "https_enforcement",
    // on an excluded path the route's own requireHttps holds, the global redirect does not
    onExcludedPaths: true,
    run: (req) => {
      const routeRequires = req.route?.settings.requireHttps
      const required = routeRequires ?? (!req.excluded && config.enforceHttps)
      if (!required || req.secure) return pass
      const host = req.headers["host"] ?? ""
      // the query of the path served: `http://h?/x?q` is `/x?q`
      const target = servedTarget(req.request.url)
      const query = target.includes("?") ? target.slice(target.indexOf("?")) : ""
      const safe = SAFE_HOST.test(host)
      // the path the router reads (an absolute-form target's own host is never where it goes); a
      // target it reads no path from (`*`, `HTTP://host/x`) goes to the root
      const redirectUrl = `https://${host}${req.path.startsWith("/") ? req.path : "/"}${query}`
      const viaRoute = routeRequires === true
      return Effect.map(
        refuse(env, req, {
          check: "https_enforcement",
          event: viaRoute ? "decorator_violation" : "https_enforced",
          action: "https_redirect",
          reason: viaRoute ? "Route requires HTTPS but request was HTTP" : "HTTP request redirected to HTTPS for security",
          // without a trustworthy Host there is no safe place to redirect to
          status: safe ? 301 : 400,
          message: safe ? "Moved Permanently" : "HTTPS required",
          metadata: {
            original_scheme: "http",
            redirect_url: safe ? redirectUrl : null,
            ...(viaRoute ? { violation_type: "require_https" } : {})
          },
          ...(viaRoute ? { emit: { decoratorType: "authentication" } } : {})
        }),
        (verdict) => (safe && Option.isSome(verdict) ? Option.some(HttpServerResponse.redirect(redirectUrl, { status: 301 })) : verdict)
      )
    }
  })
}
