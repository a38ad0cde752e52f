/**
 * The pattern table's prefilter for long values: one pass finds which literals a value holds, and
 * only the patterns one of whose literals is there run. It must never hide a match: on long values
 * the table finds exactly what it finds with every pattern run.
 */
import { describe, expect, it } from "@effect/vitest"
import { fold } from "../../src/internal/detection/decode.js"
import { legacyTable } from "../../src/internal/detection/legacy.js"
import { literalScanner } from "../../src/internal/detection/literalScan.js"
import { BUILTIN_PATTERNS, DETECTION_CATEGORIES, WHERE_NAMES } from "../../src/internal/detection/patterns.js"
import { requiredLiterals } from "../../src/internal/detection/requirements.js"
import { ATTACKS } from "./attacks.js"
import { BENIGN } from "./benign.js"

describe("literals every match holds", () => {
  it("come from the pattern's syntax tree, longest first", () => {
    expect(requiredLiterals("\\b(?:union)\\s(?:all\\s)?select\\b")).toEqual(["select"])
    expect(requiredLiterals("<\\s?/?\\s?script\\b")).toEqual(["script"])
    expect(requiredLiterals("\\b(?:https?|ftp)://")).toEqual(["://"])
    expect(requiredLiterals("(?:win\\.ini|boot\\.ini)")).toEqual(["win.ini", "boot.ini"])
    // nothing is required of a pattern that can match without any fixed character
    expect(requiredLiterals("[a-z]{3}|\\d+")).toBeUndefined()
    expect(requiredLiterals("(?:abc)?\\d")).toBeUndefined()
  })

  it("are found in one pass, overlapping and nested ones too", () => {
    const scanner = literalScanner(["he", "she", "his", "hers", "://", "a"])
    const found = new Uint8Array(scanner.size)
    scanner.scan("ushers at http://x", found)
    expect([...found]).toEqual([1, 1, 0, 1, 1, 1])
    found.fill(0)
    scanner.scan("Ünïcödé only", found)
    expect([...found]).toEqual([0, 0, 0, 0, 0, 0])
  })
})

describe("the prefilter hides no match", () => {
  const everyPattern = legacyTable(BUILTIN_PATTERNS, new Set(DETECTION_CATEGORIES), Infinity)
  const prefiltered = legacyTable(BUILTIN_PATTERNS, new Set(DETECTION_CATEGORIES), 0)
  const hits = (table: ReturnType<typeof legacyTable>, text: string, where: (typeof WHERE_NAMES)[number]) => {
    const ids: Array<string> = []
    table.run(text, where, { regexHit: (rule) => ids.push(rule.id) })
    table.runAlways(text, { regexHit: (rule) => ids.push(`always:${rule.id}`) })
    return ids.sort()
  }
  const filler = "please update the profile settings for our list today, it's great; see https://example.com/a?b=c "

  it("on every attack and benign value of the project's corpus, alone and inside a long value", () => {
    const values = [...ATTACKS.map((a) => a.payload), ...BENIGN.map((b) => JSON.stringify(b.input))]
    for (const value of values) {
      for (const text of [fold(value), fold(`${filler.repeat(6)}${value}`), fold(`${value} ${filler.repeat(6)}`)]) {
        for (const where of WHERE_NAMES) expect(hits(prefiltered, text, where), `${where}: ${value}`).toEqual(hits(everyPattern, text, where))
      }
    }
  })
})
