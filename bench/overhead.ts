/**
 * What the guard adds per request, in process and without sockets: the same router served bare and
 * through `guardMiddleware` (default config, detection on), with and without OpenTelemetry exporting
 * to a loopback receiver, driven through the platform's own request handling (`HttpApp.toHandled`).
 * Cases alternate over several rounds; medians are reported as µs per request and as ratios.
 *
 * It isolates the guard's CPU cost from the HTTP parser and the load generator, which is what
 * `bench/middleware.ts` (the end-to-end figure) cannot separate on a 2-core machine.
 *
 *   npx tsx bench/overhead.ts
 *   ROUNDS=3 N=5000 npx tsx bench/overhead.ts
 */
import { HttpApp, type HttpMiddleware, HttpServerRequest } from "@effect/platform"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime, Runtime } from "effect"
import { ClientIp, GuardConfig, GuardLive, guardMiddleware } from "../src/index.js"
import { router } from "./_app.js"
import { postBody, startReceiver } from "./_load.js"

const ROUNDS = Number(process.env["ROUNDS"] ?? 5)
const N = Number(process.env["N"] ?? 10_000)

const headers = { host: "127.0.0.1:3000", "user-agent": "autocannon/8", accept: "*/*", connection: "keep-alive" }

const receiver = await startReceiver()

const guardLayer = (otel: boolean) =>
  GuardLive.pipe(Layer.provide(GuardConfig.layer({
    rateLimit: 1_000_000,
    rateLimitWindow: 1,
    ...(JSON.parse(process.env["BENCH_GUARD_CONFIG"] ?? "{}") as object),
    ...(otel ? { enableOtel: true, otelExporterEndpoint: receiver.url } : {})
  })))

/** Runs `n` requests one after another through the platform's handling of `app`; µs per request. */
const driver = async <R>(layer: Layer.Layer<R, unknown, never>, middleware?: HttpMiddleware.HttpMiddleware) => {
  const runtime = ManagedRuntime.make(Layer.merge(layer, Logger.minimumLogLevel(LogLevel.Error)))
  const fork = Runtime.runFork(await runtime.runtime())
  let done: () => void = () => {}
  const statuses = new Map<number, number>()
  const handled = HttpApp.toHandled(router, (_, response) =>
    Effect.sync(() => {
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
      done()
    }), middleware)
  const run = async (post: boolean, n: number) => {
    const start = performance.now()
    for (let i = 0; i < n; i++) {
      const request = HttpServerRequest.fromWeb(
        post
          ? new Request("http://127.0.0.1:3000/items", { method: "POST", body: postBody, headers: { ...headers, "content-type": "application/json" } })
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
  return { run, statuses, dispose: () => runtime.dispose() }
}

const cases = {
  bare: await driver(Layer.empty),
  guarded: await driver(guardLayer(false), guardMiddleware),
  otel: await driver(guardLayer(true), guardMiddleware)
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const samples: Record<string, Array<number>> = {}
for (const post of [false, true]) {
  for (const c of Object.values(cases)) await c.run(post, N / 5) // warm-up
}
for (let round = 0; round < ROUNDS; round++) {
  for (const post of [false, true]) {
    for (const [name, c] of Object.entries(cases)) {
      if (post && name === "otel") continue
      ;(samples[`${post ? "POST" : "GET"} ${name}`] ??= []).push(await c.run(post, post ? N / 5 : N))
    }
  }
}
console.log(`overhead: in process, ${N} GETs / ${N / 5} POSTs per case, median of ${ROUNDS} interleaved rounds`)
const m = (k: string) => median(samples[k]!)
for (const k of Object.keys(samples)) console.log(`  ${k.padEnd(14)} ${m(k).toFixed(1).padStart(7)} µs/request`)
console.log(`  guard adds: GET ${(m("GET guarded") - m("GET bare")).toFixed(1)} µs, POST 10 KB ${(m("POST guarded") - m("POST bare")).toFixed(1)} µs, OTel on GET ${(m("GET otel") - m("GET guarded")).toFixed(1)} µs`)
console.log(`  bare/guarded GET = ${(m("GET bare") / m("GET guarded")).toFixed(2)}, POST = ${(m("POST bare") / m("POST guarded")).toFixed(2)}, guarded/otel GET = ${(m("GET guarded") / m("GET otel")).toFixed(2)}`)
for (const [name, c] of Object.entries(cases)) {
  const other = [...c.statuses].filter(([status]) => status !== 200)
  if (other.length > 0) console.log(`  ${name}: responses other than 200: ${other.map(([s, n]) => `${n} x ${s}`).join(", ")}`)
  await c.dispose()
}
receiver.server.close()
