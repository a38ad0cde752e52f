/**
 * The worker of bench/get-instructions.ts: the benchmarks' router driven in process (bare, behind the
 * default guard with `BENCH_GUARD_CONFIG`, or `guarded-lean`: the same with `GuardPipelineLive`), warmed with `WARM` GETs, then `N` GETs for each line
 * read on stdin. Compiled with tsc and run under callgrind by the parent.
 */
import { Layer } from "effect"
import { createInterface } from "node:readline"
import { guardMiddleware, GuardPipelineLive } from "../src/index.js"
import { benchConfig, driver, guardLayer } from "./_inProcess.js"

const WARM = Number(process.env["WARM"] ?? 3000)
const N = Number(process.env["N"] ?? 1000)
const mode = process.argv[2] ?? "guarded"

const run = await (mode === "bare"
  ? driver(Layer.empty)
  : mode === "guarded-lean"
  // the same guard with only its pipeline in the request context (as `serveGuarded` serves it)
  ? driver(GuardPipelineLive.pipe(Layer.provide(benchConfig())), guardMiddleware)
  : driver(guardLayer(), guardMiddleware))
await run.run(false, WARM)
console.log("ready")
createInterface({ input: process.stdin }).on("line", () => {
  void run.run(false, N).then(() => console.log(`done ${run.unexpected().join(", ")}`))
})
