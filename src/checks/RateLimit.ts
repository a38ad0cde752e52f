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
        counts.total >= policy.threshold ? banClient(env, req, policy.duration, "rate_limit_exceeded") : Effect.succeed(false)).pipe(
          Effect.catchAll((error) => Effect.as(Effect.logWarning("rate-limit auto-ban skipped: state store unavailable", error.message), false))
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

  const run = (req: GuardRequest): Effect.Effect<Verdict, StoreError> => {
    if (req.state.whitelisted || req.route?.settings.bypass?.has("rate_limit") === true) return pass
    const rules = req.rules?.rules
    const ip = req.clientIp
    const endpointLimit = rules?.endpointRateLimits[req.path] ?? config.endpointRateLimits[req.path]
    const routeLimit = req.route?.settings.rateLimit
    const globalEnabled = rules?.enableRateLimiting ?? config.enableRateLimiting
    const globalLimit = rules?.globalRateLimit ?? config.rateLimit
    const globalWindow = rules?.globalRateWindow ?? config.rateLimitWindow

    // thunks: with the in-process store a window counts as it is built, and a window after a refusal
    // must not count the request
    const endpoint = (): Effect.Effect<Verdict, StoreError> => endpointLimit === undefined ? pass : flatMapNow(
      hit(req, `endpoint:${req.path}:${ip}`, endpointLimit[0], Duration.seconds(endpointLimit[1])),
      (r) => r.allowed ? pass : exceeded(req, r, {
        event: "dynamic_rule_violation",
        policy: "endpoint",
        reason: `Endpoint-specific rate limit exceeded: ${endpointLimit[0]} requests per ${endpointLimit[1]}s for ${req.path}`,
        metadata: { rule_type: "endpoint_rate_limit", endpoint: req.path, rate_limit: endpointLimit[0], window: endpointLimit[1] },
        ruleType: "endpoint_rate_limit"
      })
    )
    const route = (): Effect.Effect<Verdict, StoreError> => routeLimit === undefined || req.route === undefined ? pass : flatMapNow(
      hit(req, `route:${req.route.id}:${ip}`, routeLimit.requests, Duration.seconds(routeLimit.window)),
      (r) => r.allowed ? pass : exceeded(req, r, {
        event: "rate_limited",
        policy: "route",
        reason: `Rate limit exceeded: ${routeLimit.requests} requests per ${routeLimit.window}s on ${req.route?.id}`,
        metadata: { rate_limit: routeLimit.requests, window: routeLimit.window, route: req.route?.id, violation_type: "rate_limit" },
        decoratorType: "rate_limiting"
      })
    )
    const global = (): Effect.Effect<Verdict, StoreError> => !globalEnabled ? pass : flatMapNow(
      hit(req, `global:${ip}`, globalLimit, globalWindow === config.rateLimitWindow ? configWindow : Duration.seconds(globalWindow)),
      (r) => r.allowed ? pass : exceeded(req, r, {
        event: "rate_limited",
        policy: "global",
        reason: `Rate limit exceeded: ${r.count} requests in ${globalWindow}s window`,
        metadata: { rate_limit: globalLimit, window: globalWindow }
      })
    )
    // most requests have only the global limit: no steps for the windows that do not apply
    const routeThenGlobal = () => routeLimit === undefined ? global() : flatMapNow(route(), (v) => (Option.isSome(v) ? Effect.succeed(v) : global()))
    return endpointLimit === undefined
      ? routeThenGlobal()
      : flatMapNow(endpoint(), (v) => (Option.isSome(v) ? Effect.succeed(v) : routeThenGlobal()))
  }

  return Option.some({ name: "rate_limit", onExcludedPaths: true, run })
}
