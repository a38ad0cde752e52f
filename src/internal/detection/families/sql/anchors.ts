/**
 * Whether a value holds anything that a rule past the opening of its token stream starts from. The
 * rules that read the whole stream each start at an anchor: a comment, `;`, a server variable,
 * UNION or a statement word, a call, a catalogue name, a cast, or OR/AND/WHERE/WHEN/HAVING with
 * something compared.
 * A value without one (JSON text, prose with quotes, identifiers) needs only the opening of each
 * quote context tokenized, which is what keeps quote-heavy values cheap.
 *
 * One pass over the characters, words compared in place (no slicing, no lower-casing): the cost of
 * a long benign value is about that of one regular-expression scan. It errs towards "yes", which
 * only costs the full reading.
 *
 * @internal
 */
import { CATALOGUE_PREFIXES, CATALOGUE_WORDS, classify } from "./keywords.js"
import * as Chars from "./tokenizer.js"

// read once: the loop below runs per character, and a module binding may cost a lookup per call
const { isSpace, literalJoinEnd, numberEnd } = Chars

/** How a vocabulary word counts: an anchor on its own, OR/AND/WHERE/WHEN, or something compared. */
type Role = "anchor" | "logic" | "compare"

interface Entry {
  readonly text: string
  readonly role: Role
  /** The word only has to start with `text` (catalogue names: `information_schema.tables`). */
  readonly prefix: boolean
}

const entries: Array<Entry> = [
  ...["union", "intersect", "except", "select", "exec", "execute", "waitfor", "declare"].map((text) => ({ text, role: "anchor" as const, prefix: false })),
  ...["or", "and", "xor", "not", "where", "when", "having"].map((text) => ({ text, role: "logic" as const, prefix: false })),
  // a catalogue word may also start a dotted name: `sysobjects.name`
  ...[...CATALOGUE_WORDS, ...CATALOGUE_PREFIXES, "xp_"].map((text) => ({ text, role: "anchor" as const, prefix: true }))
]
for (const word of ["like", "rlike", "regexp", "is", "in", "between", "sounds", "glob", "ilike", "similar", "null", "true", "false", "current_user", "session_user", "system_user", "current_date", "current_time", "current_timestamp", "localtime"]) {
  const kind = classify(word)
  if (kind === "compare" || kind === "literal") entries.push({ text: word, role: "compare", prefix: false })
}

/** The vocabulary by first letter, so a word is compared with a handful of entries at most. */
const byFirst: ReadonlyArray<ReadonlyArray<Entry>> = Array.from({ length: 128 }, (_, code) => entries.filter((e) => e.text.charCodeAt(0) === code))
/** By first letter: the lengths (bit per length) of the exact words, and the shortest prefix. */
const exactLengths = byFirst.map((list) => list.reduce((mask, e) => (e.prefix ? mask : mask | (1 << e.text.length)), 0))
const shortestPrefix = byFirst.map((list) => list.reduce((min, e) => (e.prefix ? Math.min(min, e.text.length) : min), Infinity))

const lower = (c: number): number => (c >= 65 && c <= 90 ? c | 32 : c)

/** The role of the word `value[start, end)` (compared case-insensitively), if it has one. */
const roleOf = (value: string, start: number, end: number): Role | undefined => {
  const first = lower(value.charCodeAt(start))
  if (first >= 128) return undefined
  const length = end - start
  // most words are ruled out by their first letter and length alone
  if (length < (shortestPrefix[first] ?? Infinity) && (length > 30 || ((exactLengths[first] ?? 0) & (1 << length)) === 0)) return undefined
  for (const entry of byFirst[first] ?? []) {
    const text = entry.text
    if (entry.prefix ? length < text.length : length !== text.length) continue
    let k = 1
    while (k < text.length && lower(value.charCodeAt(start + k)) === text.charCodeAt(k)) k++
    if (k === text.length) return entry.role
  }
  return undefined
}

const KELVIN = 0x212a

/** ASCII classes, read from a table: the loop runs per character. */
const OTHER = 0
const LETTER = 1 // also `_` and `$`: what starts a word
const DIGIT = 2
const DOT = 3 // inside a word (`information_schema.tables`), never its start
const SIGN = 4 // what an anchor or a comparison starts with

const CLASS = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c)
  CLASS[c] = /[a-z_$]/i.test(ch) ? LETTER : /[0-9]/.test(ch) ? DIGIT : ch === "." ? DOT : ";#-/@&|=<>!:".includes(ch) ? SIGN : OTHER
}

/** Non-ASCII characters are letters to the tokenizer. */
const classOf = (c: number): number => (c < 128 ? CLASS[c] ?? OTHER : LETTER)

/**
 * A `;` anchors a stacked query only where the value ends or a statement starts after it: the `;`
 * of `data:image/png;base64`, of a CSV cell or of a line of code starts nothing SQL reads.
 */
const stacksStatement = (value: string, from: number): boolean => {
  const n = value.length
  let i = from
  while (i < n && i - from < 8 && isSpace(value.charCodeAt(i))) i++
  if (i >= n) return true
  const c = value.charCodeAt(i)
  // `;(select`, `;/*`, `;--`, `;#`: what the other anchors do not already see is cheap to accept
  if (c === 40 || c === 47 || c === 45 || c === 35) return true
  if (classOf(c) !== LETTER) return false
  let end = i + 1
  while (end < n && end - i <= 8 && classOf(value.charCodeAt(end)) === LETTER) end++
  if (end - i > 8) return false
  const kind = classify(value.slice(i, end).toLowerCase())
  return kind === "statement" || kind === "union"
}

/**
 * Where the marker of a markdown heading (one to six `#` opening a line, then a space) that starts
 * at `at` ends, or -1: a heading comments nothing out.
 */
const headingEnd = (value: string, at: number): number => {
  const before = at === 0 ? 10 : value.charCodeAt(at - 1)
  if (before !== 10 && before !== 13) return -1
  let end = at
  while (end < value.length && end - at < 6 && value.charCodeAt(end) === 35) end++
  return value.charCodeAt(end) === 32 ? end : -1
}

export const needsWholeStream = (value: string): boolean => {
  const n = value.length
  let logic = false
  let compare = false
  let i = 0
  while (i < n) {
    const c = value.charCodeAt(i)
    const kind = classOf(c)
    if (kind === OTHER || kind === DOT) {
      i++
      continue
    }
    if (kind === LETTER || kind === DIGIT) {
      // a run of word characters: a number and then a word (`1union`), or one word
      let end = i + 1
      for (; end < n; end++) {
        const e = value.charCodeAt(end)
        // the Kelvin sign lower-cases to `k`, which the in-place comparison would not see
        if (e === KELVIN) return true
        const part = classOf(e)
        if (part === OTHER || part === SIGN) break
      }
      if (c === KELVIN) return true
      const wordStart = kind === DIGIT ? numberEnd(value, i) : i
      // `1.e(`, `1.e.tables`: a bare exponent glued to a call or a name
      if (wordStart < n && (value.charCodeAt(wordStart - 1) | 32) === 101 && (value.charCodeAt(wordStart) === 40 || value.charCodeAt(wordStart) === 46)) return true
      // `un","ion`: a word cut by a join of literals, which the tokenizer reads joined
      const after = value.charCodeAt(end)
      if (after === 34 || after === 39 || after === 92) {
        const joined = literalJoinEnd(value, end)
        if (joined > 0 && classOf(value.charCodeAt(joined)) === LETTER) return true
      }
      if (wordStart < end && classOf(value.charCodeAt(wordStart)) === LETTER) {
        const role = roleOf(value, wordStart, end)
        if (role === "anchor") return true
        if (role === "logic") logic = true
        else if (role === "compare") compare = true
        // a word called as a function
        let j = end
        while (j < n && j - end < 8 && isSpace(value.charCodeAt(j))) j++
        if (value.charCodeAt(j) === 40 || (logic && compare)) return true
      }
      i = end
      continue
    }
    const d = value.charCodeAt(i + 1)
    // `x::int`, a PostgreSQL cast
    if (c === 58 && d === 58) return true
    switch (c) {
      case 59: // ;
        if (stacksStatement(value, i + 1)) return true
        break
      case 35: { // #
        const end = headingEnd(value, i)
        if (end < 0) return true
        i = end
        continue
      }
      case 45: // --
      case 64: // @@
        if (d === c) return true
        break
      case 47: // /*
        if (d === 42) return true
        break
      case 60: { // `un<>ion`, `un<b></b>ion`: tags that may split a word, read as `/*` is
        const tagsEnd = classOf(value.charCodeAt(i - 1)) === LETTER ? Chars.tagRunEnd(value, i) : -1
        if (tagsEnd > 0 && classOf(value.charCodeAt(tagsEnd)) === LETTER) return true
        compare = true
        break
      }
      case 38: // &&
      case 124: // ||
        if (d === c) logic = true
        break
      case 58: // a single `:`
        break
      default: // = < > !
        compare = true
        break
    }
    if (logic && compare) return true
    i++
  }
  return logic && compare
}
