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
  SkipReason,
  ThreatDetectorOptions
} from "../../ThreatDetector.js"
import { decodeBase64View, decodeComponent, normalise, preview } from "./normalize.js"
import {
  BUILTIN_PATTERNS,
  DEFAULT_EXCLUDED_HEADERS,
  DETECTION_CATEGORIES,
  type DetectionCategory,
  type PatternDef,
  Where,
  type WhereName
} from "./patterns.js"
import {
  BIGRAM_BASE,
  BIGRAM_EDGE,
  type BigramRequirement,
  bigramRequirement,
  type CharMask,
  JOIN_SEPARATOR,
  joinedSource,
  readsSeparator,
  requiredChars,
  type Requirement,
  requirement,
  vetPattern
} from "./redos.js"

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
  /**
   * Whether the values of a JSON body are searched joined (one regex run per bucket for all of
   * them, then per value only where the joined text matched) rather than one by one. Both give the
   * same results; `false` exists to prove it.
   */
  readonly joinValues: boolean
}

type Slot = "path" | "query" | "header" | "headerToken" | "cookie" | "cookieToken" | "body" | "bodyToken" | "key" | "always"

/** The slots in index order. */
const SLOTS: ReadonlyArray<Slot> = ["path", "query", "header", "headerToken", "cookie", "cookieToken", "body", "bodyToken", "key", "always"]
const slotIndex = (slot: Slot): number => SLOTS.indexOf(slot)
const ALWAYS_SLOT = slotIndex("always")

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

/**
 * A {@link BigramRequirement} flattened for the hot path: set `i` is `sets[ends[i - 1]..ends[i]]`
 * (bigram indices, see {@link BigramPresence}); `any`, nested alternatives.
 */
interface FlatBigrams {
  readonly sets: Int32Array
  readonly ends: Int32Array
  readonly any: ReadonlyArray<FlatBigramAlternatives>
}

/** Alternatives, one of which must hold; `gate` (the union of their first sets) rejects most texts at once. */
interface FlatBigramAlternatives {
  readonly alts: ReadonlyArray<FlatBigrams>
  readonly gate: Int32Array | undefined
}

/** What {@link Scan.runBucket} needs: the combined regex and its patterns. */
interface RunnableBucket {
  readonly regex: RegExp
  readonly defs: ReadonlyArray<PatternDef>
  readonly sources: ReadonlyArray<string>
  readonly singles: ReadonlyArray<RegExp>
  readonly rests: ReadonlyArray<RegExp>
  /** Whether the bucket belongs to a slot whose values are joined (the fields below are filled). */
  readonly joins: boolean
  /** The patterns that have one combined, as rewritten by {@link joinedSource}, to search many values joined at once. */
  readonly joined: RegExp | undefined
  /** The other patterns combined: a joined value must still be searched with these on its own. */
  readonly alone: RegExp | undefined
  /**
   * Set when the bucket is one pattern whose joined search finds its first match in a value
   * exactly (see `readsSeparator`): that match is the hit, the value need not be searched again.
   */
  readonly exactDef: PatternDef | undefined
  /** Per pattern, a necessary condition on the value's bigrams (undefined: none known). */
  readonly bigrams: ReadonlyArray<FlatBigrams | undefined>
  /** Per pattern, its index among the slot's patterns (see {@link BigramGate}). */
  readonly slotDefs: Int32Array
  /** Narrower buckets by the bit set of the patterns a value's bigrams allow (see {@link Bucket.subsets}). */
  readonly bigramSubsets: Map<number, RunnableBucket>
}

/** The combined regex of `sources`, or undefined for none. */
const combine = (sources: ReadonlyArray<string>): RegExp | undefined =>
  sources.length === 0 ? undefined : new RegExp(sources.map((source) => `(${source})`).join("|"), "g")

/**
 * The combined regexes of a bucket's patterns, `sources`; with `joins`, also what a search over
 * joined values needs (only the slots of JSON bodies join).
 */
const runnable = (
  defs: ReadonlyArray<PatternDef>,
  sources: ReadonlyArray<string>,
  joins: boolean,
  slotDefs: Int32Array
): RunnableBucket => {
  const joined: Array<string> = []
  const alone: Array<string> = []
  if (joins) {
    for (const source of sources) {
      const rewritten = analysisOf(source).joined
      if (rewritten === undefined) alone.push(source)
      else joined.push(rewritten)
    }
  }
  return {
    regex: combine(sources)!,
    defs,
    sources,
    singles: sources.map((source) => new RegExp(source, "y")),
    rests: sources.map((source) => new RegExp(source, "g")),
    joins,
    joined: combine(joined),
    alone: combine(alone),
    exactDef: joins && defs.length === 1 && alone.length === 0 && analysisOf(sources[0]!).exact ? defs[0] : undefined,
    bigrams: joins ? sources.map((source) => analysisOf(source).bigrams) : [],
    slotDefs,
    bigramSubsets: new Map()
  }
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
  /** For the slots whose values are joined: which patterns the bigrams of the joined text select. */
  readonly gate: BigramGate | undefined
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
/** Slot indices by location, for token-shaped values and for the others. */
const TOKEN_SLOTS: Readonly<Record<WhereName, number>> = {
  path: slotIndex("path"),
  query: slotIndex("query"),
  header: slotIndex("headerToken"),
  cookie: slotIndex("cookieToken"),
  body: slotIndex("bodyToken"),
  key: slotIndex("key")
}
const PROSE_SLOTS: Readonly<Record<WhereName, number>> = {
  path: slotIndex("path"),
  query: slotIndex("query"),
  header: slotIndex("header"),
  cookie: slotIndex("cookie"),
  body: slotIndex("body"),
  key: slotIndex("key")
}

const maskKey = (mask: CharMask | undefined): string => (mask === undefined ? "*" : `${mask.words.join(",")},${mask.nonAscii}`)

/**
 * Groups patterns by their prefilter (the characters every match must contain, derived from the
 * pattern's syntax tree) and combines each group into one regex; small groups keep every regex well
 * inside what V8 compiles to native code.
 */
const buildSlot = (
  defs: ReadonlyArray<PatternDef>,
  masks: ReadonlyMap<string, CharMask | undefined>,
  joins: boolean
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
  let next = 0
  const buckets: ReadonlyArray<Bucket> = [...groups.values()].map(({ defs, mask }) => {
    const requirements = defs.map((d) => flatRequirementOf(d.source, mask))
    const slotDefs = Int32Array.from(defs, () => next++)
    const common = new Int32Array(4).fill(-1)
    for (const r of requirements) for (let k = 0; k < 4; k++) common[k]! &= r.chars[k]!
    return {
      ...runnable(defs, defs.map((d) => d.source), joins, slotDefs),
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
    memoRuns: new Array<ReadonlyArray<RunnableBucket> | undefined>(MEMO_SIZE).fill(undefined),
    gate: joins ? bigramGate(buckets.flatMap((b) => b.sources)) : undefined
  }
}

/**
 * An index from bigrams to the slot's patterns: each pattern is keyed on one set of bigrams it needs
 * (its rarest, or the first bigrams of the alternatives it needs one of). Which patterns a text may
 * need then takes one test per key instead of evaluating every pattern's condition: only the
 * patterns one of whose keys occurs are evaluated.
 */
interface BigramGate {
  readonly keys: Int32Array
  /** Per key, `width` words: the bit set of the patterns keyed on it (by slot index). */
  readonly rows: Int32Array
  /** The patterns without a key: always candidates. */
  readonly unkeyed: Int32Array
  readonly width: number
  /** Scratch for {@link candidatesFor} (scans are synchronous). */
  readonly candidates: Int32Array
}

/** The key of a pattern: of its three rarest needed sets of bigrams, the smallest (fewer tests). */
const keyOf = (r: FlatBigrams | undefined): ArrayLike<number> | undefined => {
  if (r === undefined) return undefined
  let key: Int32Array | undefined
  for (let i = 0, start = 0; i < Math.min(3, r.ends.length); start = r.ends[i]!, i++) {
    const set = r.sets.subarray(start, r.ends[i])
    if (key === undefined || set.length < key.length) key = set
  }
  return key ?? r.any[0]?.gate
}

/** Whether `candidates` has the bit of one of `slotDefs`. */
const anyCandidate = (candidates: Int32Array, slotDefs: Int32Array): boolean => {
  for (let i = 0; i < slotDefs.length; i++) {
    const d = slotDefs[i]!
    if ((candidates[d >>> 5]! & (1 << (d & 31))) !== 0) return true
  }
  return false
}

const bigramGate = (sources: ReadonlyArray<string>): BigramGate => {
  const width = Math.max(1, Math.ceil(sources.length / 32))
  const unkeyed = new Int32Array(width)
  const byKey = new Map<number, Int32Array>()
  sources.forEach((source, i) => {
    const key = keyOf(analysisOf(source).bigrams)
    if (key === undefined) {
      unkeyed[i >>> 5]! |= 1 << (i & 31)
      return
    }
    for (let k = 0; k < key.length; k++) {
      let row = byKey.get(key[k]!)
      if (row === undefined) {
        row = new Int32Array(width)
        byKey.set(key[k]!, row)
      }
      row[i >>> 5]! |= 1 << (i & 31)
    }
  })
  const keys = Int32Array.from([...byKey.keys()].sort((a, b) => a - b))
  const rows = new Int32Array(keys.length * width)
  keys.forEach((key, k) => rows.set(byKey.get(key)!, k * width))
  return { keys, rows, unkeyed, width, candidates: new Int32Array(width) }
}

/** The bit set of the slot's patterns one of whose keys occurs in `b` (plus those without a key). */
const candidatesFor = (gate: BigramGate, b: BigramPresence): Int32Array => {
  const seen = b.seen
  const mark = b.mark[0]!
  const { candidates, keys, rows, width } = gate
  candidates.set(gate.unkeyed)
  for (let k = 0; k < keys.length; k++) {
    if (seen[keys[k]!] !== mark) continue
    for (let w = 0, at = k * width; w < width; w++) candidates[w]! |= rows[at + w]!
  }
  return candidates
}

/** What is derived from a pattern's source, by the static analyses of `redos.ts`. */
interface Analysis {
  readonly requirement: Requirement
  /** The source for a search over joined values (undefined: the pattern must search values alone). */
  readonly joined: string | undefined
  /** Whether a match of `joined` in a value is the one the pattern finds in the value alone. */
  readonly exact: boolean
  readonly bigrams: FlatBigrams | undefined
}

/** Analyses by pattern source: the same built-in pattern serves several slots and detectors. */
const ANALYSES = new Map<string, Analysis>()
const analysisOf = (source: string): Analysis => {
  let a = ANALYSES.get(source)
  if (a === undefined) {
    const joined = joinedSource(source)
    a = {
      requirement: requirement(source),
      joined,
      exact: joined !== undefined && !readsSeparator(joined),
      bigrams: flatBigrams(bigramRequirement(source))
    }
    ANALYSES.set(source, a)
  }
  return a
}
const requirementOf = (source: string): Requirement => analysisOf(source).requirement

const flatBigrams = (r: BigramRequirement): FlatBigrams | undefined => {
  const all: Array<ReadonlyArray<number>> = [...r.all]
  const any: Array<FlatBigramAlternatives> = []
  for (const group of r.any) {
    // alternatives that each need one set need the union of those sets: one test instead of many
    if (group.every((a) => a.all.length === 1 && a.any.length === 0)) {
      all.push([...new Set(group.flatMap((a) => a.all[0]!))])
      continue
    }
    const alts = group.map(flatBigrams)
    // an alternative without a condition makes the whole group hold
    if (!alts.every((a) => a !== undefined)) continue
    const firsts = alts.map((a) => (a.ends.length === 0 ? undefined : a.sets.subarray(0, a.ends[0])))
    any.push({
      alts,
      gate: firsts.every((f) => f !== undefined) ? Int32Array.from(new Set(firsts.flatMap((f) => [...f]))) : undefined
    })
  }
  if (all.length === 0 && any.length === 0) return undefined
  const ends = new Int32Array(all.length)
  let n = 0
  all.forEach((set, i) => {
    n += set.length
    ends[i] = n
  })
  return { sets: new Int32Array(all.flat()), ends, any }
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

/**
 * Which bigrams the text being searched contains (see {@link BigramRequirement}): the entry of
 * `first * BIGRAM_BASE + second` in `seen` equals `mark[0]` when that pair occurs. A new mark
 * forgets every entry at once; the table is cleared only when the marks (1 to 255) run out. One per
 * detector: scans are synchronous.
 */
interface BigramPresence {
  readonly seen: Uint8Array
  /** The same for single characters (codes as for bigrams), see {@link presenceFromChars}. */
  readonly chars: Uint8Array
  readonly mark: Int32Array
}

const makeBigramPresence = (): BigramPresence => ({
  seen: new Uint8Array(BIGRAM_BASE * BIGRAM_BASE),
  chars: new Uint8Array(BIGRAM_BASE),
  mark: Int32Array.of(1)
})

/** Starts a new text: the bigrams seen so far no longer count. */
const nextMark = (b: BigramPresence): void => {
  const mark = b.mark[0]! + 1
  if (mark > 255) {
    b.seen.fill(0)
    b.chars.fill(0)
    b.mark[0] = 1
  } else {
    b.mark[0] = mark
  }
}

/** Sets {@link PRESENCE} from the characters marked in `b.chars`. */
const presenceFromChars = (b: BigramPresence): void => {
  const chars = b.chars
  const mark = b.mark[0]!
  PRESENCE.fill(0)
  for (let c = 0; c < 129; c++) if (chars[c] === mark) PRESENCE[c >>> 5]! |= 1 << (c & 31)
}

/** Whether the bigrams in `b` meet `r`. */
const holdsBigrams = (r: FlatBigrams, b: BigramPresence): boolean => {
  const seen = b.seen
  const mark = b.mark[0]!
  const sets = r.sets
  const ends = r.ends
  let at = 0
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!
    while (at < end && seen[sets[at]!] !== mark) at++
    if (at === end) return false
    at = end
  }
  const any = r.any
  for (let g = 0; g < any.length; g++) {
    const group = any[g]!
    const gate = group.gate
    if (gate !== undefined) {
      let i = 0
      while (i < gate.length && seen[gate[i]!] !== mark) i++
      if (i === gate.length) return false
    }
    const alts = group.alts
    let holdsOne = false
    for (let i = 0; i < alts.length && !holdsOne; i++) holdsOne = holdsBigrams(alts[i]!, b)
    if (!holdsOne) return false
  }
  return true
}

/**
 * The bucket, or a narrower one holding only the patterns whose bigram conditions `b` meets;
 * undefined: none. As with {@link narrowed}, the others cannot match, so the hits are the same.
 */
const bigramNarrowed = (run: RunnableBucket, b: BigramPresence, candidates: Int32Array): RunnableBucket | undefined => {
  const bigrams = run.bigrams
  const slotDefs = run.slotDefs
  const n = bigrams.length
  let allowed = 0
  for (let i = 0; i < n; i++) {
    const d = slotDefs[i]!
    if ((candidates[d >>> 5]! & (1 << (d & 31))) === 0) continue
    const r = bigrams[i]
    if (r !== undefined && !holdsBigrams(r, b)) continue
    // more patterns than bits: the whole bucket runs as soon as one may match
    if (n > 31) return run
    allowed |= 1 << i
  }
  if (allowed === 0) return undefined
  if (allowed === (2 ** n) - 1) return run
  let sub = run.bigramSubsets.get(allowed)
  if (sub === undefined) {
    if (run.bigramSubsets.size >= MAX_SUBSETS) return run
    const keep = (_: unknown, i: number) => (allowed & (1 << i)) !== 0
    sub = runnable(run.defs.filter(keep), run.sources.filter(keep), run.joins, run.slotDefs.filter(keep))
    run.bigramSubsets.set(allowed, sub)
  }
  return sub
}

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

/**
 * What each slot holds: the patterns of a location (for token-shaped values, or also those for any
 * value), or those also looked for in excluded headers; and whether its values are joined.
 */
const SLOT_PATTERNS: Readonly<Record<Slot, { readonly where: WhereName | undefined; readonly token: boolean; readonly joins: boolean }>> = {
  path: { where: "path", token: true, joins: false },
  query: { where: "query", token: true, joins: false },
  header: { where: "header", token: false, joins: false },
  headerToken: { where: "header", token: true, joins: false },
  cookie: { where: "cookie", token: false, joins: false },
  cookieToken: { where: "cookie", token: true, joins: false },
  body: { where: "body", token: false, joins: true },
  bodyToken: { where: "body", token: true, joins: true },
  key: { where: "key", token: true, joins: true },
  always: { where: undefined, token: true, joins: false }
}

/** The compiled slots, by slot index. */
const compileSlots = (categories: ReadonlySet<DetectionCategory>): ReadonlyArray<CompiledSlot | undefined> => {
  const enabled = BUILTIN_PATTERNS.filter((d) => categories.has(d.category))
  const masks = new Map(enabled.map((d) => [d.id, requiredChars(d.source)] as const))
  return SLOTS.map((slot) => {
    const { joins, token, where } = SLOT_PATTERNS[slot]
    const defs = where === undefined
      ? enabled.filter((d) => d.always)
      : enabled.filter((d) => (d.where & Where[where]) !== 0 && (token || !d.tokenOnly))
    return buildSlot(defs, masks, joins)
  })
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

/** Whether `name` is made of at most 64 letters, digits and `-`: such names are not scanned. */
const isSimpleName = (name: string): boolean => {
  if (name.length > 64) return false
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45)) return false
  }
  return true
}

type Part = DetectionMatch["part"]

/**
 * Values up to this length that scanned clean are remembered. Real traffic repeats its header
 * values, paths and parameters from request to request; a remembered value costs one lookup.
 */
const CLEAN_MEMO_MAX_LENGTH = 256
/** Entries before the memo starts over: at most 1 M characters of remembered text (2 MB). */
const CLEAN_MEMO_SIZE = 4096

/**
 * A copy of `value` that shares no memory with the string it was cut from. V8 makes a slice of 13
 * characters or more a view into its parent: a remembered 20-character form field would otherwise
 * keep its whole 256 KB body alive.
 */
const detached = (value: string): string => (value.length < 13 ? value : (" " + value).slice(1))

const WHERE_INDEX: Readonly<Record<WhereName, number>> = { path: 0, query: 1, header: 2, cookie: 3, body: 4, key: 5 }
const PART_INDEX: Readonly<Record<Part, number>> = { value: 0, name: 1, decoded: 2 }

/** A value's scan depends on where it is and which part it is: each pair has its own bit. */
const cleanBit = (where: WhereName, part: Part): number => 1 << (WHERE_INDEX[where] * 3 + PART_INDEX[part])
/** The bit of an excluded header's value, which only the always-on patterns scan. */
const ALWAYS_BIT = 1 << 18

/** The engine's compiled, per-detector state (everything that does not depend on the request). */
interface Compiled {
  readonly settings: EngineSettings
  /** By slot index. */
  readonly slots: ReadonlyArray<CompiledSlot | undefined>
  readonly custom: ReadonlyArray<CompiledCustom>
  readonly excludedHeaders: ReadonlySet<string>
  readonly excludedParameters: ReadonlySet<string>
  readonly bigrams: BigramPresence
  /**
   * Short values whose full scan matched nothing and skipped nothing, with the `cleanBit`s of the
   * places they were seen in. A scan's outcome depends only on the value, its place and this
   * engine, so a remembered value needs no second scan. A match counts even when a request's
   * disabled categories hide it, so a value is never remembered as clean because of a request's
   * context. Shared by every request this engine scans; bounded by `CLEAN_MEMO_SIZE`.
   */
  readonly clean: Map<string, number>
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

/** Not a base64 character (internal to {@link inspect}; callers see {@link BASE64ISH}). */
const NOT_BASE64 = 16

/**
 * Per ASCII character, what it says about a value (control characters, `%`, `&`, `\\`: decoding
 * needed) in the low byte, and its lower case in the high byte.
 */
const CHAR_INFO = Uint16Array.from({ length: 128 }, (_, c) => {
  const lower = c >= 65 && c <= 90 ? c + 32 : c
  if (c < 32 || c === 37 || c === 38 || c === 92 || c === 127) return SLOW | (lower << 8)
  const base64 = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || "+-/=_".includes(String.fromCharCode(c))
  return (c >= 65 && c <= 90 ? UPPER : 0) | (c === 32 ? SPACE : 0) | (base64 ? 0 : NOT_BASE64) | (lower << 8)
})
/** {@link BIGRAM_BASE} and {@link BIGRAM_EDGE} as local constants: the character loops read them per character. */
const PAIR = BIGRAM_BASE
const EDGE = BIGRAM_EDGE
/** Bigram indices that make normalising change a value: a double space, and a SQL comment (slash star, star slash). */
const SPACE_SPACE = 32 * PAIR + 32
const SLASH_STAR = 47 * PAIR + 42
const STAR_SLASH = 42 * PAIR + 47
const COMMENT_OPEN = 32
const COMMENT_CLOSE = 64
/** {@link CHAR_INFO} of a non-ASCII character: decoding needed, bigram code 128. */
const NON_ASCII = SLOW | (128 << 8)
/** {@link CHAR_INFO} for every UTF-16 code unit: one load per character, no branch on non-ASCII. */
const CODE_INFO = new Uint16Array(65536).fill(NON_ASCII)
CODE_INFO.set(CHAR_INFO)
/**
 * Where {@link scanLane} copies a lane's UTF-16 code units, a chunk at a time, in one native call
 * each: V8 reads a typed array in a tight loop about three times as fast as `charCodeAt` (a 10 KB
 * value: 29 → 9 µs), and only when the array is a module constant (a field or a reassigned
 * binding costs half of that gain back). A deliberate exception to "no module state": it is
 * scratch space, and scans are synchronous, so no two can share it at once.
 */
const UNITS = new Uint16Array(8192)
const UNIT_BYTES = Buffer.from(UNITS.buffer)
/** `utf16le` is what `Buffer#write` produces; a big-endian machine copies unit by unit instead. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

/** Copies `text` (at most `UNITS.length` long) into {@link UNITS}. */
const copyUnits = (text: string): void => {
  if (LITTLE_ENDIAN) {
    UNIT_BYTES.write(text, 0, "utf16le")
    return
  }
  for (let i = 0; i < text.length; i++) UNITS[i] = text.charCodeAt(i)
}
/** Per bigram index, what it says about a value: one load per character instead of three comparisons. */
const BIGRAM_FLAGS = new Uint8Array(PAIR * PAIR)
BIGRAM_FLAGS[SPACE_SPACE] = SLOW
BIGRAM_FLAGS[SLASH_STAR] = COMMENT_OPEN
BIGRAM_FLAGS[STAR_SLASH] = COMMENT_CLOSE

/** The flags of `raw`; when it needs no decoding, also its presence (in {@link PRESENCE}). */
const inspect = (raw: string): number => {
  let w1 = 0
  let w2 = 0
  let w3 = 0
  let flags = 0
  let pair = 0
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    if (c >= 128) return SLOW
    const info = CHAR_INFO[c]!
    // upper case: present as its lower-case letter
    const l = info >>> 8
    const bigram = pair + l
    if ((info & SLOW) !== 0) return SLOW
    flags |= info | BIGRAM_FLAGS[bigram]!
    if (l >= 96) w3 |= 1 << (l - 96)
    else if (l >= 64) w2 |= 1 << (l - 64)
    else w1 |= 1 << (l - 32)
    pair = l * PAIR
  }
  PRESENCE[0] = 0
  PRESENCE[1] = w1
  PRESENCE[2] = w2
  PRESENCE[3] = w3
  PRESENCE[4] = 0
  return finish(flags)
}

/** The flags callers see: a whitespace run or a SQL comment means normalising changes the value. */
const finish = (flags: number): number => {
  if ((flags & SLOW) !== 0 || ((flags & COMMENT_OPEN) !== 0 && (flags & COMMENT_CLOSE) !== 0)) return SLOW
  return ((flags & NOT_BASE64) === 0 ? flags | BASE64ISH : flags) & (UPPER | SPACE | BASE64ISH)
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
    sub = runnable(bucket.defs.filter(keep), bucket.sources.filter(keep), bucket.joins, bucket.slotDefs.filter(keep))
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

/** The buckets to run, in order, for the presence in {@link PRESENCE}: memoised per slot. */
const bucketsFor = (slot: CompiledSlot): ReadonlyArray<RunnableBucket> => {
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
  return runs
}

// ------------------------------------------------------------------------------- joined values
//
// A JSON body brings hundreds of small values, and deciding and searching them one by one costs
// more than their characters. So the walk only collects the values (after the budgets) with their
// slot and location, in scan order. Then, per slot, one pass over its values gives each value's
// flags and the union of their characters and bigrams: a value that needs decoding or may be
// base64 is set aside to be scanned on its own; the buckets the union selects run once over the
// others joined behind SEPARATOR (with their join-safe sources, see `joinedSource`), and a value is
// searched on its own only with the buckets that found a match starting inside it. Finally the
// values are replayed in order, so hits, matches and skip reasons come out exactly as from a scan
// value by value; a match that only exists across the separator is thereby discarded.

/** Between joined values: a control character, which a value searched joined never contains. */
const SEPARATOR = JOIN_SEPARATOR

/** Skip reasons queued while collecting: entry kind `OP_REASON - i` for `QUEUED_REASONS[i]`. */
const OP_REASON = -1
const QUEUED_REASONS: ReadonlyArray<SkipReason> = ["values", "bytes", "json_depth"]

const BODY_SLOT = slotIndex("body")
const BODY_TOKEN_SLOT = slotIndex("bodyToken")
const KEY_SLOT = slotIndex("key")

/** The values of a JSON body in scan order, with the skip reasons queued between them (parallel arrays). */
interface Batch {
  readonly texts: Array<string>
  /** The value's slot index (body, bodyToken or key), or a queued reason (see {@link OP_REASON}). */
  readonly kinds: Array<number>
  /** The JSON path node of each entry (see {@link Scan.node}). */
  readonly nodes: Array<number>
  /** Per slot index, the entries of its values. */
  readonly lanes: Array<Array<number> | undefined>
  /**
   * What a value must be searched with on its own: nothing (undefined), the buckets whose joined
   * search found a match starting inside it, or the hit itself when that search is exact (in bucket
   * order); or {@link ALONE}.
   */
  readonly reruns: Array<Array<RunnableBucket | LaneHit> | undefined>
  /** Whether the value may be base64: after its own search, its decoded view is scanned. */
  readonly decodes: Array<boolean>
}

/** The hit of a bucket whose joined search is exact (see {@link RunnableBucket.exactDef}), in its value. */
interface LaneHit {
  readonly def: PatternDef
  readonly index: number
  readonly length: number
}

/** A value scanned on its own, exactly as without joining (it needs decoding). */
const ALONE: Array<RunnableBucket | LaneHit> = []

/**
 * Adds `run` to what `entry` is searched with. Lanes are searched bucket by bucket, so the runs of a
 * value come in bucket order, as a scan of the value alone would run them; the buckets not added
 * cannot match it.
 */
const rerun = (batch: Batch, entry: number, run: RunnableBucket | LaneHit): void => {
  const runs = batch.reruns[entry]
  if (runs === undefined) batch.reruns[entry] = [run]
  else if (runs !== ALONE && runs[runs.length - 1] !== run) runs.push(run)
}

/**
 * Marks every value (entry `entries[v]`, starting at `starts[v]` in `text`) inside which a match of
 * `regex` starts.
 */
const markStarts = (
  batch: Batch,
  run: RunnableBucket,
  regex: RegExp,
  text: string,
  starts: ReadonlyArray<number>,
  entries: ReadonlyArray<number>
): void => {
  const last = starts.length - 1
  let v = 0
  let marked = 0
  regex.lastIndex = 0
  let m = regex.exec(text)
  while (m !== null) {
    const at = m.index
    while (v < last && starts[v + 1]! <= at) v++
    const entry = entries[v]!
    // a value set aside may have been left out of `text`: it ends where it starts
    const length = batch.reruns[entry] === ALONE ? 0 : batch.texts[entry]!.length
    if (at < starts[v]! + length) {
      const def = run.exactDef
      rerun(batch, entry, def === undefined ? run : { def, index: at - starts[v]!, length: m[0].length })
      if (v === last) break
      if (++marked * 2 > v && v >= 63) {
        // most values match (a hostile body): searching them joined first only doubles the work,
        // so the rest are searched on their own with this bucket
        for (let w = v + 1; w <= last; w++) rerun(batch, entries[w]!, run)
        break
      }
      // this value is settled: go on with the next one
      regex.lastIndex = starts[++v]!
    } else {
      // the match starts on the separator: it belongs to no value
      regex.lastIndex = at + 1
    }
    m = regex.exec(text)
  }
  regex.lastIndex = 0
}

/** The values of `entries`, joined behind {@link SEPARATOR}. */
const joinEntries = (texts: ReadonlyArray<string>, entries: ReadonlyArray<number>): string => {
  if (entries.length === 1) return texts[entries[0]!]!
  const parts: Array<string> = new Array(entries.length)
  for (let i = 0; i < entries.length; i++) parts[i] = texts[entries[i]!]!
  return parts.join(SEPARATOR)
}

/**
 * One pass over `raw`, the values of `entries` joined: as {@link inspect} per value (its flags go to
 * `flags`, where it starts to `starts`), with the bigrams of all of them marked in `b` at once.
 */
const scanLane = (
  raw: string,
  texts: ReadonlyArray<string>,
  entries: ReadonlyArray<number>,
  b: BigramPresence,
  starts: Array<number>,
  flags: Array<number>
): void => {
  const seen = b.seen
  const chars = b.chars
  const mark = b.mark[0]!
  const info = CODE_INFO
  const units = UNITS
  // `raw` from `base` to `filled` is in UNITS
  let base = 0
  let filled = 0
  let at = 0
  for (let v = 0; v < entries.length; v++) {
    const end = at + texts[entries[v]!]!.length
    starts.push(at)
    let f = 0
    let pair = EDGE * PAIR
    while (at < end) {
      if (at >= filled) {
        base = at
        filled = Math.min(raw.length, at + UNITS.length)
        copyUnits(base === 0 && filled === raw.length ? raw : raw.slice(base, filled))
      }
      // A value that needs decoding (SLOW) is scanned on its own; its bigrams are marked all the
      // same: more bigrams only let more patterns run, and testing for it per character costs more.
      const stop = (end < filled ? end : filled) - base
      for (let k = at - base; k < stop; k++) {
        const i = info[units[k]!]!
        const l = i >>> 8
        f |= i
        chars[l] = mark
        seen[pair + l] = mark
        pair = l * PAIR
      }
      at = stop + base
    }
    seen[pair + EDGE] = mark
    flags.push(f)
    // the separator
    at++
  }
  // a whitespace run or a SQL comment in some value: find which (rare, so not tested per character)
  const spaces = seen[SPACE_SPACE] === mark
  const comments = seen[SLASH_STAR] === mark && seen[STAR_SLASH] === mark
  for (let v = 0; v < entries.length; v++) {
    let f = flags[v]!
    if (spaces || comments) {
      const text = texts[entries[v]!]!
      if (spaces && (f & SPACE) !== 0 && text.includes("  ")) f |= SLOW
      if (comments && text.includes("/*") && text.includes("*/")) f |= SLOW
    }
    flags[v] = finish(f)
  }
}

/** Marks every value of `entries` that `regex` (patterns that are not join-safe) matches on its own. */
const markAlone = (batch: Batch, run: RunnableBucket, regex: RegExp, entries: ReadonlyArray<number>): void => {
  for (const entry of entries) {
    if (batch.reruns[entry] === ALONE) continue
    regex.lastIndex = 0
    if (regex.test(batch.texts[entry]!.toLowerCase())) rerun(batch, entry, run)
  }
  regex.lastIndex = 0
}

/** One request's scan: counters, hits, and where the value being scanned comes from. */
class Scan {
  hits: Map<string, Scorable> | undefined = undefined
  matches: Array<DetectionMatch> | undefined = undefined
  seenMatches: Set<string> | undefined = undefined
  reasons: Set<SkipReason> | undefined = undefined
  /** Matches and skip reasons found so far, filtered or not: a value that adds none is clean. */
  findings = 0
  bytes = 0
  values = 0
  skippedBytes = 0
  skippedValues = 0
  base64Attempts = 0
  // the current value's location: `prefix`, `prefix.name`, or (json) `body` + the path to `node`;
  // built on a match
  locPrefix = ""
  locName: string | undefined = undefined
  locJson = false
  location: string | undefined = undefined
  /**
   * JSON paths as a tree, so a collected value keeps its path as one number: node `i` is segment
   * `segments[i]` under node `parents[i]`; -1 is the body itself. Made by the first JSON body.
   */
  node = -1
  path: { readonly segments: Array<string | number>; readonly parents: Array<number> } | undefined = undefined
  /** Set while a JSON body's views are collected. */
  batch: Batch | undefined = undefined

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
      loc = ""
      const path = this.path
      if (path !== undefined) {
        for (let n = this.node; n >= 0; n = path.parents[n]!) loc = formatSegment(path.segments[n]!) + loc
      }
      loc = `body${loc}`
    } else {
      loc = this.locName === undefined ? this.locPrefix : `${this.locPrefix}.${this.locName}`
    }
    this.location = loc
    return loc
  }

  reason(r: SkipReason): void {
    this.findings++
    const batch = this.batch
    const queued = batch === undefined ? -1 : QUEUED_REASONS.indexOf(r)
    if (queued < 0) {
      ;(this.reasons ??= new Set()).add(r)
      return
    }
    batch!.texts.push("")
    batch!.kinds.push(OP_REASON - queued)
    batch!.nodes.push(-1)
    batch!.reruns.push(undefined)
    batch!.decodes.push(false)
  }

  /** Enters a JSON path segment under the current node. */
  enter(segment: string | number): void {
    const path = (this.path ??= { segments: [], parents: [] })
    path.segments.push(segment)
    path.parents.push(this.node)
    this.node = path.segments.length - 1
  }

  leave(): void {
    this.node = this.path!.parents[this.node]!
  }

  /** Collects a value of a JSON body (`key`: a key path) at the current node, after the budgets. */
  collect(raw: string, key: boolean): void {
    if (raw.length === 0) return
    const text = this.admit(raw)
    if (text === undefined) return
    const batch = this.batch!
    // a space makes it prose; if it needs decoding, the slot is decided again on its own
    const slot = key ? KEY_SLOT : text.indexOf(" ") < 0 ? BODY_TOKEN_SLOT : BODY_SLOT
    const entry = batch.texts.length
    batch.texts.push(text)
    batch.kinds.push(slot)
    batch.nodes.push(this.node)
    // filled up front, so that marking a value later writes into a dense array
    batch.reruns.push(undefined)
    batch.decodes.push(false)
    const lane = batch.lanes[slot]
    if (lane === undefined) batch.lanes[slot] = [entry]
    else lane.push(entry)
  }

  /** Searches each slot's values joined, then replays the batch in order. */
  flush(batch: Batch): void {
    this.batch = undefined
    for (let s = 0; s < batch.lanes.length; s++) {
      const lane = batch.lanes[s]
      const slot = this.e.slots[s]
      if (lane !== undefined && slot !== undefined) this.searchLane(batch, lane, slot)
    }
    const custom = this.e.custom.length > 0
    const n = batch.texts.length
    for (let i = 0; i < n; i++) {
      const kind = batch.kinds[i]!
      if (kind <= OP_REASON) {
        this.reason(QUEUED_REASONS[OP_REASON - kind]!)
        continue
      }
      const runs = batch.reruns[i]
      const decodes = batch.decodes[i]!
      if (runs === undefined && !custom && !decodes) continue
      this.node = batch.nodes[i]!
      this.location = undefined
      const where = kind === KEY_SLOT ? "key" : "body"
      const part = kind === KEY_SLOT ? "name" : "value"
      const text = batch.texts[i]!
      if (runs === ALONE) {
        this.scanAdmitted(text, where, part)
        continue
      }
      if (runs !== undefined || custom) {
        const lower = text.toLowerCase()
        if (runs !== undefined) {
          for (let r = 0; r < runs.length; r++) {
            const run = runs[r]!
            if ("def" in run) this.record(run.def, part, lower, run.index, run.length)
            else this.runBucket(run, lower, part)
          }
        }
        if (custom) this.runCustom(lower, where, part)
      }
      if (decodes) this.base64View(text, where)
    }
  }

  /**
   * One slot's values: one pass over them, joined, gives each value's flags and the union of their
   * bigrams; the buckets whose patterns the union allows run over the joined text.
   */
  searchLane(batch: Batch, lane: ReadonlyArray<number>, slot: CompiledSlot): void {
    const texts = batch.texts
    const raw = joinEntries(texts, lane)
    const bigrams = this.e.bigrams
    nextMark(bigrams)
    const starts: Array<number> = []
    const flags: Array<number> = []
    scanLane(raw, texts, lane, bigrams, starts, flags)
    let joinable = 0
    let upper = false
    for (let v = 0; v < lane.length; v++) {
      const f = flags[v]!
      const entry = lane[v]!
      if ((f & SLOW) !== 0) {
        batch.reruns[entry] = ALONE
      } else {
        joinable++
        if ((f & UPPER) !== 0) upper = true
        // as in scanAdmitted: a long value of base64 characters gets a decoded view
        if ((f & BASE64ISH) !== 0 && texts[entry]!.length >= 16) batch.decodes[entry] = true
      }
    }
    if (joinable === 0) return
    // the buckets and patterns the characters of the values allow, then those their bigrams allow
    presenceFromChars(bigrams)
    const runs = bucketsFor(slot)
    if (runs.length === 0) return
    const candidates = candidatesFor(slot.gate!, bigrams)
    let text: string | undefined
    for (let i = 0; i < runs.length; i++) {
      const bucket = runs[i]!
      if (!anyCandidate(candidates, bucket.slotDefs)) continue
      const run = bigramNarrowed(bucket, bigrams, candidates)
      if (run === undefined) continue
      if (text === undefined) {
        text = upper ? raw.toLowerCase() : raw
        if (text.length !== raw.length) {
          // lower case changed the length of a value set aside (non-ASCII): leave those out
          const kept = lane.map((entry) => (batch.reruns[entry] === ALONE ? "" : texts[entry]!.toLowerCase()))
          text = kept.join(SEPARATOR)
          let offset = 0
          for (let v = 0; v < lane.length; v++) {
            starts[v] = offset
            offset += kept[v]!.length + 1
          }
        }
      }
      if (run.joined !== undefined) markStarts(batch, run, run.joined, text, starts, lane)
      if (run.alone !== undefined) markAlone(batch, run, run.alone, lane)
    }
  }

  isExcludedParameter(name: string): boolean {
    if (this.e.excludedParameters.size === 0 && this.extraParameters === undefined) return false
    const lower = name.toLowerCase()
    return this.e.excludedParameters.has(lower) || (this.extraParameters?.has(lower) ?? false)
  }

  record(def: Scorable, part: Part, text: string, index: number, length: number): void {
    this.findings++
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
    const runs = bucketsFor(slot)
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
    if (this.e.custom.length > 0) this.runCustom(text, where, part)
  }

  runCustom(text: string, where: WhereName, part: Part): void {
    const bit = Where[where]
    for (const c of this.e.custom) {
      if ((c.where & bit) === 0) continue
      const m = c.regex.exec(text)
      if (m !== null) this.record(c, part, text, m.index, m[0].length)
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
    if (value !== undefined) this.scanAdmitted(value, where, part)
  }

  /** Scans a value already taken into the budget, unless it is known to be clean here. */
  scanAdmitted(value: string, where: WhereName, part: Part): void {
    if (value.length > CLEAN_MEMO_MAX_LENGTH) return this.scanFresh(value, where, part)
    const bit = cleanBit(where, part)
    const known = this.e.clean.get(value) ?? 0
    if ((known & bit) !== 0) return
    const findings = this.findings
    // a base64 attempt counts toward the request's budget, so a value that made one is scanned again
    const attempts = this.base64Attempts
    this.scanFresh(value, where, part)
    if (this.findings === findings && this.base64Attempts === attempts) this.remember(value, known, bit)
  }

  /** Records that `value` scanned clean in the place of `bit`. */
  remember(value: string, known: number, bit: number): void {
    const clean = this.e.clean
    // a key already in the map stays the one first stored, which was detached then
    if (known !== 0) {
      clean.set(value, known | bit)
      return
    }
    if (clean.size >= CLEAN_MEMO_SIZE) clean.clear()
    clean.set(detached(value), bit)
  }

  scanFresh(value: string, where: WhereName, part: Part): void {
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
    if (!isSimpleName(name)) this.scanValue(name, "key", "name")
  }

  scanAlways(raw: string): void {
    const always = this.e.slots[ALWAYS_SLOT]
    if (always === undefined || raw.length === 0) return
    const value = this.admit(raw)
    if (value === undefined) return
    if (value.length > CLEAN_MEMO_MAX_LENGTH) return this.scanAlwaysFresh(always, value)
    const known = this.e.clean.get(value) ?? 0
    if ((known & ALWAYS_BIT) !== 0) return
    const findings = this.findings
    this.scanAlwaysFresh(always, value)
    if (this.findings === findings) this.remember(value, known, ALWAYS_BIT)
  }

  scanAlwaysFresh(always: CompiledSlot, value: string): void {
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
    const batching = settings.joinValues
    if (batching) this.batch = { texts: [], kinds: [], nodes: [], lanes: [], reruns: [], decodes: [] }
    const excludes = this.e.excludedParameters.size > 0 || this.extraParameters !== undefined
    const frames: Array<JsonFrame> = []
    /** Scans a string at the current path. */
    const leaf = (value: string): void => {
      this.atJson()
      if (batching) this.collect(value, false)
      else this.scanValue(value, "body", "value")
    }
    /** Visits one value at the current path; true when it opened a frame (which owns the segment). */
    const visit = (value: unknown, depth: number, itemKey: string, pushed: boolean): boolean => {
      if (typeof value === "string") {
        leaf(value)
        return false
      }
      if (typeof value !== "object" || value === null) return false
      if (depth >= settings.maxJsonDepth) {
        this.reason("json_depth")
        leaf(JSON.stringify(value))
        return false
      }
      if (Array.isArray(value)) {
        frames.push({ container: value, keys: undefined, depth, itemKey, pushed, next: 0 })
        return true
      }
      const keys = Object.keys(value)
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string
        if (excludes && this.isExcludedParameter(key)) continue
        if (!isSimpleName(key) || key === "prototype") {
          this.enter(key)
          this.atJson()
          const path = itemKey === "" ? key : `${itemKey}.${key}`
          if (batching) this.collect(path, true)
          else this.scanValue(path, "key", "name")
          this.leave()
        }
      }
      frames.push({ container: value, keys, depth, itemKey, pushed, next: 0 })
      return true
    }
    visit(root, 0, "", false)
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as JsonFrame
      const keys = frame.keys
      let opened = false
      // the frame's children up to the next container, which opens a frame of its own
      if (keys === undefined) {
        const items = frame.container as ReadonlyArray<unknown>
        while (!opened && frame.next < items.length) {
          const i = frame.next++
          const item = items[i]
          // numbers, booleans and null hold nothing to scan
          if (typeof item !== "string" && (typeof item !== "object" || item === null)) continue
          this.enter(i)
          opened = visit(item, frame.depth + 1, frame.itemKey, true)
          if (!opened) this.leave()
        }
      } else {
        const container = frame.container as Record<string, unknown>
        while (!opened && frame.next < keys.length) {
          const key = keys[frame.next++] as string
          if (excludes && this.isExcludedParameter(key)) continue
          const child = container[key]
          if (typeof child !== "string" && (typeof child !== "object" || child === null)) continue
          this.enter(key)
          opened = visit(child, frame.depth + 1, key, true)
          if (!opened) this.leave()
        }
      }
      if (!opened) {
        frames.pop()
        if (frame.pushed) this.leave()
      }
    }
    if (this.batch !== undefined) this.flush(this.batch)
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

/** The settings of {@link makeEngine} for `options`, defaults filled in. */
export const engineSettings = (options: ThreatDetectorOptions, customPatterns: ReadonlyArray<CustomPattern>): EngineSettings => ({
  enabled: options.enabled ?? true,
  categories: new Set(options.categories ?? DETECTION_CATEGORIES),
  customPatterns,
  excludedHeaders: new Set(options.excludedHeaders ?? []),
  excludedParameters: new Set(options.excludedParameters ?? []),
  thresholds: options.thresholds ?? {},
  maxBytes: options.maxBytes ?? 262_144,
  maxValues: options.maxValues ?? 1024,
  maxBase64Attempts: options.maxBase64Attempts ?? 16,
  maxJsonDepth: options.maxJsonDepth ?? 32,
  maxDecodeRounds: options.maxDecodeRounds ?? 4,
  maxMatches: options.maxMatches ?? 32,
  scanBody: options.scanBody ?? true,
  joinValues: true
})

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
    excludedParameters: lowerSet(settings.excludedParameters),
    bigrams: makeBigramPresence(),
    clean: new Map()
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
