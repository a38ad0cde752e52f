/**
 * `user_agent`: refuses a `User-Agent` (its first 512 characters) matching a route pattern
 * (`decorator_violation`) or a global / dynamic-rule pattern (`user_agent_blocked`). Patterns are
 * case-insensitive and vetted for linear-time matching; an unsafe dynamic-rule pattern is ignored.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import type { ActiveRules } from "../DynamicRuleManager.js"
import { vetPattern } from "../internal/detection/redos.js"
import { anyRoute, type CheckEnv, pass, refuse, type SecurityCheck } from "../internal/pipeline.js"

const MAX_UA = 512

const compile = (patterns: ReadonlyArray<string>): ReadonlyArray<RegExp> =>
  patterns.flatMap((p) => {
    if (!vetPattern(p, "i").safe) return []
    try {
      return [new RegExp(p, "i")]
    } catch {
      return []
    }
  })

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> => {
  const { config } = env
  if (config.blockedUserAgents.length === 0 && !config.enableDynamicRules && !anyRoute(env, (s) => (s.blockUserAgents?.length ?? 0) > 0)) {
    return Option.none()
  }
  const global = compile(config.blockedUserAgents)
  const byRoute = new WeakMap<ReadonlyArray<string>, ReadonlyArray<RegExp>>()
  const byRules = new WeakMap<ActiveRules, ReadonlyArray<RegExp>>()
  const cached = <K extends object>(map: WeakMap<K, ReadonlyArray<RegExp>>, key: K, patterns: ReadonlyArray<string>) => {
    let compiled = map.get(key)
    if (compiled === undefined) {
      compiled = compile(patterns)
      map.set(key, compiled)
    }
    return compiled
  }
  return Option.some({
    name: "user_agent",
    // on an excluded path the route's own patterns hold, the global and dynamic ones do not
    onExcludedPaths: true,
    run: (req) => {
      if (req.state.whitelisted) return pass
      const ua = (req.headers["user-agent"] ?? "").slice(0, MAX_UA)
      const routePatterns = req.route?.settings.blockUserAgents
      if (routePatterns !== undefined) {
        const hit = cached(byRoute, routePatterns, routePatterns).find((r) => r.test(ua))
        if (hit !== undefined) {
          return refuse(env, req, {
            check: "user_agent",
            event: "decorator_violation",
            reason: `User agent '${ua}' blocked on this route`,
            status: 403,
            message: "User-Agent not allowed",
            metadata: { violation_type: "user_agent", blocked_user_agent: hit.source },
            emit: { decoratorType: "access_control" }
          })
        }
      }
      if (req.excluded) return pass
      const rulePatterns = req.rules === undefined ? [] : cached(byRules, req.rules, req.rules.rules.blockedUserAgents)
      const hit = global.find((r) => r.test(ua)) ?? rulePatterns.find((r) => r.test(ua))
      if (hit === undefined) return pass
      return Effect.suspend(() =>
        refuse(env, req, {
          check: "user_agent",
          event: "user_agent_blocked",
          reason: `User agent '${ua}' in global blocklist`,
          status: 403,
          message: "User-Agent not allowed",
          metadata: { user_agent: ua, filter_type: "global", pattern: hit.source }
        }))
    }
  })
}
