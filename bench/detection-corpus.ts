/**
 * Recall and false positives of the default detector on the external corpus
 * (test/fixtures/detection-corpus/corpus.jsonl): per source, per category and, for the CRS rows, per
 * the paranoia level each was written for; false positives per benign source. At paranoia levels 1
 * and 2. Score CRS PL1 rows at level 1 and PL2 rows at level 2 (see the corpus README).
 *
 * Run: `npx tsx bench/detection-corpus.ts` (`--missed` lists the attacks missed at level 1,
 * `--fp` the benign rows refused, with the rules that fired).
 */
import { Effect } from "effect"
import { cleanRefused, loadCorpus, rate, runCorpus, type Tally } from "../test/detection/externalCorpus.js"
import { ThreatDetector } from "../src/ThreatDetector.js"

const rows = loadCorpus()
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

table("Recall by source", (r) => r.recallBySource)
table("CRS recall by the rule's paranoia level", (r) => r.crsByParanoia)
table("Recall by source/category", (r) => r.recallByCategory)
table("Benign rows refused, by source", (r) => r.refusedBySource)
console.log(`\nClean benign refused (csic2010 + handwritten + libinjection): ${reports.map((r, i) => `level ${levels[i]} ${pct(cleanRefused(r))}`).join(", ")}`)
const overall = (r: (typeof reports)[number]) =>
  Object.values(r.recallBySource).reduce((acc, t) => ({ caught: acc.caught + t.caught, total: acc.total + t.total }), { caught: 0, total: 0 })
console.log(`Recall over all attack rows: ${reports.map((r, i) => `level ${levels[i]} ${pct(overall(r))}`).join(", ")}`)

const first = reports[0]!
if (process.argv.includes("--missed")) {
  console.log("\nMissed at level 1:")
  for (const row of first.missed) console.log(`${row.source}/${row.category} #${row.id}: ${JSON.stringify(row.value ?? row.request).slice(0, 200)}`)
}
if (process.argv.includes("--fp")) {
  console.log("\nBenign rows refused at level 1:")
  for (const { result, row } of first.falsePositives) {
    console.log(`${row.source} #${row.id}: ${JSON.stringify(row.value ?? row.request).slice(0, 160)}\n    ${result.findings.map((f) => `${f.ruleId}@${f.location} ${JSON.stringify(f.message)}`).join("; ")}`)
  }
}
