/**
 * The ReDoS vetting beside two maintained checkers, on the same patterns in one run: the known
 * catastrophic and the harmless patterns of test/detection/redosCases.ts, then the built-in
 * detection patterns. For each checker: how many verdicts are right, which are wrong, and the time.
 *
 * The checkers are not dependencies of effect-guard; install them next to it for this run only:
 *
 *   npm i --no-save recheck@4.5.0 redos-detector@6.1.4 && npx tsx bench/redos.ts
 *
 * `recheck` runs its pure JavaScript build (`recheck/lib/browser.js`: the main entry spawns a worker
 * thread and a native or Java process), with its automaton checker and a 10 s limit per pattern;
 * `redos-detector` with its defaults and a 3 s limit. `--builtins` adds the 200-odd built-in
 * patterns for the two libraries too (several minutes; redos-detector can run out of memory).
 */
import { createRequire } from "node:module"
import { cpus, loadavg } from "node:os"
import { BUILTIN_PATTERNS } from "../src/internal/detection/patterns.js"
import { vetPattern } from "../src/internal/detection/redos.js"
import { CATASTROPHIC, HARMLESS } from "../test/detection/redosCases.js"

type Verdict = "safe" | "refused" | "unknown"

interface Checker {
  readonly name: string
  readonly check: (pattern: string) => Verdict
}

interface RecheckModule {
  readonly checkSync: (source: string, flags: string, params: object) => { readonly status: "safe" | "vulnerable" | "unknown" }
}

interface RedosDetectorModule {
  readonly isSafePattern: (pattern: string, options: object) => { readonly safe: boolean; readonly error: string | null }
}

const require = createRequire(import.meta.url)
const optional = <A>(name: string): A | undefined => {
  try {
    return require(name) as A
  } catch {
    console.log(`(${name} is not installed; see the comment at the top of bench/redos.ts)`)
    return undefined
  }
}

const checkers: Array<Checker> = [{ name: "effect-guard", check: (p) => (vetPattern(p, "i").safe ? "safe" : "refused") }]
const recheck = optional<RecheckModule>("recheck/lib/browser.js")
if (recheck !== undefined) {
  checkers.push({
    name: "recheck",
    check: (p) => {
      const status = recheck.checkSync(p, "i", { checker: "automaton", timeout: 10_000 }).status
      return status === "vulnerable" ? "refused" : status
    }
  })
}
const detector = optional<RedosDetectorModule>("redos-detector")
if (detector !== undefined) {
  checkers.push({
    name: "redos-detector",
    check: (p) => {
      try {
        const result = detector.isSafePattern(p, { caseInsensitive: true, timeout: 3_000 })
        return result.safe ? "safe" : result.error === "timedOut" ? "unknown" : "refused"
      } catch {
        return "unknown"
      }
    }
  })
}

const run = (title: string, cases: ReadonlyArray<readonly [pattern: string, expected: Verdict]>, only: ReadonlyArray<Checker>) => {
  console.log(`\n${title} (${cases.length} patterns)`)
  for (const checker of only) {
    const wrong: Array<string> = []
    let worst = 0
    const start = performance.now()
    for (const [pattern, expected] of cases) {
      const t = performance.now()
      const verdict = checker.check(pattern)
      worst = Math.max(worst, performance.now() - t)
      if (verdict !== expected) wrong.push(`${verdict}: ${pattern.length > 60 ? `${pattern.slice(0, 57)}...` : pattern}`)
    }
    const total = performance.now() - start
    console.log(
      `  ${checker.name.padEnd(15)} right ${cases.length - wrong.length}/${cases.length}  total ${total.toFixed(0)} ms  worst ${worst.toFixed(0)} ms`
    )
    for (const w of wrong.slice(0, 12)) console.log(`      ${w}`)
    if (wrong.length > 12) console.log(`      ... ${wrong.length - 12} more`)
  }
}

// the first call of each library pays for loading and compiling it; time the verdicts, not that
for (const checker of checkers) checker.check("warm[0-9]+up")

run("harmless patterns users write", HARMLESS.map((p) => [p, "safe"] as const), checkers)
run("known catastrophic patterns", CATASTROPHIC.map(([p]) => [p, "refused"] as const), checkers)
run(
  "built-in detection patterns (all linear: bounded repetitions only)",
  BUILTIN_PATTERNS.map((p) => [p.source, "safe"] as const),
  process.argv.includes("--builtins") ? checkers : checkers.slice(0, 1)
)

console.log(`\nmachine load (1 min): ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`)
