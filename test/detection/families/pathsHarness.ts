/**
 * Helpers for the traversal, files and protocol family tests: a family's verdict on one value the
 * way the engine sums it (each rule once, refused at 5), and a doubling-size CPU-time probe for the
 * linear-time guarantee.
 */
import type { DetectionFamily, Paranoia, ValueLocation } from "../../../src/internal/detection/families/contract.js"

export const THRESHOLD = 5

/** The rule ids that fire on `value`, after the family's own pre-filter. */
export const rulesOf = (
  family: DetectionFamily,
  value: string,
  location: ValueLocation = "query",
  paranoia: Paranoia = 1
): ReadonlyArray<string> => (family.mayMatch(value) ? family.scan(value, { location, paranoia }).map((f) => f.ruleId) : [])

/** The summed score of `value`, each rule counted once. */
export const scoreOf = (
  family: DetectionFamily,
  value: string,
  location: ValueLocation = "query",
  paranoia: Paranoia = 1
): number => {
  if (!family.mayMatch(value)) return 0
  const byRule = new Map<string, number>()
  for (const f of family.scan(value, { location, paranoia })) byRule.set(f.ruleId, f.score)
  let total = 0
  for (const s of byRule.values()) total += s
  return total
}

/** CPU milliseconds of this process for `runs` calls of `f`: preemption on a loaded machine is not counted. */
const cpuMs = (f: () => void, runs: number): number => {
  const start = process.cpuUsage()
  for (let i = 0; i < runs; i++) f()
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1000
}

/**
 * The mean CPU-time ratio per doubling of input size when scanning `shape(size)` from 128 KB to
 * 1 MB: the cube root of t(1 MB) / t(128 KB). Both are measured in this one run, round-robin, as the
 * fastest of five samples (eight calls per sample on the small input, one on the large), in process
 * CPU time so other processes on a shared machine do not skew it. A linear scanner stays near 2, a
 * quadratic one near 4.
 */
export const doublingRatio = (family: DetectionFamily, shape: (size: number) => string, location: ValueLocation = "query"): number => {
  // a flat copy, as decoded request values are (a `repeat` result is a rope)
  const small = Buffer.from(shape(128 * 1024)).toString()
  const large = Buffer.from(shape(1024 * 1024)).toString()
  const scan = (value: string) => () => {
    family.mayMatch(value)
    family.scan(value, { location, paranoia: 4 })
  }
  cpuMs(scan(small), 8)
  cpuMs(scan(large), 1)
  let bestSmall = Number.POSITIVE_INFINITY
  let bestLarge = Number.POSITIVE_INFINITY
  for (let i = 0; i < 5; i++) {
    bestSmall = Math.min(bestSmall, cpuMs(scan(small), 8) / 8)
    bestLarge = Math.min(bestLarge, cpuMs(scan(large), 1))
  }
  return Math.cbrt(bestLarge / Math.max(bestSmall, 0.01))
}

/** `fragment` repeated to `size` characters. */
export const repeated = (fragment: string) => (size: number): string => fragment.repeat(Math.ceil(size / fragment.length)).slice(0, size)

/** Values every family's pre-filter must turn away without a scan. */
export const ORDINARY_VALUES: ReadonlyArray<string> = [
  "hello world",
  "12345",
  "550e8400-e29b-41d4-a716-446655440000",
  "Zoë Saldaña",
  "it's 5 o'clock"
]

/** Rule ids that are `<prefix>-NNN`, unique, in one of `categories`. */
export const catalogueProblems = (family: DetectionFamily, prefix: string, categories: ReadonlyArray<string>): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const seen = new Set<string>()
  for (const r of family.rules) {
    if (!new RegExp(`^${prefix}-\\d{3}$`).test(r.id)) problems.push(`${r.id}: id`)
    if (!categories.includes(r.category)) problems.push(`${r.id}: category ${r.category}`)
    if (seen.has(r.id)) problems.push(`${r.id}: duplicate`)
    seen.add(r.id)
  }
  return problems
}
