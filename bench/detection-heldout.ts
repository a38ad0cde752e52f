/**
 * Recall and false positives of the default detector on the held-out set
 * (test/fixtures/heldout/heldout.jsonl: public attack lists the external corpus did not sample, and the
 * README/CHANGELOG prose, code blocks and descriptions of the packages in node_modules), per source and
 * category, at paranoia levels 1 and 2. Compare each category with the same category in
 * `bench/detection-corpus.ts`: a category far below its corpus figure does not generalise.
 *
 * Run: `npx tsx bench/detection-heldout.ts` (`--missed` lists the attacks missed at level 1, `--fp`
 * the benign rows refused at level 1, with the rules that fired).
 */
import { Effect } from "effect"
import { ThreatDetector } from "../src/ThreatDetector.js"
import { rate, runCorpus, sumTallies, type Tally } from "../test/detection/externalCorpus.js"
import { loadHeldout } from "../test/fixtures/heldout/heldout.js"

const rows = loadHeldout()
const pct = (t: Tally | undefined) => (t === undefined ? "-" : `${rate(t).toFixed(3)} (${t.caught}/${t.total})`)

const levels = [1, 2] as const
const reports = levels.map((paranoia) =>
  Effect.runSync(Effect.flatMap(ThreatDetector.make({ paranoia }), (detector) => runCorpus(detector, rows)))
)

const table = (title: string, pick: (r: (typeof reports)[number]) => Readonly<Record<string, Tally>>) => {
  console.log(`\n${title}`)
  console.log(`${"".padEnd(44)}${levels.map((l) => `level ${l}`.padEnd(22)).join("")}`)
  const keys = [...new Set(reports.flatMap((r) => Object.keys(pick(r))))].sort()
  for (const key of keys) console.log(`${key.padEnd(44)}${reports.map((r) => pct(pick(r)[key]).padEnd(22)).join("")}`)
}

table("Held-out recall by source", (r) => r.recallBySource)
table("Held-out recall by source/category", (r) => r.recallByCategory)
table("Held-out benign refused, by source", (r) => r.refusedBySource)
console.log(`\nRecall over all held-out attack rows: ${reports.map((r, i) => `level ${levels[i]} ${pct(sumTallies(r.recallBySource))}`).join(", ")}`)
console.log(`Held-out benign refused: ${reports.map((r, i) => `level ${levels[i]} ${pct(sumTallies(r.refusedBySource))}`).join(", ")}`)

const first = reports[0]!
if (process.argv.includes("--missed")) {
  console.log("\nMissed at level 1:")
  for (const row of first.missed) console.log(`${row.source}/${row.category} #${row.id}: ${JSON.stringify(row.value).slice(0, 200)}`)
}
if (process.argv.includes("--fp")) {
  console.log("\nBenign rows refused at level 1:")
  for (const { result, row } of first.falsePositives) {
    console.log(`${row.source} #${row.id}: ${JSON.stringify(row.value).slice(0, 200)}\n    ${result.findings.map((f) => `${f.ruleId}@${f.location} ${JSON.stringify(f.message)}`).join("; ")}`)
  }
}
