/**
 * The SQL family alone on the external corpus (test/fixtures/detection-corpus): recall per source
 * and category for SQL injection, false positives per clean benign source and on CRS must-not-fire
 * rows, at paranoia levels 1 and 2 (CRS rows at the level they were written for).
 *
 * Values are pulled out of each row roughly as the engine would (query and form parameters, JSON
 * string leaves, header and cookie values, the path), with a rough decoding: the engine does the
 * real one. A row counts as caught when its findings' scores add up to 5, the default threshold.
 *
 * Then the speed of the family: small values, a 10 KB value of embedded JSON text, and adversarial
 * shapes up to 1 MB with their doubling ratios.
 *
 * Run: `npx tsx bench/family-sql.ts [--misses] [--fp] [--recall | --speed]`
 */
import { fileURLToPath } from "node:url"
import type { DetectionFamily, Paranoia, ValueLocation } from "../src/internal/detection/families/contract.js"
import { family as sql } from "../src/internal/detection/families/sql/index.js"
import { type CorpusRow, loadCorpus } from "../test/detection/externalCorpus.js"

type Row = CorpusRow

interface Located {
  readonly value: string
  readonly location: ValueLocation
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", quot: "\"", apos: "'", amp: "&", colon: ":", tab: "\t", newline: "\n", lpar: "(", rpar: ")", sol: "/", bsol: "\\" }

/** Repeated URL decoding and HTML entities: rough, as promised, never throws. */
export const roughDecode = (raw: string, plusIsSpace: boolean): string => {
  let value = plusIsSpace ? raw.replace(/\+/g, " ") : raw
  for (let round = 0; round < 3; round++) {
    const next = value
      .replace(/%u([0-9a-f]{4})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
      .replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
        try {
          return decodeURIComponent(run)
        } catch {
          return run.replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
        }
      })
      .replace(/&#x([0-9a-f]{1,6});?/gi, (_, h: string) => String.fromCodePoint(Math.min(parseInt(h, 16), 0x10ffff)))
      .replace(/&#(\d{1,7});?/g, (_, d: string) => String.fromCodePoint(Math.min(parseInt(d, 10), 0x10ffff)))
      .replace(/&([a-z]{2,7});/gi, (whole, name: string) => ENTITIES[name.toLowerCase()] ?? whole)
    if (next === value) break
    value = next
  }
  return value
}

const params = (text: string, location: ValueLocation, out: Array<Located>) => {
  for (const pair of text.split("&")) {
    const eq = pair.indexOf("=")
    if (eq > 0) out.push({ value: roughDecode(pair.slice(0, eq), true), location: "key" })
    out.push({ value: roughDecode(eq < 0 ? pair : pair.slice(eq + 1), true), location })
  }
}

const jsonLeaves = (text: string, out: Array<Located>): boolean => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return false
  }
  const walk = (node: unknown) => {
    if (typeof node === "string") out.push({ value: node, location: "body" })
    else if (Array.isArray(node)) node.forEach(walk)
    else if (node !== null && typeof node === "object") {
      for (const [key, child] of Object.entries(node)) {
        out.push({ value: key, location: "key" })
        walk(child)
      }
    }
  }
  walk(parsed)
  return true
}

const headerValues = (headers: Record<string, string>, out: Array<Located>) => {
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (lower === "host" || lower === "content-length" || lower === "content-type") continue
    if (lower === "cookie") {
      for (const part of value.split(";")) {
        const eq = part.indexOf("=")
        out.push({ value: roughDecode(part.slice(eq + 1).trim(), false), location: "cookie" })
        if (eq > 0) out.push({ value: roughDecode(part.slice(0, eq).trim(), false), location: "key" })
      }
    } else out.push({ value: roughDecode(value, false), location: "header" })
  }
}

/** The values of one corpus row, as the engine would see them (roughly). */
export const valuesOf = (row: Row): Array<Located> => {
  const out: Array<Located> = []
  const v = row.value
  switch (row.location) {
    case "query":
      out.push({ value: typeof v === "string" ? (row.encoded === true ? roughDecode(v, true) : roughDecode(v, false)) : "", location: "query" })
      break
    case "path":
      out.push({ value: roughDecode(String(v), false), location: "path" })
      break
    case "header":
      out.push({ value: String(v), location: "header" })
      break
    case "headers":
      headerValues(v as Record<string, string>, out)
      break
    case "body_json":
      if (!jsonLeaves(String(v), out)) out.push({ value: String(v), location: "body" })
      break
    case "body":
      out.push({ value: roughDecode(String(v), false), location: "body" })
      break
    case "request": {
      const request = row.request
      if (request === undefined) break
      const q = request.uri.indexOf("?")
      const path = q < 0 ? request.uri : request.uri.slice(0, q)
      out.push({ value: roughDecode(path, false), location: "path" })
      if (q >= 0) params(request.uri.slice(q + 1), "query", out)
      headerValues(request.headers, out)
      const body = request.body
      if (body !== null && body !== "") {
        const type = Object.entries(request.headers).find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? ""
        if (type.includes("json")) {
          if (!jsonLeaves(body, out)) out.push({ value: body, location: "body" })
        } else if (type.includes("multipart")) {
          for (const part of body.split(/\r?\n/)) out.push({ value: part, location: "body" })
        } else if (type === "" || type.includes("urlencoded")) params(body, "body", out)
        else out.push({ value: roughDecode(body, false), location: "body" })
      }
      break
    }
  }
  return out
}


/** The score a family gives one row at `paranoia`, and the rules that fired. */
export const scoreRow = (families: ReadonlyArray<DetectionFamily>, row: Row, paranoia: Paranoia) => {
  let score = 0
  const rules = new Set<string>()
  for (const { location, value } of valuesOf(row)) {
    for (const family of families) {
      if (!family.mayMatch(value)) continue
      for (const finding of family.scan(value, { location, paranoia })) {
        score += finding.score
        rules.add(finding.ruleId)
      }
    }
  }
  return { score, rules }
}

const pct = (hit: number, total: number) => (total === 0 ? "-" : (hit / total).toFixed(3))

const CLEAN = new Set(["csic2010", "handwritten", "libinjection"])

/** Prints recall for `categories` and false positives, at levels 1 and 2. */
export const measureFamily = (families: ReadonlyArray<DetectionFamily>, categories: ReadonlyArray<string>) => {
  const rows = loadCorpus()
  const showMisses = process.argv.includes("--misses")
  const showFp = process.argv.includes("--fp")
  for (const level of [1, 2] as const) {
    console.log(`\n== paranoia ${level}`)
    const recall = new Map<string, { hit: number; total: number }>()
    const fp = new Map<string, { hit: number; total: number }>()
    for (const row of rows) {
      const crs = row.source === "crs"
      // CRS rows are scored at the level they were written for: PL1 rows at 1, PL2 rows at 2
      if (crs && (row.paranoia ?? 1) > level) continue
      if (crs && level === 2 && (row.paranoia ?? 1) !== 2) continue
      const { rules, score } = scoreRow(families, row, level)
      const caught = score >= 5
      if (row.expect === "attack" && categories.includes(row.category)) {
        const key = `${row.source}${crs ? ` PL${row.paranoia}` : ""} ${row.category}`
        const entry = recall.get(key) ?? { hit: 0, total: 0 }
        entry.total++
        if (caught) entry.hit++
        recall.set(key, entry)
        if (!caught && showMisses) console.log(`  miss ${row.id} ${JSON.stringify(valuesOf(row).map((v) => v.value).filter((v) => v.length > 0).slice(0, 6)).slice(0, 300)}`)
      } else if (row.expect === "benign" && (CLEAN.has(row.source) || crs)) {
        const key = crs ? `crs must-not-fire (${row.category})` : `clean ${row.source}`
        if (crs && !categories.includes(row.category)) continue
        const entry = fp.get(key) ?? { hit: 0, total: 0 }
        entry.total++
        if (caught) entry.hit++
        fp.set(key, entry)
        if (caught && showFp) console.log(`  fp ${row.id} [${[...rules].join(",")}] ${JSON.stringify(valuesOf(row).map((v) => v.value)).slice(0, 300)}`)
      }
    }
    for (const [key, { hit, total }] of [...recall].sort()) console.log(`  recall ${key.padEnd(36)} ${pct(hit, total)} (${hit}/${total})`)
    for (const [key, { hit, total }] of [...fp].sort()) console.log(`  refused ${key.padEnd(35)} ${pct(hit, total)} (${hit}/${total})`)
  }
}


// ----------------------------------------------------------------------------------- speed

/** The 10 KB JSON document of bench/_load.ts: as one string value, it is JSON text full of quotes. */
const embeddedJson = JSON.stringify({
  items: Array.from({ length: 90 }, (_, i) => ({ id: i, name: `item number ${i}`, tags: ["alpha", "beta"], note: "an ordinary description" }))
}).slice(0, 10_240)

/** Punctuation-heavy values real applications send, about 10 KB each, with no attack in them. */
const minifiedJs = (() => {
  let js = "!function(){\"use strict\";"
  for (let i = 0; js.length < 10_000; i++) {
    const [a, b] = [String.fromCharCode(97 + (i % 26)), String.fromCharCode(97 + ((i * 7) % 26))]
    js += [
      `function ${a}(${b},c){return ${b}&&${b}.length>0?${b}.map(function(x){return x[c]}):[]}`,
      `if(!${a}||typeof ${a}!=="object")throw new TypeError("expected "+${b});`,
      `for(var ${a}=0;${a}<${b}.length;${a}++){c[${a}]=${b}[${a}]|0}`
    ][i % 3]
  }
  return `${js}}();`
})()
const base64Image = (() => {
  const bytes = Buffer.alloc(7_500)
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24
  return `data:image/png;base64,${bytes.toString("base64")}`
})()
const csvText = (() => {
  let csv = "id,name,email,created_at,amount,notes\n"
  for (let i = 0; csv.length < 10_000; i++) csv += `${i},"item ${i}",user${i}@example.com,2026-01-1${i % 10}T10:00:00Z,${i}.50,"a \"quoted\" note; ok"\n`
  return csv
})()
const markdown = "## Install\n\n```sh\nnpm install --save effect-guard\n```\n\n| option | default |\n| --- | --- |\n| `rateLimit` | `100/min` |\n\n> it's safe; set `trustProxy: 1` & read the [FAQ](#faq).\n\n"
  .repeat(60)
  .slice(0, 10_000)

/** Shapes that would make a careless tokenizer or rule quadratic, each repeated to the size asked. */
const ADVERSARIAL: ReadonlyArray<readonly [string, string]> = [
  ["quotes", "'"],
  ["double quotes", "\""],
  ["'or'", "'or'"],
  ["' or 1=1 ", "' or 1=1 "],
  ["/*", "/*"],
  ["--", "--"],
  ["#", "#"],
  ["union select ", "union select "],
  ["select x from ", "select x from "],
  ["a(", "a("],
  ["; drop ", "; drop "],
  ["@@", "@@"],
  ["[", "["],
  ["json pairs", "\"k\":\"v\","],
  ["words and ", "words and "]
]

const repeatTo = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size)

/**
 * Microseconds of CPU per call of the family on `value` (mayMatch and scan at `paranoia`), best of
 * a few rounds. CPU time, not wall time: the benchmark machines are shared, and waiting for a core
 * is not the family's cost.
 */
const timeScan = (value: string, paranoia: Paranoia = 1): number =>
  timeCall(() => {
    if (sql.mayMatch(value)) sql.scan(value, { location: "body", paranoia })
  }, value.length)

const timeCall = (run: () => unknown, length: number): number => {
  let best = Infinity
  const iterations = Math.max(3, Math.floor(2_000_000 / Math.max(length, 1_000)))
  for (let round = 0; round < 5; round++) {
    const start = process.cpuUsage()
    for (let k = 0; k < iterations; k++) run()
    const used = process.cpuUsage(start)
    best = Math.min(best, (used.user + used.system) / iterations)
  }
  return best
}

export const measureSpeed = () => {
  console.log("\n== speed (µs of CPU per value, best of 5 rounds)")
  const small: ReadonlyArray<readonly [string, string]> = [
    ["small benign", "effect guard docs"],
    ["small attack", "1' or '1'='1' --"],
    ["user-agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36"],
    ["embedded JSON 10 KB", embeddedJson],
    ["minified JS 10 KB", minifiedJs],
    ["base64 image 10 KB", base64Image],
    ["CSV 10 KB", csvText],
    ["markdown 10 KB", markdown]
  ]
  console.log(`  ${"".padEnd(24)} ${"level 1".padStart(10)} ${"level 2".padStart(10)} ${"mayMatch".padStart(10)}`)
  for (const [name, value] of small) {
    const gate = timeCall(() => sql.mayMatch(value), value.length)
    console.log(`  ${name.padEnd(24)} ${timeScan(value).toFixed(2).padStart(10)} ${timeScan(value, 2).toFixed(2).padStart(10)} ${gate.toFixed(2).padStart(10)}`)
  }
  console.log("\n  adversarial shapes at level 1: µs at 128 KB and 1 MB, and the worst doubling ratio from 64 KB")
  for (const [name, unit] of ADVERSARIAL) {
    const times = [65_536, 131_072, 262_144, 524_288, 1_048_576].map((size) => timeScan(repeatTo(unit, size)))
    let worst = 0
    for (let k = 1; k < times.length; k++) worst = Math.max(worst, (times[k] ?? 0) / (times[k - 1] ?? 1))
    console.log(`  ${name.padEnd(24)} ${(times[1] ?? 0).toFixed(0).padStart(10)} ${(times[4] ?? 0).toFixed(0).padStart(10)}   ratio ${worst.toFixed(2)}`)
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!process.argv.includes("--speed")) measureFamily([sql], ["sqli"])
  if (!process.argv.includes("--recall")) measureSpeed()
}
