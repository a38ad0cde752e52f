import { describe, expect, it } from "@effect/vitest"
import { engineSettings, makeEngine } from "../../src/internal/detection/engine.js"
import type { DetectionInput, DetectionResult, ThreatDetectorOptions } from "../../src/ThreatDetector.js"
import { ATTACKS } from "./attacks.js"
import { BENIGN } from "./benign.js"
import { toInput } from "./harness.js"

/** The same detector twice: values of a JSON body searched joined, and one by one. */
const engines = (options: ThreatDetectorOptions = {}) => {
  const customPatterns = (options.customPatterns ?? []).map((p) => (typeof p === "string" ? { pattern: p } : p))
  const settings = engineSettings(options, customPatterns)
  return { joined: makeEngine(settings), alone: makeEngine({ ...settings, joinValues: false }) }
}

const json = (value: unknown): DetectionInput => ({ path: "/api/items", body: { kind: "json", text: JSON.stringify(value) } })

/** Benign neighbours, so that a payload sits among many joined values. */
const NEIGHBOURS = [
  "Please select an option from our list",
  "https://example.com/items/12?ref=feed",
  "user12@example.com",
  "it's great",
  "sale",
  "x"
]

const categories = (result: DetectionResult) => [...result.categories].sort()

describe("joined search of JSON values", () => {
  it("finds exactly what the value-by-value search finds on every corpus request", () => {
    const { alone, joined } = engines()
    const inputs = [...ATTACKS.map(toInput), ...BENIGN.map((b) => b.input)]
    for (const input of inputs) expect(joined(input), JSON.stringify(input)).toEqual(alone(input))
  })

  it("finds every corpus attack among other values, at the start, in the middle and at the end of a body", () => {
    const { alone, joined } = engines()
    for (const attack of ATTACKS) {
      for (const items of [[attack.payload, ...NEIGHBOURS], [...NEIGHBOURS, attack.payload], [NEIGHBOURS, { v: attack.payload }, NEIGHBOURS]]) {
        const input = json({ items })
        const expected = alone(input)
        expect(joined(input), `${attack.category} ${JSON.stringify(attack.payload)}`).toEqual(expected)
      }
    }
  })

  it("reports no match made of the end of one value and the start of the next", () => {
    const { alone, joined } = engines()
    const split = json(["<scr", "ipt>alert(1)", "1' or '1", "'='1", "..", "/etc/passwd", "union", "select 1"])
    expect(joined(split)).toEqual(alone(split))
    expect(joined(split).matches.map((m) => m.patternId)).not.toContain("xss.script_tag")
    expect(joined(split).matches.map((m) => m.patternId)).not.toContain("sqli.union_select")
  })

  it("treats the edges of a value as the edges of a string for ^, $ and \\b", () => {
    const { alone, joined } = engines()
    // `^`-anchored (a command chained to a value), `$`-anchored (a quote and a comment ending the
    // value), and `\b` right at the edge (a keyword that is a whole value)
    const input = json(["x", "foo; whoami", "admin'--", "y", "1 union select 2", "password"])
    const result = joined(input)
    expect(result).toEqual(alone(input))
    expect(categories(result)).toEqual(["cmd_injection", "sqli"])
    expect([...new Set(result.matches.map((m) => m.location))]).toEqual(["body[1]", "body[2]", "body[4]"])
  })

  it("finds a match that ends at the last character of a value followed by another value", () => {
    const { alone, joined } = engines()
    const input = json({ a: "GET / HTTP/1.1\r\n", b: "next", c: "<svg/onload=alert(1)>", d: "next" })
    expect(joined(input)).toEqual(alone(input))
    expect(joined(input).categories).toContain("xss")
  })

  it("searches a value that contains the separator on its own", () => {
    const { alone, joined } = engines()
    const input = json(["a", "b\u0000' or 1=1--", "c"])
    expect(joined(input)).toEqual(alone(input))
    expect(joined(input).categories).toContain("sqli")
  })

  it("keeps budgets, skip reasons and the match limit in the same order", () => {
    const { alone, joined } = engines({ maxValues: 6, maxBytes: 1024, maxMatches: 2, maxJsonDepth: 2 })
    const input = json({
      deep: { deeper: { deepest: ["<script>"] } },
      many: Array.from({ length: 10 }, (_, i) => `' or ${i}=${i}--`),
      big: "x".repeat(2000)
    })
    expect(joined(input)).toEqual(alone(input))
    expect(joined(input).skipped.reasons).toEqual(alone(input).skipped.reasons)
  })

  it("sets aside values that need decoding or may be base64, and scans them exactly as alone", () => {
    const { alone, joined } = engines()
    const encoded = Buffer.from("<script>alert(1)</script>").toString("base64")
    const input = json({
      a: "Plain Words",
      b: "two  spaces ' or 1=1--",
      c: "1 /* a */ union /**/ select 2",
      d: encoded,
      e: "%3Cscript%3E",
      f: "İstanbul <SCRIPT>",
      g: "UPPER <Svg/OnLoad=alert(1)>"
    })
    const result = joined(input)
    expect(result).toEqual(alone(input))
    expect(result.matches.map((m) => m.location)).toEqual(expect.arrayContaining(["body.b", "body.c", "body.d", "body.e", "body.f", "body.g"]))
  })

  it("runs custom patterns on every joined value, in order", () => {
    const { alone, joined } = engines({ customPatterns: [{ pattern: "fox\\s?jumps", category: "xss" }, "^item"] })
    const input = json(["the fox jumps", "item one", "x", { y: "Item two" }])
    expect(joined(input)).toEqual(alone(input))
    expect(joined(input).matches.map((m) => m.location)).toEqual(["body[0]", "body[1]", "body[3].y"])
  })

  it("reports the same preview for a match found in the joined text as for one found alone", () => {
    const { alone, joined } = engines()
    const input = json(["please select an option from our list", "a", "then select name from users where 1", "b"])
    const result = joined(input)
    expect(result).toEqual(alone(input))
    expect(result.matches.map((m) => m.preview)).toEqual(alone(input).matches.map((m) => m.preview))
  })

  it("skips excluded keys and scans odd keys as before, with duplicates and numeric keys", () => {
    const { alone, joined } = engines({ excludedParameters: ["secret"] })
    const input: DetectionInput = {
      path: "/api/items",
      body: { kind: "json", text: '{"b":"x","2":"<script>","1":"y","secret":"\' or 1=1--","$where":"1","b":"../../etc/passwd"}' }
    }
    const result = joined(input)
    expect(result).toEqual(alone(input))
    // the excluded value is not scanned; the last of the duplicate keys wins, in the first one's place
    expect(result.categories).not.toContain("sqli")
    expect(categories(result)).toEqual(expect.arrayContaining(["nosql", "xss", "dir_traversal"]))
    expect(result.matches.map((m) => m.location)).not.toContain("body.secret")
  })

  it("gives the same results when most values of a large body match, where the joined search gives up early", () => {
    const { alone, joined } = engines({ maxMatches: 1000 })
    const values = Array.from({ length: 300 }, (_, i) => (i % 7 === 3 ? "plain words" : `<a onx${i} onclick=alert(${i})>`))
    const input = json(values)
    expect(joined(input)).toEqual(alone(input))
    expect(joined(input).matches.length).toBeGreaterThan(200)
  })
})
