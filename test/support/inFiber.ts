/**
 * A guarded router answering requests in the test's own fiber, so that `TestClock` times the rate
 * limits: the router behind `guardMiddleware` as a server runs it (`HttpApp.toHandled`, with the
 * request's own pre-response handlers), the
 * request built from a web `Request`, the client address given as `ClientIp`.
 */
import { HttpApp, type HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Layer, Option, Ref } from "effect"
import { ClientIp, GuardConfig, type GuardConfigInput, GuardLive, guardMiddleware, GuardRoutes } from "effect-guard"

export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

export interface Sent {
  readonly method?: string
  readonly headers?: Record<string, string>
  /** The client's address (default 198.51.100.7). */
  readonly ip?: string
}

/** The guard for `router` with `config` (its routes' settings found with `GuardRoutes.fromRouter`). */
export const guardFor = <E, R>(router: HttpRouter.HttpRouter<E, R>, config: GuardConfigInput) =>
  GuardLive.pipe(Layer.provide(Layer.merge(GuardConfig.layer(config), GuardRoutes.fromRouter(router))))

/** Sends `path` through the guard to `router` and reads the answer. */
export const send = <E>(router: HttpRouter.HttpRouter<E, never>, path: string, sent: Sent = {}) =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const answer = yield* Ref.make(Option.none<Answer>())
    const request = new Request(`http://localhost${path}`, { method: sent.method ?? "GET", headers: { host: "localhost", ...sent.headers } })
    const incoming = HttpServerRequest.fromWeb(request)
    yield* HttpApp.toHandled(router, (req, response) =>
      Effect.flatMap(
        Effect.promise(async () => {
          const web = HttpServerResponse.toWeb(response, { withoutBody: req.method === "HEAD", runtime })
          return { status: web.status, headers: Object.fromEntries(web.headers), body: await web.text() }
        }),
        (read) => Ref.set(answer, Option.some(read))
      ), guardMiddleware).pipe(
        Effect.provideService(HttpServerRequest.HttpServerRequest, incoming),
        Effect.provideService(ClientIp, sent.ip ?? "198.51.100.7"),
        // a server answers each request in a fiber of its own: no pre-response handler of an
        // earlier request may run for this one
        Effect.locally(HttpApp.currentPreResponseHandlers, Option.none()),
        Effect.scoped
      )
    return yield* Effect.flatten(Ref.get(answer)).pipe(Effect.orElse(() => Effect.dieMessage("no response")))
  })
