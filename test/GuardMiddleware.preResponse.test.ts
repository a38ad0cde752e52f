/**
 * The guard finishes the application's response with a pre-response handler, among those of the
 * middleware around it and of the application: in the order they were installed, as
 * `HttpApp.appendPreResponseHandler` runs them, whatever way the guard installs its own.
 */
import { HttpApp, HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Ref } from "effect"
import { ClientIp, GuardConfig, GuardLive, guardMiddleware } from "effect-guard"

/** A pre-response handler that records whether the guard's headers were on the response it saw. */
const witness = (name: string): HttpApp.PreResponseHandler => (_, response) =>
  Effect.succeed(HttpServerResponse.setHeader(response, `x-${name}-saw`, response.headers["x-content-type-options"] ?? "none"))

const router = HttpRouter.empty.pipe(
  HttpRouter.get("/hello", Effect.zipRight(HttpApp.appendPreResponseHandler(witness("inner")), HttpServerResponse.text("hello")))
)

/** The router behind the guard, behind a middleware that installs a handler first, as a server runs it. */
const send = (path: string) =>
  Effect.gen(function*() {
    const sent = yield* Ref.make(Option.none<HttpServerResponse.HttpServerResponse>())
    const outer = (app: HttpApp.Default<unknown, unknown>) => Effect.zipRight(HttpApp.appendPreResponseHandler(witness("outer")), app)
    yield* HttpApp.toHandled(router, (_, response) => Ref.set(sent, Option.some(response)), (app) => outer(guardMiddleware(app))).pipe(
      Effect.provideService(HttpServerRequest.HttpServerRequest, HttpServerRequest.fromWeb(new Request(`http://localhost${path}`, { headers: { host: "localhost" } }))),
      Effect.provideService(ClientIp, "198.51.100.7"),
      Effect.locally(HttpApp.currentPreResponseHandlers, Option.none()),
      Effect.scoped
    )
    return yield* Effect.flatten(Ref.get(sent))
  }).pipe(Effect.provide(GuardLive.pipe(Layer.provide(GuardConfig.layer({})))))

describe("guardMiddleware among other pre-response handlers", () => {
  it.effect("runs after the handlers installed around it and before those the application installs", () =>
    Effect.gen(function*() {
      const response = yield* send("/hello")
      expect([response.status, response.headers["x-outer-saw"], response.headers["x-inner-saw"], response.headers["x-content-type-options"]])
        .toEqual([200, "none", "nosniff", "nosniff"])
    }))

  it.effect("finishes its own refusal itself: no handler installed around it runs on it", () =>
    Effect.gen(function*() {
      const response = yield* send("/hello?q=%3Cscript%3Ealert(1)%3C/script%3E")
      expect([response.status, response.headers["x-outer-saw"], response.headers["x-inner-saw"], response.headers["x-content-type-options"]])
        .toEqual([400, undefined, undefined, "nosniff"])
    }))
})
