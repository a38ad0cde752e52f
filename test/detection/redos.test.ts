import { describe, expect, it } from "@effect/vitest"
import { BUILTIN_PATTERNS } from "../../src/internal/detection/patterns.js"
import { hasCapturingGroup, MAX_PATHS, vetPattern } from "../../src/internal/detection/redos.js"
import { CATASTROPHIC, HARMLESS } from "./redosCases.js"

describe("ReDoS vetting", () => {
  it("accepts every built-in pattern as linear-time", () => {
    const rejected = BUILTIN_PATTERNS.map((p) => ({ id: p.id, verdict: vetPattern(p.source) })).filter((r) => !r.verdict.safe)
    expect(rejected).toEqual([])
  })

  it("keeps every built-in pattern free of capturing groups so they can be combined", () => {
    expect(BUILTIN_PATTERNS.filter((p) => hasCapturingGroup(p.source)).map((p) => p.id)).toEqual([])
  })

  it("gives every built-in pattern a unique id", () => {
    expect(new Set(BUILTIN_PATTERNS.map((p) => p.id)).size).toBe(BUILTIN_PATTERNS.length)
  })

  it("accepts the user-agent and detection patterns people write, unbounded repetitions included", () => {
    expect(HARMLESS.map((p) => ({ p, reason: vetPattern(p, "i").reason }))).toEqual(HARMLESS.map((p) => ({ p, reason: undefined })))
  })

  it.each(CATASTROPHIC)("refuses %s and says why", (pattern, why) => {
    const verdict = vetPattern(pattern, "i")
    expect(verdict.safe).toBe(false)
    expect(verdict.reason).toContain(why)
  })

  it("names the construct and its offset in a refusal", () => {
    expect(vetPattern("^(\\w+\\s?)*$").reason).toContain("`(\\w+\\s?)*` at offset 1")
  })

  it("advises a bound that is itself accepted", () => {
    const reason = vetPattern("\\s+;x", "i").reason ?? ""
    const advice = /e\.g\. `([^`]*)`/.exec(reason)?.[1]
    expect(advice).toBe("\\s{1,64}")
    expect(vetPattern(`${advice};x`, "i").safe).toBe(true)
    expect(vetPattern("\\s{1,64}$").safe).toBe(true)
  })

  it("accepts an unbounded repetition last in the pattern, guarded by a character it cannot read, or alone after ^", () => {
    expect(vetPattern("id=[0-9]+").safe).toBe(true)
    expect(vetPattern("id=[0-9]+&").safe).toBe(true)
    expect(vetPattern("^[0-9]+x").safe).toBe(true)
    expect(vetPattern("[0-9]+x").safe).toBe(false)
    expect(vetPattern("id=[=0-9]+&").safe).toBe(false)
  })

  it("does not count ^ as an anchor under the m flag", () => {
    expect(vetPattern("^[0-9]+x").safe).toBe(true)
    expect(vetPattern("^[0-9]+x", "m").safe).toBe(false)
  })

  it("rejects backreferences", () => {
    expect(vetPattern("(\\w)\\1").reason).toContain("backreference")
  })

  it("rejects a pattern with too many backtracking paths per position", () => {
    expect(vetPattern("\\w{0,100}\\d{0,100}\\w{0,100}\\s{0,100}").reason).toContain(`> ${MAX_PATHS}`)
    expect(vetPattern(`${"a?".repeat(21)}${"a".repeat(21)}`).reason).toContain(`> ${MAX_PATHS}`)
  })

  it("rejects patterns that match the empty string and invalid regexes", () => {
    expect(vetPattern("a?").reason).toContain("empty string")
    expect(vetPattern("[").reason).toContain("not a valid regular expression")
  })

  it("rejects flags other than imsu", () => {
    expect(vetPattern("abc", "g").safe).toBe(false)
  })
})

/** Best CPU time (ms) of `runs` full scans of `text` by every pattern of `sources`. */
const scanTime = (sources: ReadonlyArray<RegExp>, text: string, runs = 5): number => {
  let best = Infinity
  for (let r = 0; r < runs; r++) {
    // CPU time, not wall time: on a shared machine the wall clock also counts other processes
    const start = process.cpuUsage()
    for (const re of sources) {
      re.lastIndex = 0
      re.exec(text)
    }
    const used = process.cpuUsage(start)
    best = Math.min(best, (used.user + used.system) / 1000)
  }
  return best
}

const ADVERSARIAL = [
  "a".repeat(1),
  "<".repeat(1),
  "' or ",
  "../",
  "${",
  "{{",
  "a=",
  "%",
  "\\\\",
  "/a",
  "1,",
  "(a)",
  "*)(",
  "\n x:",
  ";a",
  "0.",
  "$(",
  "o:1:\""
]

/**
 * The time to scan four times the input built from `unit`, over the time for the input once: about
 * 4 when the search is linear, 16 when it is quadratic. Best of interleaved rounds, after a warm-up
 * of both sizes, so that a round slowed by other processes on the machine does not count.
 */
const growth = (regexes: ReadonlyArray<RegExp>, unit: string): number => {
  const small = unit.repeat(Math.ceil(25_000 / unit.length))
  const large = small.repeat(4)
  scanTime(regexes, small, 2)
  scanTime(regexes, large, 1)
  let bestSmall = Infinity
  let bestLarge = Infinity
  for (let round = 0; round < 5; round++) {
    bestSmall = Math.min(bestSmall, scanTime(regexes, small, 3))
    bestLarge = Math.min(bestLarge, scanTime(regexes, large, 3))
  }
  return bestLarge / Math.max(bestSmall, 0.25)
}

describe("linear time in practice", () => {
  // The wide gap between 8 and quadratic's 16 keeps a test that shares the machine's cores with
  // other test files from failing on a slow round.
  it("stays far below quadratic for every built-in pattern: under 8x the time for 4x the adversarial input", () => {
    const regexes = BUILTIN_PATTERNS.map((p) => new RegExp(p.source, "g"))
    for (const unit of ADVERSARIAL) {
      expect(growth(regexes, unit), `input built from ${JSON.stringify(unit)}`).toBeLessThan(8)
    }
  })

  it("stays far below quadratic for every accepted unbounded repetition of a user pattern", () => {
    // the bounded ones are covered by the built-in patterns
    const regexes = HARMLESS.filter((p) => /[*+]/.test(p)).map((p) => new RegExp(p, "i"))
    const units = ["curl/", "scanner0", "python-requests/1.", "mozilla/", "mozilla/chrome", "sqlmap/1", "union ", " ", "a", "0", "x ", "a@a.", "<"]
    for (const unit of units) {
      expect(growth(regexes, unit), `input built from ${JSON.stringify(unit)}`).toBeLessThan(8)
    }
  })
})
