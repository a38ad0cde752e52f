/**
 * Mounts the console on the guard: the pipeline's `apply` answers requests under `consolePath`
 * itself, before the checks, and hands every other request to the guarded application unchanged.
 * The console's own requests are not the application's traffic: they are not counted, checked or
 * passed on, and the console authenticates each one itself.
 *
 * @internal
 */
import { type HttpApp, HttpServerRequest, type HttpServerResponse } from "@effect/platform"
import { Context, type Duration, Effect, Layer, type Redacted } from "effect"
import { readFileSync } from "node:fs"
import { CompositeHandler } from "../../CompositeHandler.js"
import { ConfigError } from "../../ConfigError.js"
import { EventBus } from "../../EventBus.js"
import type { GuardConfigShape } from "../../GuardConfig.js"
import type { ConsoleVerifier, GuardConsoleOptions } from "../../GuardConsole.js"
import { GuardPipeline, type GuardPipelineShape } from "../../GuardMiddleware.js"
import { IpBans } from "../../IpBans.js"
import type { GuardRedis } from "../../Redis.js"
import { pathOf } from "../path.js"
import type { ConsoleFeed } from "./feed.js"
import { type ConsoleAssets, configSummary, makeConsoleApp, streamLifetime } from "./http.js"

/** The page, script and style, next to this module in `src/` and, copied by the build, in `dist/`. */
const loadAssets: Effect.Effect<ConsoleAssets, ConfigError> = Effect.try({
  try: () => {
    const read = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), "utf8")
    return { html: read("index.html"), js: read("console.js"), css: read("console.css") }
  },
  catch: (error) =>
    ConfigError.fromIssues([{ path: "consolePath", message: `the guard console's assets cannot be read: ${error instanceof Error ? error.message : String(error)}` }])
})

type Serve = ReturnType<typeof makeConsoleApp>

const mounted = (pipeline: GuardPipelineShape, base: string, serve: Serve): GuardPipelineShape => ({
  ...pipeline,
  apply: <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> => {
    const guarded = pipeline.apply(app)
    // one step, reading the request from the context as the platform's own middleware do
    return Effect.withFiberRuntime<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest>((fiber) => {
      const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
      // most requests are told apart by their first characters
      if (!request.url.startsWith(base)) return guarded
      const path = pathOf(request.url)
      return path === base || path.startsWith(`${base}/`) ? serve(request, path) : guarded
    })
  },
  forRoutes: (routes) => Effect.map(pipeline.forRoutes(routes), (other) => mounted(other, base, serve))
})

/** What the mounted console is built from: mapped once from `GuardConfig` by `GuardLive`. */
export interface ConsoleMountOptions {
  readonly feed: ConsoleFeed
  /** `consolePath`. */
  readonly path: string
  readonly token: Redacted.Redacted<string> | undefined
  readonly verify: ConsoleVerifier | undefined
  readonly passiveMode: boolean
  readonly summary: Readonly<Record<string, unknown>>
  readonly streamLifetime: Duration.Duration
  /** The shared connection, whose bans the console lists too (`enableRedis`). */
  readonly redis: GuardRedis["Type"] | undefined
}

/** The console's options from a decoded `GuardConfig` mounted at `path`, and the code-side options. */
export const consoleOptionsFromConfig = (
  config: GuardConfigShape,
  path: string,
  feed: ConsoleFeed,
  code: GuardConsoleOptions,
  redis: GuardRedis["Type"] | undefined
): ConsoleMountOptions => ({
  feed,
  path,
  token: config.consoleToken,
  verify: code.verify,
  passiveMode: config.passiveMode,
  summary: configSummary(config),
  streamLifetime: streamLifetime(config.telemetryShutdownTimeoutMs),
  redis
})

/**
 * `GuardPipeline` with the console mounted at `options.path`. Fails with a `ConfigError` when
 * neither a token nor a verifier is given: the console never starts open.
 */
export const layerMounted = (
  options: ConsoleMountOptions
): Layer.Layer<GuardPipeline, ConfigError, GuardPipeline | CompositeHandler | IpBans | EventBus> =>
  Layer.effect(
    GuardPipeline,
    Effect.gen(function*() {
      const pipeline = yield* GuardPipeline
      if (options.token === undefined && options.verify === undefined) {
        return yield* ConfigError.fromIssues([{
          path: "consoleToken",
          message:
            "the guard console needs authentication: set consoleToken (GUARD_CONSOLE_TOKEN, at least 16 characters) or give a verifier with GuardConsole.layer({ verify })"
        }])
      }
      const serve = makeConsoleApp({
        base: options.path,
        passiveMode: options.passiveMode,
        summary: options.summary,
        streamLifetime: options.streamLifetime,
        feed: options.feed,
        composite: yield* CompositeHandler,
        bans: yield* IpBans,
        bus: yield* EventBus,
        redis: options.redis,
        token: options.token,
        verify: options.verify,
        assets: yield* loadAssets
      })
      return mounted(pipeline, options.path, serve)
    })
  )
