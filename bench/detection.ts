/**
 * Detection benchmark, one run: scan cost per request of the `ThreatDetector` against a no-op
 * detector on the same requests (a small GET, 10 KB bodies of JSON, JSON holding JSON text, minified
 * JavaScript, base64, CSV and markdown, a 1 MB body), and the time on
 * adversarial inputs built to trigger backtracking, at doubling sizes (linear time means each
 * doubling at most doubles the time).
 *
 * Targets (issue 23): small GET <= 10 µs, 10 KB JSON body <= 150 µs, every doubling ratio <= 2.3.
 *
 * Run: `npx tsx bench/detection.ts` (about 2 minutes on a 2-core machine; `--requests` prints the
 * first table only).
 */
import { Effect } from "effect"
import { type DetectionInput, ThreatDetector, type ThreatDetectorService } from "../src/ThreatDetector.js"

const detector = Effect.runSync(ThreatDetector.make())
const fullScan = Effect.runSync(ThreatDetector.make({ maxBytes: 4_000_000, maxValues: 1_000_000 }))
const noop = Effect.runSync(Effect.provide(ThreatDetector, ThreatDetector.layerNoop))

/** Microseconds per call: warm up, then as many calls as fit in `budgetMs`, best of 3 rounds. */
const measure = (service: ThreatDetectorService, input: DetectionInput, budgetMs: number): number => {
  const once = () => Effect.runSync(service.detect(input))
  const warmUntil = performance.now() + budgetMs / 2
  while (performance.now() < warmUntil) once()
  let best = Infinity
  for (let round = 0; round < 3; round++) {
    let n = 0
    const start = performance.now()
    while (performance.now() - start < budgetMs / 3) {
      once()
      n++
    }
    best = Math.min(best, ((performance.now() - start) * 1000) / n)
  }
  return best
}

// ------------------------------------------------------------------------------------ requests
let seed = 42
const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647
const WORDS = "the quick brown fox jumps over a lazy dog please select an option from our list and update your profile settings today it's great".split(" ")
const sentence = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(" ")

const smallGet: DetectionInput = {
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
const helloGet: DetectionInput = { path: "/hello", headers: loadGenHeaders }
const searchGet: DetectionInput = {
  path: "/search",
  query: "q=effect+guard+docs&page=2",
  headers: {
    ...loadGenHeaders,
    "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36"
  }
}

const items: Array<unknown> = []
while (JSON.stringify(items).length < 10_000) {
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
const json10k: DetectionInput = { path: "/api/v1/items/bulk", headers: { "content-type": "application/json" }, body: { kind: "json", text: JSON.stringify({ items }) } }
// punctuation-heavy bodies real applications receive, each about 10 KB
const embeddedJson: DetectionInput = {
  path: "/api/v1/events",
  headers: { "content-type": "application/json" },
  body: { kind: "json", text: JSON.stringify({ type: "snapshot", version: 3, payload: JSON.stringify({ items: items.slice(0, 40) }) }) }
}
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
let minified = "!function(){\"use strict\";"
while (minified.length < 10_000) minified += jsStatement()
const minifiedJs: DetectionInput = { path: "/static/upload", headers: { "content-type": "application/javascript" }, body: { kind: "text", text: `${minified}}();` } }
const bytes = Buffer.alloc(7_500)
for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256)
const base64Json: DetectionInput = {
  path: "/api/v1/avatar",
  headers: { "content-type": "application/json" },
  body: { kind: "json", text: JSON.stringify({ filename: "avatar.png", data: `data:image/png;base64,${bytes.toString("base64")}` }) }
}
let csv = "id,name,email,created_at,amount,notes\n"
for (let i = 0; csv.length < 10_000; i++) {
  csv += `${i},"${sentence(2)}",user${i}@example.com,2026-0${1 + (i % 9)}-1${i % 10}T10:${10 + (i % 50)}:00Z,${(random() * 1000).toFixed(2)},"${sentence(5).replace(" a ", " \"a\" ")}; ok"\n`
}
const csvBody: DetectionInput = { path: "/api/v1/import", headers: { "content-type": "text/csv" }, body: { kind: "text", text: csv } }
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
const readme: DetectionInput = {
  path: "/api/v1/repos/readme",
  headers: { "content-type": "text/markdown" },
  body: { kind: "text", text: `# effect-guard\n\n${README_SECTION.repeat(Math.ceil(10_000 / README_SECTION.length))}`.slice(0, 10_000) }
}
const oneMb: DetectionInput = { path: "/api/v1/upload", body: { kind: "text", text: sentence(220_000).slice(0, 1_048_576) } }

// ----------------------------------------------------------------------------------- table 1
const pad = (s: string, n: number) => s.padEnd(n)
const num = (x: number, digits = 1) => x.toFixed(digits).padStart(10)

console.log("Scan cost per request (µs; best of 3 rounds; Effect.runSync included in both columns)\n")
console.log(`${pad("request", 34)}${"detector".padStart(10)}${"no-op".padStart(10)}${"ratio".padStart(10)}${"added".padStart(10)}`)
const rows: ReadonlyArray<readonly [string, ThreatDetectorService, DetectionInput, number]> = [
  ["GET /hello (load-generator hdrs)", detector, helloGet, 1500],
  ["GET /search?q=… (Chrome hdrs)", detector, searchGet, 1500],
  ["small GET (path, 4 params, 9 hdrs)", detector, smallGet, 2000],
  ["10 KB JSON body", detector, json10k, 2500],
  ["10 KB JSON holding JSON text", detector, embeddedJson, 2500],
  ["10 KB minified JS (text)", detector, minifiedJs, 2500],
  ["10 KB JSON with a base64 image", detector, base64Json, 2500],
  ["10 KB CSV (text)", detector, csvBody, 2500],
  ["10 KB markdown README (text)", detector, readme, 2500],
  ["1 MB text body (default budget)", detector, oneMb, 2500],
  ["1 MB text body (budget 4 MB)", fullScan, oneMb, 3000]
]
for (const [name, service, input, budget] of rows) {
  const d = measure(service, input, budget)
  const n = measure(noop, input, 1000)
  const result = Effect.runSync(service.detect(input))
  const note = (result.truncated ? `  (scanned ${result.scanned.bytes} chars, reported ${result.skipped.bytes} skipped)` : "") +
    (result.isThreat ? `  (refused: ${result.ruleIds.join(", ")})` : "")
  console.log(`${pad(name, 34)}${num(d)}${num(n, 2)}${num(d / n)}${num(d - n)}${note}`)
}

if (process.argv.includes("--requests")) process.exit(0)

// ----------------------------------------------------------------------------------- table 2
const ADVERSARIAL: ReadonlyArray<readonly [string, string]> = [
  ["'<' repeated", "<"],
  ["' or ' repeated", "' or "],
  ["'../' repeated", "../"],
  ["'${' repeated", "${"],
  ["'{{' repeated", "{{"],
  ["'a=' repeated", "a="],
  ["'%25' repeated", "%25"],
  ["'\\\\' repeated", "\\\\"],
  ["'*)(' repeated", "*)("],
  ["'; ls' repeated", "; ls"],
  ["'o:1:\"' repeated", "o:1:\""],
  ["'aaaa' (no special chars)", "a"],
  ["'<a onx' repeated", "<a onx"],
  ["'select ' repeated", "select "]
]
const SIZES = [131_072, 262_144, 524_288, 1_048_576]

console.log("\nAdversarial inputs, full scan as a body and as a query value (ms per request; doubling ratios)\n")
console.log(`${pad("input", 28)}${SIZES.map((s) => `${s / 1024} KB`.padStart(10)).join("")}${SIZES.slice(1).map(() => "x2".padStart(8)).join("")}`)
let worst = 0
for (const [name, unit] of ADVERSARIAL) {
  const times = SIZES.map((size) => {
    const text = unit.repeat(Math.ceil(size / unit.length)).slice(0, size)
    const input: DetectionInput = { path: "/x", query: [["q", text]], body: { kind: "text", text } }
    return measure(fullScan, input, 450) / 1000
  })
  const ratios = times.slice(1).map((t, i) => t / (times[i] ?? t))
  worst = Math.max(worst, ...ratios)
  console.log(`${pad(name, 28)}${times.map((t) => num(t, 2)).join("")}${ratios.map((r) => r.toFixed(2).padStart(8)).join("")}`)
}
console.log(`\nWorst doubling ratio: ${worst.toFixed(2)} (linear: about 2; quadratic would be 4)`)
