import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { DETECTION_CATEGORIES, ThreatDetector } from "../../src/ThreatDetector.js"
import { ATTACKS } from "./attacks.js"
import { BENIGN } from "./benign.js"
import { evaluate, type RecallFloors } from "./harness.js"

/** Floors: the suite fails if a change makes recall drop below them or false positives rise above. */
const RECALL_FLOOR: RecallFloors = Object.fromEntries(DETECTION_CATEGORIES.map((c) => [c, 0.95])) as RecallFloors
const FALSE_POSITIVE_CEILING = 0.01

describe("detection corpus", () => {
  it("has at least 20 attacks in every category", () => {
    for (const category of DETECTION_CATEGORIES) {
      expect(ATTACKS.filter((a) => a.category === category).length, category).toBeGreaterThanOrEqual(20)
    }
  })

  it("has at least 300 benign requests, each tagged", () => {
    expect(BENIGN.length).toBeGreaterThanOrEqual(300)
    for (const b of BENIGN) expect(b.tag).not.toBe("")
  })

  it.effect("catches the attacks of every category at or above its recall floor", () =>
    Effect.gen(function*() {
      const detector = yield* ThreatDetector
      const report = yield* evaluate(detector, ATTACKS, [])
      const lines = DETECTION_CATEGORIES.map((c) => `${c}: ${report.recall[c]?.caught}/${report.recall[c]?.total}`)
      console.log(`recall per category\n${lines.join("\n")}`)
      for (const category of DETECTION_CATEGORIES) {
        const missed = report.missed.filter((m) => m.category === category).map((m) => m.payload)
        expect(report.recall[category]?.rate ?? 0, `${category} missed ${JSON.stringify(missed)}`).toBeGreaterThanOrEqual(
          RECALL_FLOOR[category]
        )
      }
    }).pipe(Effect.provide(ThreatDetector.layer())))

  it.effect("flags benign requests at a rate below the false-positive ceiling", () =>
    Effect.gen(function*() {
      const detector = yield* ThreatDetector
      const report = yield* evaluate(detector, [], BENIGN)
      const described = report.falsePositives.map((f) => `${f.tag}: ${f.result.matches.map((m) => `${m.patternId} ${m.preview}`).join("; ")}`)
      console.log(`false positives: ${report.falsePositives.length}/${BENIGN.length}`)
      expect(report.falsePositiveRate, described.join("\n")).toBeLessThanOrEqual(FALSE_POSITIVE_CEILING)
    }).pipe(Effect.provide(ThreatDetector.layer())))
})
