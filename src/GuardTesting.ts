/**
 * Testing an application behind the guard, as it is configured in production, with `@effect/vitest`
 * and `TestClock`: no socket, no wall clock, and what every exporter would have received in view.
 *
 * - `layer(config)` is `GuardLive` built from your configuration, with its telemetry captured by a
 *   `TestExporter` instead of sent: the OpenTelemetry, Logfire and agent exporters (and those added
 *   with `GuardExporters`) are left out and the `TestExporter` takes their place (muting and
 *   enrichment happen before the exporters, so it receives exactly what they would have). Stores
 *   are in memory (`enableRedis` is ignored), and nothing the guard fetches leaves the process: the
 *   dynamic-rule poller finds no rules and cloud range downloads fail (provide
 *   `CloudRanges.layerStatic` to test cloud rules).
 * - `request(app, options)` sends one request through `guardMiddleware` to `app` from a chosen client
 *   address, handled as `HttpServer.serve(app, guardMiddleware)` handles it, and returns the
 *   response with the events and metrics it caused. `app` is what you serve: an `HttpRouter` (mounted routers
 *   included) or any `HttpApp`; for an `HttpApi`, `layerApi` and `apiApp`.
 *
 * Every clock read of the guard goes through `Clock`, so windows, bans and rule expiries move with
 * `TestClock.adjust`.
 *
 * @example
 * ```ts
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 * import { expect, it } from "@effect/vitest"
 * import { Effect, TestClock } from "effect"
 * import { GuardTesting } from "effect-guard"
 *
 * const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("hello")))
 *
 * it.effect("two requests per client every 5 minutes", () =>
 *   Effect.gen(function*() {
 *     const get = GuardTesting.request(app, { ip: "203.0.113.7", path: "/" })
 *     yield* get
 *     yield* get
 *     expect((yield* get).status).toBe(429)
 *     yield* TestClock.adjust("5 minutes")
 *     expect((yield* get).status).toBe(200)
 *   }).pipe(Effect.provide(GuardTesting.layer({ rateLimit: 2, rateLimitWindow: 300 }))))
 * ```
 *
 * @since 0.1.0
 */
import {
  FetchHttpClient,
  type HttpApi,
  HttpApiBuilder,
  HttpApp,
  type HttpRouter,
  HttpServer,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import { Context, Effect, Layer, Option, Ref, type Scope } from "effect"
import { ClientIp } from "./ClientIp.js"
import { CompositeHandler } from "./CompositeHandler.js"
import type { ConfigError } from "./ConfigError.js"
import { GuardExporters } from "./Exporter.js"
import { AgentPaths } from "./exporters/Agent.js"
import { decodeGuardConfig, GuardConfig, type GuardConfigInput, type GuardConfigShape, loadGuardConfig } from "./GuardConfig.js"
import { GuardLive, type GuardServices } from "./GuardLive.js"
import { type GuardPipeline, guardMiddleware } from "./GuardMiddleware.js"
import type { SecurityEvent, SecurityMetric } from "./SecurityEvent.js"
import type { StoreError } from "./StoreError.js"
import { TestExporter } from "./TestExporter.js"

/**
 * What the test layer provides: the guard's services, the configuration they were built from, the
 * `TestExporter` holding what was exported, and the platform services an `HttpApp` may use
 * (`HttpServer.layerContext`: no file system).
 *
 * @since 0.1.0
 * @category models
 */
export type TestGuardServices = GuardServices | GuardConfig | TestExporter | HttpRouter.HttpRouter.DefaultServices

/**
 * The guard of `config` (the same input as `GuardConfig.layer`), for tests. A configuration that
 * `GuardConfig.layer` refuses fails here with the same `ConfigError`.
 *
 * Services provided to this layer are used by the guard, as with `GuardLive`: `GuardRoutes`,
 * `GeoIpLookup`, `CloudRanges`, a `ThreatDetector` or stores of your own.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: GuardConfigInput = {}): Layer.Layer<TestGuardServices, ConfigError | StoreError> =>
  fromConfig(decodeGuardConfig(config))

/**
 * The guard configured from `GUARD_*` variables over `defaults` (as `GuardConfig.layerConfig`), read
 * through the current `ConfigProvider`: provide one with `Layer.setConfigProvider` to test the
 * configuration your deployment sets.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (defaults: GuardConfigInput = {}): Layer.Layer<TestGuardServices, ConfigError | StoreError> =>
  fromConfig(loadGuardConfig(defaults))

const fromConfig = (load: Effect.Effect<GuardConfigShape, ConfigError>): Layer.Layer<TestGuardServices, ConfigError | StoreError> =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const production = yield* load
    // Exporters and Redis reach outside the process; the TestExporter below receives what the
    // exporters would have, and the stores keep the same contract in memory.
    const config: GuardConfigShape = { ...production, enableOtel: false, enableLogfire: false, enableAgent: false, enableRedis: false }
    // Built apart, and handed to GuardLive as an exporter of the application's: GuardLive never
    // sees it twice, whichever way it finds exporters.
    const capture = yield* Layer.build(TestExporter.layer())
    const guard = GuardLive.pipe(
      Layer.provideMerge(Layer.succeed(GuardConfig, config)),
      Layer.provide(Layer.mergeAll(
        Layer.succeed(GuardExporters, [Context.get(capture, TestExporter).spec]),
        Layer.succeed(FetchHttpClient.Fetch, offlineFetch)
      ))
    )
    return Layer.mergeAll(guard, Layer.succeedContext(capture), HttpServer.layerContext)
  }))

/**
 * What the guard's own fetches (dynamic rules, cloud ranges) get in a test: the agent has no rules
 * (as a backend answers 204), and anything else is unavailable. Nothing leaves the process.
 */
const offlineFetch: typeof globalThis.fetch = (input) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url
  return Promise.resolve(
    new URL(url).pathname.endsWith(AgentPaths.rules)
      ? new Response(null, { status: 204 })
      : new Response(`GuardTesting: no network in tests (${url}); provide the service instead`, { status: 503 })
  )
}

/**
 * The client address `request` uses when none is given (from TEST-NET-1, RFC 5737).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CLIENT_IP = "192.0.2.1"

/**
 * One request, as a client sends it.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestOptions {
  /**
   * The address the request comes from: the socket peer (default `DEFAULT_CLIENT_IP`). With
   * `trustedProxies`, send from a proxy's address with an `X-Forwarded-For` header.
   */
  readonly ip?: string
  /** Default `GET`. */
  readonly method?: string
  /**
   * The path with its query (default `/`), parsed as `fetch` parses URLs (dot segments resolved,
   * `#...` dropped); or a whole URL, to choose the scheme and host (`https://shop.example/`).
   */
  readonly path?: string
  readonly headers?: Readonly<Record<string, string>>
  /** Sent as bytes, with no `Content-Type` of its own: set one in `headers`. */
  readonly body?: string | Uint8Array
}

/**
 * The response a request got, and the telemetry it caused.
 *
 * @since 0.1.0
 * @category models
 */
export interface TestResponse {
  readonly status: number
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** The events exported while the request ran, as the exporters received them (muted ones absent, enriched). */
  readonly events: ReadonlyArray<SecurityEvent>
  /** The metrics exported while the request ran. */
  readonly metrics: ReadonlyArray<SecurityMetric>
}

/**
 * Sends one request through `guardMiddleware` to `app`, in the current fiber (so under `TestClock`,
 * with the test layer's guard), without a socket: the app is handled as a server handles it
 * (`HttpApp.toHandled`), the request built from a web `Request` and the client address passed as
 * `ClientIp`. It returns once the guard has finished with the request; the events and metrics of the
 * result are those delivered between its start and its end (run requests one at a time to tell them
 * apart).
 *
 * The returned effect can be run again: each run is a new request.
 *
 * @since 0.1.0
 * @category requests
 */
export const request = <E, R>(
  app: HttpApp.Default<E, R>,
  options: RequestOptions = {}
): Effect.Effect<
  TestResponse,
  never,
  Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope> | GuardPipeline | CompositeHandler | TestExporter
> =>
  Effect.gen(function*() {
    const exporter = yield* TestExporter
    const delivered = Effect.zipRight(
      Effect.flatMap(CompositeHandler, (composite) => composite.flush),
      Effect.all([exporter.events, exporter.metrics])
    )
    const [eventsBefore, metricsBefore] = yield* delivered
    const runtime = yield* Effect.runtime<never>()
    const answer = yield* Ref.make(Option.none<Omit<TestResponse, "events" | "metrics">>())
    // read while the request's scope is open: a streamed body ends with it
    const respond = (request: HttpServerRequest.HttpServerRequest, response: HttpServerResponse.HttpServerResponse) =>
      Effect.flatMap(
        Effect.promise(async () => {
          const web = HttpServerResponse.toWeb(response, { withoutBody: request.method === "HEAD", runtime })
          return { status: web.status, headers: Object.fromEntries(web.headers), body: await web.text() }
        }),
        (read) => Ref.set(answer, Option.some(read))
      )
    const incoming = HttpServerRequest.fromWeb(yield* Effect.sync(() => webRequest(options)))
    yield* HttpApp.toHandled(app, respond, guardMiddleware).pipe(
      Effect.provideService(HttpServerRequest.HttpServerRequest, incoming),
      Effect.provideService(ClientIp, options.ip ?? DEFAULT_CLIENT_IP),
      // each request starts with no pre-response handlers, as a server's request fiber does; the
      // test's fiber would otherwise carry the previous request's handlers into this one
      Effect.locally(HttpApp.currentPreResponseHandlers, Option.none())
    ) as Effect.Effect<void, never, Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>>
    const response = yield* Effect.flatten(Ref.get(answer)).pipe(
      Effect.orElse(() => Effect.dieMessage("GuardTesting.request: the application sent no response"))
    )
    const [events, metrics] = yield* delivered
    return { ...response, events: events.slice(eventsBefore.length), metrics: metrics.slice(metricsBefore.length) }
  })

const webRequest = (options: RequestOptions): Request => {
  const path = options.path ?? "/"
  const url = new URL(/^https?:\/\//i.test(path) ? path : `http://localhost${path.startsWith("/") ? "" : "/"}${path}`)
  // as an HTTP/1.1 client does: the Host header names the URL's host unless the test sets one
  const headers = new Headers(options.headers)
  if (!headers.has("host")) headers.set("host", url.host)
  const init: RequestInit = { method: options.method ?? "GET", headers }
  // bytes, so that fetch adds no Content-Type the client did not send
  // (a copy, so the body owns a plain ArrayBuffer as every lib's BodyInit accepts)
  if (options.body !== undefined) {
    init.body = new Uint8Array(typeof options.body === "string" ? new TextEncoder().encode(options.body) : options.body)
  }
  return new Request(url, init)
}

/**
 * Everything exported so far (the composite drained first).
 *
 * @since 0.1.0
 * @category telemetry
 */
export const events: Effect.Effect<ReadonlyArray<SecurityEvent>, never, CompositeHandler | TestExporter> = Effect.zipRight(
  Effect.flatMap(CompositeHandler, (composite) => composite.flush),
  Effect.flatMap(TestExporter, (exporter) => exporter.events)
)

/**
 * Every metric exported so far (the composite drained first).
 *
 * @since 0.1.0
 * @category telemetry
 */
export const metrics: Effect.Effect<ReadonlyArray<SecurityMetric>, never, CompositeHandler | TestExporter> = Effect.zipRight(
  Effect.flatMap(CompositeHandler, (composite) => composite.flush),
  Effect.flatMap(TestExporter, (exporter) => exporter.metrics)
)

/**
 * The `HttpApi` of `api` (`HttpApiBuilder.api(Api)` with its groups provided) ready to be served in
 * a test, as `HttpApiBuilder.serve` does: with the router its groups add their endpoints to. Read its
 * app with `apiApp`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerApi = <E, R>(
  api: Layer.Layer<HttpApi.Api, E, R>
): Layer.Layer<HttpApi.Api | HttpApiBuilder.Router | HttpApiBuilder.Middleware, E, R> =>
  // one build: the groups' `Router.use` and this `Router.Live` are the same router
  Layer.mergeAll(api, HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer)

/**
 * The `HttpApp` of the API `layerApi` provides, to give to `request`. The guard reads the endpoints'
 * settings from that API, as when serving.
 *
 * @since 0.1.0
 * @category requests
 */
export const apiApp: Effect.Effect<
  HttpApp.Default<never, HttpRouter.HttpRouter.DefaultServices>,
  never,
  HttpApi.Api | HttpApiBuilder.Router | HttpApiBuilder.Middleware
> = HttpApiBuilder.httpApp
