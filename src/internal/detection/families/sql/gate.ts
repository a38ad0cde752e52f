/**
 * The SQL family's pre-filter, as one pass over the characters: which of its expressions
 * (`MAY_MATCH` in index.ts) can match a value at all. Each expression needs a character, a pair of
 * characters or a word (a whole run of `[A-Za-z0-9_]`, compared without case as the expressions'
 * `\b` and `i` flag do) that the pass records as a bit; only the expressions whose bits are all
 * there are run. Most values (words, numbers, identifiers, e-mail addresses, URLs, prose without SQL
 * words) run none, where testing all fourteen cost 14 calls into the regular-expression engine.
 *
 * Each condition is implied by every match of its expression (it errs on "may match"), so the
 * pre-filter says what testing every expression says: test/detection/families/sqlGate.test.ts
 * compares the two on generated values.
 *
 * @internal
 */

// what a value holds, a bit each
/** `'`, `"`, `` ` ``, `#`, or one of the pairs `--` `@@` `::` `&&` `||` `!=` `<=` `>=` `==` `<<` `>>` `<>` `/*` `*\/`. */
export const QUOTE_OR_PAIR = 1 << 0
/** A digit followed by `.`, or `0x`. */
export const NUMBER_MARK = 1 << 1
export const DOLLAR = 1 << 2
export const PAREN = 1 << 3
export const SEMICOLON = 1 << 4
/** `=`, `<` or `>`. */
export const COMPARE = 1 << 5
export const DIGIT = 1 << 6
/** `&&` or `||`. */
export const LOGIC_PAIR = 1 << 7
/** `/*`. */
export const COMMENT_OPEN = 1 << 8
/** A word of `MAY_MATCH[3]`: `union`, `select`, `sleep`, `if`, `order`, ... */
export const STATEMENT_WORD = 1 << 9
/** A word of `MAY_MATCH[4]`, called: `ascii`, `substr`, `user`, ... */
export const CALLED_WORD = 1 << 10
/** A word that starts like a catalogue or server name: `xp_`, `sys`, `pg_`, `dbms_`, ... */
export const CATALOGUE_PREFIX = 1 << 11
/** `or`, `and`, `xor`, `not`. */
export const LOGIC_WORD = 1 << 12
/** `like`, `rlike`, `regexp`, `glob`, `between`, `sounds`. */
export const COMPARE_WORD = 1 << 13
/** A word of `MAY_MATCH[10]`: `xor`, `is`, `values`, `when`, `as`, `nvarchar`, `sp_...`, ... */
export const CLAUSE_WORD = 1 << 14
/** `like` or `is`. */
export const LIKE_OR_IS = 1 << 15
/** A word of `MAY_MATCH[13]`: `schema`, `tempdb`, `current_user`, ... */
export const SCHEMA_WORD = 1 << 16
/** `union` or `select` inside a longer word (`UNIunionON`). */
export const NESTED = 1 << 17

interface Entry {
  readonly text: string
  readonly bits: number
  /** The word only has to start with `text`. */
  readonly prefix: boolean
}

const entries = new Map<string, { bits: number; prefix: boolean }>()
const add = (bits: number, words: string, prefix = false): void => {
  for (const text of words.split(" ")) {
    const key = `${text}${prefix ? "*" : ""}`
    const known = entries.get(key)
    entries.set(key, { bits: (known?.bits ?? 0) | bits, prefix })
  }
}
add(
  STATEMENT_WORD,
  "union select insert delete drop exec execute declare waitfor sleep benchmark pg_sleep extractvalue updatexml load_file information_schema having procedure iif if case order group truncate shutdown"
)
add(CALLED_WORD, "ascii ord substr substring mid char concat version database user db_name")
add(CATALOGUE_PREFIX, "xp_ sys pg_ lo_ mysql sqlite_ dbms_ utl_ randomblob", true)
add(LOGIC_WORD, "or and xor not")
add(COMPARE_WORD, "like rlike regexp glob between sounds")
add(CLAUSE_WORD, "like xor regexp rlike is varchar nvarchar varchar2 nvarchar2 openrowset opendatasource openquery msdasql sqloledb values when as")
add(CLAUSE_WORD, "sp_", true)
add(LIKE_OR_IS, "like is")
add(SCHEMA_WORD, "tempdb msdb northwind sysaux schema current_user session_user system_user current_database current_schema")

const ENTRIES: ReadonlyArray<Entry> = [...entries].map(([key, { bits, prefix }]) => ({ text: prefix ? key.slice(0, -1) : key, bits, prefix }))

/** Whole words by first letter and length (`first * 32 + length`): a word is compared with one or two. */
const WORDS: ReadonlyArray<ReadonlyArray<Entry>> = Array.from(
  { length: 128 * 32 },
  (_, key) => ENTRIES.filter((e) => !e.prefix && e.text.charCodeAt(0) === key >> 5 && e.text.length === (key & 31))
)
/** Prefixes by first letter. */
const PREFIXES: ReadonlyArray<ReadonlyArray<Entry>> = Array.from({ length: 128 }, (_, code) => ENTRIES.filter((e) => e.prefix && e.text.charCodeAt(0) === code))

const lower = (c: number): number => (c >= 65 && c <= 90 ? c | 32 : c)

/** Whether `value[at, at + text.length)` is `text` (lower case), without case. */
const holds = (value: string, at: number, text: string): boolean => {
  for (let k = 0; k < text.length; k++) if (lower(value.charCodeAt(at + k)) !== text.charCodeAt(k)) return false
  return true
}

/** The bits of the entries the word `value[start, end)` (first letter `first`, lower case) is or starts with. */
const entryBits = (value: string, start: number, end: number, first: number): number => {
  const length = end - start
  let bits = 0
  if (length < 32) {
    const words = WORDS[first * 32 + length]!
    for (let k = 0; k < words.length; k++) if (holds(value, start, words[k]!.text)) bits |= words[k]!.bits
  }
  const prefixes = PREFIXES[first]!
  for (let k = 0; k < prefixes.length; k++) {
    const entry = prefixes[k]!
    if (length >= entry.text.length && holds(value, start, entry.text)) bits |= entry.bits
  }
  return bits
}

/** `union` or `select` between two word characters of the word `value[start, end)` (`UNIunionON`). */
const nested = (value: string, start: number, end: number): boolean => {
  for (let k = start + 1; k + 6 <= end; k++) {
    const c = value.charCodeAt(k) | 32
    if ((c === 117 && holds(value, k, "union")) || (c === 115 && k + 7 <= end && holds(value, k, "select"))) return true
  }
  return false
}

/** Character classes, a table read per character. */
const OTHER = 0
const WORD = 1
const DIGIT_CHAR = 2
const MARK = 3
const CLASS = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c)
  CLASS[c] = /[0-9]/.test(ch) ? DIGIT_CHAR : /\w/.test(ch) ? WORD : "'\"`#-@:&|!<>=/*$();.".includes(ch) ? MARK : OTHER
}

/** What the value holds, as the bits above. */
export const gateBits = (value: string): number => {
  const n = value.length
  let bits = 0
  let i = 0
  while (i < n) {
    const c = value.charCodeAt(i)
    const kind = c < 128 ? CLASS[c]! : OTHER
    if (kind === OTHER) {
      i++
      continue
    }
    if (kind === WORD || kind === DIGIT_CHAR) {
      const start = i
      let digit = kind === DIGIT_CHAR
      let end = i + 1
      for (; end < n; end++) {
        const e = value.charCodeAt(end)
        const part = e < 128 ? CLASS[e]! : OTHER
        if (part === DIGIT_CHAR) digit = true
        else if (part !== WORD) break
      }
      if (digit) {
        bits |= DIGIT
        // `1.e(`, `0x414`: a digit then `.`, or `0x`
        if (value.charCodeAt(end) === 46 && isDigit(value.charCodeAt(end - 1))) bits |= NUMBER_MARK
        for (let k = start; k + 1 < end; k++) {
          if (value.charCodeAt(k) === 48 && (value.charCodeAt(k + 1) | 32) === 120) bits |= NUMBER_MARK
        }
      }
      bits |= entryBits(value, start, end, lower(c))
      if (end - start >= 7 && (bits & NESTED) === 0 && nested(value, start, end)) bits |= NESTED
      i = end
      continue
    }
    const d = value.charCodeAt(i + 1)
    switch (c) {
      case 39: // '
      case 34: // "
      case 96: // `
      case 35: // #
        bits |= QUOTE_OR_PAIR
        break
      case 45: // --
      case 64: // @@
      case 58: // ::
        if (d === c) bits |= QUOTE_OR_PAIR
        break
      case 38: // &&
      case 124: // ||
        if (d === c) bits |= QUOTE_OR_PAIR | LOGIC_PAIR
        break
      case 33: // !=
        if (d === 61) bits |= QUOTE_OR_PAIR
        break
      case 60: // <= << <>, and `un<x>ion`: a tag glued to a word, which may cut it
        bits |= COMPARE
        if (d === 61 || d === 60 || d === 62) bits |= QUOTE_OR_PAIR
        else if (i > 0 && (d === 47 || d === 33 || ((d | 32) - 97) >>> 0 < 26) && ((value.charCodeAt(i - 1) | 32) - 97) >>> 0 < 26) bits |= QUOTE_OR_PAIR
        break
      case 62: // >= >>
        bits |= COMPARE
        if (d === 61 || d === 60 || d === 62) bits |= QUOTE_OR_PAIR
        break
      case 61: // ==
        bits |= COMPARE
        if (d === 61) bits |= QUOTE_OR_PAIR
        break
      case 47: // /*
        if (d === 42) bits |= QUOTE_OR_PAIR | COMMENT_OPEN
        break
      case 42: // */
        if (d === 47) bits |= QUOTE_OR_PAIR
        break
      case 36:
        bits |= DOLLAR
        break
      case 40:
        bits |= PAREN
        break
      case 59:
        bits |= SEMICOLON
        break
      default:
        break
    }
    i++
  }
  return bits
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57
