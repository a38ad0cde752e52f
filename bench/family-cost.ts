/**
 * Where the scan of each request of bench/detection.ts goes: the detector with one rule family at a
 * time (the pattern table off), then the pattern table alone, then everything. Finds the family to
 * work on when a body shape is slow. Process CPU time, not the clock: the figures hold on a shared
 * machine, though they include the garbage collector's threads.
 *
 * Run: `npx tsx bench/family-cost.ts [family ...]` (about a minute; names limit the families).
 */
import { FAMILIES } from "../src/internal/detection/families/index.js"
import { engineSettings, makeEngine } from "../src/internal/detection/engine.js"
import type { DetectionInput } from "../src/ThreatDetector.js"
import { base64Json, csvBody, embeddedJson, json10k, minifiedJs, readme, smallGet } from "./_detectionBodies.js"

const REQUESTS: ReadonlyArray<readonly [string, DetectionInput]> = [
  ["small GET", smallGet],
  ["JSON", json10k],
  ["JSON text", embeddedJson],
  ["minified", minifiedJs],
  ["base64", base64Json],
  ["CSV", csvBody],
  ["markdown", readme]
]

/** This process's CPU time in milliseconds: on a loaded machine it moves far less than the clock. */
const cpu = (): number => {
  const used = process.cpuUsage()
  return (used.user + used.system) / 1000
}

/** CPU microseconds per call: warm up, then the best of 3 rounds of `budgetMs / 3`. */
const measure = (run: () => unknown, budgetMs: number): number => {
  const warmUntil = cpu() + budgetMs / 2
  while (cpu() < warmUntil) run()
  let best = Infinity
  for (let round = 0; round < 3; round++) {
    let n = 0
    const start = cpu()
    while (cpu() - start < budgetMs / 3) {
      run()
      n++
    }
    best = Math.min(best, ((cpu() - start) * 1000) / n)
  }
  return best
}

const base = engineSettings({}, [])
const only = process.argv.slice(2)
const configs: ReadonlyArray<readonly [string, ReturnType<typeof makeEngine>]> = [
  ...FAMILIES.filter((f) => only.length === 0 || only.includes(f.name)).map((f) => [f.name, makeEngine({ ...base, families: [f], patterns: [] })] as const),
  ...(only.length === 0 ? [["patterns", makeEngine({ ...base, families: [] })] as const, ["all", makeEngine(base)] as const] : [])
]

console.log("CPU µs per request, one family at a time (best of 3 rounds)\n")
console.log(`${"".padEnd(12)}${REQUESTS.map(([name]) => name.padStart(11)).join("")}`)
for (const [name, engine] of configs) {
  const cells = REQUESTS.map(([, input]) => measure(() => engine(input), 400).toFixed(1).padStart(11))
  console.log(`${name.padEnd(12)}${cells.join("")}`)
}
