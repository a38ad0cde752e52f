import { HttpClient, HttpClientRequest, type HttpClientResponse, type HttpRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import {
  CompositeHandler,
  GuardConfig,
  type GuardConfigInput,
  GuardLive,
  guardMiddleware,
  type SecurityEvent,
  type SecurityMetric,
  TestExporter
} from "effect-guard"

/** Tests send many requests from one loopback client: no global limit unless a test asks for one. */
export const quiet: GuardConfigInput = { enableRateLimiting: false }

/**
 * A real Node HTTP server on loopback (port 0) serving `router` behind `guardMiddleware`, with a
 * `TestExporter` and an `HttpClient` pointed at it. `extra` is provided to `GuardLive` (routes, geo...).
 */
export const guardedServer = <E, R, X = never, XE = never>(
  router: HttpRouter.HttpRouter<E, R>,
  config: GuardConfigInput,
  extra: Layer.Layer<X, XE> = Layer.empty as unknown as Layer.Layer<X, XE>
) =>
  HttpServer.serve(router, guardMiddleware).pipe(
    Layer.provideMerge(GuardLive),
    Layer.provideMerge(Layer.mergeAll(TestExporter.layer(), extra)),
    Layer.provide(GuardConfig.layer({ ...quiet, ...config })),
    Layer.provideMerge(NodeHttpServer.layerTest)
  )

export const get = (path: string, headers: Record<string, string> = {}) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => client.get(path, { headers }))

export const send = (method: "POST" | "PUT" | "GET", path: string, options: { headers?: Record<string, string>; body?: string } = {}) =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    client.execute(
      (method === "GET" ? HttpClientRequest.get(path) : method === "PUT" ? HttpClientRequest.put(path) : HttpClientRequest.post(path)).pipe(
        HttpClientRequest.setHeaders(options.headers ?? {}),
        options.body === undefined ? (r) => r : HttpClientRequest.bodyText(options.body, options.headers?.["content-type"] ?? "text/plain")
      )
    ))

export const statusAndBody = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.map(response.text, (body) => ({ status: response.status, body }))

/** Events delivered so far (after draining the composite). */
export const events: Effect.Effect<ReadonlyArray<SecurityEvent>, never, CompositeHandler | TestExporter> = Effect.gen(function*() {
  yield* Effect.flatMap(CompositeHandler, (c) => c.flush)
  return yield* Effect.flatMap(TestExporter, (t) => t.events)
})

/** Metrics delivered so far (after draining the composite). */
export const metrics: Effect.Effect<ReadonlyArray<SecurityMetric>, never, CompositeHandler | TestExporter> = Effect.gen(function*() {
  yield* Effect.flatMap(CompositeHandler, (c) => c.flush)
  return yield* Effect.flatMap(TestExporter, (t) => t.metrics)
})
