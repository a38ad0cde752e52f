/**
 * Effect operations per request, in process: the same router bare and behind the default guard,
 * each operation the fiber runtime evaluates counted by a `Supervisor`'s `onEffect` (op
 * supervision on). Like bench/allocation.ts, the count does not move with the machine's load: it
 * says whether a change took steps out of the request path when the timed benchmarks cannot
 * separate it from noise. `TALLY=1` lists the guard's operations by kind (and the function a
 * `Sync` or `WithRuntime` runs), most frequent first.
 *
 *   npx tsx bench/operations.ts
 *   POST=1 TALLY=1 npx tsx bench/operations.ts
 */
import { Effect, Layer, RuntimeFlags, Supervisor } from "effect"
import { guardMiddleware } from "../src/index.js"
import { driver, guardLayer } from "./_inProcess.js"

const POST = process.env["POST"] === "1"
const TALLY = process.env["TALLY"] === "1"
const N = Number(process.env["N"] ?? 500)

let operations = 0
const tally = new Map<string, number>()

/** The kind of an operation, and for one that runs a function, the function's first characters. */
const kindOf = (effect: unknown): string => {
  const { _op, effect_instruction_i0: body } = effect as { readonly _op?: string; readonly effect_instruction_i0?: unknown }
  return typeof body === "function" ? `${String(_op)} ${body.toString().slice(0, 90).replace(/\s+/g, " ")}` : String(_op)
}

class Counter extends Supervisor.AbstractSupervisor<void> {
  readonly value = Effect.void
  override onEffect(_fiber: unknown, effect: unknown): void {
    operations++
    if (TALLY) {
      const kind = kindOf(effect)
      tally.set(kind, (tally.get(kind) ?? 0) + 1)
    }
  }
}
const counted = Layer.merge(Supervisor.addSupervisor(new Counter()), RuntimeFlags.enableOpSupervision)

console.log(`operations: Effect operations per ${POST ? "10 KB JSON POST" : "GET"} in process (${N} requests per case)`)
const cases = [["bare", Layer.empty, undefined], ["guarded", guardLayer(), guardMiddleware]] as const
for (const [name, layer, middleware] of cases) {
  const run = await driver(Layer.merge(layer, counted), middleware)
  await run.run(POST, 200)
  operations = 0
  tally.clear()
  await run.run(POST, N)
  console.log(`  ${name.padEnd(8)} ${(operations / N).toFixed(1)}`)
  if (TALLY && name === "guarded") {
    for (const [kind, n] of [...tally].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`    ${(n / N).toFixed(2).padStart(6)}  ${kind}`)
  }
  const other = run.unexpected()
  if (other.length > 0) console.log(`  ${name}: responses other than 200: ${other.join(", ")}`)
  await run.dispose()
}
