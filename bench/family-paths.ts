/**
 * Measures the path, file and protocol families (traversal, files, protocol) on the external corpus
 * (test/fixtures/detection-corpus/corpus.jsonl), alone, without the engine: values are pulled out of
 * each row with a rough decoding (the engine's `normalise`), each family scans them at the given
 * paranoia level, scores are summed per row (each rule once) and a row is refused at 5.
 *
 * Prints recall per source and category (CRS rows at the level they were written for), false
 * positives per clean benign source, and CRS "must not fire" rows apart. With `--speed`, prints
 * instead each family's CPU time on a 10 KB JSON body whose one string value holds JSON text (target
 * <= 30 µs for files and traversal) and its doubling ratio from 128 KB to 1 MB on repeated `../`,
 * `/` and `%2e` (target <= 2.3).
 *
 *   npx tsx bench/family-paths.ts [--level 1|2] [--misses category] [--fp] [--speed]
 */
import type { DetectionFamily, Paranoia, ValueLocation } from "../src/internal/detection/families/contract.js"
import { family as files } from "../src/internal/detection/families/files/index.js"
import { family as protocol } from "../src/internal/detection/families/protocol/index.js"
import { family as traversal } from "../src/internal/detection/families/traversal/index.js"
import { decodeBase64View, decodeComponent, normalise } from "../src/internal/detection/decode.js"
import { type CorpusRow, loadCorpus } from "../test/detection/externalCorpus.js"

const FAMILIES: ReadonlyArray<DetectionFamily> = [traversal, files, protocol]
const THRESHOLD = 5

type Row = CorpusRow

type Value = readonly [ValueLocation, string]

const jsonLeaves = (text: unknown, out: Array<Value>): boolean => {
  let parsed: unknown = text
  if (typeof text === "string") {
    try {
      parsed = JSON.parse(text)
    } catch {
      return false
    }
  }
  const walk = (v: unknown): void => {
    if (typeof v === "string") out.push(["body", v])
    else if (Array.isArray(v)) v.forEach(walk)
    else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        out.push(["key", k])
        walk(x)
      }
    }
  }
  walk(parsed)
  return true
}

const params = (query: string, location: ValueLocation, out: Array<Value>): void => {
  for (const pair of query.split("&")) {
    if (pair === "") continue
    const eq = pair.indexOf("=")
    const name = eq < 0 ? pair : pair.slice(0, eq)
    out.push(["key", decodeComponent(name, true)])
    if (eq >= 0) out.push([location, decodeComponent(pair.slice(eq + 1), true)])
  }
}

const valuesOf = (row: Row): Array<Value> => {
  const out: Array<Value> = []
  if (row.request !== undefined) {
    const { body, headers, uri } = row.request
    const q = uri.indexOf("?")
    out.push(["path", decodeComponent(q < 0 ? uri : uri.slice(0, q), false)])
    if (q >= 0) params(uri.slice(q + 1), "query", out)
    let contentType = ""
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase()
      if (lower === "content-type") contentType = value.toLowerCase()
      if (lower === "host" || lower === "content-type" || lower === "content-length") continue
      if (lower === "cookie") {
        for (const part of value.split(";")) {
          // cookie names are not parameter names: a JSESSIONID cookie is not session fixation
          out.push(["cookie", part.slice(part.indexOf("=") + 1)])
        }
      } else {
        out.push(["header", value])
      }
    }
    if (body !== null && body !== "") {
      if (contentType.includes("json")) {
        if (!jsonLeaves(body, out)) out.push(["body", body])
      } else if (contentType === "" || contentType.includes("x-www-form-urlencoded")) {
        params(body, "body", out)
      } else {
        if (!contentType.includes("xml") && !contentType.includes("multipart") && jsonLeaves(body, out)) return out
        out.push(["body", body])
      }
    }
    return out
  }
  const value = typeof row.value === "string" ? row.value : ""
  switch (row.location) {
    case "query":
      out.push(["query", row.encoded === true ? decodeComponent(value, true) : value])
      break
    case "path":
      out.push(["path", value])
      break
    case "header":
      out.push(["header", value])
      break
    case "body_json":
      if (!jsonLeaves(row.value, out)) out.push(["body", value])
      break
    case "headers":
      for (const v of Object.values(row.value as Record<string, string>)) out.push(["header", v])
      break
    default:
      out.push(["body", value])
  }
  return out
}

const scoreRow = (row: Row, paranoia: Paranoia): { score: number; rules: Array<string> } => {
  const fired = new Map<string, number>()
  for (const [location, raw] of valuesOf(row)) {
    const n = normalise(raw, 4)
    // the engine also scans a base64 value's decoded text
    const decoded = decodeBase64View(raw)
    const views = decoded === undefined ? [n.nulView ?? n.text] : [n.nulView ?? n.text, normalise(decoded, 4).text]
    for (const text of views) {
      for (const f of FAMILIES) {
        if (!f.mayMatch(text)) continue
        for (const finding of f.scan(text, { location, paranoia })) fired.set(finding.ruleId, finding.score)
      }
    }
  }
  let score = 0
  for (const s of fired.values()) score += s
  return { score, rules: [...fired.keys()] }
}

/** CPU microseconds per call of `f`: the best of seven rounds of `runs` calls. */
const cpuMicros = (f: () => void, runs: number): number => {
  for (let i = 0; i < runs; i++) f()
  let best = Number.POSITIVE_INFINITY
  for (let round = 0; round < 7; round++) {
    const start = process.cpuUsage()
    for (let i = 0; i < runs; i++) f()
    const used = process.cpuUsage(start)
    best = Math.min(best, (used.user + used.system) / runs)
  }
  return best
}

const speed = (): void => {
  let seed = 42
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647
  const words = "the quick brown fox jumps over a lazy dog please select an option from our list and update your profile".split(" ")
  const sentence = (n: number) => Array.from({ length: n }, () => words[Math.floor(random() * words.length)]).join(" ")
  const items: Array<unknown> = []
  while (JSON.stringify(items).length < 10_000) {
    items.push({ id: items.length, name: sentence(4), description: sentence(18), url: `https://example.com/items/${items.length}?ref=feed` })
  }
  // the body's one string value is JSON text: the families read it as a single 10 KB value
  const jsonText = Buffer.from(JSON.stringify({ items })).toString()
  console.log("CPU µs per scan of a 10 KB string value holding JSON text (target <= 30 for files and traversal):")
  for (const f of FAMILIES) {
    const micros = cpuMicros(() => {
      if (f.mayMatch(jsonText)) f.scan(jsonText, { location: "body", paranoia: 1 })
    }, 200)
    console.log(`  ${f.name.padEnd(12)} ${micros.toFixed(1).padStart(8)}`)
  }
  console.log("\ndoubling ratio 128 KB -> 1 MB, as a query value at paranoia 4 (target <= 2.3):")
  for (const fragment of ["../", "/", "%2e", "..\\", "\ufffd%c0"]) {
    const shape = (size: number) => Buffer.from(fragment.repeat(Math.ceil(size / fragment.length)).slice(0, size)).toString()
    const small = shape(128 * 1024)
    const large = shape(1024 * 1024)
    const ratios = FAMILIES.map((f) => {
      const run = (value: string) => () => {
        if (f.mayMatch(value)) f.scan(value, { location: "query", paranoia: 4 })
      }
      const tSmall = cpuMicros(run(small), 4)
      const tLarge = cpuMicros(run(large), 1)
      return `${f.name} ${Math.cbrt(tLarge / Math.max(tSmall, 1)).toFixed(2)}`
    })
    console.log(`  ${JSON.stringify(fragment).padEnd(12)} ${ratios.join("  ")}`)
  }
}

const args = process.argv.slice(2)
if (args.includes("--speed")) {
  speed()
  process.exit(0)
}
const level = Number(args[args.indexOf("--level") + 1] ?? 1) as Paranoia
const missesOf = args.includes("--misses") ? args[args.indexOf("--misses") + 1] : undefined
const showFp = args.includes("--fp")

const rows = loadCorpus()

const MINE = new Set([
  "lfi",
  "rfi",
  "traversal",
  "sensitive_file",
  "session_fixation",
  "ldap",
  "xml",
  "ssrf",
  "nosql",
  "proto_pollution",
  "http_split",
  "generic",
  "null_byte",
  "probe"
])

const tally = new Map<string, { n: number; hit: number }>()
const add = (key: string, hit: boolean): void => {
  const t = tally.get(key) ?? { n: 0, hit: 0 }
  t.n++
  if (hit) t.hit++
  tally.set(key, t)
}
const clean = new Map<string, { n: number; fp: number }>()
let mustNotFire = 0
let mustNotFireHits = 0
const misses: Array<string> = []

for (const row of rows) {
  if (row.expect === "anomaly") continue
  // CRS rows are scored at the level they were written for; at --level 1 only PL1 rows count.
  const rowLevel = (row.source === "crs" ? Math.max(level, row.paranoia ?? 1) : level) as Paranoia
  if (row.source === "crs" && (row.paranoia ?? 1) > level) continue
  const { rules, score } = scoreRow(row, rowLevel)
  const refused = score >= THRESHOLD
  if (row.expect === "attack") {
    add(`${row.source} ${row.category}`, refused)
    if (!refused && missesOf === row.category) misses.push(`${row.source} ${row.id} ${JSON.stringify(row.value ?? row.request).slice(0, 220)}`)
  } else if (row.source === "crs") {
    mustNotFire++
    if (refused) {
      mustNotFireHits++
      if (showFp) misses.push(`crs-benign ${row.category} ${row.id} [${rules.join(",")}] ${JSON.stringify(row.request).slice(0, 200)}`)
    }
  } else {
    const t = clean.get(row.source) ?? { n: 0, fp: 0 }
    t.n++
    if (refused) {
      t.fp++
      if (showFp) misses.push(`FP ${row.source} ${row.id} [${rules.join(",")}] ${JSON.stringify(row.value ?? row.request).slice(0, 200)}`)
    }
    clean.set(row.source, t)
  }
}

const ratio = (a: number, b: number): string => (b === 0 ? "-" : (a / b).toFixed(2))
console.log(`paranoia level ${level} (CRS rows up to PL${level}, each at its own level), threshold ${THRESHOLD}`)
console.log("\nrecall, categories these families cover:")
for (const [key, t] of [...tally].sort()) {
  const category = key.split(" ")[1] ?? ""
  if (MINE.has(category)) console.log(`  ${key.padEnd(40)} ${String(t.hit).padStart(4)}/${String(t.n).padEnd(4)} ${ratio(t.hit, t.n)}`)
}
console.log("\nrecall, other categories (other families' ground; incidental):")
for (const [key, t] of [...tally].sort()) {
  const category = key.split(" ")[1] ?? ""
  if (!MINE.has(category)) console.log(`  ${key.padEnd(40)} ${String(t.hit).padStart(4)}/${String(t.n).padEnd(4)} ${ratio(t.hit, t.n)}`)
}
console.log("\nfalse positives, clean benign:")
let all = 0
let allFp = 0
for (const [source, t] of clean) {
  all += t.n
  allFp += t.fp
  console.log(`  ${source.padEnd(40)} ${String(t.fp).padStart(4)}/${String(t.n).padEnd(4)} ${ratio(t.fp, t.n)}`)
}
console.log(`  ${"all clean benign".padEnd(40)} ${String(allFp).padStart(4)}/${String(all).padEnd(4)} ${ratio(allFp, all)}`)
console.log(`\nCRS must-not-fire rows refused (reported apart): ${mustNotFireHits}/${mustNotFire} ${ratio(mustNotFireHits, mustNotFire)}`)
if (misses.length > 0) console.log(`\n${misses.join("\n")}`)
