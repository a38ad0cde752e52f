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
import { doublingRatio } from "../test/detection/families/doublingRatio.js"
import { measureFamily } from "./family-sql.js"

if (!process.argv.includes("--speed-only")) measureFamily([html], ["xss"])

/** What the engine runs per value: the pre-filter, then the scan when it says yes. */
const run = (value: string, paranoia: Paranoia) => (html.mayMatch(value) ? html.scan(value, { location: "body", paranoia }).length : 0)

/** Microseconds per call: the best of five rounds of `calls` calls, after one round to warm up. */
const costOf = (value: string, calls: number): number => {
  let best = Infinity
  for (let round = 0; round < 6; round++) {
    const start = performance.now()
    for (let i = 0; i < calls; i++) run(value, 2)
    if (round > 0) best = Math.min(best, ((performance.now() - start) * 1000) / calls)
  }
  return best
}

// JSON text such as an API client stores in one string field: keys, quotes, a URL with a query
const record = (i: number) => ({ id: i * 7919 % 10007, title: `item ${i} of the spring list`, tags: ["sale", "new"], url: `https://example.com/items/${i}?ref=feed`, price: i * 1.25 })
const jsonText = JSON.stringify(Array.from({ length: 120 }, (_, i) => record(i))).slice(0, 10_240)
const prose = "please select an option from our list and update your profile settings today. ".repeat(130).slice(0, 10_240)

console.log("\nCost per value, mayMatch + scan at level 2 (µs)")
const ORDINARY: ReadonlyArray<readonly [string, string]> = [
  ["10 KB of JSON text (one value)", jsonText],
  ["10 KB of prose", prose],
  ["10 KB of HTML-ish prose", `a <b>bold</b> claim, x < y and y > z; mail <ann@example.com>. `.repeat(200).slice(0, 10_240)]
]
for (const [name, value] of ORDINARY) console.log(`  ${name.padEnd(34)}${costOf(value, 300).toFixed(1).padStart(10)}`)

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
  ["'a(' repeated", "a("],
  ["'{{constructor(' repeated", "{{constructor("],
  ["'+ADw-' repeated", "+ADw-"]
]
const SIZES = [131_072, 262_144, 524_288, 1_048_576]
// ratios from `doublingRatio`, which alternates the two sizes so a loaded machine slows both alike
console.log(`\nAdversarial values (doubling ratios 128 KB -> 1 MB; ms at 1 MB)`)
let worst = 0
for (const [name, unit] of ADVERSARIAL) {
  const values = SIZES.map((size) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size))
  const ratios = values.slice(1).map((large, i) => doublingRatio((v) => run(v, 2), values[i] ?? "", large))
  worst = Math.max(worst, ...ratios)
  const ms = costOf(values[3] ?? "", 1) / 1000
  console.log(`  ${name.padEnd(26)}${ratios.map((r) => r.toFixed(2).padStart(8)).join("")}${ms.toFixed(2).padStart(10)}`)
}
console.log(`\nWorst doubling ratio: ${worst.toFixed(2)} (linear: about 2; quadratic would be 4)`)
