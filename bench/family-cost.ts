/**
 * Where the scan of each request of bench/detection.ts goes: the detector with one rule family at a
 * time (the pattern table off), then the pattern table alone, then everything. Finds the family to
 * work on when a body shape is slow. Process CPU time, not the clock: the figures hold on a shared
 * machine, though they include the garbage collector's threads.
 *
 * `FIRST=1` times each request as seen first, as bench/detection.ts's first-sight rows do: before
 * each timed call, an untimed request of more new values than the clean memo holds empties it, so
 * every value of the timed call is scanned (real traffic is mostly values not seen before).
 *
 * Run: `npx tsx bench/family-cost.ts [family ...]` (about a minute; names limit the families).
 */
import { FAMILIES } from "../src/internal/detection/families/index.js"
import { CLEAN_MEMO_SIZE, engineSettings, makeEngine } from "../src/internal/detection/engine.js"
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

type Engine = ReturnType<typeof makeEngine>

let flushes = 0
/** Scans (untimed) more new short values than the clean memo holds, so it starts over. */
const forget = (engine: Engine): void => {
  const round = flushes++
  engine({ path: "/forget", query: Array.from({ length: CLEAN_MEMO_SIZE + 1 }, (_, i) => ["v", `m${round}n${i}`] as const) })
}

/** CPU microseconds of the fastest of the calls that fit in `budgetMs`, each after `forget` (at least 3). */
const measureFirst = (engine: Engine, input: DetectionInput, budgetMs: number): number => {
  let best = Infinity
  for (let n = 0, spent = 0; n < 3 || spent < budgetMs; n++) {
    const before = cpu()
    forget(engine)
    const start = cpu()
    engine(input)
    const end = cpu()
    spent += end - before
    best = Math.min(best, (end - start) * 1000)
  }
  return best
}

const first = process.env["FIRST"] === "1"
const base = engineSettings({}, [])
const only = process.argv.slice(2)
const configs: ReadonlyArray<readonly [string, Engine]> = [
  ...FAMILIES.filter((f) => only.length === 0 || only.includes(f.name)).map((f) => [f.name, makeEngine({ ...base, families: [f], patterns: [] })] as const),
  ...(only.length === 0 ? [["patterns", makeEngine({ ...base, families: [] })] as const, ["all", makeEngine(base)] as const] : [])
]

console.log(first
  ? "CPU µs per request seen first (clean memo emptied before each call; fastest call), one family at a time\n"
  : "CPU µs per request, one family at a time (best of 3 rounds)\n")
console.log(`${"".padEnd(12)}${REQUESTS.map(([name]) => name.padStart(11)).join("")}`)
for (const [name, engine] of configs) {
  const cells = REQUESTS.map(([, input]) => (first ? measureFirst(engine, input, 400) : measure(() => engine(input), 400)).toFixed(1).padStart(11))
  console.log(`${name.padEnd(12)}${cells.join("")}`)
}
