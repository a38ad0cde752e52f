/**
 * Floors on the external corpus (test/fixtures/detection-corpus/, cases nobody on this project
 * wrote), set just below the figures `bench/detection-corpus.ts` prints, so that a change that loses
 * recall or refuses more real traffic fails here. Raise them when the engine gets better; never
 * lower them to let a change through.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ThreatDetector } from "../../src/ThreatDetector.js"
import { cleanRefused, type CorpusReport, loadCorpus, rate, runCorpus } from "./externalCorpus.js"

const rows = loadCorpus()

/** Recall floors at the default level (CRS rows scored at the level they were written for). */
const RECALL_FLOORS: Readonly<Record<string, number>> = {
  payloadsallthethings: 0.95,
  libinjection: 0.975
}
/**
 * Every PayloadsAllTheThings category of 20 rows or more, at the default level; LDAP has its own
 * floor (most of its rows are one metacharacter, see docs/detection.md, "Measured").
 */
const CATEGORY_FLOOR = 0.88
const CATEGORY_FLOORS: Readonly<Record<string, number>> = { "payloadsallthethings/ldap": 0.475 }
const CRS_PL1_AT_LEVEL_1 = 0.915
const CRS_PL2_AT_LEVEL_2 = 0.86
/** Clean benign rows (csic2010, handwritten, libinjection benign) refused at the default level. */
const CLEAN_REFUSED_CEILING = 0.005

const report = (paranoia: 1 | 2): Effect.Effect<CorpusReport> =>
  Effect.flatMap(Effect.orDie(ThreatDetector.make({ paranoia })), (detector) => runCorpus(detector, rows))

const describeMissed = (r: CorpusReport, source: string) =>
  r.missed.filter((m) => m.source === source).slice(0, 20).map((m) => `${m.category}: ${JSON.stringify(m.value ?? m.request?.uri)}`).join("\n")

describe("external corpus", () => {
  it.effect("catches the public attack corpora at or above their floors at the default level", () =>
    Effect.gen(function*() {
      const r = yield* report(1)
      for (const [source, floor] of Object.entries(RECALL_FLOORS)) {
        expect(rate(r.recallBySource[source]), `${source}; first misses:\n${describeMissed(r, source)}`).toBeGreaterThanOrEqual(floor)
      }
      expect(rate(r.crsByParanoia["PL1"]), "CRS paranoia-1 rows at level 1").toBeGreaterThanOrEqual(CRS_PL1_AT_LEVEL_1)
      for (const [key, tally] of Object.entries(r.recallByCategory)) {
        if (!key.startsWith("payloadsallthethings/") || tally.total < 20) continue
        expect(rate(tally), key).toBeGreaterThanOrEqual(CATEGORY_FLOORS[key] ?? CATEGORY_FLOOR)
      }
    }), { timeout: 120_000 })

  it.effect("refuses almost no real traffic at the default level", () =>
    Effect.gen(function*() {
      const r = yield* report(1)
      const refused = r.falsePositives.filter((f) => f.row.source !== "crs")
        .map((f) => `${f.row.source} #${f.row.id}: ${f.result.ruleIds.join(", ")}`)
      expect(rate(cleanRefused(r)), refused.join("\n")).toBeLessThanOrEqual(CLEAN_REFUSED_CEILING)
    }), { timeout: 120_000 })

  it.effect("catches CRS paranoia-2 rows at level 2", () =>
    Effect.gen(function*() {
      const r = yield* report(2)
      expect(rate(r.crsByParanoia["PL2"])).toBeGreaterThanOrEqual(CRS_PL2_AT_LEVEL_2)
    }), { timeout: 120_000 })
})
