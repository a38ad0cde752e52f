/**
 * Turns corpus cases into detector inputs and measures recall per category and the false-positive
 * rate; shared by the corpus tests and handy from a REPL.
 */
import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { type DetectionCategory, type DetectionInput, type DetectionResult, ThreatDetector, type ThreatDetectorService } from "../../src/ThreatDetector.js"
import type { AttackCase } from "./attacks.js"
import type { BenignCase } from "./benign.js"

export const toInput = (c: AttackCase): DetectionInput => {
  switch (c.delivery) {
    case "query":
      return { path: "/search", query: [["q", c.payload]] }
    case "rawquery":
      return { path: "/api/login", query: c.payload }
    case "path":
      return { path: c.payload }
    case "header":
      return { path: "/", headers: { "x-custom-data": c.payload } }
    case "cookie":
      return { path: "/", cookies: { prefs: c.payload } }
    case "json":
      return { path: "/api/items", body: { kind: "json", text: JSON.stringify({ name: "item", value: c.payload }) } }
    case "jsonraw":
      return { path: "/api/items", body: { kind: "json", text: c.payload } }
    case "form":
      return { path: "/submit", body: { kind: "form", text: `field=${encodeURIComponent(c.payload)}&other=1` } }
    case "text":
      return { path: "/upload", body: { kind: "text", text: c.payload } }
  }
}

export interface CorpusReport {
  readonly recall: Readonly<Record<string, { readonly caught: number; readonly total: number; readonly rate: number }>>
  readonly missed: ReadonlyArray<AttackCase & { readonly found: ReadonlyArray<string> }>
  readonly falsePositives: ReadonlyArray<BenignCase & { readonly result: DetectionResult }>
  readonly falsePositiveRate: number
}

export const evaluate = (
  detector: ThreatDetectorService,
  attacks: ReadonlyArray<AttackCase>,
  benign: ReadonlyArray<BenignCase>
): Effect.Effect<CorpusReport> =>
  Effect.gen(function*() {
    const recall: Record<string, { caught: number; total: number; rate: number }> = {}
    const missed: Array<AttackCase & { found: ReadonlyArray<string> }> = []
    for (const c of attacks) {
      const result = yield* detector.detect(toInput(c))
      const entry = recall[c.category] ?? { caught: 0, total: 0, rate: 0 }
      entry.total++
      // a threat counts as caught whichever family named it (traversal reports `path_traversal`
      // for what the corpus files under `dir_traversal`; a JNDI lookup is code as well as command)
      if (result.isThreat) entry.caught++
      else missed.push({ ...c, found: result.categories })
      entry.rate = entry.caught / entry.total
      recall[c.category] = entry
    }
    const falsePositives: Array<BenignCase & { result: DetectionResult }> = []
    for (const b of benign) {
      const result = yield* detector.detect(b.input)
      if (result.isThreat) falsePositives.push({ ...b, result })
    }
    return { recall, missed, falsePositives, falsePositiveRate: falsePositives.length / benign.length }
  })

export type RecallFloors = Readonly<Record<DetectionCategory, number>>

/** Each of `passing` passes and each of `refused` is refused, as query values at the default level. */
export const expectVerdicts = (passing: ReadonlyArray<string>, refused: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const detector = yield* Effect.orDie(ThreatDetector.make({ paranoia: 1 }))
    const refusedAt = (value: string) =>
      Effect.map(detector.detect({ path: "/search", query: `q=${encodeURIComponent(value)}`, headers: {} }), (r) => r.isThreat)
    for (const value of passing) expect(yield* refusedAt(value), value).toBe(false)
    for (const value of refused) expect(yield* refusedAt(value), value).toBe(true)
  })
