/**
 * Splits a decoded value into the path-like tokens a file API would see, in one linear pass.
 *
 * The engine has already undone URL, `%u`, entity and overlong UTF-8 encodings; what is left is what
 * filesystems and old path filters themselves tolerate: backslashes, repeated separators, `/./`,
 * the `0x2e` notation some decoders accept, Unicode dots and slashes that fold to ASCII, NUL bytes
 * that truncate a C string, Tomcat path parameters (`..;/`) and dot runs (`..../`) left behind when a
 * filter strips `../` once. Tokens end at whitespace and at the characters that delimit a value
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
  /** The token is assigned to a name (`file=...`, `href="..."`): a parameter even inside prose or markup. */
  readonly assigned: boolean
}

const SLASH = 47
const MAX_NAME = 255
const BACKSLASH = 92

const isDelimiter = (c: number): boolean =>
  c <= 32 || c === 63 || c === 38 || c === 61 || c === 35 || c === 34 || c === 39 || c === 60 || c === 62 ||
  c === 40 || c === 41 || c === 124 || c === 44 || c === 96

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
const NEEDS_FOLDING = /0x|%00|[\u0000\u2024\uff0e\ufe52\u2215\u2044\uff0f\uf025\u2216\u29f5\uff3c]/i
const NO_MARKS = new Uint8Array(0)
const utf16 = new TextDecoder("utf-16le")

const foldPath = (value: string): { readonly text: string; readonly evasive: Uint8Array } => {
  // case is folded per segment when one is kept, not here: no copy of a long value
  if (!NEEDS_FOLDING.test(value)) return { text: value, evasive: NO_MARKS }
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
 * The path tokens of `value`: runs with a separator or a climb. Lone words are left out, so prose
 * yields few tokens.
 */
export const pathTokens = (value: string): ReadonlyArray<PathToken> => {
  const { evasive: marks, text } = foldPath(value)
  const out: Array<PathToken> = []
  const length = text.length
  let i = 0
  while (i < length) {
    // skip delimiters, then read one token
    while (i < length && isDelimiter(text.charCodeAt(i))) i++
    if (i >= length) break
    const start = i
    while (i < length && !isDelimiter(text.charCodeAt(i))) i++
    const token = readToken(text, marks, start, i)
    if (token !== undefined) out.push(token)
  }
  return out
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
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : SLASH
    if (marked && i < end && marks[i] === 1) evasive = true
    if (c !== SLASH && c !== BACKSLASH) continue
    if (i < end) {
      if (c === SLASH) slash = true
      else backslash = true
    }
    const last = i === end
    // path parameters (`..;jsessionid=x`) end the segment's name
    let nameEnd = segStart
    while (nameEnd < i && text.charCodeAt(nameEnd) !== 59) nameEnd++
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
  const assigned = before === 61 || ((before === 34 || before === 39) && text.charCodeAt(start - 2) === 61)
  return { segments, climbs, absolute, evasive, separated: slash || backslash, assigned }
}

/** The value reads as prose (has whitespace) rather than one token, unless it is a drive path. */
export const isProse = (value: string): boolean => /\s/.test(value.trim()) && !/^\s*[a-zA-Z]:[\\/]/.test(value)
