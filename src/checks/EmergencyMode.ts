/**
 * `emergency_mode`: during a lockdown (config `emergencyMode`, or dynamic rules) every client outside
 * the emergency whitelist gets 503. Built when emergency mode is on or dynamic rules may turn it on.
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import type { ActiveRules } from "../DynamicRuleManager.js"
import { type IpMatcher, makeIpMatcher } from "../internal/ip.js"
import { type CheckEnv, pass, refuse, type SecurityCheck } from "../internal/pipeline.js"

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> => {
  const { config } = env
  if (!config.emergencyMode && !config.enableDynamicRules) return Option.none()
  const configured = makeIpMatcher(config.emergencyWhitelist)
  const fromRules = new WeakMap<ActiveRules, IpMatcher>()
  const rulesMatcher = (active: ActiveRules) => {
    let matcher = fromRules.get(active)
    if (matcher === undefined) {
      matcher = makeIpMatcher(active.rules.emergencyWhitelist)
      fromRules.set(active, matcher)
    }
    return matcher
  }
  return Option.some({
    name: "emergency_mode",
    onExcludedPaths: true,
    run: (req) => {
      const active = config.emergencyMode || req.rules?.rules.emergencyMode === true
      if (!active) return pass
      if (configured.matches(req.clientIp)) return pass
      if (req.rules !== undefined && rulesMatcher(req.rules).matches(req.clientIp)) return pass
      return refuse(env, req, {
        check: "emergency_mode",
        event: "emergency_mode_block",
        reason: `[EMERGENCY MODE] IP ${req.clientIp} not in whitelist`,
        status: 503,
        message: "Service temporarily unavailable",
        headers: { "retry-after": "60" },
        metadata: {
          emergency_whitelist_count: configured.size + (req.rules?.rules.emergencyWhitelist.length ?? 0),
          emergency_active: true
        }
      })
    }
  })
}
