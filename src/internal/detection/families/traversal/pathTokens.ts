/**
 * Splits a decoded value into the path-like tokens a file API would see, in one linear pass.
 *
 * The engine has already undone URL, `%u`, entity and overlong UTF-8 encodings; what is left is what
 * filesystems and old path filters themselves tolerate: backslashes, repeated separators, `/./`,
 * the `0x2e` notation some decoders accept, Unicode dots and slashes that fold to ASCII, NUL bytes
 * that truncate a C string, Tomcat path parameters (`..;/`) and dot runs (`..../`) left behind when a
 * filter strips `../` once. What an overlong UTF-8 escape leaves behind when no decoder folded it (a
 * U+FFFD for the lone lead byte, then the continuation byte, even one written with IIS's lax hex
 * digits as in `%c1%pc`) reads as the character its low six bits name, as old decoders read it;
 * `2f` and `5c` right after a dot pair are a separator whose `%` a filter stripped. Tokens end at whitespace and at the characters that delimit a value
 * inside a URL, a query or markup (`?&=#"'<>()|,` and backquote), so `file=../../etc/passwd` or
 * `probe="/etc/passwd"` yield the path on its own.
 *
 * @internal
 */

export interface PathToken {
  /** Lower-cased segments; `.` and empty segments dropped, path parameters (`;x`) removed. */
  readonly segments: ReadonlyArray<string>
  /** Segments made only of dots (two or more): each climbs one directory. */
  readonly climbs: number
  /** The token started at a root: `/`, `\` or a drive (`c:\`). */
  readonly absolute: boolean
  /** A climb used a form a plain `../` filter misses (dot runs, `..;`, `0x2e`, Unicode, NUL, `\`+`/`). */
  readonly evasive: boolean
  /** The token had a `/` or `\\`: a lone `...` in prose is an ellipsis, not a climb. */
  readonly separated: boolean
  /** The token had a `\\` separator. */
  readonly backslash: boolean
  /** The token is assigned to a name (`file=...`, `href="..."`): a parameter even inside prose or markup. */
  readonly assigned: boolean
  /** The name the token is assigned to, lower-cased (`filename` in `filename="../x"`), or "". */
  readonly name: string
  /**
   * The word before the token, lower-cased, when only spaces separate them, passing over up to three
   * options and numbers (`cat` in `cat /etc/x`, `tail` in `tail -n 5 /etc/x`), or "".
   */
  readonly previousWord: string
}

const SLASH = 47
const MAX_NAME = 255
const BACKSLASH = 92

/** 1 for the characters that end a token: whitespace, controls and `?&=#"'<>()|,` and backquote. */
const DELIMITERS = (() => {
  const table = new Uint8Array(128)
  for (let c = 0; c <= 32; c++) table[c] = 1
  for (const c of "?&=#\"'<>()|,`") table[c.charCodeAt(0)] = 1
  return table
})()

const isDelimiter = (c: number): boolean => c < 128 && DELIMITERS[c] === 1

const hexNotation = (value: string, i: number): number => {
  // `0x2e`, `0x2f`, `0x5c`: the hex notation some decoders and CRS tests use for `.`, `/`, `\`.
  if (value.charCodeAt(i + 1) !== 120 && value.charCodeAt(i + 1) !== 88) return 0
  const hi = value.charCodeAt(i + 2)
  const lo = value.charCodeAt(i + 3) | 0x20
  if (hi === 50 && lo === 101) return 46
  if (hi === 50 && lo === 102) return SLASH
  if (hi === 53 && lo === 99) return BACKSLASH
  return 0
}

const fold = (c: number): number => {
  if (c < 128) return c >= 65 && c <= 90 ? c + 32 : c
  switch (c) {
    case 0xff0e:
    case 0x2024:
    case 0xfe52:
      return 46
    case 0x2215:
    case 0x2044:
    case 0xff0f:
    case 0xf025:
      return SLASH
    case 0x2216:
    case 0x29f5:
    case 0xff3c:
      return BACKSLASH
    default:
      return c
  }
}

/**
 * The value with path folding applied (ASCII lower case, `0x2e`/`0x2f`/`0x5c`, Unicode dots and
 * slashes, NUL and `%00` removed), and a mark on every character that came from an evasive form.
 * One pass into a code-unit buffer: no per-character string building.
 */
/** Only characters above U+00FF: V8 answers at once for a string stored one byte per character. */
const FOLDED_WIDE = /[\u2024\uff0e\ufe52\u2215\u2044\uff0f\uf025\u2216\u29f5\uff3c\ufffd]/

/** Whether folding can change `value`: plain substring searches first, they are the cheapest. */
const needsFolding = (value: string): boolean =>
  ((value.includes("0x") || value.includes("0X")) && HEX_NOTATION.test(value)) || value.includes("%00") || value.includes("..2") || value.includes("..5") ||
  value.includes("\u0000") || FOLDED_WIDE.test(value) || (value.includes("%") && LAX_PAIR.test(value))

/** What `hexNotation` reads: `0x` (either case) and a dot's, slash's or backslash's code. */
const HEX_NOTATION = /0[xX](?:2[eEfF]|5[cC])/

/** Two escapes in a row, either written with IIS's lax digits (`%bg%qf`): maybe an overlong pair. */
const LAX_PAIR = /%[0-9a-z]{2}%[0-9a-z]{2}/i

/** IIS's lax hex digit: any letter counts, `p` as 25 (it never checked the range). */
const laxHex = (c: number): number => {
  if (c >= 48 && c <= 57) return c - 48
  const l = c | 0x20
  return l >= 97 && l <= 122 ? l - 87 : -1
}

/** The byte of the two lax hex digits at `i`, or -1. */
const laxByte = (value: string, i: number): number => {
  const hi = laxHex(value.charCodeAt(i))
  const lo = laxHex(value.charCodeAt(i + 1))
  return hi < 0 || lo < 0 ? -1 : (hi * 16 + lo) & 0xff
}

/** The dot or separator named by the overlong escape pair at `i` (`%c0%ae`, `%bg%qf`), or 0. */
const overlongPair = (value: string, i: number): number => {
  if (value.charCodeAt(i + 3) !== 37) return 0
  const lead = laxByte(value, i + 1)
  if (lead !== 0xc0 && lead !== 0xc1) return 0
  const tail = laxByte(value, i + 4)
  return tail < 0 ? 0 : overlongTail(tail)
}

/** The dot or separator an overlong sequence's last byte names through its low six bits, or 0. */
const overlongTail = (byte: number): number => {
  const low = byte & 0x3f
  return low === 0x2e ? 46 : low === 0x2f ? SLASH : low === 0x1c ? BACKSLASH : 0
}
const NO_MARKS = new Uint8Array(0)
const utf16 = new TextDecoder("utf-16le")

const foldPath = (value: string): { readonly text: string; readonly evasive: Uint8Array } => {
  // case is folded per segment when one is kept, not here: no copy of a long value
  if (!needsFolding(value)) return { text: value, evasive: NO_MARKS }
  const codes = new Uint16Array(value.length)
  const evasive = new Uint8Array(value.length)
  let n = 0
  for (let i = 0; i < value.length; i++) {
    let c = value.charCodeAt(i)
    let mark = 0
    if (c === 48) {
      const mapped = hexNotation(value, i)
      if (mapped !== 0) {
        c = mapped
        i += 3
        mark = 1
      }
    } else if (c === 37 && overlongPair(value, i) !== 0) {
      // `%c0%af` or, in IIS's lax digits, `%bg%qf`: an overlong pair whose lead escape is intact
      c = overlongPair(value, i)
      i += 5
      mark = 1
    } else if (c === 0xfffd) {
      // an undecoded lead byte: the escape or character after it completes the overlong form
      let tail = 0
      let width = 1
      const d = value.charCodeAt(i + 1)
      if (d === 37) {
        const byte = laxByte(value, i + 2)
        if (byte >= 0) {
          tail = overlongTail(byte)
          width = 3
        }
      } else if (d < 128) {
        tail = overlongTail(d)
      }
      if (tail === 0) {
        evasive[n] = 1
        continue
      }
      c = tail
      i += width
      mark = 1
    } else if ((c === 50 || c === 53) && n >= 2 && codes[n - 1] === 46 && codes[n - 2] === 46) {
      // `..2f`, `..5c`: an escape whose `%` was stripped
      const lo = value.charCodeAt(i + 1) | 0x20
      if ((c === 50 && lo === 102) || (c === 53 && lo === 99)) {
        c = c === 50 ? SLASH : BACKSLASH
        i += 1
        mark = 1
      }
    } else if (c === 0 || (c === 37 && value.charCodeAt(i + 1) === 48 && value.charCodeAt(i + 2) === 48)) {
      // a NUL truncates a C string: `.%00.` is `..` to the filter that removed it; mark the neighbours
      if (c === 37) i += 2
      if (n > 0) evasive[n - 1] = 1
      evasive[n] = 1
      continue
    } else {
      const folded = fold(c)
      if (folded !== c && c >= 128) mark = 1
      c = folded
    }
    codes[n] = c
    evasive[n] = evasive[n] === 1 ? 1 : mark
    n++
  }
  return { text: utf16.decode(codes.subarray(0, n)), evasive }
}

/**
 * Visits the path tokens of `value`, in order: runs with a separator or a climb. Lone words are
 * left out, so prose yields few tokens; nothing is kept, so a value of a million tokens holds no
 * more memory than one.
 */
export const forEachPathToken = (value: string, visit: (token: PathToken) => void): void => {
  const { evasive: marks, text } = foldPath(value)
  const length = text.length
  // Only a token with a separator or a dot pair can be a path: jump from one to the next with
  // native substring searches and widen it to its token, so words of prose or JSON cost nothing.
  // Each search position only moves forward: linear however the anchors interleave.
  let slash = -1
  let backslash = -1
  let dots = -1
  let end = 0
  while (true) {
    if (slash < end && slash !== length) slash = indexOrEnd(text, "/", end)
    if (backslash < end && backslash !== length) backslash = indexOrEnd(text, "\\", end)
    if (dots < end && dots !== length) dots = indexOrEnd(text, "..", end)
    const hit = Math.min(slash, backslash, dots)
    if (hit >= length) break
    let start = hit
    while (start > end && !isDelimiter(text.charCodeAt(start - 1))) start--
    end = hit + 1
    while (end < length && !isDelimiter(text.charCodeAt(end))) end++
    const token = readToken(text, marks, start, end)
    if (token !== undefined) visit(token)
  }
}

/** The path tokens of `value`, in order (see {@link forEachPathToken}). */
export const pathTokens = (value: string): ReadonlyArray<PathToken> => {
  const out: Array<PathToken> = []
  forEachPathToken(value, (t) => out.push(t))
  return out
}

const indexOrEnd = (text: string, needle: string, from: number): number => {
  const at = text.indexOf(needle, from)
  return at < 0 ? text.length : at
}

const readToken = (text: string, marks: Uint8Array, start: number, end: number): PathToken | undefined => {
  const segments: Array<string> = []
  let climbs = 0
  let slash = false
  let backslash = false
  let evasive = false
  const first = text.charCodeAt(start)
  let absolute = first === SLASH || first === BACKSLASH
  // a drive letter: `c:` followed by a separator
  if (end - start >= 3 && text.charCodeAt(start + 1) === 58) {
    const third = text.charCodeAt(start + 2)
    if (third === SLASH || third === BACKSLASH) absolute = true
  }
  let segStart = start
  // reading past a typed array's end is slow in V8: only look at marks when there are any
  const marked = marks.length > 0
  // path parameters (`..;jsessionid=x`) end the segment's name
  let semicolon = -1
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : SLASH
    if (marked && i < end && marks[i] === 1) evasive = true
    if (c !== SLASH && c !== BACKSLASH) {
      if (c === 59 && semicolon < 0) semicolon = i
      continue
    }
    if (i < end) {
      if (c === SLASH) slash = true
      else backslash = true
    }
    const last = i === end
    const nameEnd = semicolon < 0 ? i : semicolon
    semicolon = -1
    const len = nameEnd - segStart
    let dots = len > 0
    for (let k = segStart; k < nameEnd && dots; k++) if (text.charCodeAt(k) !== 46) dots = false
    if (len === 0 || (len === 1 && dots)) {
      // empty and `.` segments fold away
    } else if (dots && !(last && len > 2)) {
      // a trailing `...` with no separator after it is an ellipsis (`see /docs...`)
      climbs++
      if (len > 2 || nameEnd < i) evasive = true
      segments.push("..")
    } else {
      // no file or directory name is longer than 255 characters: a longer run is kept as a placeholder
      segments.push(len > MAX_NAME ? "\u0000" : text.slice(segStart, nameEnd).toLowerCase())
    }
    segStart = i + 1
  }
  if (segments.length === 0 || (!slash && !backslash && climbs === 0)) return undefined
  if (climbs > 0 && slash && backslash) evasive = true
  const before = text.charCodeAt(start - 1)
  const quoted = before === 34 || before === 39
  const assigned = before === 61 || (quoted && text.charCodeAt(start - 2) === 61)
  const name = assigned ? wordBefore(text, start - (quoted ? 2 : 1)) : ""
  const previousWord = commandBefore(text, start)
  return { segments, climbs, absolute, evasive, separated: slash || backslash, backslash, assigned, name, previousWord }
}

const isBlank = (c: number): boolean => c === 32 || c === 9

/** The word before `start` across blanks, skipping options (`-n`) and numbers; at most four words back. */
const commandBefore = (text: string, start: number): string => {
  let end = start
  for (let words = 0; words < 4; words++) {
    let space = end
    while (space > 0 && end - space < 8 && isBlank(text.charCodeAt(space - 1))) space--
    if (space === end) return ""
    const word = wordBefore(text, space)
    if (word === "") return ""
    const first = word.charCodeAt(0)
    if (first !== 45 && !(first >= 48 && first <= 57)) return word
    end = space - word.length
  }
  return ""
}

const isNameChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 42 || c === 91 || c === 93

/** The name or word that ends at `end` (at most 32 characters), lower-cased. */
const wordBefore = (text: string, end: number): string => {
  let start = end
  while (start > 0 && end - start < 32 && isNameChar(text.charCodeAt(start - 1))) start--
  return text.slice(start, end).toLowerCase()
}

/**
 * The value reads as prose (has whitespace) rather than one token, unless it is a path with spaces
 * in its names: a drive path, or a rooted path whose last word goes on past a separator
 * (`/Program Files\App\logs\x.log`, where `/etc/hosts file windows` is a question).
 */
export const isProse = (value: string): boolean => {
  const trimmed = value.trim()
  if (!/\s/.test(trimmed)) return false
  if (/^[a-zA-Z]:[\\/]/.test(trimmed)) return false
  const first = trimmed.charCodeAt(0)
  if (first !== SLASH && first !== BACKSLASH) return true
  let i = trimmed.length - 1
  while (i > 0 && trimmed.charCodeAt(i) > 32) {
    const c = trimmed.charCodeAt(i)
    if (c === SLASH || c === BACKSLASH) return false
    i--
  }
  return true
}
