/**
 * The worker of bench/get-instructions.ts: the benchmarks' router driven in process (bare, or behind
 * the default guard with `BENCH_GUARD_CONFIG`), warmed with `WARM` GETs, then `N` GETs for each line
 * read on stdin. Compiled with tsc and run under callgrind by the parent.
 */
import { Layer } from "effect"
import { createInterface } from "node:readline"
import { guardMiddleware } from "../src/index.js"
import { driver, guardLayer } from "./_inProcess.js"

const WARM = Number(process.env["WARM"] ?? 3000)
const N = Number(process.env["N"] ?? 1000)
const guarded = process.argv[2] !== "bare"

const run = await (guarded ? driver(guardLayer(), guardMiddleware) : driver(Layer.empty))
await run.run(false, WARM)
console.log("ready")
createInterface({ input: process.stdin }).on("line", () => {
  void run.run(false, N).then(() => console.log(`done ${run.unexpected().join(", ")}`))
})
