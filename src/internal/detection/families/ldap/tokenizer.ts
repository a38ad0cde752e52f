/**
 * A small tokenizer for LDAP search filters (RFC 4515), enough to tell a value that closes the
 * application's filter and opens one of its own from text that merely has parentheses in it.
 *
 * One left-to-right pass over the lower-cased value gives at most one token per character:
 * parentheses, the boolean operators `&`, `|`, `!`, the wildcard `*`, assertions (`uid=`, `cn~=`,
 * `mail>=`, `cn:dn:=`, `1.2.840.113556.1.4.803:=`), NUL and other text. Spaces are skipped, as
 * lenient directory servers skip them. An RFC 4515 escape of a filter metacharacter (`\28`, `\29`,
 * `\2a`, `\7c`, `\26`, `\21`, `\00`) counts as the character itself: an application that unescapes
 * before building its filter turns `\29\28` into `)(`, and nobody types those escapes by accident.
 *
 * @internal
 */

export const Token = {
  Open: 1,
  Close: 2,
  And: 3,
  Or: 4,
  Not: 5,
  Star: 6,
  Assertion: 7,
  Nul: 8,
  Quote: 9,
  Text: 10
} as const

export type Token = (typeof Token)[keyof typeof Token]

const hex = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1)

/** The filter metacharacter an RFC 4515 escape at `i` stands for, or -1. */
const escaped = (s: string, i: number): number => {
  const hi = hex(s.charCodeAt(i + 1))
  const lo = hex(s.charCodeAt(i + 2))
  if (hi < 0 || lo < 0) return -1
  const c = hi * 16 + lo
  return c === 0x28 || c === 0x29 || c === 0x2a || c === 0x7c || c === 0x26 || c === 0x21 || c === 0 ? c : -1
}

const punctuation = (c: number): Token | undefined => {
  switch (c) {
    case 40:
      return Token.Open
    case 41:
      return Token.Close
    case 38:
      return Token.And
    case 124:
      return Token.Or
    case 33:
      return Token.Not
    case 42:
      return Token.Star
    case 0:
      return Token.Nul
    case 34:
    case 39:
      return Token.Quote
    default:
      return undefined
  }
}

const isAttributeChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 59 || c === 95 || c === 58

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13

/** Longest attribute description looked at; longer runs are text. */
const MAX_ATTRIBUTE = 64

// what each ASCII character is to the tokenizer, read from a table: one lookup per character where
// the predicates above cost a call each (a 10 KB bundle is all punctuation and names)
const SPACE = 1
const PUNCTUATION = 2
const ATTRIBUTE = 3
/** `\` and `%`: an escape or `%00` when followed by the right characters, text otherwise. */
const ESCAPE = 4
const OTHER = 0
const KIND = new Uint8Array(128)
/** The token of each punctuation character. */
const TOKEN_OF = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const p = punctuation(c)
  if (p !== undefined) TOKEN_OF[c] = p
  KIND[c] = isSpace(c) ? SPACE : p !== undefined ? PUNCTUATION : isAttributeChar(c) ? ATTRIBUTE : c === 92 || c === 37 ? ESCAPE : OTHER
}
const kindOf = (c: number): number => (c < 128 ? KIND[c]! : OTHER)

/**
 * The tokens of `s` (lower-cased), in order. Linear: every step moves past at least one character,
 * and an attribute run is read once (a run that is not an assertion is text up to its end).
 */
export const tokenize = (s: string): Uint8Array => {
  const length = s.length
  const out = new Uint8Array(length)
  let n = 0
  let i = 0
  while (i < length) {
    const c = s.charCodeAt(i)
    const kind = kindOf(c)
    if (kind === SPACE) {
      i++
      continue
    }
    if (kind === PUNCTUATION) {
      out[n++] = TOKEN_OF[c]!
      i++
      continue
    }
    if (kind === ESCAPE) {
      if (c === 92) {
        const e = escaped(s, i)
        if (e >= 0) {
          out[n++] = TOKEN_OF[e]!
          i += 3
          continue
        }
      } else if (s.charCodeAt(i + 1) === 48 && s.charCodeAt(i + 2) === 48) {
        // `%00` left by a decoder that stops at NUL
        out[n++] = Token.Nul
        i += 3
        continue
      }
    } else if (kind === ATTRIBUTE) {
      const start = i
      while (i < length && i - start < MAX_ATTRIBUTE && kindOf(s.charCodeAt(i)) === ATTRIBUTE) i++
      let j = i
      while (isSpace(s.charCodeAt(j))) j++
      const t = s.charCodeAt(j)
      // `:` ends the run for `cn:=`; `~`, `<`, `>` start `~=`, `<=`, `>=`
      if (t === 126 || t === 60 || t === 62) j++
      if (s.charCodeAt(j) === 61) {
        out[n++] = Token.Assertion
        i = j + 1
        continue
      }
      while (i < length && kindOf(s.charCodeAt(i)) === ATTRIBUTE) i++
      if (n === 0 || out[n - 1] !== Token.Text) out[n++] = Token.Text
      continue
    }
    // any other character: one text token for the run up to the next metacharacter or space
    i++
    while (i < length) {
      const d = kindOf(s.charCodeAt(i))
      if (d === SPACE || d === PUNCTUATION || d === ATTRIBUTE || s.charCodeAt(i) === 92) break
      i++
    }
    if (n === 0 || out[n - 1] !== Token.Text) out[n++] = Token.Text
  }
  return out.subarray(0, n)
}
