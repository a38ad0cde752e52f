/**
 * Measures one rule family on the external corpus (test/fixtures/detection-corpus/corpus.jsonl):
 * recall per source and category for the categories the family covers, false positives per clean
 * benign source, and CRS "must not fire" rows apart. Values are pulled out of each row roughly as the
 * engine does (URL-decoded query and form parameters, JSON string leaves, header and cookie values);
 * the engine's own decoding is more thorough, so these figures are a floor.
 *
 * A row counts as caught when the family's scores over all its values reach 5, the engine's default
 * threshold. CRS rows are scored at the paranoia level they were written for, other rows at 1 and 2.
 *
 * Then the family's speed: its cost on a 10 KB value that is JSON text, and doubling ratios on
 * adversarial shapes up to 1 MB.
 *
 * Run: `npx tsx bench/family-shell.ts [--verbose] [--recall-only | --speed-only]` (about a minute).
 */
import { fileURLToPath } from "node:url"
import type { DetectionFamily, Paranoia, ValueLocation } from "../src/internal/detection/families/contract.js"
import { family as shell } from "../src/internal/detection/families/shell/index.js"
import { type CorpusRow, loadCorpus } from "../test/detection/externalCorpus.js"

interface Value {
  readonly location: ValueLocation
  readonly text: string
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", quot: "\"", amp: "&", apos: "'", "#39": "'" }

/** Repeated URL decoding and the common HTML entities: a rough stand-in for the engine's decoder. */
const decode = (text: string, plusIsSpace: boolean): string => {
  let current = plusIsSpace ? text.replace(/\+/g, " ") : text
  for (let round = 0; round < 3; round++) {
    let next = current
    try {
      next = decodeURIComponent(current)
    } catch {
      next = current.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    }
    next = next
      .replace(/&#(\d{1,7});?/g, (_, code: string) => String.fromCodePoint(Number(code) % 0x110000))
      .replace(/&#x([0-9a-f]{1,6});?/gi, (_, code: string) => String.fromCodePoint(parseInt(code, 16) % 0x110000))
      .replace(/&(lt|gt|quot|amp|apos|#39);/g, (_, name: string) => ENTITIES[name] ?? "")
    if (next === current) break
    current = next
  }
  return current
}

const formValues = (text: string, location: ValueLocation): ReadonlyArray<Value> =>
  text.split("&").flatMap((pair) => {
    const equals = pair.indexOf("=")
    const key = equals < 0 ? pair : pair.slice(0, equals)
    const value = equals < 0 ? "" : pair.slice(equals + 1)
    return [
      { location: "key" as const, text: decode(key, true) },
      { location, text: decode(value, true) }
    ]
  })

const jsonLeaves = (value: unknown, into: Array<Value>): void => {
  if (typeof value === "string") into.push({ location: "body", text: decode(value, false) })
  else if (Array.isArray(value)) for (const item of value) jsonLeaves(item, into)
  else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      into.push({ location: "key", text: key })
      jsonLeaves(item, into)
    }
  }
}

/** Attribute values and text between tags, entity-decoded; the whole text when it has no markup. */
const xmlValues = (body: string): ReadonlyArray<Value> => {
  const values: Array<Value> = []
  for (const match of body.matchAll(/=\s*"([^"]*)"|=\s*'([^']*)'|>([^<]+)</g)) {
    const text = match[1] ?? match[2] ?? match[3] ?? ""
    if (text.trim() !== "") values.push({ location: "body", text: decode(text, false) })
  }
  return values.length > 0 ? values : [{ location: "body", text: decode(body, false) }]
}

const bodyValues = (body: string, contentType: string): ReadonlyArray<Value> => {
  if (contentType.includes("json") || /^\s*[[{]/.test(body)) {
    try {
      const leaves: Array<Value> = []
      jsonLeaves(JSON.parse(body), leaves)
      return leaves
    } catch {
      // not JSON after all: read it as text below
    }
  }
  if (contentType.includes("xml") || body.trimStart().startsWith("<")) return xmlValues(body)
  if (contentType.includes("multipart")) return [{ location: "body", text: body }]
  return formValues(body, "body")
}

/** The values of a row, each with where it was found. */
export const valuesOf = (row: CorpusRow): ReadonlyArray<Value> => {
  if (row.value !== undefined && typeof row.value !== "string") return bodyValues(JSON.stringify(row.value), "application/json")
  if (row.value !== undefined) {
    switch (row.location) {
      case "query":
        return [{ location: "query", text: row.encoded === true ? decode(row.value, true) : decode(row.value, false) }]
      case "path":
        return [{ location: "path", text: decode(row.value, false) }]
      case "header":
        return [{ location: "header", text: row.value }]
      case "body_json":
        return bodyValues(row.value, "application/json")
      default:
        return bodyValues(row.value, "application/xml")
    }
  }
  const request = row.request
  if (request === undefined) return []
  const values: Array<Value> = []
  const question = request.uri.indexOf("?")
  values.push({ location: "path", text: decode(question < 0 ? request.uri : request.uri.slice(0, question), false) })
  if (question >= 0) values.push(...formValues(request.uri.slice(question + 1), "query"))
  let contentType = ""
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase()
    if (lower === "content-type") contentType = value.toLowerCase()
    if (lower === "host" || lower === "content-length") continue
    if (lower === "cookie") {
      for (const part of value.split(";")) {
        const equals = part.indexOf("=")
        values.push({ location: "key", text: decode(equals < 0 ? part.trim() : part.slice(0, equals).trim(), false) })
        if (equals >= 0) values.push({ location: "cookie", text: decode(part.slice(equals + 1), false) })
      }
    } else {
      values.push({ location: "header", text: value })
    }
  }
  const body: unknown = request.body
  if (typeof body === "string" && body !== "") values.push(...bodyValues(body, contentType))
  else if (body !== null && typeof body === "object") values.push(...bodyValues(JSON.stringify(body), "application/json"))
  return values
}

/** The families' total score on a row at one paranoia level, and the rule ids that fired. */
export const scoreRow = (
  families: ReadonlyArray<DetectionFamily>,
  values: ReadonlyArray<Value>,
  paranoia: Paranoia
): { readonly score: number; readonly rules: ReadonlyArray<string> } => {
  let score = 0
  const rules = new Set<string>()
  for (const value of values) {
    for (const family of families) {
      if (!family.mayMatch(value.text)) continue
      for (const finding of family.scan(value.text, { location: value.location, paranoia })) {
        if (!rules.has(finding.ruleId)) score += finding.score
        rules.add(finding.ruleId)
      }
    }
  }
  return { score, rules: [...rules] }
}

/** Header values every CRS row carries; left out of the verbose listing. */
const BORING = new Set([
  "OWASP CRS test agent",
  "text/xml,application/xml,application/xhtml+xml,text/html;q=0.9,text/plain;q=0.8,image/png,*/*;q=0.5",
  "/get",
  "/post",
  "keep-alive",
  ""
])

const CLEAN_BENIGN = new Set(["csic2010", "handwritten", "libinjection"])

const clampParanoia = (level: number | undefined): Paranoia =>
  level === 2 ? 2 : level === 3 ? 3 : level === 4 ? 4 : 1

const rate = (hit: number, total: number): string => `${hit}/${total} = ${(total === 0 ? 0 : hit / total).toFixed(3)}`

/** Prints the family's figures; `verbose` lists the rows missed and the benign rows refused. */
export const measureFamilies = (
  families: ReadonlyArray<DetectionFamily>,
  categories: ReadonlyArray<string>,
  verbose: boolean
): void => {
  const rows = loadCorpus()
  const recall = new Map<string, { hit1: number; hit2: number; total: number }>()
  const falsePositives = new Map<string, { hit1: number; hit2: number; total: number }>()
  const mustNotFire = { hit: 0, total: 0 }
  const missed: Array<string> = []
  const refused: Array<string> = []
  for (const row of rows) {
    if (row.expect === "anomaly") continue
    const values = valuesOf(row)
    if (row.expect === "attack") {
      if (!categories.includes(row.category)) continue
      const key = row.source === "crs" ? `crs ${row.category} PL${row.paranoia}` : `${row.source} ${row.category}`
      const entry = recall.get(key) ?? { hit1: 0, hit2: 0, total: 0 }
      const level = row.source === "crs" ? clampParanoia(row.paranoia) : 1
      const at = scoreRow(families, values, level)
      const at2 = scoreRow(families, values, Math.max(level, 2) as Paranoia)
      entry.total++
      if (at.score >= 5) entry.hit1++
      else missed.push(`${key} #${row.id}: ${JSON.stringify(values.map((v) => v.text).filter((t) => !BORING.has(t))).slice(0, 200)}`)
      if (at2.score >= 5) entry.hit2++
      recall.set(key, entry)
    } else if (row.source === "crs") {
      if (!categories.includes(row.category)) continue
      const at = scoreRow(families, values, clampParanoia(row.paranoia))
      mustNotFire.total++
      if (at.score >= 5) mustNotFire.hit++
    } else if (CLEAN_BENIGN.has(row.source)) {
      const entry = falsePositives.get(row.source) ?? { hit1: 0, hit2: 0, total: 0 }
      const at1 = scoreRow(families, values, 1)
      const at2 = scoreRow(families, values, 2)
      entry.total++
      if (at1.score >= 5) {
        entry.hit1++
        refused.push(`${row.source} #${row.id} [${at1.rules.join(",")}]: ${JSON.stringify(row.value ?? row.request).slice(0, 160)}`)
      }
      if (at2.score >= 5) entry.hit2++
      falsePositives.set(row.source, entry)
    }
  }
  console.log(`families: ${families.map((f) => f.name).join(", ")}`)
  console.log("recall (CRS rows at their own level; others at level 1 | at level 2)")
  for (const [key, entry] of [...recall.entries()].sort()) {
    console.log(`  ${key.padEnd(40)} ${rate(entry.hit1, entry.total).padEnd(18)} | ${rate(entry.hit2, entry.total)}`)
  }
  console.log("false positives on clean benign sources (level 1 | level 2)")
  for (const [key, entry] of [...falsePositives.entries()].sort()) {
    console.log(`  ${key.padEnd(40)} ${rate(entry.hit1, entry.total).padEnd(18)} | ${rate(entry.hit2, entry.total)}`)
  }
  console.log(`CRS must-not-fire rows of these categories refused: ${rate(mustNotFire.hit, mustNotFire.total)}`)
  if (verbose) {
    console.log("\nmissed:")
    for (const line of missed) console.log(`  ${line}`)
    console.log("\nrefused benign:")
    for (const line of refused) console.log(`  ${line}`)
  }
}

// ------------------------------------------------------------------------------------ speed

let seed = 42
const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647
const WORDS = "the quick brown fox jumps over a lazy dog please select an option from our list and update your profile settings today it's great".split(" ")
const sentence = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(" ")

/**
 * A 10 KB string that is itself JSON text, as a body value holding an escaped document has: many
 * quotes, colons, commas and braces, and not one command.
 */
const jsonText = (): string => {
  const orders: Array<unknown> = []
  for (let n = 0; JSON.stringify(orders).length < 10_000; n++) {
    const customer = { id: `c-${n}`, name: sentence(2), note: sentence(12), site: `https://shop.example/c/${n}?tab=orders` }
    orders.push({ order: 1000 + n, customer, lines: [{ sku: `sku-${n}`, quantity: n % 4, title: sentence(5) }], paid: n % 3 === 0 })
  }
  return JSON.stringify({ orders })
}

/** Shapes that make a command reader do the most work per character: separators, openers, quotes. */
export const ADVERSARIAL_SHAPES: ReadonlyArray<readonly [string, string]> = [
  ["';' repeated", ";"],
  ["'; ls' repeated", "; ls"],
  ["';id' repeated", ";id"],
  ["'$(' repeated", "$("],
  ["'$(id)' repeated", "$(id)"],
  ["'`' repeated", "`"],
  ["'`id`' repeated", "`id`"],
  ["'\"' repeated", "\""],
  ["\"'\" repeated", "'"],
  ["'\"a\":' repeated", "\"a\":"],
  ["'| ' repeated", "| "],
  ["'&' repeated", "&"],
  ["newline repeated", "\n"],
  ["'${' repeated", "${"],
  ["'{a,' repeated", "{a,"],
  ["'c\\a' repeated", "c\\a"],
  ["'$IFS' repeated", "$IFS"],
  ["'/???/' repeated", "/???/"],
  ["'a(' repeated", "a("],
  ["'eval(' repeated", "eval("],
  ["'<?' repeated", "<?"],
  ["'{{' repeated", "{{"],
  ["'O:1:\"' repeated", "O:1:\""],
  ["'java.' repeated", "java."],
  ["'%' repeated", "%"],
  ["'aaaa' (no special chars)", "a"]
]

/**
 * CPU microseconds per scan (this process's user and system time, so other work on a shared machine
 * counts less than in wall-clock time): warm up, then as many scans as fit in `budgetMs`, best of 3.
 */
const timeScan = (family: DetectionFamily, value: string, budgetMs: number): number => {
  const once = () => {
    if (family.mayMatch(value)) family.scan(value, { location: "body", paranoia: 1 })
  }
  const warmUntil = performance.now() + budgetMs / 2
  while (performance.now() < warmUntil) once()
  let best = Infinity
  for (let round = 0; round < 3; round++) {
    let n = 0
    const wall = performance.now()
    const cpu = process.cpuUsage()
    while (performance.now() - wall < budgetMs / 3 || n === 0) {
      once()
      n++
    }
    const used = process.cpuUsage(cpu)
    best = Math.min(best, (used.user + used.system) / n)
  }
  return best
}

const SIZES = [131_072, 262_144, 524_288, 1_048_576]

/**
 * Prints the family's cost on the 10 KB JSON-text value against `targetMicros`, and on each
 * adversarial shape at doubling sizes with the doubling ratios (linear is about 2, the target <= 2.3).
 */
export const measureSpeed = (family: DetectionFamily, targetMicros: number): void => {
  const text = jsonText()
  console.log(`\nspeed of ${family.name}`)
  console.log(`  10 KB JSON text value: ${timeScan(family, text, 1500).toFixed(1)} µs of CPU (target <= ${targetMicros} µs)`)
  console.log(`  ${"shape".padEnd(26)}${SIZES.map((s) => `${s / 1024} KB`.padStart(10)).join("")}   doubling ratios`)
  let worst = 0
  for (const [name, unit] of ADVERSARIAL_SHAPES) {
    const times = SIZES.map((size) => timeScan(family, unit.repeat(Math.ceil(size / unit.length)).slice(0, size), 300) / 1000)
    const ratios = times.slice(1).map((t, i) => t / Math.max(times[i] ?? t, 0.05))
    worst = Math.max(worst, ...ratios)
    console.log(`  ${name.padEnd(26)}${times.map((t) => t.toFixed(2).padStart(10)).join("")}   ${ratios.map((r) => r.toFixed(2)).join(" ")}`)
  }
  console.log(`  worst doubling ratio: ${worst.toFixed(2)} (ms of CPU per scan above; linear is about 2)`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!process.argv.includes("--speed-only")) measureFamilies([shell], ["cmd_injection", "rce"], process.argv.includes("--verbose"))
  if (!process.argv.includes("--recall-only")) measureSpeed(shell, 60)
}
