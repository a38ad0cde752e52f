/**
 * Necessary conditions on the characters of a value for a pattern to match it, derived from the
 * pattern's syntax tree: the scanner tests them before running a regex, so most values never reach
 * one. Each is implied by every match (it errs on the side of "may match").
 *
 * @internal
 */
import { ALL_ASCII, bit, type CharSet, EMPTY, type Node, parse, union, WORD } from "./regexAst.js"

/** True when the pattern contains a capturing group (built-ins must not, they are combined). */
export const hasCapturingGroup = (source: string): boolean => {
  try {
    const walk = (n: Node): boolean => {
      switch (n._tag) {
        case "Group":
          return n.capturing || walk(n.body)
        case "Look":
          return walk(n.body)
        case "Repeat":
          return walk(n.body)
        case "Seq":
          return n.items.some(walk)
        case "Alt":
          return n.alts.some(walk)
        default:
          return false
      }
    }
    return walk(parse(source, false, false))
  } catch {
    return true
  }
}

/** A set of ASCII characters as four 32-bit words, plus whether non-ASCII characters are included. */
export interface CharMask {
  readonly words: readonly [number, number, number, number]
  readonly nonAscii: boolean
}

const toMask = (s: CharSet): CharMask => ({
  words: [
    Number(s.ascii & 0xffffffffn) | 0,
    Number((s.ascii >> 32n) & 0xffffffffn) | 0,
    Number((s.ascii >> 64n) & 0xffffffffn) | 0,
    Number((s.ascii >> 96n) & 0xffffffffn) | 0
  ],
  nonAscii: s.nonAscii
})

/** How common a character is in ordinary text: letters, digits and spaces make poor prefilters. */
const COMMON = (WORD & ~bit(95)) | bit(32)
const popcount = (x: bigint): number => {
  let n = 0
  let v = x
  while (v !== 0n) {
    v &= v - 1n
    n++
  }
  return n
}
const cost = (s: CharSet): number =>
  (s.nonAscii ? 50 : 0) + 10 * popcount(s.ascii & COMMON) + popcount(s.ascii & ~COMMON)

/** A set such that every match contains at least one of its characters (undefined: no such set). */
const needed = (n: Node): CharSet | undefined => {
  switch (n._tag) {
    case "Char":
      return n.set
    case "Seq": {
      let best: CharSet | undefined
      let bestCost = Infinity
      for (const item of n.items) {
        const need = needed(item)
        if (need === undefined) continue
        const c = cost(need)
        if (c < bestCost) {
          best = need
          bestCost = c
        }
      }
      return best
    }
    case "Alt": {
      let acc = EMPTY
      for (const a of n.alts) {
        const need = needed(a)
        if (need === undefined) return undefined
        acc = union(acc, need)
      }
      return acc
    }
    case "Group":
      return needed(n.body)
    case "Repeat":
      return n.min >= 1 ? needed(n.body) : undefined
    default:
      return undefined
  }
}

/**
 * The prefilter of a pattern: characters of which every match contains at least one, chosen to be
 * as rare as possible in ordinary text. Undefined when the pattern can match letters alone.
 */
export const requiredChars = (source: string, flags = ""): CharMask | undefined => {
  try {
    const need = needed(parse(source, flags.includes("i"), flags.includes("s")))
    if (need === undefined || (need.ascii & COMMON) !== 0n) return undefined
    return toMask(need)
  } catch {
    return undefined
  }
}

/**
 * A necessary condition for a match, finer than {@link requiredChars}: every mask of `all` must meet
 * the value's characters, and for each entry of `any`, one of its alternatives must hold. Derived
 * from the syntax tree (a sequence needs all of its items, an alternation one of its branches); a
 * conjunction keeps every single character and its {@link MAX_CONJUNCTS} narrowest wider sets, so it
 * stays implied by every match.
 */
export interface Requirement {
  readonly all: ReadonlyArray<CharMask>
  readonly any: ReadonlyArray<ReadonlyArray<Requirement>>
}

const MAX_CONJUNCTS = 8
const TRUE: Requirement = { all: [], any: [] }
const isTrue = (r: Requirement): boolean => r.all.length === 0 && r.any.length === 0

const maskCost = (m: CharMask): number => {
  let n = m.nonAscii ? 64 : 0
  for (const w of m.words) {
    let v = w >>> 0
    while (v !== 0) {
      v &= v - 1
      n++
    }
  }
  return n
}
const sameMask = (a: CharMask, b: CharMask): boolean =>
  a.nonAscii === b.nonAscii && a.words.every((w, i) => w === b.words[i])

const conj = (parts: ReadonlyArray<Requirement>): Requirement => {
  const all: Array<CharMask> = []
  const any: Array<ReadonlyArray<Requirement>> = []
  for (const p of parts) {
    for (const m of p.all) if (!all.some((x) => sameMask(x, m))) all.push(m)
    any.push(...p.any)
  }
  all.sort((a, b) => maskCost(a) - maskCost(b))
  // single characters are all kept (the scanner checks them in one step); wider sets are cut
  const singles = all.filter((m) => maskCost(m) === 1)
  const wider = all.filter((m) => maskCost(m) > 1).slice(0, MAX_CONJUNCTS)
  return { all: [...singles, ...wider], any: any.slice(0, 4) }
}

const requirementOf = (n: Node): Requirement => {
  switch (n._tag) {
    case "Char":
      return (n.set.ascii & ALL_ASCII) === ALL_ASCII && n.set.nonAscii ? TRUE : { all: [toMask(n.set)], any: [] }
    case "Seq":
      return conj(n.items.map(requirementOf))
    case "Alt": {
      const alts = n.alts.map(requirementOf)
      if (alts.some(isTrue)) return TRUE
      if (alts.every((a) => a.any.length === 0 && a.all.length === 1)) {
        // each branch needs one set: together they need the union of those sets
        const masks = alts.map((a) => a.all[0] as CharMask)
        const word = (k: 0 | 1 | 2 | 3) => masks.reduce((x, m) => x | m.words[k], 0)
        return { all: [{ words: [word(0), word(1), word(2), word(3)], nonAscii: masks.some((m) => m.nonAscii) }], any: [] }
      }
      return { all: [], any: [alts] }
    }
    case "Group":
      return requirementOf(n.body)
    case "Repeat":
      return n.min >= 1 ? requirementOf(n.body) : TRUE
    default:
      return TRUE
  }
}

/** The {@link Requirement} of a pattern (always satisfied when the pattern cannot be analysed). */
export const requirement = (source: string, flags = ""): Requirement => {
  try {
    return requirementOf(parse(source, flags.includes("i"), flags.includes("s")))
  } catch {
    return TRUE
  }
}


/** Code of a character in a bigram: ASCII as is, every non-ASCII character as 128, the edge of the value as 129. */
export const BIGRAM_BASE = 130
/** The edge of a value, before its first and after its last character. */
export const BIGRAM_EDGE = 129
/** Bigram index of `first` followed by `second` (codes as in {@link BIGRAM_BASE}). */
export const bigram = (first: number, second: number): number => first * BIGRAM_BASE + second

/**
 * A set of bigram codes (see {@link BIGRAM_BASE}) as five 32-bit words, code `c` at bit `c & 31` of
 * word `c >> 5`: the ASCII characters, then non-ASCII (128) and the edge (129).
 */
type CodeSet = readonly [number, number, number, number, number]
const NO_CODES: CodeSet = [0, 0, 0, 0, 0]
const EDGE_ONLY: CodeSet = [0, 0, 0, 0, 2]
const codeUnion = (a: CodeSet, b: CodeSet): CodeSet => [a[0] | b[0], a[1] | b[1], a[2] | b[2], a[3] | b[3], a[4] | b[4]]
const isNoCodes = (a: CodeSet): boolean => (a[0] | a[1] | a[2] | a[3] | a[4]) === 0
const bitCount = (w: number): number => {
  let n = 0
  for (let v = w >>> 0; v !== 0; v &= v - 1) n++
  return n
}
const codeCount = (a: CodeSet): number => bitCount(a[0]) + bitCount(a[1]) + bitCount(a[2]) + bitCount(a[3]) + bitCount(a[4])
const codesOf = (a: CodeSet): Array<number> => {
  const out: Array<number> = []
  for (let word = 0; word < 5; word++) {
    for (let w = a[word as 0 | 1 | 2 | 3 | 4]; w !== 0; w &= w - 1) out.push(word * 32 + 31 - Math.clz32(w & -w))
  }
  return out
}
const charCodes = (s: CharSet): CodeSet => {
  const m = toMask(s)
  return [m.words[0], m.words[1], m.words[2], m.words[3], s.nonAscii ? 1 : 0]
}

/**
 * A necessary condition on the pairs of adjacent characters of a value: for every set of `all`, one
 * of its bigrams occurs, and for every entry of `any`, one of its alternatives holds. Letters alone
 * say little (`union` needs `u`, `n`, `i`, `o`), their pairs much more (`un`, `ni`, `io`, `on`), and
 * `..`, `'-`, `<s` are rare in ordinary text. The edge of the value counts as a character, so `^/`
 * and `.php$` are bigrams too.
 */
export interface BigramRequirement {
  readonly all: ReadonlyArray<ReadonlyArray<number>>
  readonly any: ReadonlyArray<ReadonlyArray<BigramRequirement>>
}

const NO_BIGRAMS: BigramRequirement = { all: [], any: [] }
const isNoBigrams = (r: BigramRequirement): boolean => r.all.length === 0 && r.any.length === 0
const MAX_BIGRAMS_PER_SET = 64
const MAX_BIGRAM_CONJUNCTS = 12

/** The bigrams of a code from `a` followed by one from `b`; undefined when unknown or too many to help. */
const pairs = (a: CodeSet | undefined, b: CodeSet | undefined): ReadonlyArray<number> | undefined => {
  if (a === undefined || b === undefined || isNoCodes(a) || isNoCodes(b)) return undefined
  if (codeCount(a) * codeCount(b) > MAX_BIGRAMS_PER_SET) return undefined
  const out: Array<number> = []
  for (const x of codesOf(a)) {
    for (const y of codesOf(b)) {
      // the edge follows the edge only in an empty value, which nothing matches
      if (x !== BIGRAM_EDGE || y !== BIGRAM_EDGE) out.push(bigram(x, y))
    }
  }
  return out
}

/** How common a code is in ordinary text: 0 for a space, larger for rarer ones. */
const COMMONNESS = Array.from({ length: BIGRAM_BASE }, (_, c) => {
  if (c === BIGRAM_EDGE) return 30
  const at = " etaoinshrdlcumwfgypbvkjxqz0123456789-./=_,:;&%+".indexOf(String.fromCharCode(c))
  return at < 0 ? 60 : at
})
const commonness = (c: number): number => COMMONNESS[c] ?? 60
/** The rarity of a set of bigrams: that of its most common member. */
const setRarity = (set: ReadonlyArray<number>): number =>
  set.reduce((acc, b) => Math.min(acc, commonness(Math.floor(b / BIGRAM_BASE)) + commonness(b % BIGRAM_BASE)), Infinity)

const bigramConj = (parts: ReadonlyArray<BigramRequirement>, extra: ReadonlyArray<ReadonlyArray<number> | undefined>): BigramRequirement => {
  const all: Array<ReadonlyArray<number>> = []
  for (const set of extra) if (set !== undefined && set.length > 0) all.push(set)
  const any: Array<ReadonlyArray<BigramRequirement>> = []
  for (const p of parts) {
    all.push(...p.all)
    any.push(...p.any)
  }
  if (all.length <= 1) return all.length === 0 && any.length === 0 ? NO_BIGRAMS : { all, any: any.slice(0, 4) }
  const seen = new Set<string>()
  const unique: Array<{ readonly set: ReadonlyArray<number>; readonly rarity: number }> = []
  for (const set of all) {
    const key = set.length === 1 ? String(set[0]) : set.join(",")
    if (seen.has(key)) continue
    seen.add(key)
    unique.push({ set, rarity: setRarity(set) })
  }
  // rarest first: a value without them is rejected at the first test
  unique.sort((a, b) => b.rarity - a.rarity || a.set.length - b.set.length)
  return { all: unique.slice(0, MAX_BIGRAM_CONJUNCTS).map((u) => u.set), any: any.slice(0, 4) }
}

/** The derivation of a {@link BigramRequirement}, with per-node memos (one per pattern). */
const bigramAnalysis = () => {
  const transparentMemo = new Map<Node, boolean>()
  const firstMemo = new Map<Node, CodeSet>()
  const lastMemo = new Map<Node, CodeSet>()
  const charMemo = new Map<CharSet, CodeSet>()

  const codesOfSet = (set: CharSet): CodeSet => {
    let c = charMemo.get(set)
    if (c === undefined) {
      c = charCodes(set)
      charMemo.set(set, c)
    }
    return c
  }

  /**
   * Whether `n` can match without consuming a character and without asserting an edge: a `^` or
   * `$` stands for the edge, which the first and last sets below report as a code of its own.
   */
  const transparent = (n: Node): boolean => {
    let t = transparentMemo.get(n)
    if (t === undefined) {
      t = transparentOf(n)
      transparentMemo.set(n, t)
    }
    return t
  }
  const transparentOf = (n: Node): boolean => {
    switch (n._tag) {
      case "Assert":
        return n.kind === "b" || n.kind === "B"
      case "Look":
        return n.negative || n.behind || transparent(n.body)
      case "Seq":
        return n.items.every(transparent)
      case "Alt":
        return n.alts.some(transparent)
      case "Group":
        return transparent(n.body)
      case "Repeat":
        return n.min === 0 || transparent(n.body)
      case "Char":
        return false
      case "Backref":
        return true
    }
  }

  /**
   * The codes of what comes first in a match of `n`: the first character consumed, or the edge for
   * a `$` reached before any. A positive lookahead constrains the next character, so it answers
   * for what follows it.
   */
  const firstCodes = (n: Node): CodeSet => {
    let c = firstMemo.get(n)
    if (c === undefined) {
      c = firstCodesOf(n)
      firstMemo.set(n, c)
    }
    return c
  }
  const firstCodesOf = (n: Node): CodeSet => {
    switch (n._tag) {
      case "Char":
        return codesOfSet(n.set)
      case "Assert":
        return n.kind === "$" ? EDGE_ONLY : NO_CODES
      case "Look":
        return n.negative || n.behind ? NO_CODES : firstCodes(n.body)
      case "Seq": {
        let acc = NO_CODES
        for (const item of n.items) {
          acc = codeUnion(acc, firstCodes(item))
          if (!transparent(item)) break
        }
        return acc
      }
      case "Alt":
        return n.alts.reduce((acc, a) => codeUnion(acc, firstCodes(a)), NO_CODES)
      case "Group":
      case "Repeat":
        return firstCodes(n.body)
      case "Backref":
        return [-1, -1, -1, -1, 3]
    }
  }

  /** The mirror of {@link firstCodes}: the last character consumed, or the edge for a `^` after none. */
  const lastCodes = (n: Node): CodeSet => {
    let c = lastMemo.get(n)
    if (c === undefined) {
      c = lastCodesOf(n)
      lastMemo.set(n, c)
    }
    return c
  }
  const lastCodesOf = (n: Node): CodeSet => {
    switch (n._tag) {
      case "Char":
        return codesOfSet(n.set)
      case "Assert":
        return n.kind === "^" ? EDGE_ONLY : NO_CODES
      case "Look":
        return NO_CODES
      case "Seq": {
        let acc = NO_CODES
        for (let i = n.items.length - 1; i >= 0; i--) {
          const item = n.items[i]!
          acc = codeUnion(acc, lastCodes(item))
          if (!transparent(item) && item._tag !== "Look") break
        }
        return acc
      }
      case "Alt":
        return n.alts.reduce((acc, a) => codeUnion(acc, lastCodes(a)), NO_CODES)
      case "Group":
      case "Repeat":
        return lastCodes(n.body)
      case "Backref":
        return [-1, -1, -1, -1, 3]
    }
  }

  /**
   * The bigrams every match of `n` contains, given what precedes its match (`before`: the last
   * code before it, undefined when unknown) and what follows (`after`).
   */
  const bigramsIn = (n: Node, before: CodeSet | undefined, after: CodeSet | undefined): BigramRequirement => {
    switch (n._tag) {
      case "Char": {
        const codes = codesOfSet(n.set)
        return bigramConj([], [pairs(before, codes), pairs(codes, after)])
      }
      case "Seq": {
        const items = n.items
        // what precedes item i (`befores[i]`) and what follows it (`afters[i]`), from both ends
        const befores: Array<CodeSet | undefined> = []
        let prev = before
        for (const item of items) {
          befores.push(prev)
          if (item._tag === "Look") continue
          const last = lastCodes(item)
          prev = transparent(item) ? (prev === undefined ? undefined : codeUnion(last, prev)) : last
        }
        const afters: Array<CodeSet | undefined> = new Array(items.length)
        let next = after
        for (let i = items.length - 1; i >= 0; i--) {
          afters[i] = next
          const item = items[i]!
          const first = firstCodes(item)
          next = transparent(item) ? (next === undefined ? undefined : codeUnion(first, next)) : first
        }
        const parts: Array<BigramRequirement> = []
        for (let i = 0; i < items.length; i++) {
          const item = items[i]!
          if (!transparent(item)) parts.push(bigramsIn(item, befores[i], afters[i]))
        }
        return bigramConj(parts, [])
      }
      case "Alt": {
        const alts = n.alts.map((a) => bigramsIn(a, before, after))
        if (alts.some(isNoBigrams)) return NO_BIGRAMS
        return { all: [], any: [alts] }
      }
      case "Group":
        return bigramsIn(n.body, before, after)
      case "Repeat": {
        if (n.min === 0 || transparent(n.body)) return NO_BIGRAMS
        if (n.max <= 1) return bigramsIn(n.body, before, after)
        // each occurrence follows `before` or another occurrence, and precedes `after` or another
        const first = firstCodes(n.body)
        const last = lastCodes(n.body)
        const inner = bigramsIn(
          n.body,
          before === undefined ? undefined : codeUnion(before, last),
          after === undefined ? undefined : codeUnion(after, first)
        )
        return n.min >= 2 ? bigramConj([inner], [pairs(last, first)]) : inner
      }
      default:
        return NO_BIGRAMS
    }
  }
  return bigramsIn
}

/** The {@link BigramRequirement} of a pattern (always satisfied when it cannot be analysed). */
export const bigramRequirement = (source: string, flags = ""): BigramRequirement => {
  const hasBackref = (n: Node): boolean => {
    switch (n._tag) {
      case "Backref":
        return true
      case "Seq":
        return n.items.some(hasBackref)
      case "Alt":
        return n.alts.some(hasBackref)
      case "Group":
      case "Look":
      case "Repeat":
        return hasBackref(n.body)
      default:
        return false
    }
  }
  try {
    const ast = parse(source, flags.includes("i"), flags.includes("s"))
    // a backreference consumes characters the first and last sets do not see
    return hasBackref(ast) ? NO_BIGRAMS : bigramAnalysis()(ast, undefined, undefined)
  } catch {
    return NO_BIGRAMS
  }
}

