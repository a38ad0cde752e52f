/**
 * Linear time on the shapes that once stepped in bench/detection.ts's doubling tables, by operation
 * counts and by CPU-time doubling ratios (never a wall-clock bound):
 *
 * - a long value read in many SQL windows, with no backslash, newline or back-quote after them:
 *   each window's tokenizer searched to the value's end for them (CSV at 1 MB: ×2.4 a doubling);
 * - a JSON body of more distinct short values than the clean memo holds, seen for the first time.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { CLEAN_MEMO_SIZE } from "../../src/internal/detection/engine.js"
import { analyse } from "../../src/internal/detection/families/sql/index.js"
import { Occurrences } from "../../src/internal/detection/families/sql/occurrences.js"
import { anchorsOf } from "../../src/internal/detection/families/sql/windows.js"
import { ThreatDetector } from "../../src/ThreatDetector.js"
import { cpuDoublingRatio } from "./families/doublingRatio.js"

/** One anchor (`where 5 > 3`) every 580 characters: about as many windows as a long value keeps. */
const windowed = (size: number): string => {
  let text = ""
  for (let i = 0; text.length < size; i++) {
    text += `row ${i}, pick the one where 5 > 3 and keep going; ${"plain words with nothing in them ".repeat(16)}`
  }
  return text.slice(0, size)
}

describe("doubling: SQL windows of a long value", () => {
  it("reads a value with an anchor every 580 characters in many windows", () => {
    const value = windowed(256 * 1024)
    expect(anchorsOf(value, value.length / 512)?.length).toBeGreaterThan(400)
  })

  it("keeps the work of each doubling at most doubled", () => {
    const work = [128, 256, 512, 1024].map((kb) => analyse(windowed(kb * 1024)).work)
    for (let i = 1; i < work.length; i++) expect(work[i]! / work[i - 1]!).toBeLessThan(2.1)
  })

  it("keeps the CPU time of a doubling from 512 KB to 1 MB at about twice", () => {
    // the searches repeated per window made this ×3.6
    expect(cpuDoublingRatio((value) => analyse(value), windowed(512 * 1024), windowed(1024 * 1024))).toBeLessThan(3)
  })

  it("answers as indexOf does, forward, backward and past its switch to listed positions", () => {
    let seed = 7
    const random = (n: number) => (seed = (seed * 16807) % 2147483647) % n
    const pieces = ["a", "b ", "\\", "'", "*", "/", "\n", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]
    const dense = Array.from({ length: 2000 }, () => pieces[random(pieces.length)]).join("")
    for (const marker of ["\\", "'", "*/", "\n"]) {
      // and sparse: one occurrence in 20,000 characters, so the searches pass over the value soon
      const sparse = `${"x".repeat(random(20_000))}${marker}${"y".repeat(random(20_000))}`
      for (const value of [dense, sparse]) {
        const occurrences = new Occurrences(value)
        for (let q = 0; q < 3000; q++) {
          const from = random(value.length + 2)
          expect(occurrences.indexOf(marker, from)).toBe(value.indexOf(marker, from))
        }
      }
    }
  })
})

describe("doubling: JSON bodies of many distinct values", () => {
  const detector = Effect.runSync(ThreatDetector.make({ maxBytes: 4_000_000, maxValues: 1_000_000 }))
  /** Short records, every value distinct, `~` standing for what makes each request's values new. */
  const records = (size: number): string => {
    const rows: Array<unknown> = []
    for (let length = 0; length < size; length += 64) {
      rows.push({ sku: `SKU-~-${rows.length}`, title: `blue cotton shirt ~ ${rows.length}`, city: `Lyon ~${rows.length % 97}` })
    }
    return JSON.stringify({ rows })
  }
  let round = 0
  /** A body of values never seen before: the clean memo remembers none of them. */
  const firstSight = (text: string) => {
    const body = text.replaceAll("~", `r${round++}`)
    return Effect.runSync(detector.detect({ path: "/api/v1/catalogue", body: { kind: "json", text: body } }))
  }

  it("holds more distinct values than the clean memo at 512 KB", () => {
    const result = firstSight(records(512 * 1024))
    expect(result.isThreat).toBe(false)
    expect(result.scanned.values).toBeGreaterThan(3 * CLEAN_MEMO_SIZE)
  })

  it("keeps the CPU time of a doubling from 256 KB to 512 KB at about twice", () => {
    expect(cpuDoublingRatio(firstSight, records(256 * 1024), records(512 * 1024))).toBeLessThan(3)
  })
})

describe("doubling: a long value of drive paths behind leading whitespace", () => {
  const detector = Effect.runSync(ThreatDetector.make({ maxBytes: 4_000_000, maxValues: 1_000_000 }))
  /** Blanks, then a Windows drive path every 11 characters: each one a drive token of its own. */
  const drives = (size: number): string => " ".repeat(size) + "C:/Users/a ".repeat(size / 8)
  let round = 0
  /** A new tail each run, so the clean memo does not answer for a value it has seen. */
  const scan = (value: string) =>
    Effect.runSync(
      detector.detect({ path: "/api/notes", body: { kind: "json", text: JSON.stringify({ q: `${value}r${round++}` }) } })
    )

  it("keeps the CPU time of a doubling from 32k to 64k blanks at about twice", () => {
    // the slashed-drive test ran on the whole value once per drive token: ×3.8 a doubling
    expect(cpuDoublingRatio(scan, drives(32 * 1024), drives(64 * 1024))).toBeLessThan(3)
  })
})

describe("doubling: a text body read as a form", () => {
  const detector = Effect.runSync(ThreatDetector.make({ maxBytes: 4_000_000, maxValues: 1_000_000 }))
  let round = 0
  const scan = (text: string) =>
    Effect.runSync(detector.detect({ path: "/api/notes", body: { kind: "text", text: `${text}r${round++}` } }))
  /** Pieces with a `+` and no `=` until the end: each piece's search for its `=` must not run to the end. */
  const late = (size: number): string => `${"a+b&".repeat(size / 4)}=x`
  /** Pieces with a `+` but no `&` until the end: each search for the piece's start must not run to the start. */
  const unbroken = (size: number): string => `q=${"a+".repeat(size / 2)}&`

  it("keeps the CPU time of a doubling from 64 KB to 128 KB at about twice", () => {
    expect(cpuDoublingRatio(scan, late(64 * 1024), late(128 * 1024))).toBeLessThan(3)
    expect(cpuDoublingRatio(scan, unbroken(64 * 1024), unbroken(128 * 1024))).toBeLessThan(3)
  })
})

describe("cost: a JSON body that opens a global at every fifth character", () => {
  const detector = Effect.runSync(ThreatDetector.make({ maxBytes: 4_000_000, maxValues: 1_000_000 }))
  let round = 0
  const scan = (value: string) =>
    Effect.runSync(
      detector.detect({ path: "/api/notes", body: { kind: "json", text: JSON.stringify({ note: `${value}r${round++}` }) } })
    )
  const of = (fragment: string) => `${fragment.repeat(40_000)}(x)`

  it("costs about what the same body naming no global costs", () => {
    // each `top[` once searched 80 characters for a piece and 80 more for the `]` after each: 200 KB
    // cost ×30 its neighbour; an index now stops at the next `[`, so each character is read once
    expect(cpuDoublingRatio(scan, of("tip[+"), of("top[+"))).toBeLessThan(4)
  })
})

describe("doubling: SQL words cut by tags of every kind", () => {
  const detector = Effect.runSync(ThreatDetector.make({ maxBytes: 4_000_000, maxValues: 1_000_000 }))
  let round = 0
  const scan = (value: string) => Effect.runSync(detector.detect({ path: "/search", query: [["q", `${value}r${round++}`]] }))
  const of = (fragment: string, size: number) => fragment.repeat(Math.ceil(size / fragment.length))

  it("keeps the CPU time of a doubling from 64 KB to 128 KB at about twice", () => {
    // each tag is read once, at most four in a row and 48 characters each, where a letter touches it
    for (const fragment of ["sel<b x>ect ", "un<!-- c -->ion ", "a<b></b><i></i>", "x<a "]) {
      expect(cpuDoublingRatio(scan, of(fragment, 64 * 1024), of(fragment, 128 * 1024)), fragment).toBeLessThan(3)
    }
  })
})
