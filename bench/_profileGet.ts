/**
 * One guarded GET after another in process, for a CPU profile of the request path:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/_profileGet.ts
 */
import { Layer } from "effect"
import { guardMiddleware } from "../src/index.js"
import { driver, guardLayer } from "./_inProcess.js"

const N = Number(process.env["N"] ?? 20_000)
const bare = await driver(Layer.empty)
const guarded = await driver(guardLayer(), guardMiddleware)
await bare.run(false, 2000)
await guarded.run(false, 2000)
const b = await bare.run(false, N)
const g = await guarded.run(false, N)
console.log(`bare ${b.toFixed(1)} µs, guarded ${g.toFixed(1)} µs, guarded - bare ${(g - b).toFixed(1)} µs; ${guarded.unexpected().join(", ")}`)
await bare.dispose()
await guarded.dispose()
