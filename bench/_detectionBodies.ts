/**
 * The requests bench/detection.ts and bench/family-cost.ts measure: a small GET, and 10 KB bodies of
 * the shapes real applications receive (JSON, JSON holding JSON text, minified JavaScript, base64,
 * CSV, markdown), plus a 1 MB text body. Built from a fixed seed: every run scans the same bytes.
 */
import type { DetectionInput } from "../src/ThreatDetector.js"

let seed = 42
const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647
const WORDS = "the quick brown fox jumps over a lazy dog please select an option from our list and update your profile settings today it's great".split(" ")
export const sentence = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(" ")

export const smallGet: DetectionInput = {
  path: "/api/v1/products/1234",
  query: "page=2&sort=price_asc&category=shoes&q=running+shoes",
  headers: {
    host: "shop.example.com",
    "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    accept: "application/json",
    "accept-language": "en-US,en;q=0.9",
    "sec-ch-ua": "\"Chromium\";v=\"124\", \"Not-A.Brand\";v=\"99\"",
    authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl",
    "x-request-id": "4bf92f3577b34da6a3ce929d0e0e4736",
    "x-client-version": "5.2.1",
    cookie: "session=s%3Aabc123def456; theme=dark; _ga=GA1.2.123.456"
  }
}

// what a load generator and a browser send: excluded headers, a cookie, a short path and query
const loadGenHeaders = {
  host: "127.0.0.1:3000",
  "user-agent": "autocannon/8",
  accept: "*/*",
  "accept-encoding": "gzip, deflate, br",
  "accept-language": "en-US,en;q=0.9",
  connection: "keep-alive",
  "sec-ch-ua": "\"Chromium\";v=\"128\", \"Not;A=Brand\";v=\"24\"",
  cookie: "session=abc123; theme=dark"
}
export const helloGet: DetectionInput = { path: "/hello", headers: loadGenHeaders }
export const searchGet: DetectionInput = {
  path: "/search",
  query: "q=effect+guard+docs&page=2",
  headers: {
    ...loadGenHeaders,
    "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36"
  }
}

const itemsOf = (size: number): Array<unknown> => {
  const items: Array<unknown> = []
  while (JSON.stringify(items).length < size) {
    items.push({
      id: Math.floor(random() * 1e6),
      name: sentence(4),
      description: sentence(18),
      email: `user${items.length}@example.com`,
      url: `https://example.com/items/${items.length}?ref=feed`,
      tags: ["sale", "new"],
      price: Math.round(random() * 10000) / 100
    })
  }
  return items
}
const items = itemsOf(10_000)
export const json10k: DetectionInput = { path: "/api/v1/items/bulk", headers: { "content-type": "application/json" }, body: { kind: "json", text: JSON.stringify({ items }) } }

// punctuation-heavy bodies real applications receive: each builder makes one of about `size` characters

const embeddedJsonOf = (payloadItems: ReadonlyArray<unknown>): DetectionInput => ({
  path: "/api/v1/events",
  headers: { "content-type": "application/json" },
  body: { kind: "json", text: JSON.stringify({ type: "snapshot", version: 3, payload: JSON.stringify({ items: payloadItems }) }) }
})
export const embeddedJson = embeddedJsonOf(items.slice(0, 40))
const ident = () => "abcdefghijklmnopqrstuvwxyz"[Math.floor(random() * 26)]! + (random() < 0.3 ? "_$"[Math.floor(random() * 2)]! : "")
const jsStatement = () => {
  const [a, b, c] = [ident(), ident(), ident()]
  const shapes = [
    `function ${a}(${b},${c}){return ${b}&&${b}.length>0?${b}.map(function(x){return x[${c}]}):[]}`,
    `var ${a}=${b}.prototype.hasOwnProperty,${c}=Object.keys(${a}||{});`,
    `${a}.exports={default:${b},__esModule:!0};`,
    `if(!${a}||typeof ${a}!=="object")throw new TypeError("expected "+${b});`,
    `for(var ${a}=0;${a}<${b}.length;${a}++){${c}[${a}]=${b}[${a}]|0}`,
    `${a}=${b}?${c}:{id:${Math.floor(random() * 999)},name:"${sentence(2)}"};`,
    `document.getElementById("${sentence(1)}").addEventListener("click",function(){${a}(${b})});`
  ]
  return shapes[Math.floor(random() * shapes.length)]!
}
/** A minified bundle: what bundlers upload (source maps, bundles), as text/javascript. */
export const minifiedText = (size: number): string => {
  let minified = "!function(){\"use strict\";"
  while (minified.length < size) minified += jsStatement()
  return `${minified}}();`
}
const minifiedJsOf = (size: number): DetectionInput => ({ path: "/static/upload", headers: { "content-type": "application/javascript" }, body: { kind: "text", text: minifiedText(size) } })
export const minifiedJs = minifiedJsOf(10_000)
const base64JsonOf = (size: number): DetectionInput => {
  const bytes = Buffer.alloc(Math.round((size * 3) / 4))
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256)
  return {
    path: "/api/v1/avatar",
    headers: { "content-type": "application/json" },
    body: { kind: "json", text: JSON.stringify({ filename: "avatar.png", data: `data:image/png;base64,${bytes.toString("base64")}` }) }
  }
}
export const base64Json = base64JsonOf(10_000)
const csvOf = (size: number): DetectionInput => {
  let csv = "id,name,email,created_at,amount,notes\n"
  for (let i = 0; csv.length < size; i++) {
    csv += `${i},"${sentence(2)}",user${i}@example.com,2026-0${1 + (i % 9)}-1${i % 10}T10:${10 + (i % 50)}:00Z,${(random() * 1000).toFixed(2)},"${sentence(5).replace(" a ", " \"a\" ")}; ok"\n`
  }
  return { path: "/api/v1/import", headers: { "content-type": "text/csv" }, body: { kind: "text", text: csv } }
}
export const csvBody = csvOf(10_000)
const README_SECTION = [
  "## Installation",
  "",
  "```sh",
  "npm install --save effect-guard @effect/platform",
  "```",
  "",
  "Then wire it in (see [the docs](https://example.com/docs#setup) and `docs/configuration.md`):",
  "",
  "```ts",
  "import { GuardLive } from \"effect-guard\"",
  "const app = router.pipe(HttpServer.serve(GuardMiddleware), Layer.provide(GuardLive))",
  "```",
  "",
  "| option | default | notes |",
  "| --- | --- | --- |",
  "| `rateLimit` | `100/min` | per client, *not* per route |",
  "",
  "> **Note**: it's safe to run behind a proxy; set `trustProxy: 1` & read the [FAQ](#faq).",
  "",
  "- [x] rate limiting",
  "- [ ] \"passive\" mode (log only)",
  ""
].join("\n")
const readmeOf = (size: number): DetectionInput => ({
  path: "/api/v1/repos/readme",
  headers: { "content-type": "text/markdown" },
  body: { kind: "text", text: `# effect-guard\n\n${README_SECTION.repeat(Math.ceil(size / README_SECTION.length))}`.slice(0, size) }
})
export const readme = readmeOf(10_000)
export const oneMb: DetectionInput = { path: "/api/v1/upload", body: { kind: "text", text: sentence(220_000).slice(0, 1_048_576) } }


/**
 * A JSON list of short records, every value distinct: past about 128 KB it holds more short values
 * than the detector's clean memo, the shape whose repeated scans once stepped ×30 at that size.
 */
const distinctValuesOf = (size: number): DetectionInput => {
  const rows: Array<unknown> = []
  for (let length = 11; length < size;) {
    const row = { sku: `SKU-${rows.length}`, title: sentence(3), city: `${sentence(1)} ${rows.length % 997}` }
    rows.push(row)
    length += JSON.stringify(row).length + 1
  }
  return { path: "/api/v1/catalogue", headers: { "content-type": "application/json" }, body: { kind: "json", text: JSON.stringify({ rows }) } }
}

/** The body shapes of the doubling check up to 1 MB, built at `size` characters. */
export const PUNCTUATION_SHAPES: ReadonlyArray<readonly [string, (size: number) => DetectionInput]> = [
  ["JSON holding JSON text", (size) => embeddedJsonOf(itemsOf(size))],
  ["JSON of distinct values", distinctValuesOf],
  ["minified JS (text)", minifiedJsOf],
  ["JSON with a base64 image", base64JsonOf],
  ["CSV (text)", csvOf],
  ["markdown README (text)", readmeOf]
]
