/**
 * Static ReDoS vetting of regular expressions, by construction.
 *
 * A backtracking engine (V8's Irregexp) searching an unanchored pattern over `n` characters tries
 * every start position; from one start it explores at most `paths × length` steps, where `paths`
 * is the number of ways the pattern can split a prefix. This module parses a pattern and accepts it
 * only when that bound is a small constant, which makes the whole search linear in `n`:
 *
 * 1. no backreferences (they are not regular);
 * 2. every repetition is bounded (`{0,64}`, never `*`, `+` or `{n,}`), so one start position can
 *    consume at most a constant number of characters;
 * 3. star height one: the body of a repetition that may iterate more than once contains no other
 *    quantifier (`?` included) and cannot match the empty string;
 * 4. an alternation inside such a body is deterministic: its branches start with disjoint characters;
 * 5. the product of the choices along the pattern (the `paths` bound) stays below {@link MAX_PATHS}.
 *
 * Character sets are approximated by an ASCII bitmap plus a "may contain non-ASCII" flag, which only
 * ever over-approximates overlaps, so the checker errs on the side of rejecting.
 *
 * @internal
 */

/** The largest accepted bound on backtracking paths from one start position. */
export const MAX_PATHS = 1_000_000

/** The largest accepted upper bound of one quantifier. */
export const MAX_REPEAT = 1024

/** The flags a vetted pattern may carry. */
export const ALLOWED_FLAGS = "imsu"

/** Why a pattern was rejected. */
export interface RedosVerdict {
  readonly safe: boolean
  readonly reason?: string
  /** The bound on backtracking paths from one start position (when computed). */
  readonly paths?: number
}

interface CharSet {
  readonly ascii: bigint
  readonly nonAscii: boolean
}

type Node =
  | { readonly _tag: "Char"; readonly set: CharSet }
  | { readonly _tag: "Seq"; readonly items: ReadonlyArray<Node> }
  | { readonly _tag: "Alt"; readonly alts: ReadonlyArray<Node> }
  | { readonly _tag: "Group"; readonly body: Node; readonly capturing: boolean }
  | { readonly _tag: "Look"; readonly body: Node; readonly behind: boolean; readonly negative: boolean }
  | { readonly _tag: "Repeat"; readonly body: Node; readonly min: number; readonly max: number; readonly at: number }
  | { readonly _tag: "Assert"; readonly kind: "^" | "$" | "b" | "B" }
  | { readonly _tag: "Backref"; readonly at: number }

const ALL_ASCII = (1n << 128n) - 1n
const bit = (c: number): bigint => 1n << BigInt(c)
const range = (lo: number, hi: number): bigint => {
  let out = 0n
  for (let c = lo; c <= Math.min(hi, 127); c++) out |= bit(c)
  return out
}
const DIGIT = range(48, 57)
const WORD = DIGIT | range(65, 90) | range(97, 122) | bit(95)
const SPACE = bit(9) | bit(10) | bit(11) | bit(12) | bit(13) | bit(32)
const UPPER = range(65, 90)
const LOWER = range(97, 122)

const set = (ascii: bigint, nonAscii: boolean): CharSet => ({ ascii, nonAscii })
const ANY: CharSet = set(ALL_ASCII, true)
const EMPTY: CharSet = set(0n, false)
const union = (a: CharSet, b: CharSet): CharSet => set(a.ascii | b.ascii, a.nonAscii || b.nonAscii)
const overlaps = (a: CharSet, b: CharSet): boolean => (a.ascii & b.ascii) !== 0n || (a.nonAscii && b.nonAscii)
const negate = (a: CharSet): CharSet => set(ALL_ASCII & ~a.ascii, true)
const foldCase = (a: CharSet): CharSet => {
  const upper = a.ascii & UPPER
  const lower = a.ascii & LOWER
  return set(a.ascii | (upper << 32n) | (lower >> 32n), a.nonAscii)
}
const single = (code: number): CharSet => (code < 128 ? set(bit(code), false) : set(0n, true))

class ParseFailure {
  constructor(readonly reason: string) {}
}

/** A recursive-descent parser for the JavaScript regex syntax (the pattern is already known valid). */
const parse = (source: string, ignoreCase: boolean, dotAll: boolean): Node => {
  let i = 0
  const peek = (): string | undefined => source[i]
  const fold = (s: CharSet): CharSet => (ignoreCase ? foldCase(s) : s)

  const classEscape = (): CharSet => {
    // positioned after the backslash
    const c = source[i++] ?? ""
    switch (c) {
      case "d":
        return set(DIGIT, false)
      case "D":
        return negate(set(DIGIT, false))
      case "w":
        return set(WORD, false)
      case "W":
        return negate(set(WORD, false))
      case "s":
        return set(SPACE, true)
      case "S":
        return negate(set(SPACE, false))
      case "n":
        return single(10)
      case "r":
        return single(13)
      case "t":
        return single(9)
      case "f":
        return single(12)
      case "v":
        return single(11)
      case "0":
        return single(0)
      case "b":
        return single(8)
      case "c": {
        const letter = source[i++] ?? "@"
        return single(letter.charCodeAt(0) % 32)
      }
      case "x": {
        const hex = source.slice(i, i + 2)
        i += 2
        return single(parseInt(hex, 16))
      }
      case "u": {
        if (source[i] === "{") {
          const end = source.indexOf("}", i)
          const code = parseInt(source.slice(i + 1, end), 16)
          i = end + 1
          return single(code)
        }
        const hex = source.slice(i, i + 4)
        i += 4
        return single(parseInt(hex, 16))
      }
      case "p":
      case "P": {
        const end = source.indexOf("}", i)
        i = end + 1
        return ANY
      }
      default:
        return fold(single(c.charCodeAt(0)))
    }
  }

  const charClass = (): CharSet => {
    // positioned after "["
    let negated = false
    if (peek() === "^") {
      negated = true
      i++
    }
    let acc = EMPTY
    while (i < source.length && peek() !== "]") {
      let lo: CharSet
      let loCode: number | undefined
      if (peek() === "\\") {
        i++
        const before = i
        lo = classEscape()
        const consumed = source.slice(before, i)
        loCode = /^[dDwWsSpP]/.test(consumed) ? undefined : singleCode(lo, consumed)
      } else {
        loCode = source.codePointAt(i) ?? 0
        i += loCode > 0xffff ? 2 : 1
        lo = single(loCode)
      }
      if (peek() === "-" && source[i + 1] !== "]" && loCode !== undefined) {
        i++
        let hiCode: number | undefined
        if (peek() === "\\") {
          i++
          const before = i
          const hi = classEscape()
          hiCode = singleCode(hi, source.slice(before, i))
        } else {
          hiCode = source.codePointAt(i) ?? 0
          i += hiCode > 0xffff ? 2 : 1
        }
        const top = hiCode ?? 0x10ffff
        acc = union(acc, set(range(loCode, top), top > 127))
      } else {
        acc = union(acc, lo)
      }
    }
    i++ // "]"
    const folded = fold(acc)
    return negated ? negate(folded) : folded
  }

  const singleCode = (s: CharSet, consumed: string): number | undefined => {
    if (s.nonAscii) {
      const m = /^u\{?([0-9a-fA-F]{1,6})/.exec(consumed) ?? /^x([0-9a-fA-F]{2})/.exec(consumed)
      return m?.[1] !== undefined ? parseInt(m[1], 16) : undefined
    }
    for (let c = 0; c < 128; c++) if ((s.ascii & bit(c)) !== 0n) return c
    return undefined
  }

  const atom = (): Node => {
    const c = peek()
    const at = i
    if (c === "(") {
      i++
      if (source.startsWith("?:", i)) {
        i += 2
        const body = alternation()
        i++
        return { _tag: "Group", body, capturing: false }
      }
      if (source.startsWith("?=", i) || source.startsWith("?!", i)) {
        const negative = source[i + 1] === "!"
        i += 2
        const body = alternation()
        i++
        return { _tag: "Look", body, behind: false, negative }
      }
      if (source.startsWith("?<=", i) || source.startsWith("?<!", i)) {
        const negative = source[i + 2] === "!"
        i += 3
        const body = alternation()
        i++
        return { _tag: "Look", body, behind: true, negative }
      }
      if (source.startsWith("?<", i)) {
        i = source.indexOf(">", i) + 1
        const body = alternation()
        i++
        return { _tag: "Group", body, capturing: true }
      }
      if (source.startsWith("?", i)) throw new ParseFailure(`unsupported group syntax at offset ${at}`)
      const body = alternation()
      i++
      return { _tag: "Group", body, capturing: true }
    }
    if (c === "[") {
      i++
      return { _tag: "Char", set: charClass() }
    }
    if (c === ".") {
      i++
      return { _tag: "Char", set: dotAll ? ANY : set(ALL_ASCII & ~bit(10) & ~bit(13), true) }
    }
    if (c === "^" || c === "$") {
      i++
      return { _tag: "Assert", kind: c }
    }
    if (c === "\\") {
      i++
      const e = peek()
      if (e === "b" || e === "B") {
        i++
        return { _tag: "Assert", kind: e }
      }
      if (e !== undefined && /[1-9]/.test(e)) {
        return { _tag: "Backref", at }
      }
      if (e === "k" && source[i + 1] === "<") {
        return { _tag: "Backref", at }
      }
      return { _tag: "Char", set: classEscape() }
    }
    const code = source.codePointAt(i) ?? 0
    i += code > 0xffff ? 2 : 1
    return { _tag: "Char", set: fold(single(code)) }
  }

  const quantified = (): Node => {
    const body = atom()
    const at = i
    const c = peek()
    let min: number
    let max: number
    if (c === "*") {
      min = 0
      max = Infinity
      i++
    } else if (c === "+") {
      min = 1
      max = Infinity
      i++
    } else if (c === "?") {
      min = 0
      max = 1
      i++
    } else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i))
      if (m === null) return body
      min = Number(m[1])
      max = m[2] === undefined ? min : m[3] === "" || m[3] === undefined ? Infinity : Number(m[3])
      i += m[0].length
    } else {
      return body
    }
    if (peek() === "?") i++ // lazy
    return { _tag: "Repeat", body, min, max, at }
  }

  const sequence = (): Node => {
    const items: Array<Node> = []
    while (i < source.length && peek() !== "|" && peek() !== ")") items.push(quantified())
    return items.length === 1 && items[0] !== undefined ? items[0] : { _tag: "Seq", items }
  }

  const alternation = (): Node => {
    const alts: Array<Node> = [sequence()]
    while (peek() === "|") {
      i++
      alts.push(sequence())
    }
    return alts.length === 1 && alts[0] !== undefined ? alts[0] : { _tag: "Alt", alts }
  }

  const node = alternation()
  if (i < source.length) throw new ParseFailure(`unexpected ${JSON.stringify(source[i])} at offset ${i}`)
  return node
}

const nullable = (n: Node): boolean => {
  switch (n._tag) {
    case "Char":
      return false
    case "Seq":
      return n.items.every(nullable)
    case "Alt":
      return n.alts.some(nullable)
    case "Group":
      return nullable(n.body)
    case "Look":
    case "Assert":
    case "Backref":
      return true
    case "Repeat":
      return n.min === 0 || nullable(n.body)
  }
}

const firstSet = (n: Node): CharSet => {
  switch (n._tag) {
    case "Char":
      return n.set
    case "Seq": {
      let acc = EMPTY
      for (const item of n.items) {
        acc = union(acc, firstSet(item))
        if (!nullable(item)) break
      }
      return acc
    }
    case "Alt":
      return n.alts.reduce((acc, a) => union(acc, firstSet(a)), EMPTY)
    case "Group":
      return firstSet(n.body)
    case "Repeat":
      return firstSet(n.body)
    case "Look":
    case "Assert":
    case "Backref":
      return EMPTY
  }
}

const containsQuantifier = (n: Node): boolean => {
  switch (n._tag) {
    case "Repeat":
      return true
    case "Seq":
      return n.items.some(containsQuantifier)
    case "Alt":
      return n.alts.some(containsQuantifier)
    case "Group":
    case "Look":
      return containsQuantifier(n.body)
    default:
      return false
  }
}

/** Alternations inside a repeated body must be decidable by their first character. */
const deterministicAlternations = (n: Node): string | undefined => {
  switch (n._tag) {
    case "Alt": {
      const firsts = n.alts.map(firstSet)
      for (let a = 0; a < firsts.length; a++) {
        for (let b = a + 1; b < firsts.length; b++) {
          const fa = firsts[a]
          const fb = firsts[b]
          if (fa !== undefined && fb !== undefined && overlaps(fa, fb)) {
            return "a repeated group has alternatives that can start with the same character (ambiguous, exponential backtracking)"
          }
        }
      }
      for (const alt of n.alts) {
        const inner = deterministicAlternations(alt)
        if (inner !== undefined) return inner
      }
      return undefined
    }
    case "Seq":
      for (const item of n.items) {
        const inner = deterministicAlternations(item)
        if (inner !== undefined) return inner
      }
      return undefined
    case "Group":
    case "Look":
      return deterministicAlternations(n.body)
    default:
      return undefined
  }
}

/**
 * Branches whose first characters are disjoint cannot both get past their first character at one
 * position, so only the branches of one cluster (branches linked by overlapping first sets) produce
 * paths; the bound is the largest cluster sum. A branch that can match empty joins every cluster.
 */
const altPaths = (alts: ReadonlyArray<Node>): number => {
  const clusters: Array<{ first: CharSet; paths: number }> = []
  let emptyPaths = 0
  for (const alt of alts) {
    const p = paths(alt)
    if (nullable(alt)) {
      emptyPaths += p
      continue
    }
    let merged = { first: firstSet(alt), paths: p }
    for (let c = clusters.length - 1; c >= 0; c--) {
      const cluster = clusters[c]
      if (cluster !== undefined && overlaps(cluster.first, merged.first)) {
        merged = { first: union(cluster.first, merged.first), paths: cluster.paths + merged.paths }
        clusters.splice(c, 1)
      }
    }
    clusters.push(merged)
  }
  return clusters.reduce((acc, c) => Math.max(acc, c.paths), 0) + emptyPaths
}

/** Upper bound of backtracking paths from one start position; throws a ParseFailure on a violation. */
const paths = (n: Node): number => {
  switch (n._tag) {
    case "Char":
    case "Assert":
      return 1
    case "Backref":
      throw new ParseFailure(`backreference at offset ${n.at} cannot be matched in linear time`)
    case "Seq":
      return n.items.reduce((acc, item) => Math.min(acc * paths(item), Number.MAX_SAFE_INTEGER), 1)
    case "Alt":
      return altPaths(n.alts)
    case "Group":
      return paths(n.body)
    case "Look":
      return paths(n.body)
    case "Repeat": {
      if (n.max === Infinity) {
        throw new ParseFailure(
          `unbounded quantifier at offset ${n.at}; bound it (e.g. {0,64} instead of * or +) so one match position costs a constant`
        )
      }
      if (n.max > MAX_REPEAT) throw new ParseFailure(`quantifier bound ${n.max} at offset ${n.at} exceeds ${MAX_REPEAT}`)
      const inner = paths(n.body)
      if (n.max <= 1) return inner + 1
      if (containsQuantifier(n.body)) {
        throw new ParseFailure(`nested quantifier at offset ${n.at} (a repeated group contains another quantifier)`)
      }
      if (nullable(n.body)) throw new ParseFailure(`repeated group at offset ${n.at} can match the empty string`)
      const ambiguity = deterministicAlternations(n.body)
      if (ambiguity !== undefined) throw new ParseFailure(`${ambiguity} at offset ${n.at}`)
      return n.max - n.min + 1
    }
  }
}

/**
 * Decides whether `source` with `flags` is a valid regex whose unanchored search is linear-time.
 */
export const vetPattern = (source: string, flags = ""): RedosVerdict => {
  for (const f of flags) {
    if (!ALLOWED_FLAGS.includes(f)) return { safe: false, reason: `flag ${JSON.stringify(f)} is not allowed (use only ${ALLOWED_FLAGS})` }
  }
  try {
    new RegExp(source, flags)
  } catch (error) {
    return { safe: false, reason: `not a valid regular expression: ${error instanceof Error ? error.message : String(error)}` }
  }
  try {
    const ast = parse(source, flags.includes("i"), flags.includes("s"))
    const bound = paths(ast)
    if (bound > MAX_PATHS) {
      return { safe: false, reason: `too many backtracking paths per position (${bound} > ${MAX_PATHS}); use fewer or smaller quantifiers`, paths: bound }
    }
    if (nullable(ast)) return { safe: false, reason: "the pattern can match the empty string" }
    return { safe: true, paths: bound }
  } catch (error) {
    if (error instanceof ParseFailure) return { safe: false, reason: error.reason }
    return { safe: false, reason: `cannot analyse the pattern: ${error instanceof Error ? error.message : String(error)}` }
  }
}

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

/**
 * The character values are joined with for a joined search (see {@link joinedSource}). It must occur
 * in none of them, and it is not a word character.
 */
export const JOIN_SEPARATOR = "\u0000"

/** `^` and `$` for a joined search: the edges of the text or of a value (next to the separator). */
const JOINED_START = "(?<![^\\x00])"
const JOINED_END = "(?![^\\x00])"
/** `.`, `\S`, `\W` and `\D` for a joined search: the same characters but the separator. */
const JOINED_ESCAPES: Readonly<Record<string, string>> = {
  ".": "[^\\n\\r\\u2028\\u2029\\x00]",
  "\\S": "[^\\s\\x00]",
  "\\W": "[^\\w\\x00]",
  "\\D": "[^\\d\\x00]"
}

/**
 * The source of `source` for a search over values joined by {@link JOIN_SEPARATOR}, such that a
 * match starts inside every value where the pattern finds one on its own; undefined when no such
 * source is known. A match inside a value consumes only that value's characters, so only assertions
 * can see the separator: `\b` and `\B` treat it exactly as the edge of a string (neither is a word
 * character), `^` and `$` are rewritten to assert the edge of a value, and a positive lookahead
 * made of such parts matches the same characters as within the value. What can differ is only a
 * match that runs on across the separator, which the caller must check value by value; negated
 * classes, `.`, `\S`, `\W` and `\D` are rewritten not to match the separator, so that only a
 * literal separator or a positive class that names it can cross, and a bounded repetition cannot
 * wander through the following values (which would cost time, not results). Negative
 * lookarounds and lookbehinds could change their answer next to the separator, so a pattern with any
 * of them is refused, as are flags other than `g` and `i` (`m` would change `^` and `$`).
 */
export const joinedSource = (source: string, flags = ""): string | undefined => {
  if (!/^[gi]*$/.test(flags)) return undefined
  const safe = (n: Node): boolean => {
    switch (n._tag) {
      case "Assert":
      case "Char":
        return true
      case "Look":
        return !n.behind && !n.negative && safe(n.body)
      case "Backref":
        return false
      case "Seq":
        return n.items.every(safe)
      case "Alt":
        return n.alts.every(safe)
      case "Group":
      case "Repeat":
        return safe(n.body)
    }
  }
  try {
    if (!safe(parse(source, flags.includes("i"), false))) return undefined
  } catch {
    return undefined
  }
  let out = ""
  // inside a class: 1 positive, 2 negated
  let inClass = 0
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!
    if (c === "\\") {
      const escape = source.slice(i, i + 2)
      out += inClass === 0 ? JOINED_ESCAPES[escape] ?? escape : escape
      i++
    } else if (inClass !== 0) {
      if (c === "]") {
        if (inClass === 2) out += "\\x00"
        inClass = 0
      }
      out += c
    } else if (c === "[") {
      inClass = source[i + 1] === "^" ? 2 : 1
      out += c
    } else {
      out += c === "^" ? JOINED_START : c === "$" ? JOINED_END : c === "." ? JOINED_ESCAPES["."] : c
    }
  }
  return out
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

/**
 * Whether a match of `source` can read the separator (a lookahead included): a literal NUL or a
 * class that names it. A joined source (see {@link joinedSource}) that cannot finds, in each value,
 * the same first match as the pattern searching the value alone: every construct then fails on the
 * separator exactly as it fails at the end of a string.
 */
export const readsSeparator = (source: string, flags = ""): boolean => {
  const reads = (n: Node): boolean => {
    switch (n._tag) {
      case "Char":
        return (n.set.ascii & 1n) !== 0n
      case "Seq":
        return n.items.some(reads)
      case "Alt":
        return n.alts.some(reads)
      case "Group":
      case "Look":
      case "Repeat":
        return reads(n.body)
      case "Backref":
        return true
      case "Assert":
        return false
    }
  }
  try {
    return reads(parse(source, flags.includes("i"), flags.includes("s")))
  } catch {
    return true
  }
}
