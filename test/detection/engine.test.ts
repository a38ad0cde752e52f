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
import { bodyOf } from "../../src/internal/scanBody.js"
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
      ["sel\u0000ect", "select"],
      // Windows "best fit" code pages read typographic quotes as ASCII ones
      ["\u2019 or \u20181\u2019=\u20191", "' or '1'='1"],
      ["\u201cadmin\u201d", "\"admin\""]
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
      for (const value of ["%253Cscript%253Ealert(1)", "\\3c script\\3e alert(1)", "&ltscript&gtalert(1)", "%u003Cscript%u003E", "\u2019 or \u20181\u2019=\u20191"]) {
        expect((yield* detect(q(value))).isThreat, value).toBe(true)
      }
    }))

  it.effect("passes prose written with typographic quotes", () =>
    Effect.gen(function*() {
      for (const value of ["I\u2019m looking for \u2018best\u2019 shoes \u2013 don\u2019t \u201cquote\u201d me", "O\u2019Brien\u2019s \u201cbest of\u201d list", "it\u2019s 5 o\u2019clock \u2013 \u201cor\u201d is a word"]) {
        expect((yield* detect(q(value))).isThreat, value).toBe(false)
      }
    }))
})

describe("the base64 view", () => {
  const encode = (text: string) => Buffer.from(text).toString("base64")

  it.effect("every family reads the decoded text of a base64 value: code, paths, markup", () =>
    Effect.gen(function*() {
      for (const text of ["require('child_process').exec('id')", "process.mainModule.require('fs')", "_$$ND_FUNC$$_function(){}", "../../../etc/passwd", "<script>alert(1)</script>"]) {
        const result = yield* detect(q(encode(text)))
        expect(result.isThreat, text).toBe(true)
        expect(result.findings.some((f) => f.part === "decoded"), text).toBe(true)
      }
      // escapes inside the encoded text are undone before any rule reads it
      expect((yield* detect(q(encode("\\u0072equire('child_process')")))).isThreat).toBe(true)
    }))

  it.effect("passes tokens, ids and base64 of ordinary text", () =>
    Effect.gen(function*() {
      for (const value of [
        encode("hello, this is a plain sentence"),
        encode("{\"user\":\"ada\",\"role\":\"admin\"}"),
        encode("docs/guide/../intro.md"),
        "dGhpcyBpcyBqdXN0IGEgdG9rZW4gd2l0aCBubyBjb2Rl",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "4bf92f3577b34da6a3ce929d0e0e4736abcdef",
        "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA"
      ]) {
        expect((yield* detect(q(value))).isThreat, value).toBe(false)
      }
    }))
})

describe("overlong UTF-8: what a lenient decoder sees", () => {
  it("folds overlong forms of ASCII, percent-encoded or raw, of two to six bytes", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["%c0%ae%c0%ae%c0%af", "../"],
      // a second byte that is no continuation byte: masked and added up all the same
      ["%c0%2e%c0%2e%c0%2f", "../"],
      ["%c1%1c", "\\"],
      // ... unless that gives a control character: then the lead is dropped and the byte kept
      ["%c0%5cwindows%c0%5cwin.ini", "\\windows\\win.ini"],
      // each half of an escape escaped, for a server that decodes twice
      ["..%%35%%63..%%35%%63", "..\\..\\"],
      ["%%32%%66etc", "/etc"],
      ["%e0%80%ae%e0%80%ae%e0%80%af", "../"],
      ["%f0%80%80%ae%f0%80%80%af", "./"],
      ["%f8%80%80%80%ae%fc%80%80%80%80%af", "./"],
      // the raw bytes, as Node reads a request line (latin1: one character per byte)
      ["/\u00c0\u00ae\u00c0\u00ae/\u00e0\u0080\u00afetc", "/..//etc"]
    ]
    for (const [raw, decoded] of cases) expect(decode(raw, 4)?.text, raw).toBe(decoded)
  })

  it("leaves real UTF-8 and accented text alone, and never throws on a cut sequence", () => {
    expect(decode("caf%C3%A9 cr%C3%A8me", 4)?.text).toBe("café crème")
    expect(decode("À propos de l'été", 4)?.text).toBe("À propos de l'été")
    for (const cut of ["%c0", "%e0%80", "%f0%80%80", "\u00c0", "%c0%ae%"]) expect(() => decode(cut, 4)).not.toThrow()
  })

  it.effect("finds a traversal however its dots and slashes are encoded", () =>
    Effect.gen(function*() {
      for (const path of ["/files/%c0%2e%c0%2e/%c0%2e%c0%2e/etc/passwd", "/files/%f0%80%80%ae%f0%80%80%ae%f0%80%80%afetc/passwd"]) {
        expect((yield* detect({ path })).isThreat, path).toBe(true)
      }
    }))
})

describe("names are names", () => {
  it.effect("a cookie's name is read as a cookie, not as a parameter key: framework session cookies are ordinary", () =>
    Effect.gen(function*() {
      const cookie = "connect.sid=s%3Aabc.def; ASP.NET_SessionId=xk2j3l4m5n; __Host-csrf=9f8e7d; _ga=GA1.2.3.4"
      expect((yield* detect({ path: "/", headers: { cookie } })).isThreat).toBe(false)
      expect((yield* detect({ path: "/", cookies: [["connect.sid", "s:abc.def"]] })).isThreat).toBe(false)
    }))

  it.effect("an attack in a cookie's name is still found", () =>
    Effect.gen(function*() {
      const result = yield* detect({ path: "/", headers: { cookie: "<script>alert(document.domain)</script>=1; theme=dark" } })
      expect(result.isThreat).toBe(true)
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

  it("walks a JSON document sent inside a string field as the body it would be unwrapped", () => {
    const items = Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item number ${i}`, tags: ["alpha", "beta"] }))
    const document = JSON.stringify({ items: [...items, { id: 20, name: "attack!", tags: [] }] })
    const result = withDemo()({ path: "/items", body: { kind: "json", text: JSON.stringify({ payload: document }) } })
    expect(result.findings.map((f) => `${f.ruleId}@${f.location}`)).toEqual(["demo-101@body.payload.items[20].name"])
    // the path, then each string leaf on its own; a short document or one that does not parse is one value, as text
    expect(result.scanned.values).toBe(1 + 20 * 3 + 1)
    const short = withDemo()({ path: "/", body: { kind: "json", text: JSON.stringify({ payload: "{\"a\":\"attack!\"}" }) } })
    expect(short.findings.map((f) => f.location)).toEqual(["body.payload"])
    const broken = withDemo()({ path: "/", body: { kind: "json", text: JSON.stringify({ payload: `${document.slice(0, -1)} attack!` }) } })
    expect(broken.findings.map((f) => f.location)).toEqual(["body.payload"])
  })
})

describe("JSON documents inside string fields", () => {
  /** A body whose one field holds `document` as JSON text, as clients wrap a document in an envelope. */
  const wrapped = (document: string): DetectionInput => ({ path: "/items", body: { kind: "json", text: JSON.stringify({ payload: document }) } })
  /** Rows that share their keys, in one order: what most arrays of objects look like. */
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i, name: `item number ${i}`, tags: ["alpha", "beta"] }))
  const found = (input: DetectionInput, options: ThreatDetectorOptions = {}) =>
    withDemo(options)(input).findings.map((f) => `${f.ruleId}@${f.location}`)

  it("reads a leaf of objects nested in a row among rows that share their keys", () => {
    const document = JSON.stringify({ rows: [...rows(10), { id: 10, name: { first: { given: "attack!" } }, tags: [] }, ...rows(10)] })
    expect(found(wrapped(document))).toEqual(["demo-101@body.payload.rows[10].name.first.given"])
  })

  it("reads a leaf as the application parses it, its JSON escapes undone", () => {
    const document = JSON.stringify({ rows: rows(10) }).replace("item number 4", "attack\\u0021")
    expect(found(wrapped(document))).toEqual(["demo-101@body.payload.rows[4].name"])
  })

  it("reads every item of an array inside a row", () => {
    const list = rows(12)
    const document = JSON.stringify({ rows: [...list.slice(0, 6), { ...list[6]!, tags: ["alpha", "beta", "attack!"] }, ...list.slice(7)] })
    expect(found(wrapped(document))).toEqual(["demo-101@body.payload.rows[6].tags[2]"])
  })

  it("reads a key that is not a simple name in a row after rows whose keys were all plain", () => {
    const document = JSON.stringify({ rows: [...rows(10), { id: 10, "name attack!": "x", tags: [] }, ...rows(3)] })
    expect(found(wrapped(document))).toEqual(["demo-101@body.payload.rows[10][\"name attack!\"]"])
  })

  it("leaves out an excluded key in every row, and reads the others", () => {
    const document = JSON.stringify({ rows: [...rows(3).map((r) => ({ ...r, secret: "attack!" })), { id: 3, name: "attack!", tags: [], secret: "attack!" }] })
    expect(found(wrapped(document), { excludedParameters: ["secret"] })).toEqual(["demo-101@body.payload.rows[3].name"])
  })

  it("scans what lies deeper than the depth budget as text, in place", () => {
    let deep: unknown = { leaf: "attack!" }
    for (let i = 0; i < 40; i++) deep = { next: deep }
    const result = withDemo()(wrapped(JSON.stringify({ rows: rows(10), deep })))
    expect(result.findings.map((f) => f.location)).toEqual([`body.payload.deep${".next".repeat(30)}`])
    expect(result.skipped.reasons).toContain("json_depth")
  })

  it.effect("refuses injections hidden in such a document: an escaped quote, a polluting key, a script deep in a row", () =>
    Effect.gen(function*() {
      const detector = yield* ThreatDetector.make()
      const detect = (input: DetectionInput) => detector.detect(input)
      const list = rows(30)
      const sql = JSON.stringify({ rows: list }).replace("item number 17", "x\\u0027 OR \\u00271\\u0027=\\u00271")
      expect((yield* detect(wrapped(sql))).categories).toContain("sqli")
      const polluting = JSON.stringify({ rows: list }).replace("{\"id\":20,", "{\"id\":20,\"__proto__\":{\"isAdmin\":true},")
      expect((yield* detect(wrapped(polluting))).isThreat).toBe(true)
      const script = JSON.stringify({ rows: [...list.slice(0, 25), { id: 25, name: { a: [{ b: ["<script>alert(document.cookie)</script>"] }] } }] })
      expect((yield* detect(wrapped(script))).categories).toContain("xss")
    }), 120_000)
})

describe("markup and multipart bodies", () => {
  it("hands a DOCTYPE, internal subset included, to the rules as one value", () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "attack!">]><r>&e;</r>`
    const result = withDemo()({ path: "/soap", body: { kind: "text", text: xml } })
    expect(result.findings.map((f) => f.location)).toContain("body.!doctype")
  })

  it.effect("finds an external entity in an XML body", () =>
    Effect.gen(function*() {
      const xml = `<?xml version="1.0"?>\n<!DOCTYPE order [\n  <!ENTITY xxe SYSTEM "file:///etc/shadow">\n]>\n<order><id>&xxe;</id></order>`
      expect((yield* detect({ path: "/orders", body: { kind: "text", text: xml } })).isThreat).toBe(true)
    }))

  const boundary = "----formA1b2"
  const form = (head: string, value = "hello") =>
    `--${boundary}\r\n${head}\r\n\r\n${value}\r\n--${boundary}--\r\n`
  const fieldsOf = (text: string) =>
    Effect.map(bodyOf(new TextEncoder().encode(text), `multipart/form-data; boundary=${boundary}`, false), (view) =>
      "body" in view && view.body.kind === "fields" ? view.body.fields : [])

  it.effect("reads every part's headers as sent: filename*, odd parameters and extra header lines", () =>
    Effect.gen(function*() {
      const fields = yield* fieldsOf(form(
        `Content-Disposition: form-data; name="doc"; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd; x="1"\r\nX-Note: hi\r\nContent-Type: text/plain`
      ))
      expect(fields).toEqual(expect.arrayContaining([["doc.filename*", "UTF-8''..%2F..%2Fetc%2Fpasswd"], ["doc.x", "1"], ["x-note", "hi"]]))
    }))

  it.effect("an attack in a part header is found; an ordinary upload is not refused", () =>
    Effect.gen(function*() {
      const scan = (text: string) =>
        Effect.flatMap(fieldsOf(text), (fields) => detect({ path: "/upload", body: { kind: "fields", fields } }))
      expect((yield* scan(form(`Content-Disposition: form-data; name="doc"; filename*=UTF-8''..%2F..%2F..%2Fetc%2Fpasswd`))).isThreat).toBe(true)
      expect((yield* scan(form(`Content-Disposition: form-data; name="doc"\r\nX-Trace: ' UNION SELECT password FROM users--`))).isThreat).toBe(true)
      const ordinary = form(`Content-Disposition: form-data; name="avatar"; filename="My photo (2).jpg"\r\nContent-Type: image/jpeg`)
      expect((yield* scan(ordinary)).isThreat).toBe(false)
    }))

  it.effect("a body that ends inside a part's headers is malformed, not a wait for bytes that never come", () =>
    Effect.gen(function*() {
      const type = `multipart/form-data; boundary=${boundary}`
      for (const text of [`--${boundary}`, `--${boundary}\r\nContent-Disposition: form-data; name="a"`, `${form(`Content-Disposition: form-data; name="a"`).slice(0, -4)}\r\nContent-Disp`]) {
        expect(yield* bodyOf(new TextEncoder().encode(text), type, false), text).toHaveProperty("error")
      }
    }))

  it.effect("a prefix of a multipart body keeps every part before the cut", () =>
    Effect.gen(function*() {
      const text = `${form(`Content-Disposition: form-data; name="q"`, "' UNION SELECT password FROM users--").slice(0, -4)}\r\nContent-Disp`
      const view = yield* bodyOf(new TextEncoder().encode(text), `multipart/form-data; boundary=${boundary}`, true)
      expect(view).toMatchObject({ body: { kind: "fields", fields: expect.arrayContaining([["q", expect.stringContaining("UNION SELECT")]]) } })
    }))

  it.scopedLive("the guard answers such a body with 400", () =>
    Effect.gen(function*() {
      const app = HttpRouter.empty.pipe(HttpRouter.post("/upload", HttpServerResponse.text("ok")))
      const guarded = yield* TRANSPORTS[1].make({ _tag: "app", app })
      const reply = yield* guarded.send({
        method: "POST",
        path: "/upload",
        headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
        body: `--${boundary}\r\nContent-Disposition: form-data; name="a"`
      })
      expect(reply.status).toBe(400)
    }))
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

describe("control characters: separators stay separators", () => {
  it("reads a vertical tab or form feed as a space, and drops the other control characters", () => {
    expect(decode("1%0bOR%0c2>1", 4)?.text).toBe("1 OR 2>1")
    expect(decode("sel%01ect", 4)?.text).toBe("select")
  })

  it.effect("catches keywords and attributes split by a vertical tab or form feed", () =>
    Effect.gen(function*() {
      for (const value of ["7\u000bUNION\u000bSELECT\u000bpassword\u000bFROM\u000busers", "<img\u000csrc=x\u000conerror=alert(document.domain)>"]) {
        expect((yield* detect(q(value))).isThreat, JSON.stringify(value)).toBe(true)
      }
    }))

  it.effect("passes text that only uses form feeds as page breaks", () =>
    Effect.gen(function*() {
      expect((yield* detect(q("Chapter one\u000cChapter two\u000cIndex"))).isThreat).toBe(false)
    }))
})
