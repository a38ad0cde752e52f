/**
 * Drives the benchmarked router in process, through the platform's own request handling
 * (`HttpApp.toHandled`), without sockets or a load generator: what bench/overhead.ts and
 * bench/allocation.ts measure.
 */
import { HttpApp, type HttpMiddleware, HttpServerRequest } from "@effect/platform"
import { Effect, Exit, Layer, Logger, LogLevel, Runtime, Scope } from "effect"
import { ClientIp, GuardConfig, GuardLive } from "../src/index.js"
import { router } from "./_app.js"
import { postBody } from "./_load.js"

const headers = { host: "127.0.0.1:3000", "user-agent": "autocannon/8", accept: "*/*", connection: "keep-alive" }
/** As autocannon sends the POST: without a declared length the guard would take the body for a chunked one. */
const postHeaders = { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(postBody)) }

/**
 * The benchmarks' guard configuration: defaults, a global limit no run reaches (one client sends
 * everything), `BENCH_GUARD_CONFIG` (JSON, for experiments such as
 * '{"securityHeaders":{"enabled":false}}'), then `extra`.
 */
export const benchConfig = (extra: object = {}) =>
  GuardConfig.layer({
    rateLimit: 1_000_000,
    rateLimitWindow: 1,
    ...(JSON.parse(process.env["BENCH_GUARD_CONFIG"] ?? "{}") as object),
    ...extra
  })

/** `GuardLive` with `benchConfig(extra)`. */
export const guardLayer = (extra: object = {}) => GuardLive.pipe(Layer.provide(benchConfig(extra)))

/** The console's bearer token in the benchmarks. */
export const CONSOLE_TOKEN = "bench-console-token-0123456789"

/** The guard console on, at /__guard (mode `guarded-console` of bench/_server.ts). */
export const consoleConfig = { consolePath: "/__guard", consoleToken: CONSOLE_TOKEN }

/** The guard with every optional part off: no security headers, detection, rate limit or auto-ban. */
export const minimalConfig = {
  securityHeaders: { enabled: false },
  enablePenetrationDetection: false,
  enableRateLimiting: false,
  enableIpBanning: false
}

/** Runs requests one after another through `middleware(router)` served with `layer`. */
export const driver = async <R>(layer: Layer.Layer<R, unknown, never>, middleware?: HttpMiddleware.HttpMiddleware) => {
  // Built in a fiber of the default scheduler, as a server's layers are: a `ManagedRuntime` builds
  // its layer on a `SyncScheduler`, whose fiber refs the runtime keeps, so every request fiber and
  // every fiber the layer forks would ask that scheduler whether to yield, a call the run loop then
  // makes out of line (the default scheduler's own is inlined): not what a server runs.
  const scope = Effect.runSync(Scope.make())
  const runtime = await Effect.runPromise(Scope.extend(Layer.toRuntime(Layer.merge(layer, Logger.minimumLogLevel(LogLevel.Error))), scope))
  const fork = Runtime.runFork(runtime)
  let done: () => void = () => {}
  const statuses = new Map<number, number>()
  const handled = HttpApp.toHandled(router, (_, response) =>
    Effect.sync(() => {
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
      done()
    }), middleware)
  /** Runs `n` GETs (or 10 KB POSTs); µs per request. */
  const run = async (post: boolean, n: number) => {
    const start = performance.now()
    for (let i = 0; i < n; i++) {
      const request = HttpServerRequest.fromWeb(
        post
          ? new Request("http://127.0.0.1:3000/items", { method: "POST", body: postBody, headers: postHeaders })
          : new Request("http://127.0.0.1:3000/hello", { headers })
      )
      // resolving on the next turn of the event loop lets the telemetry lanes run, as they would in a server
      await new Promise<void>((resolve) => {
        done = () => setImmediate(resolve)
        // a web request has no socket: the peer address comes in the context, as a host passes it
        fork(handled.pipe(
          Effect.provideService(HttpServerRequest.HttpServerRequest, request),
          Effect.provideService(ClientIp, "127.0.0.1")
        ) as Effect.Effect<void>)
      })
    }
    return ((performance.now() - start) * 1000) / n
  }
  /** Statuses other than 200, as "n x status". */
  const unexpected = () => [...statuses].filter(([status]) => status !== 200).map(([s, n]) => `${n} x ${s}`)
  return { run, unexpected, dispose: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}
