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
import { Layer } from "effect"
import { guardMiddleware } from "../src/index.js"
import { driver, guardLayer } from "./_inProcess.js"
import { startReceiver } from "./_load.js"

const ROUNDS = Number(process.env["ROUNDS"] ?? 5)
const N = Number(process.env["N"] ?? 10_000)

const receiver = await startReceiver()

const cases = {
  bare: await driver(Layer.empty),
  guarded: await driver(guardLayer(), guardMiddleware),
  otel: await driver(guardLayer({ enableOtel: true, otelExporterEndpoint: receiver.url }), guardMiddleware)
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
  const other = c.unexpected()
  if (other.length > 0) console.log(`  ${name}: responses other than 200: ${other.join(", ")}`)
  await c.dispose()
}
receiver.server.close()
