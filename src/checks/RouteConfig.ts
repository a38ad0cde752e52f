/**
 * `route_config`: in strict mode, a request that matches no declared route is refused with 404 and
 * a `route_unresolved` event (route settings could not be applied). Built only when
 * `routeResolutionStrict` is on and routes are declared; the route itself is resolved by the
 * pipeline for every request.
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import { type CheckEnv, pass, refuse, type SecurityCheck } from "../internal/pipeline.js"

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> =>
  env.config.routeResolutionStrict && env.routes.declared
    ? Option.some({
      name: "route_config",
      onExcludedPaths: true,
      run: (req) =>
        req.route !== undefined ? pass : refuse(env, req, {
          check: "route_config",
          event: "route_unresolved",
          reason: "Route resolution failed; per-route configuration could not be applied",
          status: 404,
          message: "Not Found",
          metadata: { path: req.path }
        })
    })
    : Option.none()
