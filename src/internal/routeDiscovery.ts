/**
 * Where `guardMiddleware` finds the routes of an application that no `GuardRoutes` describes: the
 * `HttpApi` being served (`HttpApiBuilder.serve(guardMiddleware)` and `HttpApiBuilder.toWebHandler`
 * put it in the request's context), whose endpoints carry their settings as annotations.
 *
 * A plain `HttpRouter` cannot be found this way: the platform hands a middleware the router already
 * wrapped (`HttpApp.toHandled`), not the router. Its protected handlers refuse to run unguarded
 * (`RouteGuard.secure`).
 *
 * @internal
 */
import { HttpApi } from "@effect/platform"
import { Context, Effect, Exit, Option } from "effect"
import type { ConfigError } from "../ConfigError.js"
import { type GuardRoutes, makeFromApi } from "../RouteGuard.js"

/** The routes, or the effect that reads them the first time. */
export type FoundRoutes = GuardRoutes["Type"] | Effect.Effect<GuardRoutes["Type"], ConfigError>

/**
 * A function of the request's context: the routes of the `HttpApi` served, once read (an effect
 * the first time, whose result is kept); `undefined` when no API is served.
 */
export const apiRoutes = (): (context: Context.Context<never>) => FoundRoutes | undefined => {
  let known: { readonly api: unknown; routes: FoundRoutes } | undefined
  return (context) => {
    const served = Option.getOrUndefined(Context.getOption(context, HttpApi.Api))
    if (served === undefined) return undefined
    if (known?.api === served.api) return known.routes
    const entry: { readonly api: unknown; routes: FoundRoutes } = {
      api: served.api,
      routes: Effect.flatten(Effect.tap(Effect.exit(makeFromApi(served.api)), (exit) => {
        entry.routes = Exit.isSuccess(exit) ? exit.value : exit
      }))
    }
    known = entry
    return entry.routes
  }
}
