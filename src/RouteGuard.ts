/**
 * Per-route security settings: the analogue of guard-core's route decorators. A route's handler is
 * wrapped with {@link RouteGuard.secure}, or an `HttpApi` endpoint is annotated with `RouteGuard`;
 * {@link GuardRoutes} then finds the settings for each request (before routing, so the settings can
 * also relax global checks, e.g. `bypass: ["rate_limit"]` on a health route).
 *
 * @example
 * ```ts
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 * import { GuardRoutes, RouteGuard } from "effect-guard"
 *
 * const router = HttpRouter.empty.pipe(
 *   HttpRouter.post("/login", HttpServerResponse.text("ok").pipe(
 *     RouteGuard.secure({ rateLimit: { requests: 5, window: 60 }, allowedContentTypes: ["application/json"] })
 *   ))
 * )
 * const routes = GuardRoutes.fromRouter(router)
 * ```
 *
 * @since 0.1.0
 */
import type { HttpApi, HttpApiGroup, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { HttpApi as Api } from "@effect/platform"
import * as FindMyWay from "find-my-way-ts"
import { Context, Effect, Layer, Option, ParseResult, Predicate, Schema } from "effect"
import { ConfigError, type ConfigIssue } from "./ConfigError.js"
import { CHECK_NAME_VALUES } from "./EventTypes.js"
import { optional, PositiveInt, withDefault } from "./internal/config/fields.js"
import { type AuthVerifier, CLOUD_PROVIDER_VALUES, CountryCode, IpOrCidr, UserAgentPattern } from "./internal/config/security.js"

/**
 * A route-level validator: return a response to refuse the request.
 *
 * @since 0.1.0
 * @category models
 */
export type RouteValidator = (
  request: HttpServerRequest.HttpServerRequest
) => Effect.Effect<Option.Option<HttpServerResponse.HttpServerResponse>>

const fn = <F>(what: string) =>
  Schema.declare((u: unknown): u is F => typeof u === "function", {
    identifier: what,
    message: () => `expected a function (${what})`
  })

const HHMM = Schema.String.pipe(
  Schema.filter((s) => (/^([01]\d|2[0-3]):[0-5]\d$/.test(s) ? undefined : `${JSON.stringify(s)} is not a HH:MM time`))
)

const TimeZone = Schema.String.pipe(
  Schema.filter((tz) => {
    try {
      new Intl.DateTimeFormat("en-GB", { timeZone: tz })
      return undefined
    } catch {
      return `${JSON.stringify(tz)} is not an IANA time zone`
    }
  })
)

/**
 * Names `bypass` accepts: the reference's groups plus any check name.
 *
 * @since 0.1.0
 * @category vocabulary
 */
export const BYPASS_VALUES = ["all", "ip_ban", "ip", "clouds", "rate_limit", "penetration", ...CHECK_NAME_VALUES] as const

/**
 * @since 0.1.0
 * @category vocabulary
 */
export type BypassName = (typeof BYPASS_VALUES)[number]

const BehaviorRule = Schema.Struct({
  /** `usage`: calls per window; `frequency`: the same, stated as a rate; `return_pattern`: responses matching `pattern`. */
  ruleType: Schema.Literal("usage", "frequency", "return_pattern"),
  threshold: PositiveInt,
  /** Seconds. */
  window: withDefault(PositiveInt, () => 3600),
  /** For `return_pattern`: `status:NNN` (or `status:4xx`). */
  pattern: optional(Schema.String.pipe(Schema.pattern(/^status:[1-5](\d\d|xx)$/, { message: () => "pattern must be status:NNN or status:Nxx" }))),
  action: withDefault(Schema.Literal("ban", "log", "throttle", "alert"), () => "log" as const),
  /** Seconds; defaults to the guard's `autoBanDuration`. */
  banDuration: optional(PositiveInt)
}).pipe(
  Schema.filter((r) =>
    r.ruleType === "return_pattern" && r.pattern === undefined ? { path: ["pattern"], message: "return_pattern rules need a pattern" } : undefined)
)

/**
 * The schema of route settings.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RouteSettingsSchema = Schema.Struct({
  ipWhitelist: optional(Schema.Array(IpOrCidr)),
  ipBlacklist: optional(Schema.Array(IpOrCidr)),
  blockedCountries: optional(Schema.ReadonlySet(CountryCode)),
  allowedCountries: optional(Schema.ReadonlySet(CountryCode)),
  /** Blocks requests from these providers' ranges (overrides the global set on this route). */
  blockClouds: optional(Schema.ReadonlySet(Schema.Literal(...CLOUD_PROVIDER_VALUES))),
  /** Per client on this route, on top of the global limit. Window in seconds (default 60). */
  rateLimit: optional(Schema.Struct({ requests: PositiveInt, window: withDefault(PositiveInt, () => 60) })),
  requireHttps: optional(Schema.Boolean),
  requireAuth: optional(Schema.Struct({
    type: withDefault(Schema.Literal("bearer", "basic"), () => "bearer" as const),
    verifier: optional(fn<AuthVerifier>("verifier"))
  })),
  apiKey: optional(Schema.Struct({
    header: withDefault(Schema.String.pipe(Schema.minLength(1)), () => "x-api-key"),
    verifier: optional(fn<AuthVerifier>("verifier"))
  })),
  /** Header name -> required value (`"required"`: present with any value). */
  requireHeaders: optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  allowedContentTypes: optional(Schema.Array(Schema.String.pipe(Schema.minLength(1)))),
  /** Bytes, by `Content-Length`. */
  maxRequestSize: optional(PositiveInt),
  timeWindow: optional(Schema.Struct({ start: HHMM, end: HHMM, timezone: withDefault(TimeZone, () => "UTC") })),
  blockUserAgents: optional(Schema.Array(UserAgentPattern)),
  /** Allowed referrer hosts (subdomains included). */
  requireReferrer: optional(Schema.Array(Schema.String.pipe(Schema.minLength(1)))),
  customValidators: optional(Schema.Array(fn<RouteValidator>("validator"))),
  bypass: optional(Schema.ReadonlySet(Schema.Literal(...BYPASS_VALUES))),
  /** Turns the `suspicious_activity` check on or off for this route. */
  suspiciousDetection: optional(Schema.Boolean),
  behaviorRules: optional(Schema.Array(BehaviorRule))
}).pipe(
  Schema.filter((s) =>
    s.bypass?.has("request_size_content") === true && s.maxRequestSize !== undefined
      ? {
        path: ["maxRequestSize"],
        message: "maxRequestSize has no effect on a route that bypasses request_size_content (the bypass lifts every size limit there); drop one of them"
      }
      : undefined
  ),
  Schema.annotations({ identifier: "RouteSettings" })
)

/**
 * Decoded route settings.
 *
 * @since 0.1.0
 * @category models
 */
export type RouteSettings = Schema.Schema.Type<typeof RouteSettingsSchema>

/**
 * Route settings as written in code.
 *
 * @since 0.1.0
 * @category models
 */
export type RouteSettingsInput = Schema.Schema.Encoded<typeof RouteSettingsSchema>

/**
 * A behaviour rule of a route.
 *
 * @since 0.1.0
 * @category models
 */
export type BehaviorRule = Schema.Schema.Type<typeof BehaviorRule>

const SettingsId: unique symbol = Symbol.for("effect-guard/RouteGuard/settings")

/**
 * Whether a route handler carries settings from {@link RouteGuard.secure}.
 *
 * @since 0.1.0
 * @category guards
 */
export const settingsOf = (handler: unknown): Option.Option<RouteSettingsInput> =>
  Predicate.hasProperty(handler, SettingsId) ? Option.some(handler[SettingsId] as RouteSettingsInput) : Option.none()

/**
 * The `HttpApi` annotation carrying route settings, and the combinator for `HttpRouter` handlers.
 *
 * @since 0.1.0
 * @category tags
 */
export class RouteGuard extends Context.Tag("effect-guard/RouteGuard")<RouteGuard, RouteSettingsInput>() {
  /**
   * Marks a route handler with its settings; {@link GuardRoutes.fromRouter} finds them. The handler
   * itself runs unchanged.
   *
   * @since 0.1.0
   */
  static secure(settings: RouteSettingsInput) {
    return <A, E, R>(handler: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
      const marked = Effect.suspend(() => handler)
      Object.defineProperty(marked, SettingsId, { value: settings, enumerable: false })
      return marked
    }
  }
}

/**
 * The route a request resolved to.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedRoute {
  /** `METHOD /pattern`. */
  readonly id: string
  readonly settings: RouteSettings
}

/**
 * A declared route and its settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface RouteEntry {
  readonly method: string
  readonly path: `/${string}` | "*"
  readonly settings: RouteSettingsInput
}

/**
 * Finds the settings of the route a request is for.
 *
 * @since 0.1.0
 * @category tags
 */
export class GuardRoutes extends Context.Tag("effect-guard/GuardRoutes")<GuardRoutes, {
  /** `some(route)` when the request matches a declared route (with or without settings). */
  readonly resolve: (method: string, path: string) => Option.Option<ResolvedRoute>
  /** Whether any route is declared: with none, every request is "unresolved" only in strict mode. */
  readonly declared: boolean
  /** Every declared route's settings (to decide which checks can ever trigger). */
  readonly all: ReadonlyArray<ResolvedRoute>
}>() {
  /**
   * No declared routes: global settings only.
   *
   * @since 0.1.0
   */
  static readonly empty: Layer.Layer<GuardRoutes> = Layer.succeed(GuardRoutes, {
    resolve: () => Option.none(),
    declared: false,
    all: []
  })

  /**
   * Routes given as a table.
   *
   * @since 0.1.0
   */
  static layer(entries: ReadonlyArray<RouteEntry>): Layer.Layer<GuardRoutes, ConfigError> {
    return Layer.effect(GuardRoutes, make(entries))
  }

  /**
   * The routes of an `HttpRouter` (mounted routers included); handlers wrapped with
   * {@link RouteGuard.secure} carry their settings. Call it on the router as declared: a later
   * `HttpRouter.use` rewrites the handlers and hides their settings.
   *
   * @since 0.1.0
   */
  static fromRouter(router: RouterLike): Layer.Layer<GuardRoutes, ConfigError> {
    return GuardRoutes.layer(routerEntries(router, ""))
  }

  /**
   * The endpoints of an `HttpApi`; endpoints (or groups) annotated with `RouteGuard` carry their
   * settings.
   *
   * @since 0.1.0
   */
  static fromApi<Id extends string, Groups extends HttpApiGroup.HttpApiGroup.Any, E, R>(
    api: HttpApi.HttpApi<Id, Groups, E, R>
  ): Layer.Layer<GuardRoutes, ConfigError> {
    const entries: Array<RouteEntry> = []
    Api.reflect(api, {
      onGroup: () => {},
      onEndpoint: ({ endpoint, mergedAnnotations }) => {
        const settings = Context.getOption(mergedAnnotations, RouteGuard)
        entries.push({ method: endpoint.method, path: endpoint.path, settings: Option.getOrElse(settings, () => ({})) })
      }
    })
    return GuardRoutes.layer(entries)
  }
}

/**
 * The parts of an `HttpRouter` the guard reads.
 *
 * @since 0.1.0
 * @category models
 */
export interface RouterLike {
  readonly routes: Iterable<{ readonly method: string; readonly path: string; readonly handler: unknown }>
  readonly mounts: Iterable<readonly [string, unknown, ...ReadonlyArray<unknown>]>
}

const isRouterLike = (u: unknown): u is RouterLike =>
  Predicate.hasProperty(u, "routes") && Predicate.hasProperty(u, "mounts") &&
  Predicate.isIterable(u.routes) && Predicate.isIterable(u.mounts)

const joinPath = (prefix: string, path: string): `/${string}` | "*" => {
  if (path === "*" && prefix === "") return "*"
  const joined = `${prefix}${path === "/" && prefix !== "" ? "" : path === "*" ? "/*" : path}`
  return (joined.startsWith("/") ? joined : `/${joined}`) as `/${string}`
}

const routerEntries = (router: RouterLike, prefix: string): Array<RouteEntry> => {
  const entries: Array<RouteEntry> = []
  for (const route of router.routes) {
    entries.push({
      method: route.method,
      path: joinPath(prefix, route.path),
      settings: Option.getOrElse(settingsOf(route.handler), () => ({}))
    })
  }
  for (const [mountPrefix, app] of router.mounts) {
    if (isRouterLike(app)) entries.push(...routerEntries(app, `${prefix}${mountPrefix}`))
  }
  return entries
}

const decodeSettings = Schema.decodeUnknownEither(RouteSettingsSchema, { errors: "all", onExcessProperty: "error" })

/**
 * Decodes every route's settings (failing with a {@link ConfigError} naming the route and field) and
 * builds the matcher.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (entries: ReadonlyArray<RouteEntry>): Effect.Effect<GuardRoutes["Type"], ConfigError> =>
  Effect.suspend(() => {
    const issues: Array<ConfigIssue> = []
    const resolved: Array<ResolvedRoute> = []
    const matcher = FindMyWay.make<ResolvedRoute>({ ignoreTrailingSlash: true })
    for (const entry of entries) {
      const id = `${entry.method} ${entry.path}`
      const decoded = decodeSettings(entry.settings)
      if (decoded._tag === "Left") {
        for (const issue of ParseResult.ArrayFormatter.formatErrorSync(decoded.left)) {
          issues.push({ path: `routes[${id}]${issue.path.map((p) => `.${String(p)}`).join("")}`, message: issue.message })
        }
        continue
      }
      const route: ResolvedRoute = { id, settings: decoded.right }
      resolved.push(route)
      try {
        if (entry.method === "*") matcher.all(entry.path, route)
        else matcher.on(entry.method, entry.path, route)
      } catch (error) {
        issues.push({ path: `routes[${id}]`, message: `cannot be matched: ${String(error)}` })
      }
    }
    if (issues.length > 0) return Effect.fail(ConfigError.fromIssues(issues))
    return Effect.succeed(GuardRoutes.of({
      resolve: (method, path) => {
        const found = matcher.find(method, path)
        return found === undefined ? Option.none() : Option.some(found.handler)
      },
      declared: resolved.length > 0,
      all: resolved
    }))
  })
