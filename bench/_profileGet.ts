/**
 * Where the CPU of a GET goes, in process: the router served bare, with `GuardLive` in the context
 * and a middleware that only reads the pipeline (`context`), or behind the default guard
 * (`guarded`); a sampling CPU profile (`node:inspector`) of `N` GETs after a warm-up, written to
 * `OUT` and summed by where the code lives: the guard's own modules, Effect's run loop, fiber refs,
 * contexts, equality and hashing, the tracer, the platform, the web `Request` the driver builds.
 * Compare the shares of two profiles of one run (the sampling clock is the process's, so a loaded
 * machine stretches both alike); `bench/instructions.ts` gives the counts.
 *
 *   npx tsx bench/_profileGet.ts guarded /tmp/guarded.cpuprofile
 *   npx tsx bench/_profileGet.ts bare /tmp/bare.cpuprofile
 *
 * Under tsx every closure of the guard goes through esbuild's `__name` wrapper; compile it (as
 * bench/_load.ts does for the servers) for the profile of the shipped code.
 */
import { HttpMiddleware } from "@effect/platform"
import { Effect, Layer } from "effect"
import { writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { GuardPipeline, guardMiddleware } from "../src/index.js"
import { driver, guardLayer } from "./_inProcess.js"

const [mode = "guarded", out = `/tmp/${mode}.cpuprofile`] = process.argv.slice(2)
const N = Number(process.env["N"] ?? 30_000)

const readsPipeline = HttpMiddleware.make((app) => Effect.flatMap(GuardPipeline, () => app))
const run = mode === "bare"
  ? await driver(Layer.empty)
  : mode === "context"
  ? await driver(guardLayer(), readsPipeline)
  : await driver(guardLayer(), guardMiddleware)
await run.run(false, 8000)

const session = new Session()
session.connect()
await session.post("Profiler.enable")
await session.post("Profiler.setSamplingInterval", { interval: 50 })
await session.post("Profiler.start")
const cpu = process.cpuUsage()
await run.run(false, N)
const used = process.cpuUsage(cpu)
const { profile } = await session.post("Profiler.stop")
writeFileSync(out, JSON.stringify(profile))

/** Where a function lives, by its script's path. */
const placeOf = (url: string, name: string): string =>
  /\/src\//.test(url) && !url.includes("node_modules")
    ? "the guard's own modules"
    : url.includes("fiberRefs.js")
    ? "Effect: fiber-ref writes"
    : url.includes("internal/context.js")
    ? "Effect: contexts (copies, compares)"
    : /\/(Hash|Equal|Predicate)\.js$/.test(url)
    ? "Effect: equality and hashing"
    : /(tracer|core-effect)\.js$/.test(url)
    ? "Effect: tracer and spans"
    : url.includes("/effect/dist/")
    ? "Effect: run loop, fibers, operations"
    : url.includes("/@effect/platform")
    ? "platform: router, headers, middleware"
    : /undici|abort_controller|internal\/url/.test(url)
    ? "the driver's web Request"
    : name === "(garbage collector)"
    ? "garbage collection"
    : "other"

const counts = new Map<string, number>()
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
let total = 0
for (const id of profile.samples ?? []) {
  const frame = byId.get(id)!.callFrame
  if (frame.functionName === "(idle)") continue
  total++
  const place = placeOf(frame.url, frame.functionName)
  counts.set(place, (counts.get(place) ?? 0) + 1)
}
console.log(`${mode}: ${N} GETs, ${((used.user + used.system) / N).toFixed(1)} µs CPU each; profile in ${out}`)
for (const [place, n] of [...counts].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${(100 * n / total).toFixed(1).padStart(5)} %  ${place}`)
}
if (run.unexpected().length > 0) console.log(`  responses other than 200: ${run.unexpected().join(", ")}`)
await run.dispose()
process.exit(0)
