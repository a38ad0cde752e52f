/**
 * A route's behaviour rules. `usage` and `frequency` count the client's calls to the route before
 * the handler runs; `return_pattern` counts responses whose status matches (`status:404`,
 * `status:5xx`) after it. Past the threshold in the window the rule acts: `ban` bans the client,
 * `throttle` answers 429, `log` and `alert` only report. Every violation emits `behavior_violation`.
 *
 * @since 0.1.0
 */
import type { HttpServerResponse } from "@effect/platform"
import { Effect, LogLevel, Option } from "effect"
import { checkLogFor } from "../CheckLog.js"
import { banClient, type CheckEnv, type GuardRequest, guardResponse, pass, type Verdict } from "../internal/pipeline.js"
import type { BehaviorRule } from "../RouteGuard.js"
import type { StoreError } from "../StoreError.js"

const statusMatches = (pattern: string, status: number): boolean => {
  const code = pattern.slice("status:".length)
  return code.endsWith("xx") ? String(status)[0] === code[0] : String(status) === code
}

const violate = (
  env: CheckEnv,
  req: GuardRequest,
  rule: BehaviorRule,
  index: number,
  count: number
): Effect.Effect<Verdict, StoreError> => {
  const passive = env.config.passiveMode
  const details = `${rule.ruleType} ${count} > ${rule.threshold} in ${rule.window}s on ${req.route?.id ?? req.path}`
  const emit = env.bus.emit("behavior_violation", {
    actionTaken: passive ? "logged_only" : rule.action,
    reason: `Behavioral rule violated: ${details}`,
    ruleType: rule.ruleType,
    handlerName: "behavior",
    metadata: { endpoint: req.path, rule_type: rule.ruleType, threshold: rule.threshold, window: rule.window, rule_index: index }
  })
  // behaviour rules are route settings: their lines are route_config's
  const log = checkLogFor(env.config.mutedCheckLogs)("route_config", `Behavioral rule violated: ${details} by ${req.clientIp}`, {
    level: rule.action === "alert" ? LogLevel.Error : LogLevel.Warning
  })
  if (passive) return Effect.zipRight(Effect.zipRight(emit, log), pass)
  switch (rule.action) {
    case "ban":
      return Effect.zipRight(
        Effect.zipRight(emit, banClient(env, req, "route_config", rule.banDuration ?? env.config.autoBanDuration, "behavioral_violation")),
        Effect.succeed(Option.some(guardResponse(env, 403, "IP has been banned")))
      )
    case "throttle":
      return Effect.zipRight(emit, Effect.succeed(Option.some(guardResponse(env, 429, "Too many requests", { "retry-after": String(rule.window) }))))
    default:
      return Effect.zipRight(Effect.zipRight(emit, log), pass)
  }
}

const counter = (env: CheckEnv, req: GuardRequest, rule: BehaviorRule, index: number) =>
  env.rateLimits.hit(`behavior:${req.route?.id ?? req.path}:${index}:${req.clientKey}`, rule.threshold, `${rule.window} seconds`)

/**
 * Counts the request against the route's `usage` / `frequency` rules; a verdict refuses it.
 *
 * @since 0.1.0
 * @category behaviour
 */
export const beforeHandler = (env: CheckEnv, req: GuardRequest): Effect.Effect<Verdict, StoreError> => {
  const rules = req.route?.settings.behaviorRules
  if (rules === undefined || req.state.whitelisted) return pass
  return Effect.reduce(rules, Option.none() as Verdict, (verdict, rule, index) =>
    Option.isSome(verdict) || rule.ruleType === "return_pattern"
      ? Effect.succeed(verdict)
      : Effect.flatMap(counter(env, req, rule, index), (r) => (r.allowed ? pass : violate(env, req, rule, index, r.count))))
}

/**
 * Counts the response against the route's `return_pattern` rules (a ban applies from the next request).
 *
 * @since 0.1.0
 * @category behaviour
 */
export const afterHandler = (
  env: CheckEnv,
  req: GuardRequest,
  response: HttpServerResponse.HttpServerResponse
): Effect.Effect<void, StoreError> => {
  const rules = req.route?.settings.behaviorRules
  if (rules === undefined || req.state.whitelisted) return Effect.void
  return Effect.forEach(rules, (rule, index) =>
    rule.ruleType !== "return_pattern" || rule.pattern === undefined || !statusMatches(rule.pattern, response.status)
      ? Effect.void
      : Effect.flatMap(counter(env, req, rule, index), (r) => (r.allowed ? Effect.void : Effect.asVoid(violate(env, req, rule, index, r.count)))), { discard: true })
}
