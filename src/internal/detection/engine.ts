/**
 * The scanner: splits a request into located values, normalises each once, runs one combined regex
 * per location kind (chosen by where the value comes from and whether it is token-shaped), adds
 * custom patterns and bounded base64 views, and scores the hits. Budgets on characters and values
 * cap the work; whatever they cut is reported.
 *
 * @internal
 */
import type {
  CustomPattern,
  DetectionBody,
  DetectionContext,
  DetectionInput,
  DetectionMatch,
  DetectionResult,
  MatchCategory,
  SkipReason
} from "../../ThreatDetector.js"
import { decodeBase64View, decodeComponent, normalise, preview } from "./normalize.js"
import {
  BUILTIN_PATTERNS,
  DEFAULT_EXCLUDED_HEADERS,
  type DetectionCategory,
  type PatternDef,
  Where,
  type WhereName
} from "./patterns.js"
import { type CharMask, requiredChars, vetPattern } from "./redos.js"

/** Fully resolved engine settings. */
export interface EngineSettings {
  readonly enabled: boolean
  readonly categories: ReadonlySet<DetectionCategory>
  readonly customPatterns: ReadonlyArray<CustomPattern>
  readonly excludedHeaders: ReadonlySet<string>
  readonly excludedParameters: ReadonlySet<string>
  readonly thresholds: Readonly<Partial<Record<MatchCategory, number>>>
  readonly maxBytes: number
  readonly maxValues: number
  readonly maxBase64Attempts: number
  readonly maxJsonDepth: number
  readonly maxDecodeRounds: number
  readonly maxMatches: number
  readonly scanBody: boolean
}

type Slot = "path" | "query" | "header" | "headerToken" | "cookie" | "cookieToken" | "body" | "bodyToken" | "key" | "always"

interface Scorable {
  readonly id: string
  readonly category: MatchCategory
  readonly weight: number
}

/** Patterns sharing a prefilter: they run only when the value contains one of `mask`'s characters. */
interface Bucket {
  readonly regex: RegExp
  readonly defs: ReadonlyArray<PatternDef>
  /** The same patterns one by one, sticky: after a hit, each is tried at the hit's position. */
  readonly singles: ReadonlyArray<RegExp>
  /** The same patterns one by one, global: used after {@link MAX_HITS_PER_BUCKET} hits. */
  readonly rests: ReadonlyArray<RegExp>
  /** Undefined: always run (the patterns can match letters alone). */
  readonly mask: CharMask | undefined
}

type CompiledSlot = ReadonlyArray<Bucket>

interface CompiledCustom extends Scorable {
  readonly regex: RegExp
  readonly where: number
}

/** A custom pattern as the engine runs it, or the reason it cannot run. */
export const compileCustom = (
  pattern: CustomPattern,
  index: number
): { readonly _tag: "ok"; readonly value: CompiledCustom } | { readonly _tag: "rejected"; readonly reason: string } => {
  const flags = [...new Set(`${pattern.flags ?? ""}i`)].join("")
  const verdict = vetPattern(pattern.pattern, flags)
  if (!verdict.safe) return { _tag: "rejected", reason: verdict.reason ?? "unsafe" }
  const where = pattern.locations === undefined
    ? Where.path | Where.query | Where.header | Where.cookie | Where.body | Where.key
    : pattern.locations.reduce((acc, name) => acc | Where[name], 0)
  return {
    _tag: "ok",
    value: {
      id: pattern.id ?? `custom.${index}`,
      category: pattern.category ?? "custom",
      weight: pattern.weight ?? 1,
      regex: new RegExp(pattern.pattern, flags),
      where
    }
  }
}

const MAX_HITS_PER_BUCKET = 16
const TOKEN_SLOTS: Readonly<Record<WhereName, Slot>> = {
  path: "path",
  query: "query",
  header: "headerToken",
  cookie: "cookieToken",
  body: "bodyToken",
  key: "key"
}
const PROSE_SLOTS: Readonly<Record<WhereName, Slot>> = {
  path: "path",
  query: "query",
  header: "header",
  cookie: "cookie",
  body: "body",
  key: "key"
}

const maskKey = (mask: CharMask | undefined): string => (mask === undefined ? "*" : `${mask.words.join(",")},${mask.nonAscii}`)

/**
 * Groups patterns by their prefilter (the characters every match must contain, derived from the
 * pattern's syntax tree) and combines each group into one regex; small groups keep every regex well
 * inside what V8 compiles to native code.
 */
const buildSlot = (
  defs: ReadonlyArray<PatternDef>,
  masks: ReadonlyMap<string, CharMask | undefined>
): CompiledSlot | undefined => {
  if (defs.length === 0) return undefined
  const groups = new Map<string, { mask: CharMask | undefined; defs: Array<PatternDef> }>()
  for (const def of defs) {
    const mask = masks.get(def.id)
    const key = maskKey(mask)
    const group = groups.get(key)
    if (group === undefined) groups.set(key, { mask, defs: [def] })
    else group.defs.push(def)
  }
  return [...groups.values()].map(({ defs, mask }) => ({
    regex: new RegExp(defs.map((d) => `(${d.source})`).join("|"), "g"),
    defs,
    singles: defs.map((d) => new RegExp(d.source, "y")),
    rests: defs.map((d) => new RegExp(d.source, "g")),
    mask
  }))
}

/** Which ASCII characters occur in `text` (four 32-bit words) and whether any non-ASCII one does. */
const presence = (text: string): CharMask => {
  let w0 = 0
  let w1 = 0
  let w2 = 0
  let w3 = 0
  let nonAscii = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 32) w0 |= 1 << c
    else if (c < 64) w1 |= 1 << (c - 32)
    else if (c < 96) w2 |= 1 << (c - 64)
    else if (c < 128) w3 |= 1 << (c - 96)
    else nonAscii = true
  }
  return { words: [w0, w1, w2, w3], nonAscii }
}

const intersects = (a: CharMask, b: CharMask): boolean =>
  (a.words[0] & b.words[0]) !== 0 || (a.words[1] & b.words[1]) !== 0 || (a.words[2] & b.words[2]) !== 0 ||
  (a.words[3] & b.words[3]) !== 0 || (a.nonAscii && b.nonAscii)

const compileSlots = (categories: ReadonlySet<DetectionCategory>): Readonly<Record<Slot, CompiledSlot | undefined>> => {
  const enabled = BUILTIN_PATTERNS.filter((d) => categories.has(d.category))
  const masks = new Map(enabled.map((d) => [d.id, requiredChars(d.source)] as const))
  const forWhere = (bit: number, token: boolean) =>
    buildSlot(enabled.filter((d) => (d.where & bit) !== 0 && (token || !d.tokenOnly)), masks)
  return {
    path: forWhere(Where.path, true),
    query: forWhere(Where.query, true),
    header: forWhere(Where.header, false),
    headerToken: forWhere(Where.header, true),
    cookie: forWhere(Where.cookie, false),
    cookieToken: forWhere(Where.cookie, true),
    body: forWhere(Where.body, false),
    bodyToken: forWhere(Where.body, true),
    key: forWhere(Where.key, true),
    always: buildSlot(enabled.filter((d) => d.always), masks)
  }
}

const NULL_BYTE: Scorable = { id: "path_traversal.null_byte", category: "path_traversal", weight: 1 }
const UNSAFE_LOCATION = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g

const safeLocation = (s: string): string => {
  const cleaned = s.replace(UNSAFE_LOCATION, "?")
  return cleaned.length > 128 ? `${cleaned.slice(0, 127)}…` : cleaned
}

const jsonSegment = (key: string): string => (/^[\w$-]{1,64}$/.test(key) ? `.${key}` : `[${JSON.stringify(key.slice(0, 64))}]`)

type Pairs = ReadonlyArray<readonly [string, string]>

const parsePairs = (raw: string, separator: string, plus: boolean): Array<readonly [string, string]> => {
  const out: Array<readonly [string, string]> = []
  if (raw === "") return out
  for (const piece of raw.split(separator)) {
    if (piece === "") continue
    const at = piece.indexOf("=")
    const name = at < 0 ? piece : piece.slice(0, at)
    const value = at < 0 ? "" : piece.slice(at + 1)
    out.push([decodeComponent(name.trim(), plus), plus ? value.replace(/\+/g, " ") : value.trim()])
  }
  return out
}

const toPairs = (input: Readonly<Record<string, string>> | Pairs | undefined): Pairs =>
  input === undefined ? [] : Array.isArray(input) ? (input as Pairs) : Object.entries(input as Record<string, string>)

const SIMPLE_NAME = /^[A-Za-z0-9-]{0,64}$/

/** The detector as a plain function: never throws for any input. */
export const makeEngine = (settings: EngineSettings): ((input: DetectionInput, context?: DetectionContext) => DetectionResult) => {
  const slots = compileSlots(settings.categories)
  const custom: ReadonlyArray<CompiledCustom> = settings.customPatterns.flatMap((p, i) => {
    const compiled = compileCustom(p, i)
    return compiled._tag === "ok" ? [compiled.value] : []
  })
  const excludedHeaders = new Set([...DEFAULT_EXCLUDED_HEADERS, ...[...settings.excludedHeaders].map((h) => h.toLowerCase())])
  const excludedParameters = new Set([...settings.excludedParameters].map((p) => p.toLowerCase()))
  const threshold = (category: MatchCategory): number => settings.thresholds[category] ?? 1

  const scan = (input: DetectionInput, context: DetectionContext | undefined): DetectionResult => {
    const disabled = context?.disabledCategories === undefined ? undefined : new Set<string>(context.disabledCategories)
    const extraHeaders = context?.excludedHeaders === undefined
      ? undefined
      : new Set([...context.excludedHeaders].map((h) => h.toLowerCase()))
    const extraParameters = context?.excludedParameters === undefined
      ? undefined
      : new Set([...context.excludedParameters].map((h) => h.toLowerCase()))
    const isExcludedParameter = (name: string): boolean => {
      const lower = name.toLowerCase()
      return excludedParameters.has(lower) || (extraParameters?.has(lower) ?? false)
    }

    const hits = new Map<string, Scorable>()
    const matches: Array<DetectionMatch> = []
    const seenMatches = new Set<string>()
    const reasons = new Set<SkipReason>()
    let bytes = 0
    let values = 0
    let skippedBytes = 0
    let skippedValues = 0
    let base64Attempts = 0

    const record = (def: Scorable, location: string, part: DetectionMatch["part"], text: string, index: number, length: number) => {
      if (disabled?.has(def.category)) return
      if (!hits.has(def.id)) hits.set(def.id, def)
      const key = `${location}\u0000${def.id}`
      if (seenMatches.has(key)) return
      seenMatches.add(key)
      if (matches.length >= settings.maxMatches) {
        reasons.add("matches")
        return
      }
      matches.push({
        location: safeLocation(location),
        part,
        category: def.category,
        patternId: def.id,
        weight: def.weight,
        preview: preview(text, index, length)
      })
    }

    const runSlot = (slot: CompiledSlot | undefined, text: string, location: string, part: DetectionMatch["part"]) => {
      if (slot === undefined) return
      const present = presence(text)
      for (const bucket of slot) {
        if (bucket.mask !== undefined && !intersects(bucket.mask, present)) continue
        const regex = bucket.regex
        const found = new Set<number>()
        regex.lastIndex = 0
        let hits = 0
        while (true) {
          const m = regex.exec(text)
          if (m === null) break
          // the combined regex reports one pattern per position: try the others at the same position
          for (let i = 0; i < bucket.defs.length; i++) {
            const def = bucket.defs[i]
            const single = bucket.singles[i]
            if (def === undefined || single === undefined || found.has(i)) continue
            single.lastIndex = m.index
            const hit = m[i + 1] !== undefined ? m : single.exec(text)
            if (hit !== null) {
              found.add(i)
              record(def, location, part, text, hit.index, hit[0].length)
            }
          }
          if (found.size === bucket.defs.length) break
          if (++hits >= MAX_HITS_PER_BUCKET) {
            // many hits: finish with each pattern not found yet, from here on
            for (let i = 0; i < bucket.defs.length; i++) {
              const def = bucket.defs[i]
              const rest = bucket.rests[i]
              if (def === undefined || rest === undefined || found.has(i)) continue
              rest.lastIndex = m.index + 1
              const hit = rest.exec(text)
              if (hit !== null) record(def, location, part, text, hit.index, hit[0].length)
            }
            break
          }
          regex.lastIndex = m.index + 1
        }
        regex.lastIndex = 0
      }
    }

    const runViews = (text: string, where: WhereName, location: string, part: DetectionMatch["part"]) => {
      const tokenShaped = !text.includes(" ") && !text.includes("\n")
      runSlot(slots[(tokenShaped ? TOKEN_SLOTS : PROSE_SLOTS)[where]], text, location, part)
      if (custom.length > 0) {
        const bit = Where[where]
        for (const c of custom) {
          if ((c.where & bit) === 0) continue
          const m = c.regex.exec(text)
          if (m !== null) record(c, location, part, text, m.index, m[0].length)
        }
      }
    }

    /** Takes a value into the budget; returns the part that may be scanned, or undefined. */
    const admit = (raw: string): string | undefined => {
      if (values >= settings.maxValues) {
        skippedValues++
        skippedBytes += raw.length
        reasons.add("values")
        return undefined
      }
      const remaining = settings.maxBytes - bytes
      if (remaining <= 0) {
        skippedValues++
        skippedBytes += raw.length
        reasons.add("bytes")
        return undefined
      }
      values++
      if (raw.length > remaining) {
        skippedBytes += raw.length - remaining
        reasons.add("bytes")
        bytes += remaining
        return raw.slice(0, remaining)
      }
      bytes += raw.length
      return raw
    }

    const scanValue = (raw: string, where: WhereName, location: string, part: DetectionMatch["part"] = "value") => {
      if (raw.length === 0) return
      const value = admit(raw)
      if (value === undefined) return
      const norm = normalise(value, settings.maxDecodeRounds)
      if (norm.decodeExhausted) reasons.add("decode_rounds")
      runViews(norm.text, where, location, part)
      if (norm.nulView !== undefined) runViews(norm.nulView, where, location, part)
      if (norm.nul && where !== "header" && settings.categories.has("path_traversal")) {
        record(NULL_BYTE, location, part, norm.text, 0, norm.text.length)
      }
      if (value.length >= 16) {
        if (base64Attempts >= settings.maxBase64Attempts) {
          if (/^[A-Za-z0-9+/_-]{16,}={0,2}$/.test(value)) reasons.add("base64")
          return
        }
        const decoded = decodeBase64View(value)
        if (value.length <= 8192 && /^[A-Za-z0-9+/_-]{16,}={0,2}$/.test(value)) base64Attempts++
        if (decoded !== undefined) runViews(normalise(decoded, settings.maxDecodeRounds).text, where, location, "decoded")
      }
    }

    const scanName = (name: string, location: string) => {
      if (!SIMPLE_NAME.test(name)) scanValue(name, "key", location, "name")
    }

    const scanAlways = (raw: string, location: string) => {
      if (slots.always === undefined || raw.length === 0) return
      const value = admit(raw)
      if (value === undefined) return
      runSlot(slots.always, normalise(value, settings.maxDecodeRounds).text, location, "value")
    }

    const scanPairs = (pairs: Pairs, where: WhereName, prefix: string) => {
      for (const [name, value] of pairs) {
        if (isExcludedParameter(name)) continue
        const location = `${prefix}.${name}`
        scanName(name, location)
        scanValue(value, where, location)
      }
    }

    const scanJson = (root: unknown) => {
      const stack: Array<{ readonly value: unknown; readonly path: string; readonly depth: number; readonly parentKey: string }> = [
        { value: root, path: "body", depth: 0, parentKey: "" }
      ]
      while (stack.length > 0) {
        const item = stack.pop()
        if (item === undefined) break
        const { depth, parentKey, path: at, value } = item
        if (typeof value === "string") {
          scanValue(value, "body", at)
        } else if (Array.isArray(value)) {
          if (depth >= settings.maxJsonDepth) {
            reasons.add("json_depth")
            scanValue(JSON.stringify(value), "body", at)
            continue
          }
          for (let i = value.length - 1; i >= 0; i--) {
            stack.push({ value: value[i], path: `${at}[${i}]`, depth: depth + 1, parentKey })
          }
        } else if (typeof value === "object" && value !== null) {
          if (depth >= settings.maxJsonDepth) {
            reasons.add("json_depth")
            scanValue(JSON.stringify(value), "body", at)
            continue
          }
          const entries = Object.entries(value)
          for (let i = entries.length - 1; i >= 0; i--) {
            const entry = entries[i]
            if (entry === undefined) continue
            const [key, child] = entry
            if (isExcludedParameter(key)) continue
            const childPath = `${at}${jsonSegment(key)}`
            if (!SIMPLE_NAME.test(key) || key === "prototype") {
              scanValue(parentKey === "" ? key : `${parentKey}.${key}`, "key", childPath, "name")
            }
            stack.push({ value: child, path: childPath, depth: depth + 1, parentKey: key })
          }
        }
      }
    }

    const scanBody = (body: DetectionBody) => {
      switch (body.kind) {
        case "fields":
          return scanPairs(body.fields, "body", "body")
        case "form":
          return scanPairs(parsePairs(body.text, "&", true), "body", "body")
        case "text":
          return scanValue(body.text, "body", "body")
        case "json": {
          if (body.text.length > settings.maxBytes - bytes) return scanValue(body.text, "body", "body")
          let parsed: unknown
          try {
            parsed = JSON.parse(body.text)
          } catch {
            return scanValue(body.text, "body", "body")
          }
          return scanJson(parsed)
        }
      }
    }

    // path (and a query string left on it)
    const rawPath = typeof input.path === "string" ? input.path : ""
    const q = rawPath.indexOf("?")
    const path = q >= 0 ? rawPath.slice(0, q) : rawPath
    const query = input.query ?? (q >= 0 ? rawPath.slice(q + 1) : undefined)
    scanValue(path, "path", "path")

    if (query !== undefined) {
      const pairs = typeof query === "string" ? parsePairs(query.startsWith("?") ? query.slice(1) : query, "&", true) : query
      scanPairs(pairs, "query", "query")
    }

    let cookies: Pairs | undefined = input.cookies === undefined ? undefined : toPairs(input.cookies)
    for (const [rawName, value] of toPairs(input.headers)) {
      const name = rawName.toLowerCase()
      if (name === "cookie" && cookies === undefined) {
        cookies = parsePairs(value, ";", false)
        continue
      }
      const location = `header.${name}`
      if (excludedHeaders.has(name) || (extraHeaders?.has(name) ?? false)) scanAlways(value, location)
      else scanValue(value, "header", location)
    }
    if (cookies !== undefined) scanPairs(cookies, "cookie", "cookie")

    if (input.body !== undefined) {
      if (settings.scanBody && context?.scanBody !== false) scanBody(input.body)
    }

    // scoring
    const categoryScores: Partial<Record<MatchCategory, number>> = {}
    let score = 0
    for (const hit of hits.values()) {
      categoryScores[hit.category] = (categoryScores[hit.category] ?? 0) + hit.weight
      score += hit.weight
    }
    const categories = (Object.keys(categoryScores) as Array<MatchCategory>).filter(
      (c) => (categoryScores[c] ?? 0) >= threshold(c)
    )
    return {
      isThreat: categories.length > 0,
      categories,
      patternIds: [...hits.keys()],
      score,
      categoryScores,
      matches,
      truncated: skippedBytes > 0 || skippedValues > 0 || reasons.has("base64") || reasons.has("json_depth"),
      skipped: { values: skippedValues, bytes: skippedBytes, reasons: [...reasons] },
      scanned: { values, bytes }
    }
  }

  return (input, context) => {
    if (!settings.enabled) return emptyResult
    try {
      return scan(input, context)
    } catch (error) {
      return failedResult(error)
    }
  }
}

/** What a disabled detector answers. */
export const emptyResult: DetectionResult = {
  isThreat: false,
  categories: [],
  patternIds: [],
  score: 0,
  categoryScores: {},
  matches: [],
  truncated: false,
  skipped: { values: 0, bytes: 0, reasons: [] },
  scanned: { values: 0, bytes: 0 }
}

const failedResult = (error: unknown): DetectionResult => ({
  ...emptyResult,
  truncated: true,
  skipped: { values: 0, bytes: 0, reasons: ["error"] },
  error: safeLocation(error instanceof Error ? `${error.name}: ${error.message}` : String(error))
})
