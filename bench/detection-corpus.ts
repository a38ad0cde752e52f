/**
 * Recall and false positives of the default detector on the external corpus
 * (test/fixtures/detection-corpus/corpus.jsonl): per source, per category and, for the CRS rows, per
 * the paranoia level each was written for; false positives per benign source. At paranoia levels 1
 * and 2. Score CRS PL1 rows at level 1 and PL2 rows at level 2 (see the corpus README).
 *
 * Run: `npx tsx bench/detection-corpus.ts` (`--missed` lists the attacks missed at level 1,
 * `--fp` the benign rows refused, with the rules that fired, `--rules` what each rule contributes:
 * attack rows it fires on, attack rows caught only because of it, benign rows it fires on).
 */
import { Effect } from "effect"
import { type DetectionResult, ThreatDetector } from "../src/ThreatDetector.js"
import { CLEAN_BENIGN, cleanRefused, type CorpusRow, loadCorpus, rate, runCorpus, sumTallies, type Tally } from "../test/detection/externalCorpus.js"

const rows = loadCorpus()
const pct = (t: Tally | undefined) => (t === undefined ? "-" : `${rate(t).toFixed(3)} (${t.caught}/${t.total})`)

const levels = [1, 2] as const
const seenAtLevel1: Array<readonly [CorpusRow, DetectionResult]> = []
const reports = levels.map((paranoia) =>
  Effect.runSync(
    Effect.flatMap(ThreatDetector.make({ paranoia }), (detector) =>
      runCorpus(detector, rows, paranoia === 1 ? (row, result) => seenAtLevel1.push([row, result]) : undefined))
  )
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
console.log(`Recall over all attack rows: ${reports.map((r, i) => `level ${levels[i]} ${pct(sumTallies(r.recallBySource))}`).join(", ")}`)

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

if (process.argv.includes("--rules")) {
  const stats = new Map<string, { fires: number; decides: number; clean: number; crsBenign: number }>()
  const stat = (id: string) => {
    let s = stats.get(id)
    if (s === undefined) stats.set(id, s = { fires: 0, decides: 0, clean: 0, crsBenign: 0 })
    return s
  }
  for (const [row, result] of seenAtLevel1) {
    const scores = new Map(result.findings.map((f) => [f.ruleId, f.score]))
    for (const [id, score] of scores) {
      const s = stat(id)
      if (row.expect === "attack") {
        s.fires++
        if (result.isThreat && result.score - score < 5) s.decides++
      } else if (row.source === "crs") s.crsBenign++
      else if (CLEAN_BENIGN.has(row.source)) s.clean++
    }
  }
  console.log("\nPer rule at level 1: attack rows fired on, attack rows it decides, clean benign rows, CRS must-not-fire rows")
  for (const [id, s] of [...stats].sort((a, b) => a[0].localeCompare(b[0]))) {
    console.log(`${id.padEnd(44)}${String(s.fires).padStart(6)}${String(s.decides).padStart(6)}${String(s.clean).padStart(6)}${String(s.crsBenign).padStart(6)}`)
  }
}
