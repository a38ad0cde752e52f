/**
 * CPU per detector call on the server benchmarks' 10 KB JSON POST body, in process: the engine of
 * each checkout compiled with tsc (bench/_detectorBuild.ts), all loaded in one process, warmed, then
 * timed in alternating rounds (`process.cpuUsage`), so that load on the machine falls on every build
 * alike. Prints each build's median µs per call and its ratio to the first build's, round by round.
 *
 *   npx tsx bench/detector-cpu.ts /tmp/base .       (A/B: a base checkout and this one)
 *   ROUNDS=31 N=300 npx tsx bench/detector-cpu.ts .
 *
 * Each checkout needs its node_modules; its build goes to `.bench-detector/`.
 */
import { resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { benchInput, buildEngine } from "./_detectorBuild.js"
import { postBody } from "./_load.js"

const ROUNDS = Number(process.env["ROUNDS"] ?? 31)
const N = Number(process.env["N"] ?? 300)
const WARM = Number(process.env["WARM"] ?? 3000)

type Engine = (input: ReturnType<typeof benchInput>) => unknown

const checkouts = process.argv.slice(2).map((path) => resolve(path))
const engines: Array<Engine> = []
for (const checkout of checkouts) {
  const module = await import(pathToFileURL(buildEngine(checkout).engine).href) as {
    readonly makeEngine: (settings: unknown) => Engine
    readonly engineSettings: (options: object, custom: ReadonlyArray<never>) => unknown
  }
  engines.push(module.makeEngine(module.engineSettings({}, [])))
}
for (const engine of engines) for (let i = 0; i < WARM; i++) engine(benchInput(postBody))

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const times = engines.map((): Array<number> => [])
for (let round = 0; round < ROUNDS; round++) {
  engines.forEach((engine, k) => {
    const inputs = Array.from({ length: N }, () => benchInput(postBody))
    const start = process.cpuUsage()
    for (const input of inputs) engine(input)
    const used = process.cpuUsage(start)
    times[k]!.push((used.user + used.system) / N)
  })
}
console.log(`detector: 10 KB JSON POST body, ${ROUNDS} alternating rounds of ${N} calls after ${WARM} to warm each build`)
checkouts.forEach((checkout, k) => {
  const ratio = median(times[k]!.map((t, round) => t / times[0]![round]!))
  console.log(`  ${checkout}: ${median(times[k]!).toFixed(1)} µs per call${k === 0 ? "" : `, ${ratio.toFixed(2)} of the first`}`)
})
