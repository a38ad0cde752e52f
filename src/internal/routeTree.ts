/**
 * The routes of an application held as its router holds them, and matched by the router's own
 * rules, so that the route the guard resolves for a request is the route whose handler runs.
 *
 * `@effect/platform`'s `HttpRouter` (`internal/httpRouter.ts`, `toHttpApp`) answers a request in
 * this order, and {@link makeMatcher} follows it step by step:
 *
 * 1. Its mounts (`mountApp`), in order: the first whose prefix equals the path (before `?`) or
 *    starts it followed by `/`, compared as received (no decoding, case-sensitive). The mounted app
 *    answers, whatever it answers: a mounted router matches on the URL without the prefix (with it,
 *    for `includePrefix`), and its own mounts come first again.
 * 2. Its routes, in one find-my-way-ts router built with the router config in force
 *    (`HttpRouter.currentRouterConfig`; by default case-insensitive, trailing and duplicate slashes
 *    ignored, the path percent-decoded and cut at `?`, `;` or `#`, an absolute URL's origin
 *    dropped). The guard builds the same router, with the same options, from the same paths.
 * 3. A `HEAD` that matches nothing is answered by the `GET` route.
 *
 * Routes added with `HttpRouter.mount` are already the router's own routes under their prefixed
 * paths (`prefixAll`), so they need nothing more.
 *
 * @internal
 */
import * as FindMyWay from "find-my-way-ts"
import { servedTarget } from "./path.js"

/** A route as the router registers it. */
export interface TreeRoute<A> {
  readonly method: string
  readonly path: FindMyWay.PathInput
  readonly value: A
}

/** A mount: a nested tree, or an app the guard cannot look into (`opaque` answers for all of it). */
export interface TreeMount<A> {
  readonly prefix: string
  readonly includePrefix: boolean
  readonly child: RouteTree<A> | undefined
  readonly opaque: A
}

/** One router: its routes and its mounts, each in the order the router tries them. */
export interface RouteTree<A> {
  readonly routes: ReadonlyArray<TreeRoute<A>>
  readonly mounts: ReadonlyArray<TreeMount<A>>
}

/** Finds the value of the route a router would serve `method url` with (`url` as received, query included). */
export type Matcher<A> = (method: string, url: string) => A | undefined

/**
 * Compiles `tree` with `config` (the router config the application's routers are built with).
 * Throws what find-my-way throws for a route it cannot register, as the router would.
 */
export const makeMatcher = <A>(tree: RouteTree<A>, config: Partial<FindMyWay.RouterConfig>): Matcher<A> => {
  const router = FindMyWay.make<A>(config)
  for (const route of tree.routes) {
    if (route.method === "*") router.all(route.path, route.value)
    else router.on(route.method, route.path, route.value)
  }
  const mounts = tree.mounts.map((mount) => ({
    prefix: mount.prefix,
    withSlash: `${mount.prefix}/`,
    includePrefix: mount.includePrefix,
    opaque: mount.opaque,
    match: mount.child === undefined ? undefined : makeMatcher(mount.child, config)
  }))
  const find = (method: string, url: string): A | undefined => {
    if (mounts.length > 0) {
      const q = url.indexOf("?")
      const pathname = q < 0 ? url : url.slice(0, q)
      for (const mount of mounts) {
        if (pathname !== mount.prefix && !pathname.startsWith(mount.withSlash)) continue
        if (mount.match === undefined) return mount.opaque
        // as the router's sliceRequestUrl: the mounted router sees the rest of the URL
        const rest = mount.includePrefix ? url : url.length <= mount.prefix.length ? "/" : url.slice(mount.prefix.length)
        return mount.match(method, rest)
      }
    }
    const found = router.find(method, url) ?? (method === "HEAD" ? router.find("GET", url) : undefined)
    return found?.handler
  }
  return find
}

/**
 * The path of `url` as find-my-way compares it under `config`: an absolute URL's origin dropped,
 * duplicate slashes merged, cut at `?`, `;` or `#`, percent-decoded (`decodeURI`: reserved
 * characters stay encoded), a trailing slash dropped, lower-cased unless case-sensitive. Every
 * spelling of a path that reaches one route has one canonical path, so a limit keyed by it is one
 * budget. `undefined` when the path cannot be decoded (the router matches no route then).
 */
export const canonicalPath = (url: string, config: Partial<FindMyWay.RouterConfig>): string | undefined => {
  let path = servedTarget(url)
  if (config.ignoreDuplicateSlashes !== false) path = path.replace(/\/\/+/g, "/")
  const end = path.search(/[?;#]/)
  if (end >= 0) path = path.slice(0, end)
  if (path.includes("%")) {
    try {
      path = decodeURI(path)
    } catch {
      return undefined
    }
  }
  if (config.ignoreTrailingSlash !== false && path.length > 1 && path.endsWith("/")) path = path.slice(0, -1)
  if (path === "") path = "/"
  return config.caseSensitive === true ? path : path.toLowerCase()
}
