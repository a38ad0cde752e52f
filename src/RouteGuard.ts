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
import type { HttpApi, HttpApiGroup } from "@effect/platform"
import { HttpApi as Api, HttpServerRespondable as Respondable, HttpServerResponse } from "@effect/platform"
import type * as FindMyWay from "find-my-way-ts"
import { Context, Effect, FiberRef, Layer, Option, ParseResult, Predicate, Schema } from "effect"
import { ConfigError, type ConfigIssue } from "./ConfigError.js"
import { EventBus } from "./EventBus.js"
import * as internalEvaluation from "./internal/evaluation.js"
import { makeMatcher, type Matcher, type RouteTree, type TreeMount, type TreeRoute } from "./internal/routeTree.js"
import {
  type BehaviorRule,
  BYPASS_VALUES,
  type BypassName,
  type GuardEvaluation,
  type ResolvedRoute,
  type RouteSettings,
  type RouteSettingsInput,
  RouteSettingsSchema,
  type RouteValidator
} from "./internal/routeSettings.js"

export {
  /**
   * Names `bypass` accepts: the reference's groups plus any check name.
   *
   * @since 0.1.0
   * @category vocabulary
   */
  BYPASS_VALUES,
  /**
   * The schema of route settings.
   *
   * @since 0.1.0
   * @category schemas
   */
  RouteSettingsSchema
}

export type {
  /**
   * A behaviour rule of a route.
   *
   * @since 0.1.0
   * @category models
   */
  BehaviorRule,
  /**
   * @since 0.1.0
   * @category vocabulary
   */
  BypassName,
  /**
   * What the guard decided about the request its fiber serves.
   *
   * @since 0.1.0
   * @category models
   */
  GuardEvaluation,
  /**
   * The route a request resolved to.
   *
   * @since 0.1.0
   * @category models
   */
  ResolvedRoute,
  /**
   * Decoded route settings.
   *
   * @since 0.1.0
   * @category models
   */
  RouteSettings,
  /**
   * Route settings as written in code.
   *
   * @since 0.1.0
   * @category models
   */
  RouteSettingsInput,
  /**
   * A route-level validator: return a response to refuse the request.
   *
   * @since 0.1.0
   * @category models
   */
  RouteValidator
}

// The settings of each handler made by `RouteGuard.secure`, found again when the guard walks a
// router; kept beside the handler (an Effect value we do not own), never written onto it.
const securedHandlers = new WeakMap<object, RouteSettingsInput>()

/**
 * Whether a route handler carries settings from {@link RouteGuard.secure}.
 *
 * @since 0.1.0
 * @category guards
 */
export const settingsOf = (handler: unknown): Option.Option<RouteSettingsInput> =>
  Predicate.isObject(handler) ? Option.fromNullable(securedHandlers.get(handler)) : Option.none()

/**
 * The guard's evaluation of the request the current fiber serves. It travels with the request's
 * fiber (and the fibers it forks), never on a request object a router or middleware can replace.
 *
 * @since 0.1.0
 * @category fiber refs
 */
export const currentEvaluation: FiberRef.FiberRef<GuardEvaluation | undefined> = internalEvaluation.currentEvaluation

/**
 * A handler wrapped with {@link RouteGuard.secure} ran for a request the guard did not evaluate with
 * that handler's settings: the guard did not run (`GuardNotRun`), resolved no route
 * (`RouteUnresolved`), or applied another route's settings (`OtherRoute`). The handler does not run;
 * the client gets 500.
 *
 * @since 0.1.0
 * @category errors
 */
export class RouteNotGuarded extends Schema.TaggedError<RouteNotGuarded>()("RouteNotGuarded", {
  reason: Schema.Literal("GuardNotRun", "RouteUnresolved", "OtherRoute"),
  detail: Schema.String
}) {
  override get message(): string {
    return `a protected route handler ran without its settings applied by the guard: ${this.detail}`
  }
  [Respondable.symbol]() {
    return Effect.succeed(HttpServerResponse.text("Security check failed", { status: 500 }))
  }
}

/** Settings written twice alike count as the same: plain data compared by value, functions by reference. */
const sameInput = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (a instanceof Set || b instanceof Set) {
    return a instanceof Set && b instanceof Set && a.size === b.size && [...a].every((x) => b.has(x))
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const keys = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined)
  const other = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined)
  return keys.length === other.length &&
    keys.every((k) => sameInput((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

/**
 * Reports and refuses a protected handler that the guard did not evaluate with its settings; in
 * passive mode reports it and runs the handler.
 */
const unguarded = <A, E, R>(
  handler: Effect.Effect<A, E, R>,
  context: Context.Context<never>,
  evaluation: GuardEvaluation | undefined
): Effect.Effect<A, E, R> => {
  const error = evaluation === undefined
    ? new RouteNotGuarded({ reason: "GuardNotRun", detail: "the guard did not run for this request (serve the application with guardMiddleware)" })
    : evaluation.route === undefined
    ? new RouteNotGuarded({ reason: "RouteUnresolved", detail: "the guard resolved no route for this request (give the guard the routes: GuardRoutes)" })
    : new RouteNotGuarded({ reason: "OtherRoute", detail: `the guard applied the settings of ${evaluation.route.id}` })
  if (evaluation?.passive === true) return Effect.zipRight(evaluation.reportUnguarded(`[PASSIVE MODE] ${error.message}`), handler)
  const bus = Context.getOption(context, EventBus)
  const report = evaluation !== undefined
    ? evaluation.reportUnguarded(error.message)
    : Option.isSome(bus)
    ? bus.value.emit("route_unresolved", { actionTaken: "request_blocked", reason: error.message, metadata: { refusal: error.reason } })
    : Effect.void
  return Effect.zipRight(Effect.zipRight(report, Effect.logError(error.message)), Effect.die(error))
}

/**
 * The `HttpApi` annotation carrying route settings, and the combinator for `HttpRouter` handlers.
 *
 * @since 0.1.0
 * @category tags
 */
export class RouteGuard extends Context.Tag("effect-guard/RouteGuard")<RouteGuard, RouteSettingsInput>() {
  /**
   * Marks a route handler with its settings; the guard finds them ({@link GuardRoutes.fromRouter},
   * or the router `guardMiddleware` wraps). The handler also checks, each time it runs, that the
   * guard evaluated this request with these settings, and otherwise refuses it (500, a
   * `route_unresolved` event and {@link RouteNotGuarded} as the defect): whatever the wiring or a
   * router rule the guard did not foresee, a protected handler never runs unprotected.
   *
   * @since 0.1.0
   */
  static secure(settings: RouteSettingsInput) {
    return <A, E, R>(handler: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
      const marked = Effect.withFiberRuntime<A, E, R>((fiber) => {
        const evaluation = fiber.getFiberRef(currentEvaluation)
        const route = evaluation?.route
        return route !== undefined && (route.source === settings || sameInput(route.source, settings))
          ? handler
          : unguarded(handler, fiber.currentContext, evaluation)
      })
      securedHandlers.set(marked, settings)
      return marked
    }
  }
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
  /**
   * The route the router serves `method url` with (`url` as received, query included), by the
   * router's rules under `config` (`HttpRouter.currentRouterConfig`, default `{}`); `undefined`
   * when it serves none.
   */
  readonly find: (method: string, url: string, config?: Partial<FindMyWay.RouterConfig>) => ResolvedRoute | undefined
  /** {@link find} as an `Option`. */
  readonly resolve: (method: string, url: string, config?: Partial<FindMyWay.RouterConfig>) => Option.Option<ResolvedRoute>
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
    find: () => undefined,
    resolve: () => Option.none(),
    declared: false,
    all: []
  })

  /**
   * Routes given as a table, matched as one `HttpRouter` with these routes would match them.
   *
   * @since 0.1.0
   */
  static layer(entries: ReadonlyArray<RouteEntry>): Layer.Layer<GuardRoutes, ConfigError> {
    return Layer.effect(GuardRoutes, make(entries))
  }

  /**
   * The routes of an `HttpRouter`, matched by its own rules: its mounts (`mount`, `mountApp` with or
   * without `includePrefix`, nested), `HEAD` answered by `GET`, the router config in force. Handlers
   * wrapped with {@link RouteGuard.secure} carry their settings. Call it on the router as declared:
   * a later `HttpRouter.use` rewrites the handlers and hides their settings (the handlers then
   * refuse to run, see `secure`).
   *
   * @since 0.1.0
   */
  static fromRouter(router: RouterLike): Layer.Layer<GuardRoutes, ConfigError> {
    return Layer.effect(GuardRoutes, makeFromRouter(router))
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
    return Layer.effect(GuardRoutes, makeFromApi(api))
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

/**
 * Whether `u` is an `HttpRouter` (or holds routes and mounts as one does).
 *
 * @since 0.1.0
 * @category guards
 */
export const isRouterLike = (u: unknown): u is RouterLike =>
  Predicate.hasProperty(u, "routes") && Predicate.hasProperty(u, "mounts") &&
  Predicate.isIterable(u.routes) && Predicate.isIterable(u.mounts)

/** A route's pattern under the prefixes it is mounted at, for its id. */
const joinPath = (prefix: string, path: string): string => {
  if (prefix === "") return path
  return path === "*" ? `${prefix}/*` : path === "/" ? prefix : `${prefix}${path}`
}

const decodeSettings = Schema.decodeUnknownEither(RouteSettingsSchema, { errors: "all", onExcessProperty: "error" })

/** Decodes route settings as the tree is built, collecting every issue. */
const makeDecoder = () => {
  const issues: Array<ConfigIssue> = []
  const all: Array<ResolvedRoute> = []
  const decode = (method: string, path: string, source: RouteSettingsInput): ResolvedRoute => {
    const id = `${method} ${path}`
    const decoded = decodeSettings(source)
    if (decoded._tag === "Left") {
      for (const issue of ParseResult.ArrayFormatter.formatErrorSync(decoded.left)) {
        issues.push({ path: `routes[${id}]${issue.path.map((p) => `.${String(p)}`).join("")}`, message: issue.message })
      }
      return { id, path, settings: {}, source }
    }
    const route: ResolvedRoute = { id, path, settings: decoded.right, source }
    all.push(route)
    return route
  }
  return { issues, all, decode }
}

type Decode = ReturnType<typeof makeDecoder>["decode"]

const routerTree = (router: RouterLike, display: string, decode: Decode): RouteTree<ResolvedRoute> => {
  const routes: Array<TreeRoute<ResolvedRoute>> = []
  for (const route of router.routes) {
    const path = route.path as FindMyWay.PathInput
    routes.push({ method: route.method, path, value: decode(route.method, joinPath(display, path), Option.getOrElse(settingsOf(route.handler), () => ({}))) })
  }
  const mounts: Array<TreeMount<ResolvedRoute>> = []
  for (const [prefix, app, options] of router.mounts) {
    const includePrefix = Predicate.hasProperty(options, "includePrefix") && options.includePrefix === true
    mounts.push({
      prefix,
      includePrefix,
      // a router mounted with includePrefix sees the prefix in the URL: its own paths carry it
      child: isRouterLike(app) ? routerTree(app, includePrefix ? display : `${display}${prefix}`, decode) : undefined,
      opaque: decode("*", `${display}${prefix}/*`, {})
    })
  }
  return { routes, mounts }
}

/**
 * Builds the service from a route tree, failing with a {@link ConfigError} naming the route and
 * field of every bad setting, or a route the router could not register.
 */
const fromTree = (build: (decode: Decode) => RouteTree<ResolvedRoute>): Effect.Effect<GuardRoutes["Type"], ConfigError> =>
  Effect.suspend(() => {
    const { all, decode, issues } = makeDecoder()
    const tree = build(decode)
    if (issues.length > 0) return Effect.fail(ConfigError.fromIssues(issues))
    const DEFAULT: Partial<FindMyWay.RouterConfig> = {}
    let fallback: Matcher<ResolvedRoute>
    try {
      fallback = makeMatcher(tree, DEFAULT)
    } catch (error) {
      return Effect.fail(ConfigError.fromIssues([{ path: "routes", message: `cannot be matched: ${String(error)}` }]))
    }
    // one matcher per router config in force; in practice there is one
    const matchers = new Map<Partial<FindMyWay.RouterConfig>, Matcher<ResolvedRoute>>()
    const matcherFor = (config: Partial<FindMyWay.RouterConfig>): Matcher<ResolvedRoute> => {
      let matcher = matchers.get(config)
      if (matcher === undefined) {
        try {
          matcher = Object.keys(config).length === 0 ? fallback : makeMatcher(tree, config)
        } catch {
          matcher = fallback
        }
        if (matchers.size >= 16) matchers.clear()
        matchers.set(config, matcher)
      }
      return matcher
    }
    const find = (method: string, url: string, config: Partial<FindMyWay.RouterConfig> = DEFAULT) =>
      (config === DEFAULT ? fallback : matcherFor(config))(method, url)
    return Effect.succeed(GuardRoutes.of({
      find,
      resolve: (method, url, config) => Option.fromNullable(find(method, url, config)),
      declared: all.length > 0,
      all
    }))
  })

/**
 * Decodes every route's settings (failing with a {@link ConfigError} naming the route and field) and
 * builds the matcher for a table of routes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (entries: ReadonlyArray<RouteEntry>): Effect.Effect<GuardRoutes["Type"], ConfigError> =>
  fromTree((decode) => ({
    routes: entries.map((entry) => ({ method: entry.method, path: entry.path, value: decode(entry.method, entry.path, entry.settings) })),
    mounts: []
  }))

/**
 * The routes of an `HttpRouter`, as {@link GuardRoutes.fromRouter}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeFromRouter = (router: RouterLike): Effect.Effect<GuardRoutes["Type"], ConfigError> =>
  fromTree((decode) => routerTree(router, "", decode))

/**
 * The endpoints of an `HttpApi`, as {@link GuardRoutes.fromApi}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeFromApi = <Id extends string, Groups extends HttpApiGroup.HttpApiGroup.Any, E, R>(
  api: HttpApi.HttpApi<Id, Groups, E, R>
): Effect.Effect<GuardRoutes["Type"], ConfigError> =>
  Effect.suspend(() => {
    const entries: Array<RouteEntry> = []
    Api.reflect(api, {
      onGroup: () => {},
      onEndpoint: ({ endpoint, mergedAnnotations }) => {
        const settings = Context.getOption(mergedAnnotations, RouteGuard)
        entries.push({ method: endpoint.method, path: endpoint.path, settings: Option.getOrElse(settings, () => ({})) })
      }
    })
    return make(entries)
  })
