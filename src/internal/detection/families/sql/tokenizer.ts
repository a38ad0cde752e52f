/**
 * A SQL tokenizer for untrusted values, in the spirit of libinjection: it reads a value as the tail
 * of a SQL statement that the value was pasted into, starting either bare (a number or a name) or
 * inside a `'` or `"` string literal. It never fails: every character becomes part of some token.
 *
 * One pass, constant work per character (amortised), one token at a time: the rules read the stream
 * through a bounded window, so nothing grows with the value but the time.
 *
 * @internal
 */
import { classify, type WordKind } from "./keywords.js"

/**
 * The kinds of token:
 * `s` string, `n` number, `v` variable (`@x`, `@@x`), `b` bare word, `f` a word called as a function,
 * `k` keyword, `&` logical operator, `o` operator (`cmp` when it compares), `U` UNION and friends,
 * `E` a word that starts a statement, `c` comment, `(` `)` `,` `;` punctuation, `?` anything else.
 */
export type TokenType = "s" | "n" | "v" | "b" | "f" | "k" | "&" | "o" | "U" | "E" | "c" | "(" | ")" | "," | ";" | "?"

export interface Token {
  readonly type: TokenType
  /** Lower-cased text of words; the operator or comment opener otherwise. */
  readonly text: string
  /** Operators: it compares (`=`, `<`, `like`, `in`, ...). Strings: the closing quote was found. */
  readonly flag: boolean
  /** Strings: the content has whitespace after its first character (prose, not a name or a value). */
  readonly spaced?: boolean
  /** Strings: at most two characters that are not whitespace. */
  readonly short?: boolean
  /**
   * Strings: the content opens and closes with a field separator (`,`, `;`, tab) and holds more,
   * as the gap between two quoted fields of a CSV row does (`","a@b.org,12,"`): cells, not a literal.
   */
  readonly cells?: boolean
}

/** Where the value starts: bare, inside a string opened by `'` or `"`, or inside a `` ` `` name. */
export type QuoteContext = "" | "'" | '"' | "`"


export const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13) || c === 160
export const isDigit = (c: number): boolean => c >= 48 && c <= 57
export const isWordStart = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c >= 128
export const isWordPart = (c: number): boolean => isWordStart(c) || isDigit(c) || c === 46
const isHex = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)

const COMPARE_OPS = new Set(["=", "<", ">", "<=", ">=", "<>", "!=", "<=>", "==", "!<", "!>"])
const LOGICAL_OPS = new Set(["||", "&&"])
const TWO_CHAR_OPS = new Set(["<=", ">=", "<>", "!=", "==", "||", "&&", "::", ":=", "!<", "!>", "<<", ">>"])

/**
 * Tokens are shared wherever their content is one of a few values (punctuation, operators, known
 * words, string shapes), so a long adversarial value allocates little and stays linear in practice
 * as well as in theory. The table only ever holds the vocabulary's words and a few shapes: bounded.
 */
const interned = new Map<string, Token>()
const intern = (key: string, make: () => Token): Token => {
  const known = interned.get(key)
  if (known !== undefined) return known
  const token = make()
  interned.set(key, token)
  return token
}

const stringToken = (quote: number, closed: boolean, spaced: boolean, short: boolean, cells = false): Token =>
  intern(`s${quote}${closed ? 1 : 0}${spaced ? 1 : 0}${short ? 1 : 0}${cells ? 1 : 0}`, () => ({ type: "s", text: String.fromCharCode(quote), flag: closed, spaced, short, cells }))

const isSeparator = (c: number): boolean => c === 44 || c === 59 || c === 9

const wordToken = (text: string, kind: WordKind, called: boolean): Token =>
  kind === "word" ? { type: called ? "f" : "b", text, flag: false } : intern(`w${called ? "(" : ""}${text}`, () => makeWordToken(text, kind, called))

const makeWordToken = (text: string, kind: WordKind, called: boolean): Token => {
  switch (kind) {
    case "logical":
      return { type: "&", text, flag: false }
    case "compare":
      return { type: "o", text, flag: true }
    case "arith":
      return { type: "o", text, flag: false }
    case "union":
      return { type: "U", text, flag: false }
    case "statement":
      return { type: called ? "f" : "E", text, flag: false }
    case "keyword":
      return { type: called ? "f" : "k", text, flag: false }
    case "literal":
      // `current_user()` is a call in PostgreSQL and MySQL alike
      return { type: called ? "f" : "n", text, flag: false }
    default:
      return { type: called ? "f" : "b", text, flag: false }
  }
}

export const isWordLike = (t: Token): boolean =>
  t.type === "k" || t.type === "E" || t.type === "U" || t.type === "&" || t.type === "f" || t.type === "b"

/**
 * Reads a value's tokens one at a time, from `context`. A comment followed by more code reads as
 * whitespace, as the database reads it, and is dropped; only a comment that ends the value stays,
 * since it truncates the query (its text is the opener: `--`, `#`, `/*`). MySQL's executable
 * comments `/*!...*\/` are read as the code they contain.
 */
export interface TokenSource {
  /** The next token, or `undefined` at the end of the value. */
  readonly next: () => Token | undefined
  /** Comments split SQL words apart (`union/**\/select`) or MySQL's executable ones were used. */
  readonly obfuscated: () => boolean
  /** Characters examined so far, lookahead included: what the linearity tests count. */
  readonly work: () => number
  /** Where the last token read ends in the value. */
  readonly offset: () => number
}

/** The tokens of `value` from `from` on, read as if the value began there inside `context`. */
export const tokenize = (value: string, context: QuoteContext, from = 0): TokenSource => {
  const n = value.length
  let i = from
  let obfuscated = false
  let produced: Token | undefined
  let lastEmitted: Token | undefined
  let closeBracketAt = -2
  let examined = 0
  const push = (token: Token) => {
    produced = token
  }
  const readString = (quote: number) => {
    // SQL doubles a quote to escape it; a backslash escapes in MySQL
    const start = i
    let spaced = false
    let visible = 0
    while (i < n) {
      const c = value.charCodeAt(i)
      if (c === 92) {
        i += 2
        continue
      }
      if (c === quote) {
        if (value.charCodeAt(i + 1) === quote) {
          visible += 2
          i += 2
          continue
        }
        const cells = i - start > 2 && isSeparator(value.charCodeAt(start)) && isSeparator(value.charCodeAt(i - 1))
        i++
        push(stringToken(quote, true, spaced, visible <= 2, cells))
        return
      }
      if (isSpace(c)) spaced ||= i > start
      else visible++
      i++
    }
    push(stringToken(quote, false, spaced, visible <= 2))
  }
  let opened = context === ""
  /** The next raw token, comments included. */
  const produce = (): Token | undefined => {
    produced = undefined
    if (!opened) {
      opened = true
      readString(context.charCodeAt(0))
      return produced
    }
    while (i < n && produced === undefined) {
      const before = i
      step()
      examined += i - before
    }
    return produced
  }
  const step = (): void => {
    const c = value.charCodeAt(i)
    if (isSpace(c)) {
      i++
      return
    }
    if (c === 39 || c === 34) {
      i++
      readString(c)
      return
    }
    if (c === 96) {
      // a back-quoted name
      const end = value.indexOf("`", i + 1)
      i = end < 0 ? n : end + 1
      push(intern("`", () => ({ type: "b", text: "`", flag: false })))
      return
    }
    if (c === 47 && value.charCodeAt(i + 1) === 42) {
      if (value.charCodeAt(i + 2) === 33) {
        // `/*!50000 code */`: MySQL runs the code, so do we; the marker itself folds away later
        i += 3
        while (i < n && isDigit(value.charCodeAt(i))) i++
        push(intern("/*!", () => ({ type: "c", text: "/*!", flag: true })))
        return
      }
      const end = value.indexOf("*/", i + 2)
      i = end < 0 ? n : end + 2
      push(intern(`/*${end >= 0}`, () => ({ type: "c", text: "/*", flag: end >= 0 })))
      return
    }
    if (c === 42 && value.charCodeAt(i + 1) === 47) {
      // the end of an executable comment, or a stray one: both read as space
      i += 2
      return
    }
    if ((c === 45 && value.charCodeAt(i + 1) === 45) || c === 35) {
      const opener = c === 35 ? "#" : "--"
      const bodyStart = i + opener.length
      const end = value.indexOf("\n", bodyStart)
      const bodyFirst = value.charCodeAt(bodyStart)
      // flag: the comment is empty or starts with a space, as MySQL requires after `--`
      const spaced = bodyStart >= n || isSpace(bodyFirst) || bodyFirst === 45
      push(intern(`${opener}${spaced}`, () => ({ type: "c", text: opener, flag: spaced })))
      i = end < 0 ? n : end + 1
      return
    }
    if (isDigit(c) || (c === 46 && isDigit(value.charCodeAt(i + 1)))) {
      const start = i
      // `1union`, `3.2UNION`: MySQL ends the number where the letters start, so we do too
      i = numberEnd(value, i)
      // the rules only ask whether a number is hexadecimal
      const hex = c === 48 && (value.charCodeAt(start + 1) | 32) === 120 && i > start + 2
      // `1.e`: a bare exponent, which MySQL accepts and filters do not expect
      // `0x616263`: three hex digits or more spell bytes, not a small constant
      const text = hex ? (i - start > 4 ? "0x+" : "0x") : (value.charCodeAt(i - 1) | 32) === 101 && value.charCodeAt(i - 2) === 46 ? "0e" : "0"
      push(intern(text, () => ({ type: "n", text, flag: false })))
      return
    }
    if (c === 64) {
      const start = i
      i++
      if (value.charCodeAt(i) === 64) i++
      while (i < n && (isWordPart(value.charCodeAt(i)) || value.charCodeAt(i) === 64)) i++
      push({ type: "v", text: value.slice(start, Math.min(i, start + 40)).toLowerCase(), flag: false })
      return
    }
    if (isWordStart(c)) {
      const start = i
      while (i < n && isWordPart(value.charCodeAt(i)) && i - start < 64) i++
      while (i < n && isWordPart(value.charCodeAt(i))) i++
      const text = value.slice(start, Math.min(i, start + 64)).toLowerCase()
      let j = i
      while (j < n && j - i < 8 && isSpace(value.charCodeAt(j))) j++
      // a word that also names a prefix-less string type: N'x', X'41', B'01'
      if ((j === i) && (value.charCodeAt(i) === 39) && text.length === 1 && "nxb".includes(text)) {
        i++
        readString(39)
        return
      }
      push(wordToken(text, classify(text), value.charCodeAt(j) === 40))
      return
    }
    if (c === 40 || c === 41 || c === 44 || c === 59) {
      i++
      const text = String.fromCharCode(c) as "(" | ")" | "," | ";"
      push(intern(text, () => ({ type: text, text, flag: false })))
      return
    }
    if (c === 91) {
      // `[name]` in T-SQL
      // where the next `]` is, searched again only once we pass it: linear over many `[`
      if (closeBracketAt !== -1 && closeBracketAt <= i) {
        closeBracketAt = value.indexOf("]", i + 1)
        examined += (closeBracketAt < 0 ? n : closeBracketAt) - i
      }
      const end = closeBracketAt
      if (end > i && end - i < 130) {
        i = end + 1
        push(intern("[", () => ({ type: "b", text: "[", flag: false })))
        return
      }
    }
    const op = operatorAt(value, i)
    if (op !== "") {
      i += op.length
      push(intern(`o${op}`, () => (LOGICAL_OPS.has(op) ? { type: "&", text: op, flag: false } : { type: "o", text: op, flag: COMPARE_OPS.has(op) })))
      return
    }
    i++
    const other = value[i - 1] ?? ""
    push(other.length === 1 && other.charCodeAt(0) < 128 ? intern(`?${other}`, () => ({ type: "?", text: other, flag: false })) : { type: "?", text: other, flag: false })
  }
  const next = (): Token | undefined => {
    let token = produce()
    if (token === undefined || token.type !== "c") {
      lastEmitted = token
      return token
    }
    // a run of comments: dropped when code follows, kept (the last one) when it ends the value
    let comment = token
    for (;;) {
      token = produce()
      if (token === undefined) {
        lastEmitted = comment
        return comment
      }
      if (comment.text === "/*!") obfuscated = true
      if (token.type === "c") {
        comment = token
        continue
      }
      if (comment.text === "/*" && lastEmitted !== undefined && isWordLike(lastEmitted) && isWordLike(token) && (lastEmitted.type !== "b" || token.type !== "b")) {
        obfuscated = true
      }
      lastEmitted = token
      return token
    }
  }
  return { next, obfuscated: () => obfuscated, work: () => examined, offset: () => i }
}

/** Where the number that starts at `i` ends: decimal with an exponent, or `0x` hexadecimal. */
export const numberEnd = (value: string, start: number): number => {
  const n = value.length
  let i = start
  if (value.charCodeAt(i) === 48 && (value.charCodeAt(i + 1) | 32) === 120 && isHex(value.charCodeAt(i + 2))) {
    i += 2
    while (i < n && isHex(value.charCodeAt(i))) i++
    return i
  }
  while (i < n && (isDigit(value.charCodeAt(i)) || value.charCodeAt(i) === 46)) i++
  if ((value.charCodeAt(i) | 32) === 101) {
    const next = value.charCodeAt(i + 1)
    if (isDigit(next) || ((next === 43 || next === 45) && isDigit(value.charCodeAt(i + 2)))) {
      i += 2
      while (i < n && isDigit(value.charCodeAt(i))) i++
    } else if (value.charCodeAt(i - 1) === 46 && i - 1 > start) {
      // `1.e(`: MySQL reads `1.e` as the number 1
      i++
    }
  }
  return i
}

const OPERATOR_CHARS = "=<>!+-*/%^|&~:"

/** The operator at `i` (longest first), or "" when there is none. */
const operatorAt = (value: string, i: number): string => {
  const c = value[i] ?? ""
  if (c === "" || !OPERATOR_CHARS.includes(c)) return ""
  const d = value[i + 1] ?? ""
  if (c === "<" && d === "=" && value[i + 2] === ">") return "<=>"
  return d !== "" && TWO_CHAR_OPS.has(c + d) ? c + d : c
}
