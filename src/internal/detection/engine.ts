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
import { type CharMask, requiredChars, type Requirement, requirement, vetPattern } from "./redos.js"

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

/**
 * A {@link Requirement} flattened for the hot path: `chars`, characters that must all occur (four
 * words, as in {@link PRESENCE}); `sets`, sets of which one character each must occur (five numbers
 * per set: four words and the non-ASCII flag); `any`, nested alternatives (rare).
 */
interface FlatRequirement {
  readonly chars: Int32Array
  readonly sets: Int32Array
  readonly any: ReadonlyArray<FlatAlternatives>
  /** One set every match meets (its rarest needed character, or a needed set); undefined: none. */
  readonly pick: Int32Array | undefined
}

/** Alternatives, one of which must hold; `gate` (the union of their picks) rejects most values at once. */
interface FlatAlternatives {
  readonly alts: ReadonlyArray<FlatRequirement>
  readonly gate: Int32Array | undefined
}

/** What {@link Scan.runBucket} needs: the combined regex and its patterns. */
interface RunnableBucket {
  readonly regex: RegExp
  readonly defs: ReadonlyArray<PatternDef>
  readonly singles: ReadonlyArray<RegExp>
  readonly rests: ReadonlyArray<RegExp>
}

const MAX_SUBSETS = 32

/** Patterns sharing a prefilter: they run only when the value contains one of `mask`'s characters. */
interface Bucket extends RunnableBucket {
  readonly regex: RegExp
  readonly defs: ReadonlyArray<PatternDef>
  /** The same patterns one by one, sticky: after a hit, each is tried at the hit's position. */
  readonly singles: ReadonlyArray<RegExp>
  /** The same patterns one by one, global: used after {@link MAX_HITS_PER_BUCKET} hits. */
  readonly rests: ReadonlyArray<RegExp>
  /** Undefined: always run (the patterns can match letters alone). */
  readonly mask: CharMask | undefined
  /** Per pattern, a necessary condition on the value's characters: the bucket runs when one holds. */
  readonly requirements: ReadonlyArray<FlatRequirement>
  /** Characters every pattern of the bucket needs (checked first). */
  readonly common: Int32Array
  /** The union of the patterns' picks: a value meeting none of it matches no pattern of the bucket. */
  readonly gate: Int32Array | undefined
  /**
   * Narrower buckets, by the bit set of the patterns a value's presence allows: a smaller
   * alternation scans faster and, since the others cannot match, finds the same hits in the same
   * order. At most {@link MAX_SUBSETS} are kept per bucket; beyond that the whole bucket runs.
   */
  readonly subsets: Map<number, RunnableBucket>
}

/**
 * A slot's buckets, indexed by character: `rows` holds, per ASCII character (and one row for
 * non-ASCII ones), the bit set of buckets whose prefilter names it; `always` the buckets without a
 * prefilter; `union` the characters any prefilter names. A value's candidate buckets come from the
 * few unusual characters it contains, not from testing every bucket.
 */
interface CompiledSlot {
  readonly buckets: ReadonlyArray<Bucket>
  readonly width: number
  readonly rows: Int32Array
  readonly always: Int32Array
  readonly union: Int32Array
  /** A memo of {@link MEMO_SIZE} entries: presence (five numbers) and the buckets to run for it. */
  readonly memoKeys: Int32Array
  readonly memoRuns: Array<ReadonlyArray<RunnableBucket> | undefined>
}

/**
 * Which buckets a value needs depends only on its character presence, and requests repeat the same
 * few presences (same headers, paths, cookies), so each slot remembers its last decisions in a small
 * two-way set-associative table (512 sets): a hit costs one hash and five comparisons (ten for the
 * older way), a miss recomputes and evicts the older way of its set.
 */
const MEMO_SIZE = 1024
const NO_BUCKETS: ReadonlyArray<RunnableBucket> = Object.freeze([])

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
  const buckets: ReadonlyArray<Bucket> = [...groups.values()].map(({ defs, mask }) => {
    const requirements = defs.map((d) => flatRequirementOf(d.source, mask))
    const common = new Int32Array(4).fill(-1)
    for (const r of requirements) for (let k = 0; k < 4; k++) common[k]! &= r.chars[k]!
    return {
      regex: new RegExp(defs.map((d) => `(${d.source})`).join("|"), "g"),
      defs,
      singles: defs.map((d) => new RegExp(d.source, "y")),
      rests: defs.map((d) => new RegExp(d.source, "g")),
      mask,
      requirements,
      common,
      gate: unionOf(requirements.map((r) => r.pick)),
      subsets: new Map()
    }
  })
  const width = Math.ceil(buckets.length / 32)
  const rows = new Int32Array(129 * width)
  const always = new Int32Array(width)
  const union = new Int32Array(5)
  buckets.forEach((bucket, b) => {
    const word = b >>> 5
    const bit = 1 << (b & 31)
    const mask = bucket.mask
    if (mask === undefined) {
      always[word]! |= bit
      return
    }
    for (let c = 0; c < 128; c++) {
      if ((mask.words[c >>> 5]! & (1 << (c & 31))) !== 0) rows[c * width + word]! |= bit
    }
    if (mask.nonAscii) rows[128 * width + word]! |= bit
    for (let k = 0; k < 4; k++) union[k]! |= mask.words[k]!
    if (mask.nonAscii) union[4] = 1
  })
  return {
    buckets,
    width,
    rows,
    always,
    union,
    memoKeys: new Int32Array(MEMO_SIZE * 5),
    memoRuns: new Array<ReadonlyArray<RunnableBucket> | undefined>(MEMO_SIZE).fill(undefined)
  }
}

/** Requirements by pattern source: the same built-in pattern serves several slots and detectors. */
const REQUIREMENTS = new Map<string, Requirement>()
const requirementOf = (source: string): Requirement => {
  let r = REQUIREMENTS.get(source)
  if (r === undefined) {
    r = requirement(source)
    REQUIREMENTS.set(source, r)
  }
  return r
}

const FLAT_REQUIREMENTS = new Map<string, FlatRequirement>()
const flatRequirementOf = (source: string, known: CharMask | undefined): FlatRequirement => {
  const key = `${maskKey(known)}\u0000${source}`
  let r = FLAT_REQUIREMENTS.get(key)
  if (r === undefined) {
    r = flatRequirement(requirementOf(source), known)
    FLAT_REQUIREMENTS.set(key, r)
  }
  return r
}

const isSingleAscii = (m: CharMask): boolean =>
  !m.nonAscii && m.words.reduce((n, w) => n + (w === 0 ? 0 : (w & (w - 1)) === 0 ? 1 : 2), 0) === 1

/** Characters from most to least common in ordinary requests (letters by English frequency). */
const COMMON_ORDER = " etaoinshrdlcumwfgypbvkjxqz0123456789-./=_,:;&%+"
const RARITY = Array.from({ length: 128 }, (_, c) => {
  const at = COMMON_ORDER.indexOf(String.fromCharCode(c))
  return at < 0 ? 1000 : at
})
const rarity = (c: number): number => RARITY[c] ?? 1000

/** The union of `masks` (five numbers each), or undefined when one of them is undefined. */
const unionOf = (masks: ReadonlyArray<Int32Array | undefined>): Int32Array | undefined => {
  const out = new Int32Array(5)
  for (const m of masks) {
    if (m === undefined) return undefined
    for (let k = 0; k < 5; k++) out[k]! |= m[k]!
  }
  return out
}

const flatRequirement = (r: Requirement, known?: CharMask): FlatRequirement => {
  const chars = new Int32Array(4)
  const wider = r.all.filter((m) => !isSingleAscii(m))
  for (const m of r.all) if (isSingleAscii(m)) for (let k = 0; k < 4; k++) chars[k]! |= m.words[k]!
  const sets = new Int32Array(wider.length * 5)
  wider.forEach((m, i) => {
    sets.set(m.words, i * 5)
    sets[i * 5 + 4] = m.nonAscii ? 1 : 0
  })
  const any = r.any.map((alts): FlatAlternatives => {
    const flat = alts.map((a) => flatRequirement(a))
    return { alts: flat, gate: unionOf(flat.map((a) => a.pick)) }
  })
  let pick: Int32Array | undefined
  let best = -1
  for (let c = 0; c < 128; c++) {
    // characters `known` to be present (the bucket's prefilter) make poor picks
    if ((known?.words[c >>> 5] ?? 0) & (1 << (c & 31))) continue
    if ((chars[c >>> 5]! & (1 << (c & 31))) !== 0 && rarity(c) > best) {
      best = rarity(c)
      pick = new Int32Array(5)
      pick[c >>> 5] = 1 << (c & 31)
    }
  }
  if (pick === undefined && wider.length > 0) pick = sets.slice(0, 5)
  if (pick === undefined) pick = any.find((a) => a.gate !== undefined)?.gate
  return { chars, sets, any, pick }
}

/**
 * The character presence of the view being scanned: which ASCII characters occur (four 32-bit
 * words) and whether a non-ASCII one does (fifth entry). Scans are synchronous, so one buffer serves.
 */
const PRESENCE = new Int32Array(5)
/** Scratch bit set of candidate buckets (see {@link CompiledSlot}). */
const CANDIDATES = new Int32Array(64)

const setPresence = (text: string): void => {
  let w0 = 0
  let w1 = 0
  let w2 = 0
  let w3 = 0
  let nonAscii = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 32) w0 |= 1 << c
    else if (c < 64) w1 |= 1 << (c - 32)
    else if (c < 96) w2 |= 1 << (c - 64)
    else if (c < 128) w3 |= 1 << (c - 96)
    else nonAscii = 1
  }
  PRESENCE[0] = w0
  PRESENCE[1] = w1
  PRESENCE[2] = w2
  PRESENCE[3] = w3
  PRESENCE[4] = nonAscii
}

/** Whether all of `chars` (four words) occur in the current presence. */
const hasAll = (chars: Int32Array): boolean =>
  (chars[0]! & ~PRESENCE[0]!) === 0 && (chars[1]! & ~PRESENCE[1]!) === 0 && (chars[2]! & ~PRESENCE[2]!) === 0 &&
  (chars[3]! & ~PRESENCE[3]!) === 0

/** Whether the set (five numbers) meets the current presence. */
const meets = (set: Int32Array): boolean =>
  ((set[0]! & PRESENCE[0]!) | (set[1]! & PRESENCE[1]!) | (set[2]! & PRESENCE[2]!) | (set[3]! & PRESENCE[3]!) |
    (set[4]! & PRESENCE[4]!)) !== 0

const holds = (r: FlatRequirement): boolean => {
  if (!hasAll(r.chars)) return false
  const sets = r.sets
  for (let at = 0; at < sets.length; at += 5) {
    if (
      ((sets[at]! & PRESENCE[0]!) | (sets[at + 1]! & PRESENCE[1]!) | (sets[at + 2]! & PRESENCE[2]!) |
        (sets[at + 3]! & PRESENCE[3]!) | (sets[at + 4]! & PRESENCE[4]!)) === 0
    ) return false
  }
  return r.any.length === 0 || holdsNested(r.any)
}

const holdsNested = (any: ReadonlyArray<FlatAlternatives>): boolean => {
  for (const group of any) {
    if (group.gate !== undefined && !meets(group.gate)) return false
    if (!anyHolds(group.alts)) return false
  }
  return true
}

const anyHolds = (rs: ReadonlyArray<FlatRequirement>): boolean => {
  for (let i = 0; i < rs.length; i++) if (holds(rs[i]!)) return true
  return false
}

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

const toPairs = (input: Readonly<Record<string, string>> | Pairs | undefined): Pairs =>
  input === undefined ? [] : Array.isArray(input) ? (input as Pairs) : Object.entries(input as Record<string, string>)

const SIMPLE_NAME = /^[A-Za-z0-9-]{0,64}$/

type Part = DetectionMatch["part"]

/** The engine's compiled, per-detector state (everything that does not depend on the request). */
interface Compiled {
  readonly settings: EngineSettings
  readonly slots: Readonly<Record<Slot, CompiledSlot | undefined>>
  readonly custom: ReadonlyArray<CompiledCustom>
  readonly excludedHeaders: ReadonlySet<string>
  readonly excludedParameters: ReadonlySet<string>
}

// ------------------------------------------------------------------------------- character scan
//
// One pass over a raw value tells whether normalisation can change it beyond lower-casing (any
// `%`, `&`, `\`, control or non-ASCII character, a double space, or both `/*` and `*/`), and if
// not, gives the character presence of its normalised (lower-cased) view directly, so the value
// goes straight to the prefilters without being copied or decoded.

const SLOW = 1
const UPPER = 2
const SPACE = 4
const BASE64ISH = 8

const inspect = (raw: string): number => {
  let w1 = 0
  let w2 = 0
  let w3 = 0
  let flags = BASE64ISH
  let prev = 0
  let open = false
  let close = false
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    if (c >= 96) {
      if (c >= 127) return SLOW
      w3 |= 1 << (c - 96)
      if (c === 96 || c > 122) flags &= ~BASE64ISH
    } else if (c >= 64) {
      if (c <= 90) {
        if (c === 64) {
          w2 |= 1
          flags &= ~BASE64ISH
        } else {
          // upper case: present as its lower-case letter
          w3 |= 1 << (c - 64)
          flags |= UPPER
        }
      } else {
        if (c === 92) return SLOW
        w2 |= 1 << (c - 64)
        if (c !== 95) flags &= ~BASE64ISH
      }
    } else if (c >= 32) {
      switch (c) {
        case 37: // %
        case 38: // &
          return SLOW
        case 32:
          if (prev === 32) return SLOW
          flags |= SPACE
          break
        case 42: // *
          if (prev === 47) open = true
          break
        case 47: // /
          if (prev === 42) close = true
          break
      }
      w1 |= 1 << (c - 32)
      if (c < 48 ? c !== 43 && c !== 45 && c !== 47 : c > 57 && c !== 61) flags &= ~BASE64ISH
    } else {
      return SLOW
    }
    prev = c
  }
  if (open && close) return SLOW
  PRESENCE[0] = 0
  PRESENCE[1] = w1
  PRESENCE[2] = w2
  PRESENCE[3] = w3
  PRESENCE[4] = 0
  return flags
}

/** The buckets, in order, whose prefilter and pattern requirements the current presence meets. */
const candidateBuckets = (slot: CompiledSlot): ReadonlyArray<RunnableBucket> => {
  const width = slot.width
  const rows = slot.rows
  const union = slot.union
  const candidates = CANDIDATES
  for (let w = 0; w < width; w++) candidates[w] = slot.always[w]!
  for (let k = 0; k < 4; k++) {
    let x = PRESENCE[k]! & union[k]!
    while (x !== 0) {
      const low = x & -x
      x ^= low
      const row = ((k << 5) + 31 - Math.clz32(low)) * width
      for (let w = 0; w < width; w++) candidates[w]! |= rows[row + w]!
    }
  }
  if ((PRESENCE[4]! & union[4]!) !== 0) {
    for (let w = 0; w < width; w++) candidates[w]! |= rows[128 * width + w]!
  }
  let out: Array<RunnableBucket> | undefined
  for (let w = 0; w < width; w++) {
    let x = candidates[w]!
    while (x !== 0) {
      const low = x & -x
      x ^= low
      const bucket = slot.buckets[(w << 5) + 31 - Math.clz32(low)]!
      if (!hasAll(bucket.common) || (bucket.gate !== undefined && !meets(bucket.gate))) continue
      const runnable = narrowed(bucket)
      if (runnable !== undefined) (out ??= []).push(runnable)
    }
  }
  return out ?? NO_BUCKETS
}

/** The bucket, or a narrower one holding only the patterns whose requirements hold; undefined: none. */
const narrowed = (bucket: Bucket): RunnableBucket | undefined => {
  const requirements = bucket.requirements
  if (requirements.length > 31) return anyHolds(requirements) ? bucket : undefined
  let allowed = 0
  for (let i = 0; i < requirements.length; i++) if (holds(requirements[i]!)) allowed |= 1 << i
  if (allowed === 0) return undefined
  if (allowed === (2 ** requirements.length) - 1) return bucket
  let sub = bucket.subsets.get(allowed)
  if (sub === undefined) {
    if (bucket.subsets.size >= MAX_SUBSETS) return bucket
    const keep = (_: unknown, i: number) => (allowed & (1 << i)) !== 0
    const defs = bucket.defs.filter(keep)
    sub = {
      regex: new RegExp(defs.map((d) => `(${d.source})`).join("|"), "g"),
      defs,
      singles: bucket.singles.filter(keep),
      rests: bucket.rests.filter(keep)
    }
    bucket.subsets.set(allowed, sub)
  }
  return sub
}

const BASE64_CANDIDATE = /^[A-Za-z0-9+/_-]{16,}={0,2}$/
const PAIR_PLUS = /\+/g

const formatSegment = (s: string | number): string => (typeof s === "number" ? `[${s}]` : jsonSegment(s))

interface JsonFrame {
  readonly container: unknown
  readonly keys: ReadonlyArray<string> | undefined
  readonly depth: number
  /** The key the container's items are named after (arrays pass their parent's key on). */
  readonly itemKey: string
  /** Whether entering this frame pushed a path segment. */
  readonly pushed: boolean
  next: number
}

const EMPTY_ARRAY: ReadonlyArray<never> = Object.freeze([])
const EMPTY_SCORES: Readonly<Partial<Record<MatchCategory, number>>> = Object.freeze({})
const CLEAN_SKIPPED: DetectionResult["skipped"] = Object.freeze({ values: 0, bytes: 0, reasons: EMPTY_ARRAY })

/** One request's scan: counters, hits, and where the value being scanned comes from. */
class Scan {
  hits: Map<string, Scorable> | undefined = undefined
  matches: Array<DetectionMatch> | undefined = undefined
  seenMatches: Set<string> | undefined = undefined
  reasons: Set<SkipReason> | undefined = undefined
  bytes = 0
  values = 0
  skippedBytes = 0
  skippedValues = 0
  base64Attempts = 0
  // the current value's location: `prefix`, `prefix.name`, or (json) `body` + segments; built on a match
  locPrefix = ""
  locName: string | undefined = undefined
  locJson = false
  location: string | undefined = undefined
  readonly segments: Array<string | number> = []

  constructor(
    readonly e: Compiled,
    readonly disabled: ReadonlySet<string> | undefined,
    readonly extraHeaders: ReadonlySet<string> | undefined,
    readonly extraParameters: ReadonlySet<string> | undefined
  ) {}

  at(prefix: string, name: string | undefined): void {
    this.locPrefix = prefix
    this.locName = name
    this.locJson = false
    this.location = undefined
  }

  atJson(): void {
    this.locJson = true
    this.location = undefined
  }

  currentLocation(): string {
    if (this.location !== undefined) return this.location
    let loc: string
    if (this.locJson) {
      loc = "body"
      for (const s of this.segments) loc += formatSegment(s)
    } else {
      loc = this.locName === undefined ? this.locPrefix : `${this.locPrefix}.${this.locName}`
    }
    this.location = loc
    return loc
  }

  reason(r: SkipReason): void {
    ;(this.reasons ??= new Set()).add(r)
  }

  isExcludedParameter(name: string): boolean {
    if (this.e.excludedParameters.size === 0 && this.extraParameters === undefined) return false
    const lower = name.toLowerCase()
    return this.e.excludedParameters.has(lower) || (this.extraParameters?.has(lower) ?? false)
  }

  record(def: Scorable, part: Part, text: string, index: number, length: number): void {
    if (this.disabled?.has(def.category)) return
    const hits = (this.hits ??= new Map())
    if (!hits.has(def.id)) hits.set(def.id, def)
    const location = this.currentLocation()
    const key = `${location}\u0000${def.id}`
    const seen = (this.seenMatches ??= new Set())
    if (seen.has(key)) return
    seen.add(key)
    const matches = (this.matches ??= [])
    if (matches.length >= this.e.settings.maxMatches) {
      this.reason("matches")
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

  /** Runs a slot's buckets on `text`, whose character presence is in {@link PRESENCE}. */
  runSlot(slot: CompiledSlot, text: string, part: Part): void {
    const p0 = PRESENCE[0]!
    const p1 = PRESENCE[1]!
    const p2 = PRESENCE[2]!
    const p3 = PRESENCE[3]!
    const p4 = PRESENCE[4]!
    // two ways per set: the entry at `h` is the most recent, the one at `h + 1` the older
    const h = ((Math.imul(p0 ^ Math.imul(p1, 0x9e3779b1) ^ Math.imul(p2, 0x85ebca6b) ^ Math.imul(p3, 0xc2b2ae35) ^ p4, 0x27d4eb2f) >>>
      22) & (MEMO_SIZE - 1)) & ~1
    const keys = slot.memoKeys
    const memoRuns = slot.memoRuns
    let runs = memoRuns[h]
    let at = h * 5
    if (
      runs === undefined || keys[at] !== p0 || keys[at + 1] !== p1 || keys[at + 2] !== p2 || keys[at + 3] !== p3 ||
      keys[at + 4] !== p4
    ) {
      const older = memoRuns[h + 1]
      at += 5
      runs = older !== undefined && keys[at] === p0 && keys[at + 1] === p1 && keys[at + 2] === p2 && keys[at + 3] === p3 &&
          keys[at + 4] === p4
        ? older
        : candidateBuckets(slot)
      // the entry at `h` moves to `h + 1`; the found or computed one takes its place
      keys.copyWithin(at, at - 5, at)
      memoRuns[h + 1] = memoRuns[h]
      at -= 5
      keys[at] = p0
      keys[at + 1] = p1
      keys[at + 2] = p2
      keys[at + 3] = p3
      keys[at + 4] = p4
      memoRuns[h] = runs
    }
    for (let i = 0; i < runs.length; i++) this.runBucket(runs[i]!, text, part)
  }

  runBucket(bucket: RunnableBucket, text: string, part: Part): void {
    const regex = bucket.regex
    regex.lastIndex = 0
    let m = regex.exec(text)
    if (m === null) return
    let found = 0
    const seen: Array<boolean> = new Array(bucket.defs.length).fill(false)
    let hits = 0
    while (true) {
      // the combined regex reports one pattern per position: try the others at the same position
      for (let i = 0; i < bucket.defs.length; i++) {
        const def = bucket.defs[i]
        const single = bucket.singles[i]
        if (def === undefined || single === undefined || seen[i]) continue
        single.lastIndex = m.index
        const hit = m[i + 1] !== undefined ? m : single.exec(text)
        if (hit !== null) {
          seen[i] = true
          found++
          this.record(def, part, text, hit.index, hit[0].length)
        }
      }
      if (found === bucket.defs.length) break
      if (++hits >= MAX_HITS_PER_BUCKET) {
        // many hits: finish with each pattern not found yet, from here on
        for (let i = 0; i < bucket.defs.length; i++) {
          const def = bucket.defs[i]
          const rest = bucket.rests[i]
          if (def === undefined || rest === undefined || seen[i]) continue
          rest.lastIndex = m.index + 1
          const hit = rest.exec(text)
          if (hit !== null) this.record(def, part, text, hit.index, hit[0].length)
        }
        break
      }
      regex.lastIndex = m.index + 1
      m = regex.exec(text)
      if (m === null) break
    }
    regex.lastIndex = 0
  }

  /** Scans a normalised view; `known`: its presence is already in {@link PRESENCE}. */
  runViews(text: string, where: WhereName, part: Part, tokenShaped: boolean, known: boolean): void {
    const slot = this.e.slots[(tokenShaped ? TOKEN_SLOTS : PROSE_SLOTS)[where]]
    if (slot !== undefined) {
      if (!known) setPresence(text)
      this.runSlot(slot, text, part)
    }
    const custom = this.e.custom
    if (custom.length > 0) {
      const bit = Where[where]
      for (const c of custom) {
        if ((c.where & bit) === 0) continue
        const m = c.regex.exec(text)
        if (m !== null) this.record(c, part, text, m.index, m[0].length)
      }
    }
  }

  /** Takes a value into the budget; returns the part that may be scanned, or undefined. */
  admit(raw: string): string | undefined {
    const settings = this.e.settings
    if (this.values >= settings.maxValues) {
      this.skippedValues++
      this.skippedBytes += raw.length
      this.reason("values")
      return undefined
    }
    const remaining = settings.maxBytes - this.bytes
    if (remaining <= 0) {
      this.skippedValues++
      this.skippedBytes += raw.length
      this.reason("bytes")
      return undefined
    }
    this.values++
    if (raw.length > remaining) {
      this.skippedBytes += raw.length - remaining
      this.reason("bytes")
      this.bytes += remaining
      return raw.slice(0, remaining)
    }
    this.bytes += raw.length
    return raw
  }

  scanValue(raw: string, where: WhereName, part: Part): void {
    if (raw.length === 0) return
    const value = this.admit(raw)
    if (value === undefined) return
    const settings = this.e.settings
    const flags = inspect(value)
    if ((flags & SLOW) === 0) {
      // normalising would only lower-case it: the presence is known, nothing to decode
      this.runViews((flags & UPPER) !== 0 ? value.toLowerCase() : value, where, part, (flags & SPACE) === 0, true)
      if (value.length >= 16 && (flags & BASE64ISH) !== 0) this.base64View(value, where)
      return
    }
    const norm = normalise(value, settings.maxDecodeRounds)
    if (norm.decodeExhausted) this.reason("decode_rounds")
    this.runViews(norm.text, where, part, isTokenShaped(norm.text), false)
    if (norm.nulView !== undefined) this.runViews(norm.nulView, where, part, isTokenShaped(norm.nulView), false)
    if (norm.nul && where !== "header" && settings.categories.has("path_traversal")) {
      this.record(NULL_BYTE, part, norm.text, 0, norm.text.length)
    }
    if (value.length >= 16) this.base64View(value, where)
  }

  base64View(value: string, where: WhereName): void {
    const settings = this.e.settings
    if (this.base64Attempts >= settings.maxBase64Attempts) {
      if (BASE64_CANDIDATE.test(value)) this.reason("base64")
      return
    }
    const decoded = decodeBase64View(value)
    if (value.length <= 8192 && BASE64_CANDIDATE.test(value)) this.base64Attempts++
    if (decoded !== undefined) {
      const text = normalise(decoded, settings.maxDecodeRounds).text
      this.runViews(text, where, "decoded", isTokenShaped(text), false)
    }
  }

  scanName(name: string): void {
    if (!SIMPLE_NAME.test(name)) this.scanValue(name, "key", "name")
  }

  scanAlways(raw: string): void {
    const always = this.e.slots.always
    if (always === undefined || raw.length === 0) return
    const value = this.admit(raw)
    if (value === undefined) return
    const flags = inspect(value)
    if ((flags & SLOW) === 0) {
      this.runSlot(always, (flags & UPPER) !== 0 ? value.toLowerCase() : value, "value")
    } else {
      const text = normalise(value, this.e.settings.maxDecodeRounds).text
      setPresence(text)
      this.runSlot(always, text, "value")
    }
  }

  scanPair(name: string, value: string, where: WhereName, prefix: string): void {
    if (this.isExcludedParameter(name)) return
    this.at(prefix, name)
    this.scanName(name)
    this.scanValue(value, where, "value")
  }

  scanPairs(pairs: Pairs, where: WhereName, prefix: string): void {
    for (const [name, value] of pairs) this.scanPair(name, value, where, prefix)
  }

  /** Same as parsing `raw` into pairs and scanning them, without building the pairs. */
  scanPairString(raw: string, separator: string, plus: boolean, where: WhereName, prefix: string): void {
    let start = 0
    while (start <= raw.length) {
      let end = raw.indexOf(separator, start)
      if (end < 0) end = raw.length
      if (end > start) {
        const piece = raw.slice(start, end)
        const eq = piece.indexOf("=")
        const name = eq < 0 ? piece : piece.slice(0, eq)
        const value = eq < 0 ? "" : piece.slice(eq + 1)
        this.scanPair(
          decodeComponent(name.trim(), plus),
          plus ? (value.includes("+") ? value.replace(PAIR_PLUS, " ") : value) : value.trim(),
          where,
          prefix
        )
      }
      start = end + separator.length
    }
  }

  scanJson(root: unknown): void {
    const settings = this.e.settings
    const segments = this.segments
    const frames: Array<JsonFrame> = []
    /** Visits one value at the current path; true when it opened a frame (which owns the segment). */
    const visit = (value: unknown, depth: number, itemKey: string, pushed: boolean): boolean => {
      if (typeof value === "string") {
        this.atJson()
        this.scanValue(value, "body", "value")
        return false
      }
      if (typeof value !== "object" || value === null) return false
      if (depth >= settings.maxJsonDepth) {
        this.reason("json_depth")
        this.atJson()
        this.scanValue(JSON.stringify(value), "body", "value")
        return false
      }
      if (Array.isArray(value)) {
        frames.push({ container: value, keys: undefined, depth, itemKey, pushed, next: 0 })
        return true
      }
      const keys = Object.keys(value)
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string
        if (this.isExcludedParameter(key)) continue
        if (!SIMPLE_NAME.test(key) || key === "prototype") {
          segments.push(key)
          this.atJson()
          this.scanValue(itemKey === "" ? key : `${itemKey}.${key}`, "key", "name")
          segments.pop()
        }
      }
      frames.push({ container: value, keys, depth, itemKey, pushed, next: 0 })
      return true
    }
    visit(root, 0, "", false)
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as JsonFrame
      const keys = frame.keys
      if (keys === undefined) {
        const items = frame.container as ReadonlyArray<unknown>
        if (frame.next >= items.length) {
          frames.pop()
          if (frame.pushed) segments.pop()
          continue
        }
        const i = frame.next++
        segments.push(i)
        if (!visit(items[i], frame.depth + 1, frame.itemKey, true)) segments.pop()
      } else {
        let key: string | undefined
        while (frame.next < keys.length) {
          const k = keys[frame.next++] as string
          if (!this.isExcludedParameter(k)) {
            key = k
            break
          }
        }
        if (key === undefined) {
          frames.pop()
          if (frame.pushed) segments.pop()
          continue
        }
        segments.push(key)
        if (!visit((frame.container as Record<string, unknown>)[key], frame.depth + 1, key, true)) segments.pop()
      }
    }
  }

  scanBody(body: DetectionBody): void {
    switch (body.kind) {
      case "fields":
        return this.scanPairs(body.fields, "body", "body")
      case "form":
        return this.scanPairString(body.text, "&", true, "body", "body")
      case "text":
        this.at("body", undefined)
        return this.scanValue(body.text, "body", "value")
      case "json": {
        this.at("body", undefined)
        if (body.text.length > this.e.settings.maxBytes - this.bytes) return this.scanValue(body.text, "body", "value")
        let parsed: unknown
        try {
          parsed = JSON.parse(body.text)
        } catch {
          return this.scanValue(body.text, "body", "value")
        }
        return this.scanJson(parsed)
      }
    }
  }

  scanHeader(rawName: string, value: string): boolean {
    const name = rawName.toLowerCase()
    this.at("header", name)
    if (this.e.excludedHeaders.has(name) || (this.extraHeaders?.has(name) ?? false)) this.scanAlways(value)
    else this.scanValue(value, "header", "value")
    return true
  }

  run(input: DetectionInput, context: DetectionContext | undefined): DetectionResult {
    const settings = this.e.settings
    // path (and a query string left on it)
    const rawPath = typeof input.path === "string" ? input.path : ""
    const q = rawPath.indexOf("?")
    const path = q >= 0 ? rawPath.slice(0, q) : rawPath
    const query = input.query ?? (q >= 0 ? rawPath.slice(q + 1) : undefined)
    this.at("path", undefined)
    this.scanValue(path, "path", "value")

    if (query !== undefined) {
      if (typeof query === "string") this.scanPairString(query.startsWith("?") ? query.slice(1) : query, "&", true, "query", "query")
      else this.scanPairs(query, "query", "query")
    }

    // a `cookie` header is parsed (once, when `cookies` is absent) and scanned after the headers
    let cookieHeader: string | undefined
    const cookiesGiven = input.cookies !== undefined
    const headers = input.headers
    if (headers !== undefined) {
      if (Array.isArray(headers)) {
        for (const [rawName, value] of headers as Pairs) {
          if (!cookiesGiven && cookieHeader === undefined && rawName.toLowerCase() === "cookie") cookieHeader = value
          else this.scanHeader(rawName, value)
        }
      } else {
        const record = headers as Readonly<Record<string, string>>
        for (const rawName of Object.keys(record)) {
          const value = record[rawName] as string
          if (!cookiesGiven && cookieHeader === undefined && rawName.toLowerCase() === "cookie") cookieHeader = value
          else this.scanHeader(rawName, value)
        }
      }
    }
    if (cookiesGiven) this.scanPairs(toPairs(input.cookies), "cookie", "cookie")
    else if (cookieHeader !== undefined) this.scanPairString(cookieHeader, ";", false, "cookie", "cookie")

    if (input.body !== undefined) {
      if (settings.scanBody && context?.scanBody !== false) this.scanBody(input.body)
    }
    return this.result()
  }

  result(): DetectionResult {
    const scanned = { values: this.values, bytes: this.bytes }
    const hits = this.hits
    const reasons = this.reasons
    if (hits === undefined && reasons === undefined && this.matches === undefined) {
      // nothing found, nothing skipped (a skipped value always leaves a reason)
      return {
        isThreat: false,
        categories: EMPTY_ARRAY,
        patternIds: EMPTY_ARRAY,
        score: 0,
        categoryScores: EMPTY_SCORES,
        matches: EMPTY_ARRAY,
        truncated: false,
        skipped: CLEAN_SKIPPED,
        scanned
      }
    }
    const thresholds = this.e.settings.thresholds
    const categoryScores: Partial<Record<MatchCategory, number>> = {}
    let score = 0
    if (hits !== undefined) {
      for (const hit of hits.values()) {
        categoryScores[hit.category] = (categoryScores[hit.category] ?? 0) + hit.weight
        score += hit.weight
      }
    }
    const categories = (Object.keys(categoryScores) as Array<MatchCategory>).filter(
      (c) => (categoryScores[c] ?? 0) >= (thresholds[c] ?? 1)
    )
    return {
      isThreat: categories.length > 0,
      categories,
      patternIds: hits === undefined ? [] : [...hits.keys()],
      score,
      categoryScores,
      matches: this.matches ?? [],
      truncated: this.skippedBytes > 0 || this.skippedValues > 0 || (reasons?.has("base64") ?? false) ||
        (reasons?.has("json_depth") ?? false),
      skipped: { values: this.skippedValues, bytes: this.skippedBytes, reasons: reasons === undefined ? [] : [...reasons] },
      scanned
    }
  }
}

const isTokenShaped = (text: string): boolean => !text.includes(" ") && !text.includes("\n")

const lowerSet = (names: Iterable<string>): ReadonlySet<string> => {
  const out = new Set<string>()
  for (const n of names) out.add(n.toLowerCase())
  return out
}

/** The detector as a plain function: never throws for any input. */
export const makeEngine = (settings: EngineSettings): ((input: DetectionInput, context?: DetectionContext) => DetectionResult) => {
  const compiled: Compiled = {
    settings,
    slots: compileSlots(settings.categories),
    custom: settings.customPatterns.flatMap((p, i) => {
      const c = compileCustom(p, i)
      return c._tag === "ok" ? [c.value] : []
    }),
    excludedHeaders: new Set([...DEFAULT_EXCLUDED_HEADERS, ...lowerSet(settings.excludedHeaders)]),
    excludedParameters: lowerSet(settings.excludedParameters)
  }
  return (input, context) => {
    if (!settings.enabled) return emptyResult
    try {
      const scan = context === undefined
        ? new Scan(compiled, undefined, undefined, undefined)
        : new Scan(
          compiled,
          context.disabledCategories === undefined ? undefined : new Set<string>(context.disabledCategories),
          context.excludedHeaders === undefined ? undefined : lowerSet(context.excludedHeaders),
          context.excludedParameters === undefined ? undefined : lowerSet(context.excludedParameters)
        )
      return scan.run(input, context)
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
