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
import { classify, DELAY_FUNCTIONS, EXTRACT_FUNCTIONS, LEAK_FUNCTIONS, PROBE_FUNCTIONS, type WordKind } from "./keywords.js"
import { indexIn, type Occurrences } from "./occurrences.js"

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
   * Strings: the content opens with a field separator (`,`, `;`, tab) or a closing bracket, closes
   * with a separator, an opening bracket, `:` or `=`, and holds more, as the gap between two quoted
   * fields of a CSV row (`","a@b.org,12,"`) or two literals of code (`"};f({id:1,name:"`) does:
   * cells or code, not a literal.
   */
  readonly cells?: boolean
  /** Strings: a LIKE pattern with a wildcard at either end (`'%admin`, `'adm%'`), not a percentage. */
  readonly wild?: boolean
}

/** Where the value starts: bare, inside a string opened by `'` or `"`, or inside a `` ` `` name. */
export type QuoteContext = "" | "'" | '"' | "`"


export const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13) || c === 160
export const isDigit = (c: number): boolean => c >= 48 && c <= 57
/** ASCII characters by what they are to a word: 1 starts one (letters, `_`, `$`), 2 only continues it (digits, `.`). */
const WORD_CHARS = new Uint8Array(128)
for (let c = 0; c < 128; c++) WORD_CHARS[c] = /[A-Za-z_$]/.test(String.fromCharCode(c)) ? 1 : /[0-9.]/.test(String.fromCharCode(c)) ? 2 : 0
// read from a table: the tokenizer asks per character of every word (past the end, `NaN`, is neither)
export const isWordStart = (c: number): boolean => c >= 128 || WORD_CHARS[c] === 1
export const isWordPart = (c: number): boolean => c >= 128 || WORD_CHARS[c]! > 0
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

/** String tokens by quote and shape, keyed by a number: no key string built per token. */
const strings = new Map<number, Token>()
const stringToken = (quote: number, closed: boolean, spaced: boolean, short: boolean, wild: boolean, cells = false): Token => {
  const key = quote * 32 + (wild ? 16 : 0) + (closed ? 8 : 0) + (spaced ? 4 : 0) + (short ? 2 : 0) + (cells ? 1 : 0)
  let token = strings.get(key)
  if (token === undefined) strings.set(key, token = { type: "s", text: String.fromCharCode(quote), flag: closed, spaced, short, cells, wild })
  return token
}

const isSeparator = (c: number): boolean => c === 44 || c === 59 || c === 9
/** What code goes on with after a string literal (`"};f(`): a separator or a closing bracket. */
const opensGap = (c: number): boolean => isSeparator(c) || c === 41 || c === 93 || c === 125
/** What code puts before a string literal (`name:"`, `f("`, `x="`): a separator, an opener, `:` or `=`. */
const closesGap = (c: number): boolean => isSeparator(c) || c === 40 || c === 91 || c === 123 || c === 58 || c === 61

/** The vocabulary's tokens, called and not: the table only ever holds the vocabulary's words. */
const calledWords = new Map<string, Token>()
const plainWords = new Map<string, Token>()
const wordToken = (text: string, kind: WordKind, called: boolean): Token => {
  if (kind === "word") return { type: called ? "f" : "b", text, flag: false }
  const table = called ? calledWords : plainWords
  let token = table.get(text)
  if (token === undefined) table.set(text, token = makeWordToken(text, kind, called))
  return token
}

/** Operator tokens by their text, and single ASCII characters by their code. */
const operators = new Map<string, Token>()
const others: Array<Token | undefined> = []

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
  next(): Token | undefined
  /** Comments split SQL words apart (`union/**\/select`) or MySQL's executable ones were used. */
  obfuscated(): boolean
  /**
   * A quote opened inside a MySQL executable comment that carries a version (`3/*!2222'*\/`) or
   * starts with it (`/*!'*\/`): MySQL reads the quote, a filter that skips comments does not.
   */
  hidesQuote(): boolean
  /** Characters examined so far, lookahead included: what the linearity tests count. */
  work(): number
  /** Where the last token read ends in the value. */
  offset(): number
}

/**
 * The tokens of `value` from `from` on, read as if the value began there inside `context`. The
 * tokenizers of one value's windows share `occurrences`, so none searches the value again.
 */
export const tokenize = (value: string, context: QuoteContext, from = 0, occurrences?: Occurrences): TokenSource =>
  new Tokenizer(value, context, from, occurrences)

/**
 * The tokenizer's state as an object rather than closures: a long value is read in many short
 * windows, and a closure per method per window costs more than the reading.
 */
class Tokenizer implements TokenSource {
  private readonly n: number
  private i: number
  private opened: boolean
  private isObfuscated = false
  private quoteHidden = false
  /** Inside `/*!...*\/` before its first token: where its code starts, else -1 (see `hidesQuote`). */
  private executableFrom = -1
  private executableVersioned = false
  private produced: Token | undefined = undefined
  private lastEmitted: Token | undefined = undefined
  private closeBracketAt = -2
  /** The next backslash, `'` and `"` at or after where they were last searched from (`n`: none). */
  private backslashAt = -1
  private singleAt = -1
  private doubleAt = -1
  private examined = 0

  constructor(
    private readonly value: string,
    private readonly context: QuoteContext,
    from: number,
    private readonly occurrences: Occurrences | undefined
  ) {
    this.n = value.length
    this.i = from
    this.opened = context === ""
  }

  obfuscated(): boolean {
    return this.isObfuscated
  }

  hidesQuote(): boolean {
    return this.quoteHidden
  }

  work(): number {
    return this.examined
  }

  /** `value.indexOf(marker, from)`, from the shared occurrences when there are. */
  private indexOf(marker: string, from: number): number {
    return indexIn(this.value, this.occurrences, marker, from)
  }

  /** Where `marker` next occurs at or after `from`, or `n` when it does not. */
  private indexOr(marker: string, from: number): number {
    const at = this.indexOf(marker, from)
    return at < 0 ? this.n : at
  }

  offset(): number {
    return this.i
  }

  private readString(quote: number): void {
    // SQL doubles a quote to escape it; a backslash escapes in MySQL
    const value = this.value
    const n = this.n
    const start = this.i
    let i = start
    let spaced = false
    let visible = 0
    // character by character only until the string is known to be prose-like and not short
    while (i < n && !(spaced && visible > 2)) {
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
        this.closeString(quote, start, i, spaced, visible <= 2)
        return
      }
      if (isSpace(c)) spaced ||= i > start
      else visible++
      i++
    }
    // then only the closing quote matters: jump from quote to backslash with `indexOf`, each
    // position searched for at most once per tokenizer
    while (i < n) {
      if (this.backslashAt < i) this.backslashAt = this.indexOr("\\", i)
      const at = this.quoteAt(quote, i)
      if (this.backslashAt < at) {
        i = this.backslashAt + 2
        continue
      }
      if (at >= n) break
      if (value.charCodeAt(at + 1) === quote) {
        i = at + 2
        continue
      }
      this.closeString(quote, start, at, spaced, false)
      return
    }
    this.i = n
    this.produced = stringToken(quote, false, spaced, visible <= 2, isPattern(value, start, n))
  }

  /** The next `quote` at or after `i`, or `n`. */
  private quoteAt(quote: number, i: number): number {
    if (quote === 39) return this.singleAt < i ? (this.singleAt = this.indexOr("'", i)) : this.singleAt
    if (quote === 34) return this.doubleAt < i ? (this.doubleAt = this.indexOr("\"", i)) : this.doubleAt
    // the `` ` `` that opens a value read as a quoted name: once per value
    return this.indexOr(String.fromCharCode(quote), i)
  }

  /** The string opened at `start` closes with the quote at `end`. */
  private closeString(quote: number, start: number, end: number, spaced: boolean, short: boolean): void {
    const value = this.value
    const cells = end - start > 2 && opensGap(value.charCodeAt(start)) && closesGap(value.charCodeAt(end - 1))
    this.i = end + 1
    this.produced = stringToken(quote, true, spaced, short, isPattern(value, start, end), cells)
  }

  /**
   * Where the word part after the comment at `e` ends, when `text` and that part make one SQL word
   * (`sel` `/**\/` `ect`); -1 otherwise. The comment and the part are read a bounded distance only,
   * so a value of many unclosed `/*` stays linear.
   */
  private splitWordEnd(text: string, e: number): number {
    const value = this.value
    if (value.charCodeAt(e + 2) === 33) return -1
    const limit = Math.min(this.n - 1, e + 2 + SPLIT_COMMENT)
    let k = e + 2
    while (k < limit && !(value.charCodeAt(k) === 42 && value.charCodeAt(k + 1) === 47)) k++
    const partStart = k + 2
    if (k >= limit || !isWordStart(value.charCodeAt(partStart))) return -1
    let partEnd = partStart
    while (partEnd < this.n && isWordPart(value.charCodeAt(partEnd)) && partEnd - partStart < 24) partEnd++
    return isSqlWord(text + value.slice(partStart, partEnd).toLowerCase()) ? partEnd : -1
  }

  /** The next raw token, comments included. */
  private produce(): Token | undefined {
    this.produced = undefined
    if (!this.opened) {
      this.opened = true
      this.readString(this.context.charCodeAt(0))
      return this.produced
    }
    while (this.i < this.n && this.produced === undefined) {
      const before = this.i
      this.step()
      this.examined += this.i - before
    }
    return this.produced
  }

  private step(): void {
    const value = this.value
    const n = this.n
    const i = this.i
    const c = value.charCodeAt(i)
    if (isSpace(c)) {
      this.i = i + 1
      return
    }
    // only a quote that opens the comment's code is hidden: one after it is a statement's own string
    // (mysqldump's `/*!40103 SET TIME_ZONE='+00:00' */`)
    if (this.executableFrom >= 0 && c !== 39 && c !== 34) this.executableFrom = -1
    if (c === 39 || c === 34) {
      if (this.executableFrom >= 0 && (this.executableVersioned || i === this.executableFrom)) this.quoteHidden = true
      this.i = i + 1
      this.readString(c)
      return
    }
    if (c === 96) {
      // a back-quoted name
      const end = this.indexOf("`", i + 1)
      this.i = end < 0 ? n : end + 1
      this.produced = intern("`", () => ({ type: "b", text: "`", flag: false }))
      return
    }
    if (c === 47 && value.charCodeAt(i + 1) === 42) {
      if (value.charCodeAt(i + 2) === 33) {
        // `/*!50000 code */`: MySQL runs the code, so do we; the marker itself folds away later
        let j = i + 3
        while (j < n && isDigit(value.charCodeAt(j))) j++
        this.i = j
        this.executableFrom = j
        this.executableVersioned = j > i + 3
        this.produced = intern("/*!", () => ({ type: "c", text: "/*!", flag: true }))
        return
      }
      const end = this.indexOf("*/", i + 2)
      this.i = end < 0 ? n : end + 2
      this.produced = intern(`/*${end >= 0}`, () => ({ type: "c", text: "/*", flag: end >= 0 }))
      return
    }
    if (c === 42 && value.charCodeAt(i + 1) === 47) {
      // the end of an executable comment, or a stray one: both read as space
      this.i = i + 2
      this.executableFrom = -1
      return
    }
    if ((c === 45 && value.charCodeAt(i + 1) === 45) || c === 35) {
      const opener = c === 35 ? "#" : "--"
      const bodyStart = i + opener.length
      const end = this.indexOf("\n", bodyStart)
      const bodyFirst = value.charCodeAt(bodyStart)
      // flag: the comment is empty or starts with a space, as MySQL requires after `--`
      const spaced = bodyStart >= n || isSpace(bodyFirst) || bodyFirst === 45
      this.produced = intern(`${opener}${spaced}`, () => ({ type: "c", text: opener, flag: spaced }))
      this.i = end < 0 ? n : end + 1
      return
    }
    if (isDigit(c) || (c === 46 && isDigit(value.charCodeAt(i + 1)))) {
      const start = i
      // `1union`, `3.2UNION`: MySQL ends the number where the letters start, so we do too
      const end = numberEnd(value, i)
      this.i = end
      // `1.FROM`, `1union`: MySQL ends the number where the letters start, so a statement needs no
      // space before its keywords
      if (gluedKeywordAt(value, end)) this.isObfuscated = true
      // the rules only ask whether a number is hexadecimal
      const hex = c === 48 && (value.charCodeAt(start + 1) | 32) === 120 && end > start + 2
      // `1.e`: a bare exponent, which MySQL accepts and filters do not expect
      // `0x616263`: three hex digits or more spell bytes, not a small constant, when the bytes are text
      const text = hex ? (end - start > 4 && spellsText(value, start + 2, end) ? "0x+" : "0x") : (value.charCodeAt(end - 1) | 32) === 101 && value.charCodeAt(end - 2) === 46 ? "0e" : "0"
      this.produced = intern(text, () => ({ type: "n", text, flag: false }))
      return
    }
    if (c === 64) {
      const start = i
      let j = i + 1
      if (value.charCodeAt(j) === 64) j++
      while (j < n && (isWordPart(value.charCodeAt(j)) || value.charCodeAt(j) === 64)) j++
      this.i = j
      this.produced = { type: "v", text: value.slice(start, Math.min(j, start + 40)).toLowerCase(), flag: false }
      return
    }
    if (isWordStart(c)) {
      const start = i
      let e = i
      while (e < n && isWordPart(value.charCodeAt(e)) && e - start < 64) e++
      while (e < n && isWordPart(value.charCodeAt(e))) e++
      let text = value.slice(start, Math.min(e, start + 64)).toLowerCase()
      // `UN/**/ION`: a comment inside a SQL word, which filters matching whole words miss and
      // applications that strip comments join back; the word is read joined
      // `un<>ion`, `un<b></b>ion`: the same for tags, which a filter that strips tags (PHP's
      // `strip_tags`) deletes after checking the words
      for (let joins = 0; joins < 4 && isSplitterAt(value, e); joins++) {
        const first = value.charCodeAt(e)
        const comment = first === 47
        const partStart = comment ? -1 : first === 60 ? tagRunEnd(value, e) : literalJoinEnd(value, e)
        if (!comment && partStart < 0) break
        const partEnd = comment ? this.splitWordEnd(text, e) : emptyTagWordEnd(value, text, partStart)
        if (partEnd < 0) break
        // the comment closes within SPLIT_COMMENT characters: this search is short
        text += value.slice(comment ? value.indexOf("*/", e + 2) + 2 : partStart, partEnd).toLowerCase()
        e = partEnd
        this.isObfuscated = true
      }
      // `UNIunionON`: a keyword nested in itself, for a filter that deletes the keyword once
      const unnested = text.length < 32 && (NESTED_LENGTHS & (1 << text.length)) !== 0 ? unnest(text) : undefined
      if (unnested !== undefined) {
        text = unnested
        this.isObfuscated = true
      }
      let j = e
      while (j < n && j - e < 8 && isSpace(value.charCodeAt(j))) j++
      // a word that also names a prefix-less string type: N'x', X'41', B'01'
      if ((j === e) && (value.charCodeAt(e) === 39) && text.length === 1 && "nxb".includes(text)) {
        this.i = e + 1
        this.readString(39)
        return
      }
      this.i = e
      this.produced = wordToken(text, classify(text), value.charCodeAt(j) === 40)
      return
    }
    if (c === 92 && value.charCodeAt(i + 1) === 78 && (!isWordPart(value.charCodeAt(i + 2)) || gluedKeywordAt(value, i + 2))) {
      // `\N` is MySQL's NULL, and needs no space around it: `SELECT\NFROM t` is a statement
      // written without one, for a filter that looks for `select` and `from` as separate words
      if (isWordPart(value.charCodeAt(i - 1)) || isWordStart(value.charCodeAt(i + 2))) this.isObfuscated = true
      this.i = i + 2
      this.produced = intern("\\N", () => wordToken("null", classify("null"), false))
      return
    }
    if (c === 40 || c === 41 || c === 44 || c === 59) {
      // `select(id)from(t)`: a keyword glued to the parenthesis before it, where a space would be
      if (c === 41 && gluedKeywordAt(value, i + 1)) this.isObfuscated = true
      this.i = i + 1
      const text = String.fromCharCode(c) as "(" | ")" | "," | ";"
      this.produced = intern(text, () => ({ type: text, text, flag: false }))
      return
    }
    if (c === 91) {
      // `[name]` in T-SQL
      // where the next `]` is, searched again only once we pass it: linear over many `[`
      if (this.closeBracketAt !== -1 && this.closeBracketAt <= i) {
        this.closeBracketAt = this.indexOf("]", i + 1)
        this.examined += (this.closeBracketAt < 0 ? n : this.closeBracketAt) - i
      }
      const end = this.closeBracketAt
      if (end > i && end - i < 130) {
        this.i = end + 1
        this.produced = intern("[", () => ({ type: "b", text: "[", flag: false }))
        return
      }
    }
    const op = operatorAt(value, i)
    if (op !== "") {
      this.i = i + op.length
      let token = operators.get(op)
      if (token === undefined) operators.set(op, token = LOGICAL_OPS.has(op) ? { type: "&", text: op, flag: false } : { type: "o", text: op, flag: COMPARE_OPS.has(op) })
      this.produced = token
      return
    }
    this.i = i + 1
    if (c < 128) {
      this.produced = others[c] ??= { type: "?", text: String.fromCharCode(c), flag: false }
      return
    }
    this.produced = { type: "?", text: value[i] ?? "", flag: false }
  }

  next(): Token | undefined {
    let token = this.produce()
    if (token === undefined || token.type !== "c") {
      this.lastEmitted = token
      return token
    }
    // a run of comments: dropped when code follows, kept (the last one) when it ends the value
    let comment = token
    for (;;) {
      token = this.produce()
      if (token === undefined) {
        this.lastEmitted = comment
        return comment
      }
      if (comment.text === "/*!") this.isObfuscated = true
      if (token.type === "c") {
        comment = token
        continue
      }
      const lastEmitted = this.lastEmitted
      if (comment.text === "/*" && lastEmitted !== undefined && isWordLike(lastEmitted) && isWordLike(token) && (lastEmitted.type !== "b" || token.type !== "b")) {
        this.isObfuscated = true
      }
      this.lastEmitted = token
      return token
    }
  }
}

/** The string content from `start` to `end` opens with `%`, or ends with it and is no number (`50%`). */
const isPattern = (value: string, start: number, end: number): boolean =>
  value.charCodeAt(start) === 37 || (end > start && value.charCodeAt(end - 1) === 37 && !isDigit(value.charCodeAt(start)))

/** The longest comment read inside a split word: `/**\/` and a little filler. */
const SPLIT_COMMENT = 16

/** A word of the vocabulary or a function an injection calls: what a split word must join into. */
const isSqlWord = (word: string): boolean =>
  classify(word) !== "word" || DELAY_FUNCTIONS.has(word) || LEAK_FUNCTIONS.has(word) || PROBE_FUNCTIONS.has(word) || EXTRACT_FUNCTIONS.has(word)

/** `/*`, `<>`, or a quote closing a literal that is joined to the next (`","`), at `e`: what may split a SQL word. */
const isSplitterAt = (value: string, e: number): boolean => {
  const c = value.charCodeAt(e)
  const d = value.charCodeAt(e + 1)
  return (c === 47 && d === 42) || (c === 60 && tagRunEnd(value, e) > 0) || c === 34 || c === 39 || (c === 92 && (d === 34 || d === 39))
}

/**
 * One tag a tag-stripping filter (PHP's `strip_tags`) deletes whole: empty (`<>`), a start tag with
 * attributes or self-closing (`<x>`, `<b class=a>`, `<br/>`), an end tag (`</b>`), or a comment
 * (`<!---->`), each short.
 */
const TAG = /<(?:>|[a-z][^<>]{0,48}>|\/[a-z][a-z0-9]{0,8}\s{0,4}>|!--[^]{0,48}?-->)/iy

/** Tags read in a row where a word is cut (`<b></b>`). */
const MAX_TAGS = 4

/** Where the run of tags starting at `e` ends (`un<b></b>ion`: at `ion`), or -1 when no tag starts there. */
export const tagRunEnd = (value: string, e: number): number => {
  let i = e
  for (let k = 0; k < MAX_TAGS && value.charCodeAt(i) === 60; k++) {
    TAG.lastIndex = i
    if (!TAG.test(value)) break
    i = TAG.lastIndex
  }
  return i > e ? i : -1
}

/** The characters that join two literals: JavaScript's `+`, an array's `,`, VBScript's `&`, PHP's `.`, SQL's `||`. */
const isJoiner = (c: number): boolean => c === 43 || c === 44 || c === 38 || c === 46 || c === 124

/**
 * Where the literal opened after a join at `e` starts (`un","ion`, `sel\"+\"ect`, `fr'||'om`), or -1: a
 * quote (escaped or not) closing one literal, at most two joiner characters between spaces, and the
 * same quote opening the next. An application that joins the pieces of a value (a list joined with
 * nothing, strings concatenated in a template) hands the database the word no filter saw.
 */
export const literalJoinEnd = (value: string, e: number): number => {
  let i = e
  if (value.charCodeAt(i) === 92) i++
  const quote = value.charCodeAt(i)
  if (quote !== 34 && quote !== 39) return -1
  i++
  while (i < e + 8 && value.charCodeAt(i) === 32) i++
  const joinStart = i
  while (i < joinStart + 2 && isJoiner(value.charCodeAt(i))) i++
  if (i === joinStart) return -1
  while (i < e + 12 && value.charCodeAt(i) === 32) i++
  if (value.charCodeAt(i) === 92) i++
  return value.charCodeAt(i) === quote ? i + 1 : -1
}

/**
 * Where the word part at `partStart` (after an empty tag or a join of literals) ends, when `text` and
 * that part make a SQL word of four letters or more (`un<>ion`, `fr<>om`, `se","lect`); -1 otherwise. Shorter joins (`o<>r`, `a<>s`)
 * are what a comparison of two one-letter names looks like.
 */
const emptyTagWordEnd = (value: string, text: string, partStart: number): number => {
  if (!isWordStart(value.charCodeAt(partStart))) return -1
  let partEnd = partStart
  while (partEnd < value.length && isWordPart(value.charCodeAt(partEnd)) && partEnd - partStart < 24) partEnd++
  const joined = text + value.slice(partStart, partEnd).toLowerCase()
  return joined.length >= 4 && isSqlWord(joined) ? partEnd : -1
}

/** Keywords that join a statement's parts, which an injection glues to what comes before them. */
const GLUED_KEYWORDS: ReadonlySet<string> = new Set(["union", "select", "from", "where", "and", "or", "xor", "having", "limit", "order", "group", "into", "like"])

/** A keyword of `GLUED_KEYWORDS` starts at `at` and ends as a word (read at most eight characters). */
const gluedKeywordAt = (value: string, at: number): boolean => {
  if (!isWordStart(value.charCodeAt(at))) return false
  let end = at
  while (end < value.length && end - at < 8 && isWordStart(value.charCodeAt(end))) end++
  return !isWordPart(value.charCodeAt(end)) && GLUED_KEYWORDS.has(value.slice(at, end).toLowerCase())
}

/** Keywords an attacker nests in themselves (`selselectect`): long enough that no word is one. */
const NESTABLE: ReadonlyArray<string> = ["union", "select", "insert", "update", "delete", "where", "from", "order", "sleep", "having", "concat"]
/** The lengths of nested keywords, a bit each (all under 32): read per word, a set lookup cost more. */
const NESTED_LENGTHS = NESTABLE.reduce((bits, k) => bits | (1 << (k.length * 2)), 0)

/** The keyword that `word` holds nested inside itself, once removed, or `undefined`. */
const unnest = (word: string): string | undefined => {
  for (const keyword of NESTABLE) {
    if (word.length !== keyword.length * 2) continue
    const at = word.indexOf(keyword, 1)
    if (at > 0 && at < keyword.length && word.slice(0, at) + word.slice(at + keyword.length) === keyword) return keyword
  }
  return undefined
}

const hexDigit = (c: number): number => (c <= 57 ? c - 48 : (c | 32) - 87)

/**
 * Whether the hex digits from `start` to `end` may spell text, what an injection writes in hex to avoid
 * quotes (`0x2f6574632f706173737764` is `/etc/passwd`): read in pairs from the start, a printable ASCII
 * byte, a tab or a line break, or a UTF-8 sequence (a lead byte and a continuation byte, overlong forms
 * such as `c0ae` included). A digit left over is not read: hex glued to what follows (`0x2e0x2e`) keeps
 * its bytes. Digits that spell none of those (`0xffffffff`, `0xFFFF0000`, `0xCAFEBABE`, `0x1F4`) are
 * numbers written in hex, as code, docs and bug reports write masks and magic numbers.
 */
const spellsText = (value: string, start: number, end: number): boolean => {
  let previous = 0
  for (let i = start; i + 1 < end; i += 2) {
    const byte = hexDigit(value.charCodeAt(i)) * 16 + hexDigit(value.charCodeAt(i + 1))
    if ((byte >= 32 && byte < 127) || byte === 9 || byte === 10 || byte === 13) return true
    if (byte >= 0x80 && byte < 0xc0 && previous >= 0xc0 && previous < 0xf5) return true
    previous = byte
  }
  return false
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
