/**
 * The HTML family alone: recall and false positives on the external corpus
 * (test/fixtures/detection-corpus), per source and category, at paranoia levels 1 and 2 (values
 * pulled out of the rows as in `bench/family-sql.ts`); then its cost per value on ordinary and
 * punctuation-heavy text (a 10 KB string holding JSON text) and on adversarial shapes at doubling
 * sizes up to 1 MB (linear time: each doubling at most about doubles the time; target <= 2.3).
 *
 * Run: `npx tsx bench/family-html.ts [--misses] [--fp] [--speed-only]`
 */
import type { Paranoia } from "../src/internal/detection/families/contract.js"
import { family as html } from "../src/internal/detection/families/html/index.js"
import { measureFamily } from "./family-sql.js"

if (!process.argv.includes("--speed-only")) measureFamily([html], ["xss"])

/** What the engine runs per value: the pre-filter, then the scan when it says yes. */
const run = (value: string, paranoia: Paranoia) => (html.mayMatch(value) ? html.scan(value, { location: "body", paranoia }).length : 0)

/** Microseconds per call, best of 3 rounds of `budgetMs / 3` each after a warm-up. */
const measure = (value: string, budgetMs: number): number => {
  const warmUntil = performance.now() + budgetMs / 2
  while (performance.now() < warmUntil) run(value, 2)
  let best = Infinity
  for (let round = 0; round < 3; round++) {
    let n = 0
    const start = performance.now()
    while (performance.now() - start < budgetMs / 3) {
      run(value, 2)
      n++
    }
    best = Math.min(best, ((performance.now() - start) * 1000) / n)
  }
  return best
}

let seed = 42
const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647
const WORDS = "the quick brown fox jumps over a lazy dog please select an option from our list and update your profile settings today it's great".split(" ")
const sentence = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(" ")
const items: Array<unknown> = []
while (JSON.stringify(items).length < 10_000) {
  items.push({ id: Math.floor(random() * 1e6), name: sentence(4), description: sentence(18), email: `user${items.length}@example.com`, url: `https://example.com/items/${items.length}?ref=feed`, tags: ["sale", "new"], price: Math.round(random() * 10000) / 100 })
}

console.log("\nCost per value, mayMatch + scan at level 2 (µs)")
const ORDINARY: ReadonlyArray<readonly [string, string]> = [
  ["10 KB of JSON text (one value)", JSON.stringify({ items }).slice(0, 10_240)],
  ["10 KB of prose", sentence(2500).slice(0, 10_240)],
  ["10 KB of HTML-ish prose", `a <b>bold</b> claim, x < y and y > z; mail <ann@example.com>. `.repeat(200).slice(0, 10_240)]
]
for (const [name, value] of ORDINARY) console.log(`  ${name.padEnd(34)}${measure(value, 600).toFixed(1).padStart(10)}`)

const ADVERSARIAL: ReadonlyArray<readonly [string, string]> = [
  ["'<a onx=' repeated", "<a onx="],
  ["'<' repeated", "<"],
  ["'{{' repeated", "{{"],
  ["'\"' repeated", "\""],
  ["'\" a=' repeated", "\" a="],
  ["'<a ' repeated", "<a "],
  ["'javascript:' repeated", "javascript:"],
  ["'&#' repeated", "&#"],
  ["'\\\\' repeated", "\\"],
  ["'[\"' repeated", "[\""],
  ["'onx=' repeated", " onx="],
  ["'<style>' repeated", "<style>"],
  ["'a(' repeated", "a("]
]
const SIZES = [131_072, 262_144, 524_288, 1_048_576]
console.log(`\nAdversarial values (ms per value; doubling ratios)\n${"".padEnd(26)}${SIZES.map((s) => `${s / 1024} KB`.padStart(10)).join("")}${SIZES.slice(1).map(() => "x2".padStart(8)).join("")}`)
let worst = 0
for (const [name, unit] of ADVERSARIAL) {
  const times = SIZES.map((size) => measure(unit.repeat(Math.ceil(size / unit.length)).slice(0, size), 300) / 1000)
  const ratios = times.slice(1).map((t, i) => t / (times[i] ?? t))
  worst = Math.max(worst, ...ratios)
  console.log(`  ${name.padEnd(24)}${times.map((t) => t.toFixed(2).padStart(10)).join("")}${ratios.map((r) => r.toFixed(2).padStart(8)).join("")}`)
}
console.log(`\nWorst doubling ratio: ${worst.toFixed(2)} (linear: about 2; quadratic would be 4)`)
