/**
 * Recall and false positives of the default detector on the held-out sets, per source and category, at
 * paranoia levels 1 and 2. Set A (test/fixtures/heldout/heldout.jsonl): public attack lists the external
 * corpus did not sample, and the README/CHANGELOG prose, code blocks and descriptions of the packages in
 * node_modules. Set B (heldout-b.jsonl): SecLists and payloadbox lists, the packages' other Markdown docs
 * and doc comments, and crawler user agents, split by a stable hash into a `dev` and a `test` half. Set C
 * (heldout-c.jsonl): HttpParamsDataset's form values and attacks, PayloadsAllTheThings' command list,
 * XSS lists (PortSwigger's cheat sheet, BruteLogic's), SecLists' login-bypass SQL and Windows file
 * list, split the same way. Set D (heldout-d.jsonl): payloadbox, SecLists, fuzzdb and PayloadsAllTheThings
 * lists none of the others use (XSS, quick and sqlmap SQL, SSRF, RFI, SSI, Linux files), browser user
 * agents, GitHub webhook bodies and texts, and form values in twenty languages, split the same way. Set E
 * (heldout-e.jsonl): GoTestWAF's test cases sent in every place each names (query, path, form, multipart,
 * JSON, header, XML), waf-bypass's SQL, command and template cases and false alarms, and the Big List of
 * Naughty Strings (injection sections as attacks, odd but harmless input as benign), split the same way. Set F
 * (heldout-f.jsonl): nuclei's DAST templates (SQL, command, template, CRLF, file, SSRF, XXE and Log4j payloads
 * sent where each template's fuzzing rules put them) and DOMPurify's and bleach's test inputs (script-carrying
 * vectors as attacks, HTML without script as benign), split the same way. Set G
 * (heldout-g.jsonl): benign traffic only, an access log replayed with its Referers and user agents and shipped as
 * log lines, a parser's test user agents, popular sites' cookies, Japanese and Russian interface text, CSS, and
 * Markdown tables with the HTML they render, each where a request carries it, split the same way.
 * Compare each category with the same category in `bench/detection-corpus.ts`: a category far below its
 * corpus figure does not generalise.
 *
 * Run: `npx tsx bench/detection-heldout.ts` (`--missed` lists the attacks missed at level 1, `--fp` the
 * benign rows refused at level 1, with the rules that fired: set A's rows and the dev halves of sets B-G
 * only. The test halves are measured, never listed).
 */
import { Effect } from "effect"
import { ThreatDetector } from "../src/ThreatDetector.js"
import { type CorpusReport, type CorpusRow, rate, runCorpus, sumTallies, type Tally } from "../test/detection/externalCorpus.js"
import { type HeldoutBRow, loadHeldout, loadHeldoutB, loadHeldoutC, loadHeldoutD, loadHeldoutE, loadHeldoutF, loadHeldoutG } from "../test/fixtures/heldout/heldout.js"

const pct = (t: Tally | undefined) => (t === undefined ? "-" : `${rate(t).toFixed(3)} (${t.caught}/${t.total})`)
const levels = [1, 2] as const

const measure = (rows: ReadonlyArray<CorpusRow>): ReadonlyArray<CorpusReport> =>
  levels.map((paranoia) => Effect.runSync(Effect.flatMap(ThreatDetector.make({ paranoia }), (detector) => runCorpus(detector, rows))))

const table = (reports: ReadonlyArray<CorpusReport>, title: string, pick: (r: CorpusReport) => Readonly<Record<string, Tally>>) => {
  console.log(`\n${title}`)
  console.log(`${"".padEnd(44)}${levels.map((l) => `level ${l}`.padEnd(22)).join("")}`)
  const keys = [...new Set(reports.flatMap((r) => Object.keys(pick(r))))].sort()
  for (const key of keys) console.log(`${key.padEnd(44)}${reports.map((r) => pct(pick(r)[key]).padEnd(22)).join("")}`)
}

const totals = (name: string, reports: ReadonlyArray<CorpusReport>) => {
  console.log(`\n${name} recall: ${reports.map((r, i) => `level ${levels[i]} ${pct(sumTallies(r.recallBySource))}`).join(", ")}`)
  console.log(`${name} benign refused: ${reports.map((r, i) => `level ${levels[i]} ${pct(sumTallies(r.refusedBySource))}`).join(", ")}`)
}

const list = (name: string, report: CorpusReport) => {
  if (process.argv.includes("--missed")) {
    console.log(`\n${name}: missed at level 1:`)
    for (const row of report.missed) console.log(`${row.source}/${row.category} #${row.id}: ${JSON.stringify(row.value).slice(0, 200)}`)
  }
  if (process.argv.includes("--fp")) {
    console.log(`\n${name}: benign rows refused at level 1:`)
    for (const { result, row } of report.falsePositives) {
      console.log(`${row.source} #${row.id}: ${JSON.stringify(row.value).slice(0, 200)}\n    ${result.findings.map((f) => `${f.ruleId}@${f.location} ${JSON.stringify(f.message)}`).join("; ")}`)
    }
  }
}

const a = measure(loadHeldout())
table(a, "Set A recall by source", (r) => r.recallBySource)
table(a, "Set A recall by source/category", (r) => r.recallByCategory)
table(a, "Set A benign refused, by source", (r) => r.refusedBySource)
totals("Set A", a)

const split = (name: string, load: (half: HeldoutBRow["half"]) => ReadonlyArray<HeldoutBRow>) => {
  const halves = (["dev", "test"] as const).map((half) => ({ half, reports: measure(load(half)) }))
  for (const { half, reports } of halves) {
    table(reports, `${name} (${half}) recall by source/category`, (r) => r.recallByCategory)
    table(reports, `${name} (${half}) benign refused, by source`, (r) => r.refusedBySource)
  }
  for (const { half, reports } of halves) totals(`${name} (${half})`, reports)
  return halves[0]!.reports[0]!
}
const bDev = split("Set B", loadHeldoutB)
const cDev = split("Set C", loadHeldoutC)
const dDev = split("Set D", loadHeldoutD)
const eDev = split("Set E", loadHeldoutE)
const fDev = split("Set F", loadHeldoutF)
const gDev = split("Set G", loadHeldoutG)

list("Set A", a[0]!)
list("Set B (dev)", bDev)
list("Set C (dev)", cDev)
list("Set D (dev)", dDev)
list("Set E (dev)", eDev)
list("Set F (dev)", fDev)
list("Set G (dev)", gDev)
