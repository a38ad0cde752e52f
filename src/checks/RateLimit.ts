/**
 * `rate_limit`: sliding windows per client, evaluated in turn and each counting the request:
 * endpoint limits (dynamic rules or `endpointRateLimits`, `dynamic_rule_violation`), the route's
 * limit, then the global limit (`rate_limited`). A refusal answers 429 with `Retry-After` and the
 * IETF `RateLimit` / `RateLimit-Policy` headers, and can feed the auto-ban.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Exit, Option } from "effect"
import { anyRoute, autoBanPolicy, banClient, type CheckEnv, flatMapNow, type GuardRequest, pass, refuse, type SecurityCheck, type Verdict } from "../internal/pipeline.js"
import { checkLogFor } from "../CheckLog.js"
import { rateLimitHeaders, type RateLimitResult, syncHits } from "../RateLimitStore.js"
import type { StoreError } from "../StoreError.js"

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> => {
  const { config } = env
  const possible = config.enableRateLimiting || Object.keys(config.endpointRateLimits).length > 0 ||
    config.enableDynamicRules || anyRoute(env, (s) => s.rateLimit !== undefined)
  if (!possible) return Option.none()

  const configWindow = Duration.seconds(config.rateLimitWindow)
  const log = checkLogFor(config.mutedCheckLogs)
  const hitNow = syncHits.of(env.rateLimits)
  const hit = (req: GuardRequest, key: string, limit: number, window: Duration.Duration) =>
    hitNow === undefined ? env.rateLimits.hit(key, limit, window) : Exit.succeed(hitNow(key, limit, window, req.clock.unsafeCurrentTimeMillis()))

  const exceeded = (
    req: GuardRequest,
    result: RateLimitResult,
    what: { event: "rate_limited" | "dynamic_rule_violation"; policy: string; reason: string; metadata: Record<string, unknown>; decoratorType?: string; ruleType?: string }
  ): Effect.Effect<Verdict, StoreError> => {
    const policy = autoBanPolicy(env, req)
    const autoBan = (req.rules?.rules.enableRateLimitAutoBan ?? config.enableRateLimitAutoBan) && policy.enabled && !config.passiveMode
    // the 429 stands either way: a store that cannot count only costs the auto-ban
    const ban: Effect.Effect<boolean> = autoBan
      ? Effect.flatMap(env.violations.record(req.clientIp, "rate_limit"), (counts) =>
        counts.total >= policy.threshold ? banClient(env, req, "rate_limit", policy.duration, "rate_limit_exceeded") : Effect.succeed(false)).pipe(
          Effect.catchAll((error) => Effect.as(log("rate_limit", "rate-limit auto-ban skipped: state store unavailable", { cause: error.message }), false))
        )
      : Effect.succeed(false)
    // the ban is in place before the client sees the 429
    return Effect.zipRight(
      ban,
      refuse(env, req, {
        check: "rate_limit",
        event: what.event,
        reason: what.reason,
        status: 429,
        message: "Too many requests",
        headers: rateLimitHeaders(result, what.policy),
        metadata: { request_count: result.count, ...what.metadata },
        emit: {
          ...(what.decoratorType === undefined ? {} : { decoratorType: what.decoratorType }),
          ...(what.ruleType === undefined ? {} : { ruleType: what.ruleType })
        }
      })
    )
  }

  // Each window is its own function of the request: with the in-process store a window counts as
  // soon as it is called, so a window after a refusal must not even be called.
  const endpointWindow = (req: GuardRequest, limit: readonly [number, number]): Effect.Effect<Verdict, StoreError> =>
    flatMapNow(hit(req, `endpoint:${req.path}:${req.clientIp}`, limit[0], Duration.seconds(limit[1])), (r) =>
      r.allowed ? pass : exceeded(req, r, {
        event: "dynamic_rule_violation",
        policy: "endpoint",
        reason: `Endpoint-specific rate limit exceeded: ${limit[0]} requests per ${limit[1]}s for ${req.path}`,
        metadata: { rule_type: "endpoint_rate_limit", endpoint: req.path, rate_limit: limit[0], window: limit[1] },
        ruleType: "endpoint_rate_limit"
      }))

  const routeWindow = (req: GuardRequest, route: string, limit: { readonly requests: number; readonly window: number }) =>
    flatMapNow(hit(req, `route:${route}:${req.clientIp}`, limit.requests, Duration.seconds(limit.window)), (r) =>
      r.allowed ? pass : exceeded(req, r, {
        event: "rate_limited",
        policy: "route",
        reason: `Rate limit exceeded: ${limit.requests} requests per ${limit.window}s on ${route}`,
        metadata: { rate_limit: limit.requests, window: limit.window, route, violation_type: "rate_limit" },
        decoratorType: "rate_limiting"
      }))

  const globalWindow = (req: GuardRequest): Effect.Effect<Verdict, StoreError> => {
    const rules = req.rules?.rules
    if (!(rules?.enableRateLimiting ?? config.enableRateLimiting)) return pass
    const limit = rules?.globalRateLimit ?? config.rateLimit
    const window = rules?.globalRateWindow ?? config.rateLimitWindow
    return flatMapNow(hit(req, `global:${req.clientIp}`, limit, window === config.rateLimitWindow ? configWindow : Duration.seconds(window)), (r) =>
      r.allowed ? pass : exceeded(req, r, {
        event: "rate_limited",
        policy: "global",
        reason: `Rate limit exceeded: ${r.count} requests in ${window}s window`,
        metadata: { rate_limit: limit, window }
      }))
  }

  // most requests have only the global limit: no steps for the windows that do not apply
  const routeThenGlobal = (req: GuardRequest): Effect.Effect<Verdict, StoreError> => {
    const limit = req.route?.settings.rateLimit
    return limit === undefined || req.route === undefined
      ? globalWindow(req)
      : flatMapNow(routeWindow(req, req.route.id, limit), (v) => (Option.isSome(v) ? Effect.succeed(v) : globalWindow(req)))
  }

  const run = (req: GuardRequest): Effect.Effect<Verdict, StoreError> => {
    if (req.state.whitelisted || req.route?.settings.bypass?.has("rate_limit") === true) return pass
    const endpointLimit = req.rules?.rules.endpointRateLimits[req.path] ?? config.endpointRateLimits[req.path]
    return endpointLimit === undefined
      ? routeThenGlobal(req)
      : flatMapNow(endpointWindow(req, endpointLimit), (v) => (Option.isSome(v) ? Effect.succeed(v) : routeThenGlobal(req)))
  }

  return Option.some({ name: "rate_limit", onExcludedPaths: true, run })
}
