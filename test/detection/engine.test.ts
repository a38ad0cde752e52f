/**
 * How the engine decides: every value is decoded before any rule reads it, each rule that fires adds
 * its score once, the request is a threat at the threshold, paranoia levels silence the aggressive
 * rules, exclusions silence one rule where it misfires, and the budget scans every value up to it,
 * whatever comes first.
 */
import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { decode } from "../../src/internal/detection/decode.js"
import { engineSettings, makeEngine } from "../../src/internal/detection/engine.js"
import { type DetectionFamily, findingOf, type RuleInfo } from "../../src/internal/detection/families/contract.js"
import { type DetectionInput, ThreatDetector, type ThreatDetectorOptions } from "../../src/ThreatDetector.js"
import { TRANSPORTS } from "../support/transports.js"

const detect = (input: DetectionInput, options: ThreatDetectorOptions = {}) =>
  Effect.flatMap(ThreatDetector.make(options), (d) => d.detect(input))

const q = (value: string): DetectionInput => ({ path: "/search", query: [["q", value]] })

/** A family of two rules, for the engine's own behaviour: a critical one and a paranoia-2 one. */
const RULES: ReadonlyArray<RuleInfo> = [
  { id: "demo-101", category: "xss", paranoia: 1, score: 5, description: "the word 'attack!'" },
  { id: "demo-201", category: "xss", paranoia: 2, score: 3, description: "the word 'suspect'" },
  { id: "demo-202", category: "sqli", paranoia: 1, score: 3, description: "the word 'odd'" }
]
const demo: DetectionFamily = {
  name: "demo",
  rules: RULES,
  mayMatch: (v) => v.includes("attack!") || v.includes("suspect") || v.includes("odd"),
  scan: (v, context) => [
    ...(v.includes("attack!") ? [findingOf(RULES[0]!, v)] : []),
    ...(v.includes("suspect") && context.paranoia >= 2 ? [findingOf(RULES[1]!, v)] : []),
    ...(v.includes("odd") ? [findingOf(RULES[2]!, v)] : [])
  ]
}
const withDemo = (options: ThreatDetectorOptions = {}) => makeEngine({ ...engineSettings(options, []), families: [demo], patterns: [] })

describe("decoding before matching", () => {
  it("undoes URL encoding in rounds, %u, overlong UTF-8, entities, JS and CSS escapes and full-width forms", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["%253Cscript%253E", "<script>"],
      ["%u003cscript%u003e", "<script>"],
      ["%c0%ae%c0%ae%c0%af", "../"],
      ["&lt;script&gt;", "<script>"],
      ["&ltscript&gt", "<script>"],
      ["&#60;&#x3C;&#0000060", "<<<"],
      ["\\x3cscript\\u003e\\u{3c}", "<script><"],
      ["\\3c script\\3e", "<script>"],
      ["\uff1cscript\uff1e", "<script>"],
      ["sel\u0000ect", "select"]
    ]
    for (const [raw, decoded] of cases) expect(decode(raw, 4)?.text, raw).toBe(decoded)
  })

  it("keeps what only looks like an escape: Windows paths, prose with ampersands, plain words", () => {
    expect(decode("C:\\boot.ini and C:\\cafe\\desk", 4)?.text).toBe("C:\\boot.ini and C:\\cafe\\desk")
    expect(decode("Fish & Chips &co", 4)?.text).toBe("Fish & Chips &co")
    expect(decode("plain words", 4)).toBeUndefined()
  })

  it.effect("finds an attack however it is encoded", () =>
    Effect.gen(function*() {
      for (const value of ["%253Cscript%253Ealert(1)", "\\3c script\\3e alert(1)", "&ltscript&gtalert(1)", "%u003Cscript%u003E"]) {
        expect((yield* detect(q(value))).isThreat, value).toBe(true)
      }
    }))
})

describe("values", () => {
  it("reads a markup body whole and value by value: attributes, text nodes and CDATA", () => {
    const xml = `<?xml version="1.0"?><order><item note="attack!">tea</item><memo><![CDATA[odd]]></memo></order>`
    const result = withDemo({ threshold: 8 })({ path: "/soap", body: { kind: "text", text: xml } })
    expect(result.findings.map((f) => `${f.ruleId}@${f.location}`)).toEqual([
      "demo-101@body",
      "demo-202@body",
      "demo-101@body.item@note",
      "demo-202@body.memo"
    ])
  })
})

describe("anomaly scoring and paranoia", () => {
  it("a critical rule alone is a threat; weaker ones must coincide", () => {
    const engine = withDemo()
    expect(engine(q("attack!"))).toMatchObject({ isThreat: true, ruleIds: ["demo-101"], score: 5, categories: ["xss"] })
    expect(engine(q("odd"))).toMatchObject({ isThreat: false, ruleIds: ["demo-202"], score: 3 })
    // one rule counts once, however many values it fires in
    expect(engine({ path: "/", query: [["a", "odd"], ["b", "odd"]] })).toMatchObject({ isThreat: false, score: 3 })
  })

  it("rules above the paranoia level stay silent; at level 2 two weaker rules add up", () => {
    const input = { path: "/", query: [["a", "suspect"], ["b", "odd"]] as const }
    expect(withDemo()(input)).toMatchObject({ isThreat: false, ruleIds: ["demo-202"] })
    expect(withDemo({ paranoia: 2 })(input)).toMatchObject({ isThreat: true, score: 6, categories: ["xss", "sqli"] })
  })

  it("the threshold is the user's: lower catches weaker signals, higher needs more", () => {
    expect(withDemo({ threshold: 3 })(q("odd")).isThreat).toBe(true)
    expect(withDemo({ threshold: 10 })(q("attack!")).isThreat).toBe(false)
  })

  it("every finding says which rule, where, at which level and score, and what it saw", () => {
    const result = withDemo()({ path: "/", body: { kind: "json", text: JSON.stringify({ user: { bio: "attack!" } }) } })
    expect(result.findings).toEqual([expect.objectContaining({
      ruleId: "demo-101",
      category: "xss",
      location: "body.user.bio",
      paranoia: 1,
      score: 5,
      message: "attack!"
    })])
  })
})

describe("exclusions", () => {
  const html = { ruleId: "demo-101", route: "/cms/*", parameter: "html" }

  it("silence a rule for one parameter on one route, and nowhere else", () => {
    const engine = withDemo({ exclusions: [html] })
    expect(engine({ path: "/cms/pages/1", query: [["html", "attack!"]] }).isThreat).toBe(false)
    expect(engine({ path: "/cms/pages/1", query: [["title", "attack!"]] }).isThreat).toBe(true)
    expect(engine({ path: "/shop", query: [["html", "attack!"]] }).isThreat).toBe(true)
  })

  it("match JSON keys at any depth and rule prefixes, and can be limited to a location", () => {
    const body = { kind: "json" as const, text: JSON.stringify({ page: { html: "attack!" } }) }
    expect(withDemo({ exclusions: [html] })({ path: "/cms/x", body }).isThreat).toBe(false)
    expect(withDemo({ exclusions: [{ ruleId: "demo-*" }] })(q("attack!")).isThreat).toBe(false)
    const headerOnly = withDemo({ exclusions: [{ ruleId: "demo-101", location: "header" }] })
    expect(headerOnly({ path: "/", headers: { "x-note": "attack!" } }).isThreat).toBe(false)
    expect(headerOnly(q("attack!")).isThreat).toBe(true)
  })
})

describe("the budget: no position is privileged", () => {
  it("finds a payload after thousands of harmless parameters or JSON keys", () => {
    const engine = withDemo()
    const padding = Array.from({ length: 5_000 }, (_, i) => `p${i}=${i}`).join("&")
    expect(engine({ path: "/", query: `${padding}&q=attack!` }).isThreat).toBe(true)
    const keys = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, `v${i}`]))
    expect(engine({ path: "/", body: { kind: "json", text: JSON.stringify({ ...keys, last: "attack!" }) } }).isThreat).toBe(true)
  })

  it("reports what lies past the character budget, so the check can refuse it", () => {
    const result = withDemo({ maxBytes: 4096 })({ path: "/", query: `${"p=harmless&".repeat(1_000)}q=attack!` })
    expect(result).toMatchObject({ isThreat: false, truncated: true })
    expect(result.skipped.reasons).toContain("bytes")
  })

  it.scopedLive("the guard refuses a request it cannot scan whole, or scans the prefix when told to", () =>
    Effect.gen(function*() {
      const app = HttpRouter.empty.pipe(HttpRouter.get("/search", HttpServerResponse.text("ok")))
      const query = Array.from({ length: 4_000 }, (_, i) => `p${i}=harmless-value-${i}`).join("&")
      const strict = yield* TRANSPORTS[1].make({ _tag: "app", app }, { config: { detectionMaxBytes: 4096, detectionMaxBodyBytes: 4096 } })
      expect((yield* strict.send({ method: "GET", path: `/search?${query}` })).status).toBe(413)
      const lenient = yield* TRANSPORTS[1].make({ _tag: "app", app }, {
        config: { detectionMaxBytes: 4096, detectionMaxBodyBytes: 4096, detectionOversizedBody: "scanPrefix" }
      })
      expect((yield* lenient.send({ method: "GET", path: `/search?${query}` })).status).toBe(200)
    }))
})

describe("what the guard reports", () => {
  it.scopedLive("a refused request's event names the rules that fired", () =>
    Effect.gen(function*() {
      const app = HttpRouter.empty.pipe(HttpRouter.get("/search", HttpServerResponse.text("ok")))
      const guarded = yield* TRANSPORTS[1].make({ _tag: "app", app })
      const reply = yield* guarded.send({ method: "GET", path: `/search?q=${encodeURIComponent("<script>alert(1)</script>")}` })
      expect(reply.status).toBe(400)
      const event = (yield* guarded.events).find((e) => e.eventType === "penetration_attempt")
      expect(event?.metadata["rule_ids"]).toEqual(expect.arrayContaining([expect.stringMatching(/^xss/)]))
    }))

  it.effect("the pattern table keeps its stable ids for the categories no family covers", () =>
    Effect.gen(function*() {
      const result = yield* detect({ path: "/", query: [["filter", "*)(uid=*))(|(uid=*"]] })
      expect(result.ruleIds.some((id) => id.startsWith("ldap."))).toBe(true)
    }))
})
