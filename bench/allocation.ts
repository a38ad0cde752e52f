/**
 * Memory the guard allocates per request, in process: the same router bare, behind the guard with
 * every optional part off, behind the default guard (with `GuardLive`, and with `GuardPipelineLive`:
 * only the pipeline in the request context), and behind the default guard exporting OpenTelemetry
 * to a loopback receiver, for a small GET and a 10 KB JSON POST.
 *
 * Allocation is counted by V8's sampling heap profiler with collected objects included, so unlike
 * a timing it hardly moves with the machine's load: it tells whether a change made the request path
 * leaner even where the throughput benchmarks cannot separate it from noise. Allocation is not time
 * (a copied `Map` costs more than its bytes say), but on this request path the two move together:
 * the garbage collector is about a sixth of a guarded request's CPU time.
 *
 *   npx tsx bench/allocation.ts
 *   N=20000 npx tsx bench/allocation.ts
 */
import { Layer } from "effect"
import { Session } from "node:inspector/promises"
import { guardMiddleware, GuardPipelineLive } from "../src/index.js"
import { benchConfig, driver, guardLayer, minimalConfig } from "./_inProcess.js"
import { startReceiver } from "./_load.js"

const N = Number(process.env["N"] ?? 10_000)

interface SamplingNode {
  readonly selfSize: number
  readonly children: ReadonlyArray<SamplingNode>
}
const totalBytes = (node: SamplingNode): number => node.children.reduce((sum, child) => sum + totalBytes(child), node.selfSize)

const session = new Session()
session.connect()

/** Bytes allocated per request over `n` requests, after a warm-up. */
const perRequest = async (run: (post: boolean, n: number) => Promise<number>, post: boolean, n: number) => {
  await run(post, Math.ceil(n / 5))
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true
  })
  await run(post, n)
  const { profile } = await session.post("HeapProfiler.stopSampling")
  return totalBytes(profile.head as SamplingNode) / n
}

const receiver = await startReceiver()
const cases = {
  bare: await driver(Layer.empty),
  "guard, optional parts off": await driver(guardLayer(minimalConfig), guardMiddleware),
  "guard, defaults": await driver(guardLayer(), guardMiddleware),
  "guard, defaults, GuardPipelineLive": await driver(GuardPipelineLive.pipe(Layer.provide(benchConfig())), guardMiddleware),
  "guard, defaults + OTel": await driver(guardLayer({ enableOtel: true, otelExporterEndpoint: receiver.url }), guardMiddleware)
}

console.log(`allocation: KB allocated per request in process (${N} GETs, ${N / 5} POSTs per case)`)
for (const post of [false, true]) {
  let bare = 0
  for (const [name, c] of Object.entries(cases)) {
    const bytes = await perRequest(c.run, post, post ? N / 5 : N)
    if (name === "bare") bare = bytes
    const added = name === "bare" ? "" : `  (+${((bytes - bare) / 1024).toFixed(1)} KB)`
    console.log(`  ${(post ? "POST 10 KB " : "GET ") + name.padEnd(36)} ${(bytes / 1024).toFixed(1).padStart(6)} KB${added}`)
  }
}
for (const [name, c] of Object.entries(cases)) {
  const other = c.unexpected()
  if (other.length > 0) console.log(`  ${name}: responses other than 200: ${other.join(", ")}`)
  await c.dispose()
}
session.disconnect()
receiver.server.close()
