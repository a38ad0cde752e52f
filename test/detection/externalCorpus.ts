/**
 * The external corpus (test/fixtures/detection-corpus/corpus.jsonl, cases nobody on this project
 * wrote) run through `ThreatDetector.detect` as the `suspicious_activity` check calls it: each row
 * becomes the request a client would send (query parameter `q` URL-encoded, a whole request with its
 * method, URI, headers and body, a body without a type sent as a form), and its body is read by the
 * guard's own body reader (JSON, form, multipart, text). Shared by bench/detection-corpus.ts, which
 * prints the figures, and externalCorpus.test.ts, which holds the floors.
 */
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { bodyOf } from "../../src/internal/scanBody.js"
import type { DetectionInput, DetectionResult, ThreatDetectorService } from "../../src/ThreatDetector.js"

export interface CorpusRow {
  readonly id: number
  readonly source: string
  readonly category: string
  readonly expect: "attack" | "benign" | "anomaly"
  readonly location: "request" | "query" | "body" | "body_json" | "path" | "header" | "headers"
  readonly value?: unknown
  readonly encoded?: boolean
  readonly paranoia?: number
  readonly rule?: string
  readonly request?: {
    readonly method: string
    readonly uri: string
    readonly headers: Readonly<Record<string, string>>
    readonly body: string | null
  }
}

const CORPUS = fileURLToPath(new URL("../fixtures/detection-corpus/corpus.jsonl", import.meta.url))

export const loadCorpus = (): ReadonlyArray<CorpusRow> =>
  readFileSync(CORPUS, "utf8").split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as CorpusRow)

/** The clean benign sources: real traffic that must pass. */
export const CLEAN_BENIGN = new Set(["csic2010", "handwritten", "libinjection"])

const BROWSER = {
  host: "shop.example.com",
  "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
  accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
}

const lower = (headers: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]))

const view = (text: string, contentType: string) => bodyOf(new TextEncoder().encode(text), contentType, false)

/**
 * A multipart body the guard's parser refuses (lines ended by a bare LF) is refused by the middleware
 * with a 400 before any rule runs. Lenient servers accept one, so `detect` is given the fields such a
 * server reads, its line ends made CRLF, rather than no body at all.
 */
const withBody = (input: DetectionInput, text: string, contentType: string): Effect.Effect<DetectionInput> =>
  Effect.flatMap(view(text, contentType), (read) =>
    "error" in read && text.includes("\n")
      ? view(text.replace(BARE_LF, "\r\n"), contentType)
      : Effect.succeed(read)).pipe(Effect.map((read) => ("body" in read ? { ...input, body: read.body } : input)))

const BARE_LF = /\r?\n/g

const split = (uri: string): { path: string; query: string | undefined } => {
  const at = uri.indexOf("?")
  return at < 0 ? { path: uri, query: undefined } : { path: uri.slice(0, at), query: uri.slice(at + 1) }
}

/** The request a client sends for `row`, as the detector sees it. */
export const inputOf = (row: CorpusRow): Effect.Effect<DetectionInput> => {
  const value = typeof row.value === "string" ? row.value : ""
  switch (row.location) {
    case "query":
      return Effect.succeed({ path: "/search", query: `q=${row.encoded === true ? value : encodeURIComponent(value)}`, headers: BROWSER })
    case "path":
      return Effect.succeed({ path: value.startsWith("/") ? value : `/${value}`, headers: BROWSER })
    case "header":
      return Effect.succeed({ path: "/api", headers: { ...BROWSER, "x-api-version": value } })
    case "headers":
      return Effect.succeed({ path: "/", headers: { ...BROWSER, ...lower(row.value as Record<string, string>) } })
    case "body":
      return withBody({ path: "/api", headers: { ...BROWSER, "content-type": "application/xml" } }, value, "application/xml")
    case "body_json":
      return withBody({ path: "/api", headers: { ...BROWSER, "content-type": "application/json" } }, value, "application/json")
    case "request": {
      const request = row.request!
      const headers = lower(request.headers)
      const { path, query } = split(request.uri)
      const input: DetectionInput = query === undefined ? { path, headers } : { path, query, headers }
      if (request.body === null || request.body === "") return Effect.succeed(input)
      const type = headers["content-type"] ?? "application/x-www-form-urlencoded"
      return withBody({ ...input, headers: { ...headers, "content-type": type } }, request.body, type)
    }
  }
}

export interface Tally {
  caught: number
  total: number
}

export interface CorpusReport {
  /** Attack rows caught, by source. */
  readonly recallBySource: Readonly<Record<string, Tally>>
  /** Attack rows caught, by `source/category`. */
  readonly recallByCategory: Readonly<Record<string, Tally>>
  /** CRS attack rows caught, by the paranoia level they were written for. */
  readonly crsByParanoia: Readonly<Record<string, Tally>>
  /** Benign rows refused, by source (CRS "must not fire" rows apart). */
  readonly refusedBySource: Readonly<Record<string, Tally>>
  readonly missed: ReadonlyArray<CorpusRow>
  readonly falsePositives: ReadonlyArray<{ readonly row: CorpusRow; readonly result: DetectionResult }>
}

const add = (tallies: Record<string, Tally>, key: string, hit: boolean): void => {
  const t = (tallies[key] ??= { caught: 0, total: 0 })
  t.total++
  if (hit) t.caught++
}

/** Runs every row through `detector`; `seen` gets each scored row's result. */
export const runCorpus = (
  detector: ThreatDetectorService,
  rows: ReadonlyArray<CorpusRow>,
  seen?: (row: CorpusRow, result: DetectionResult) => void
): Effect.Effect<CorpusReport> =>
  Effect.gen(function*() {
    const recallBySource: Record<string, Tally> = {}
    const recallByCategory: Record<string, Tally> = {}
    const crsByParanoia: Record<string, Tally> = {}
    const refusedBySource: Record<string, Tally> = {}
    const missed: Array<CorpusRow> = []
    const falsePositives: Array<{ row: CorpusRow; result: DetectionResult }> = []
    for (const row of rows) {
      if (row.expect === "anomaly") continue
      const result = yield* detector.detect(yield* inputOf(row))
      seen?.(row, result)
      if (row.expect === "attack") {
        add(recallBySource, row.source, result.isThreat)
        add(recallByCategory, `${row.source}/${row.category}`, result.isThreat)
        if (row.source === "crs") add(crsByParanoia, `PL${row.paranoia ?? 1}`, result.isThreat)
        if (!result.isThreat) missed.push(row)
      } else {
        add(refusedBySource, row.source === "crs" ? "crs (must not fire)" : row.source, result.isThreat)
        if (result.isThreat) falsePositives.push({ row, result })
      }
    }
    return { recallBySource, recallByCategory, crsByParanoia, refusedBySource, missed, falsePositives }
  })

export const rate = (t: Tally | undefined): number => (t === undefined || t.total === 0 ? 0 : t.caught / t.total)

/** The tallies of every source or category added up. */
export const sumTallies = (tallies: Readonly<Record<string, Tally>>): Tally =>
  Object.values(tallies).reduce((acc, t) => ({ caught: acc.caught + t.caught, total: acc.total + t.total }), { caught: 0, total: 0 })

/** Clean benign rows refused, over all clean sources. */
export const cleanRefused = (report: CorpusReport): Tally => {
  const out = { caught: 0, total: 0 }
  for (const source of CLEAN_BENIGN) {
    const t = report.refusedBySource[source]
    if (t !== undefined) {
      out.caught += t.caught
      out.total += t.total
    }
  }
  return out
}
