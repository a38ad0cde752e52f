import { describe, expect, it } from "@effect/vitest"
import { BUILTIN_PATTERNS } from "../../src/internal/detection/patterns.js"
import { hasCapturingGroup, MAX_PATHS, vetPattern } from "../../src/internal/detection/redos.js"

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

  it("rejects nested quantifiers", () => {
    expect(vetPattern("(a+)+b").safe).toBe(false)
    expect(vetPattern("(?:a{1,5}){1,5}").reason).toContain("nested quantifier")
  })

  it("rejects unbounded quantifiers, which make an unanchored search quadratic", () => {
    expect(vetPattern("a.*b").reason).toContain("unbounded quantifier")
    expect(vetPattern("x\\s+y").safe).toBe(false)
  })

  it("rejects ambiguous alternation under repetition", () => {
    expect(vetPattern("(?:a|ab){1,10}").reason).toContain("same character")
  })

  it("rejects backreferences", () => {
    expect(vetPattern("(\\w)\\1").reason).toContain("backreference")
  })

  it("rejects a pattern with too many backtracking paths per position", () => {
    expect(vetPattern("\\w{0,100}\\d{0,100}\\w{0,100}\\s{0,100}").reason).toContain(`> ${MAX_PATHS}`)
  })

  it("rejects patterns that match the empty string and invalid regexes", () => {
    expect(vetPattern("a?").safe).toBe(false)
    expect(vetPattern("[").reason).toContain("not a valid regular expression")
  })

  it("rejects flags other than imsu", () => {
    expect(vetPattern("abc", "g").safe).toBe(false)
  })
})

/** Best time of `runs` full scans of `text` by every built-in pattern. */
const scanTime = (sources: ReadonlyArray<RegExp>, text: string, runs = 5): number => {
  let best = Infinity
  for (let r = 0; r < runs; r++) {
    const start = performance.now()
    for (const re of sources) {
      re.lastIndex = 0
      re.exec(text)
    }
    best = Math.min(best, performance.now() - start)
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

describe("linear time in practice", () => {
  it("at most about doubles the time of every built-in pattern when adversarial input doubles", () => {
    const regexes = BUILTIN_PATTERNS.map((p) => new RegExp(p.source, "g"))
    for (const unit of ADVERSARIAL) {
      const small = unit.repeat(Math.ceil(50_000 / unit.length))
      const large = small + small
      scanTime(regexes, small, 2) // warm up
      const ratio = scanTime(regexes, large) / Math.max(scanTime(regexes, small), 0.5)
      expect(ratio, `input built from ${JSON.stringify(unit)}`).toBeLessThan(3)
    }
  })
})
