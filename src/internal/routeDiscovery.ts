/**
 * Where `guardMiddleware` finds the routes of an application that no `GuardRoutes` describes: the
 * app it wraps, when that app is an `HttpRouter` (`HttpServer.serve(router, guardMiddleware)`,
 * `HttpRouter.Default.serve(guardMiddleware)`), or the `HttpApi` being served
 * (`HttpApiBuilder.serve(guardMiddleware)` puts it in the request's context).
 *
 * @internal
 */
import { HttpApi } from "@effect/platform"
import { Context, Effect, Exit, Option } from "effect"
import type { ConfigError } from "../ConfigError.js"
import { type GuardRoutes, isRouterLike, makeFromApi, makeFromRouter } from "../RouteGuard.js"

type Found = GuardRoutes["Type"] | Effect.Effect<GuardRoutes["Type"], ConfigError>

/**
 * A function of the request's context: the routes of `app` or of the API served, once read (an
 * effect the first time, whose result is kept); `undefined` when there are none to read.
 */
export const discoverRoutes = (app: unknown): (context: Context.Context<never>) => Found | undefined => {
  let fromApp: Found | undefined
  let fromApi: { readonly api: unknown; readonly routes: Found } | undefined
  const remember = (read: Effect.Effect<GuardRoutes["Type"], ConfigError>, keep: (routes: Found) => void): Found =>
    Effect.flatten(Effect.tap(Effect.exit(read), (exit) => keep(Exit.isSuccess(exit) ? exit.value : exit)))
  return (context) => {
    if (isRouterLike(app)) {
      return fromApp ??= remember(makeFromRouter(app), (routes) => {
        fromApp = routes
      })
    }
    const served = Option.getOrUndefined(Context.getOption(context, HttpApi.Api))
    if (served === undefined) return undefined
    if (fromApi?.api === served.api) return fromApi.routes
    const api = served.api
    const routes = remember(makeFromApi(api), (routes) => {
      fromApi = { api, routes }
    })
    fromApi = { api, routes }
    return routes
  }
}
