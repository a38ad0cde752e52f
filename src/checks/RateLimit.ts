/**
 * `rate_limit`: sliding windows per client, evaluated in turn and each counting the request:
 * endpoint limits (dynamic rules or `endpointRateLimits`, `dynamic_rule_violation`), the route's
 * limit, then the global limit (`rate_limited`). An endpoint is the path as the router matches it,
 * whatever its spelling. A client is its address, or for IPv6 its network of `ipv6Subnet` bits,
 * unless a `rateLimitKey` names it (a user, an API key); a `rateLimitSkip` leaves a request out, and
 * a route's `rateLimitCost` counts each of its requests as that many (see `internal/rateLimitClient`).
 *
 * Every window a request is counted in is kept with the request, so that its response, whatever
 * answers it, carries the `RateLimit` fields (`internal/rateLimitHeaders`). A refusal answers 429
 * with `Retry-After`, and can feed the auto-ban.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Option } from "effect"
import { anyRoute, autoBanPolicy, banClient, type CheckEnv, type GuardRequest, pass, refuse, type SecurityCheck, type Verdict } from "../internal/pipeline.js"
import { type CheckLog, checkLogFor } from "../CheckLog.js"
import type { RouterConfig } from "find-my-way-ts"
import { makeRateLimitClient } from "../internal/rateLimitClient.js"
import { type CountedWindow, retryAfter } from "../internal/rateLimitHeaders.js"
import { canonicalPath } from "../internal/routeTree.js"
import type { RateLimitResult } from "../RateLimitStore.js"
import type { StoreError } from "../StoreError.js"

type Limit = readonly [requests: number, windowSeconds: number]
type EndpointLimits = Readonly<Record<string, Limit>>
/** Who a request is counted as (the store key's client part), and for how many units. */
interface Client {
  readonly key: string
  readonly cost: number
}

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv, repeatedLog?: CheckLog): Option.Option<SecurityCheck> => {
  const { config } = env
  const possible = config.enableRateLimiting || Object.keys(config.endpointRateLimits).length > 0 ||
    config.enableDynamicRules || anyRoute(env, (s) => s.rateLimit !== undefined)
  if (!possible) return Option.none()

  const configWindow = Duration.seconds(config.rateLimitWindow)
  const log = checkLogFor(config.mutedCheckLogs)
  const clients = makeRateLimitClient(env, repeatedLog ?? log)
  const configured: ReadonlyArray<EndpointLimits> = Object.keys(config.endpointRateLimits).length > 0 ? [config.endpointRateLimits] : []

  const exceeded = (
    req: GuardRequest,
    result: RateLimitResult,
    what: { event: "rate_limited" | "dynamic_rule_violation"; reason: string; metadata: Record<string, unknown>; decoratorType?: string; ruleType?: string }
  ): Effect.Effect<Verdict, StoreError> => {
    const policy = autoBanPolicy(env, req)
    const autoBan = (req.rules?.rules.enableRateLimitAutoBan ?? config.enableRateLimitAutoBan) && policy.enabled && !config.passiveMode
    // the 429 stands either way: a store that cannot count only costs the auto-ban
    const ban: Effect.Effect<boolean> = autoBan
      ? Effect.flatMap(env.violations.record(req.clientKey, "rate_limit"), (counts) =>
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
        headers: retryAfter(result),
        metadata: { request_count: result.count, ...what.metadata },
        emit: {
          ...(what.decoratorType === undefined ? {} : { decoratorType: what.decoratorType }),
          ...(what.ruleType === undefined ? {} : { ruleType: what.ruleType })
        }
      })
    )
  }

  /**
   * The endpoint limit of a request, found by the path the router matches (its canonical spelling:
   * `/echo/`, `//echo`, `/ECHO`, `/%65cho` and `/echo;x` are all `/echo`), or else by the pattern of
   * the route it resolved to (a limit on `/users/:id`). All spellings share one budget.
   */
  const byCanonical = new WeakMap<EndpointLimits, { readonly config: Partial<RouterConfig>; readonly limits: Map<string, Limit> }>()
  const canonicalLimits = (limits: EndpointLimits, routerConfig: Partial<RouterConfig>): Map<string, Limit> => {
    const known = byCanonical.get(limits)
    if (known !== undefined && known.config === routerConfig) return known.limits
    const canonical = new Map<string, Limit>()
    for (const [path, limit] of Object.entries(limits)) {
      const key = canonicalPath(path, routerConfig)
      if (key !== undefined && !canonical.has(key)) canonical.set(key, limit)
    }
    byCanonical.set(limits, { config: routerConfig, limits: canonical })
    return canonical
  }
  const endpointLimitOf = (req: GuardRequest): { readonly endpoint: string; readonly limit: Limit } | undefined => {
    const dynamic = req.rules?.rules.endpointRateLimits
    const sources = dynamic === undefined || Object.keys(dynamic).length === 0 ? configured : [dynamic, ...configured]
    if (sources.length === 0) return undefined
    const path = canonicalPath(req.request.url, req.routerConfig)
    const pattern = req.route === undefined ? undefined : canonicalPath(req.route.path, req.routerConfig)
    for (const limits of sources) {
      const canonical = canonicalLimits(limits, req.routerConfig)
      for (const endpoint of [path, pattern]) {
        const limit = endpoint === undefined ? undefined : canonical.get(endpoint)
        if (limit !== undefined) return { endpoint: endpoint!, limit }
      }
    }
    return undefined
  }

  /**
   * Counts `cost` units of the request in one window, kept with the request for its response's
   * fields, then answers by the window's last result. Units are counted one by one and stop at the
   * first refused: a refused unit is counted, as a refused request is. A cost above the window's
   * limit counts as the whole window (a request that costs more than a window holds passes when the
   * window is empty, and empties it). A request of one unit (most) takes one step after the store's.
   */
  const count = (
    req: GuardRequest,
    client: Client,
    policy: CountedWindow["policy"],
    key: string,
    limit: number,
    window: Duration.Duration,
    answer: (result: RateLimitResult) => Effect.Effect<Verdict, StoreError>
  ): Effect.Effect<Verdict, StoreError> => {
    const counted = (result: RateLimitResult): Effect.Effect<Verdict, StoreError> => {
      const entry = { policy, result }
      if (req.state.rateLimits === undefined) req.state.rateLimits = [entry]
      else req.state.rateLimits.push(entry)
      return answer(result)
    }
    const units = Math.min(client.cost, Math.max(1, limit))
    if (units <= 1) return Effect.flatMap(env.rateLimits.hit(key, limit, window), counted)
    const hits = (units: number): Effect.Effect<RateLimitResult, StoreError> =>
      Effect.flatMap(env.rateLimits.hit(key, limit, window), (result) => units <= 1 || !result.allowed ? Effect.succeed(result) : hits(units - 1))
    return Effect.flatMap(hits(units), counted)
  }

  // Each window is its own function of the request: with the in-process store a window counts as
  // soon as it is called, so a window after a refusal must not even be called.
  const endpointWindow = (req: GuardRequest, client: Client, endpoint: string, limit: Limit): Effect.Effect<Verdict, StoreError> =>
    count(req, client, "endpoint", `endpoint:${endpoint}:${client.key}`, limit[0], Duration.seconds(limit[1]), (r) =>
      r.allowed ? pass : exceeded(req, r, {
        event: "dynamic_rule_violation",
        reason: `Endpoint-specific rate limit exceeded: ${limit[0]} requests per ${limit[1]}s for ${endpoint}`,
        metadata: { rule_type: "endpoint_rate_limit", endpoint, rate_limit: limit[0], window: limit[1] },
        ruleType: "endpoint_rate_limit"
      }))

  const routeWindow = (req: GuardRequest, client: Client, route: string, limit: { readonly requests: number; readonly window: number }) =>
    count(req, client, "route", `route:${route}:${client.key}`, limit.requests, Duration.seconds(limit.window), (r) =>
      r.allowed ? pass : exceeded(req, r, {
        event: "rate_limited",
        reason: `Rate limit exceeded: ${limit.requests} requests per ${limit.window}s on ${route}`,
        metadata: { rate_limit: limit.requests, window: limit.window, route, violation_type: "rate_limit" },
        decoratorType: "rate_limiting"
      }))

  const globalWindow = (req: GuardRequest, client: Client): Effect.Effect<Verdict, StoreError> => {
    const rules = req.rules?.rules
    if (!(rules?.enableRateLimiting ?? config.enableRateLimiting)) return pass
    const limit = rules?.globalRateLimit ?? config.rateLimit
    const window = rules?.globalRateWindow ?? config.rateLimitWindow
    return count(req, client, "global", `global:${client.key}`, limit, window === config.rateLimitWindow ? configWindow : Duration.seconds(window), (r) =>
      r.allowed ? pass : exceeded(req, r, {
        event: "rate_limited",
        reason: `Rate limit exceeded: ${r.count} requests in ${window}s window`,
        metadata: { rate_limit: limit, window }
      }))
  }

  // most requests have only the global limit: no steps for the windows that do not apply
  const routeThenGlobal = (req: GuardRequest, client: Client): Effect.Effect<Verdict, StoreError> => {
    const limit = req.route?.settings.rateLimit
    return limit === undefined || req.route === undefined
      ? globalWindow(req, client)
      : Effect.flatMap(routeWindow(req, client, req.route.id, limit), (v) => (Option.isSome(v) ? Effect.succeed(v) : globalWindow(req, client)))
  }

  const windows = (req: GuardRequest, key: string): Effect.Effect<Verdict, StoreError> => {
    const client: Client = { key, cost: clients.cost(req) }
    const endpoint = endpointLimitOf(req)
    return endpoint === undefined
      ? routeThenGlobal(req, client)
      : Effect.flatMap(endpointWindow(req, client, endpoint.endpoint, endpoint.limit), (v) => (Option.isSome(v) ? Effect.succeed(v) : routeThenGlobal(req, client)))
  }

  // without a key or skip function (most requests), no step is added
  const counted = (req: GuardRequest): Effect.Effect<Verdict, StoreError> => {
    const key = clients.key(req)
    return typeof key === "string" ? windows(req, key) : Effect.flatMap(key, (k) => windows(req, k))
  }

  const run = (req: GuardRequest): Effect.Effect<Verdict, StoreError> => {
    if (req.state.whitelisted || req.route?.settings.bypass?.has("rate_limit") === true) return pass
    const skip = clients.skip(req)
    return skip === undefined ? counted(req) : Effect.flatMap(skip, (skipped) => (skipped ? pass : counted(req)))
  }

  return Option.some({ name: "rate_limit", onExcludedPaths: true, run })
}
