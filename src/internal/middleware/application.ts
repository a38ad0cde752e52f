/**
 * Calling the application once the checks have passed: its body read capped at the request's
 * limit, the route's behaviour rules around it, and its response finished (security headers,
 * metrics) by a pre-response handler, as the platform's own `cors` middleware adds its headers.
 *
 * @internal
 */
import { type HttpApp, HttpIncomingMessage, HttpServerError, type HttpServerRequest, type HttpServerResponse } from "@effect/platform"
import { HttpApp as App } from "@effect/platform"
import { Context, Effect, Option } from "effect"
import * as BehaviorRules from "../../checks/BehaviorRules.js"
import type { CheckLog } from "../../CheckLog.js"
import { type CheckEnv, type GuardRequest, maxBodyOf } from "../pipeline.js"
import type { Finisher, Finishing } from "./finish.js"

/**
 * Whether Node's HTTP parser already keeps the body within `max`: it reads exactly Content-Length
 * bytes, and a request with neither Content-Length nor Transfer-Encoding has no body. A cap would
 * then change nothing, and providing it (`Effect.provideService`) copies the request's context and
 * takes an acquire-release around the application: about 4 µs, a twentieth of a bare GET.
 */
const framedWithin = (req: GuardRequest, max: number): boolean => {
  if (!req.onNode || req.headers["transfer-encoding"] !== undefined) return false
  const declared = req.headers["content-length"]
  if (declared === undefined) return true
  const length = Number(declared)
  return Number.isSafeInteger(length) && length >= 0 && length <= max
}

export const makeApplicationCall = (env: CheckEnv, finisher: Finisher, repeatedLog: CheckLog) => {
  const { config } = env

  /**
   * The pre-response handler of a request: made apart from the request's facts, so that it holds
   * the few fields it reads and not the facts (see `Finishing`).
   */
  const finishHandler = (finishing: Finishing): HttpApp.PreResponseHandler => (_, response) => finisher.finish(finishing, response)

  /**
   * The application with its response finished: by a pre-response handler when headers are added
   * (it also sees the response the platform sends for a failure), else, for the metrics alone,
   * from the response it returned or the one the platform sends for its failure.
   */
  const finished = <E, R>(app: HttpApp.Default<E, R>, req: GuardRequest): HttpApp.Default<E, R> => {
    if (finisher.addsHeaders) return Effect.zipRight(App.appendPreResponseHandler(finishHandler(finisher.of(req))), app)
    if (!finisher.recordsMetrics) return app
    const finishing = finisher.of(req)
    return Effect.matchCauseEffect(app, {
      onFailure: (cause) =>
        Effect.zipRight(
          Effect.flatMap(HttpServerError.causeResponse(cause), ([response]) => finisher.record(finishing, response.status)),
          Effect.failCause(cause)
        ),
      onSuccess: (response) => Effect.as(finisher.record(finishing, response.status), response)
    })
  }

  /** The application with its body read capped (except in passive mode, which cuts no request short). */
  const capped = <E, R>(app: HttpApp.Default<E, R>, req: GuardRequest): HttpApp.Default<E, R> => {
    const max = config.passiveMode ? undefined : maxBodyOf(config, req)
    // a request Node gives no body (framed within 0 bytes) needs no cap, nor a look for one
    if (max === undefined || framedWithin(req, 0)) return finished(app, req)
    return Effect.withFiberRuntime<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest>((fiber) => {
      // never above a cap the application already has
      const outer = Context.get(fiber.currentContext, HttpIncomingMessage.MaxBodySize)
      const cap = Option.isSome(outer) && Number(outer.value) > 0 ? Math.min(max, Number(outer.value)) : max
      return finished(framedWithin(req, cap) ? app : HttpIncomingMessage.withMaxBodySize(app, Option.some(cap)), req)
    })
  }

  /** Calls the application for a request that passed the checks. */
  const call = <E, R>(app: HttpApp.Default<E, R>, req: GuardRequest): HttpApp.Default<E, R> => {
    const call = capped(app, req)
    if (req.route?.settings.behaviorRules === undefined) return call
    return Effect.flatMap(
      BehaviorRules.beforeHandler(env, req).pipe(
        Effect.catchAll((error) => Effect.as(repeatedLog("route_config", "behaviour rules skipped: state store unavailable", { cause: error.message }), Option.none()))
      ),
      (verdict) =>
        Option.isSome(verdict) ? finisher.finish(finisher.of(req), verdict.value) : Effect.tap(call, (response) =>
          BehaviorRules.afterHandler(env, req, response).pipe(
            Effect.catchAll((error) => repeatedLog("route_config", "return-pattern rules skipped: state store unavailable", { cause: error.message }))
          ))
    )
  }

  /** `call`, and `bypassed`: the application of a route that bypasses every check, its response finished. */
  return { call, bypassed: finished }
}
