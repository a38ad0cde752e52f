/**
 * The decoding chain every value goes through before any rule looks at it, as CRS's transformation
 * chains do: repeated URL decoding (`%XX`, `%uXXXX`, overlong UTF-8 such as `%c0%ae`), HTML entities
 * (named, decimal, hex, with or without the semicolon), JavaScript escapes (`\xNN`, `\uNNNN`,
 * `\u{...}`), CSS escapes (`\3c`), until the value stops changing or the round budget is spent;
 * then Unicode compatibility folding (full-width forms) and lookalikes, and NUL and control bytes.
 * {@link decode} gives that view with its case kept, for the rule families; {@link normalise} adds
 * SQL comment removal, lower case and whitespace runs collapsed, for the legacy pattern table.
 * Every step is a single linear pass, each is skipped when a cheap test shows it cannot change the
 * value, and none of them can throw (invalid UTF-8 and bad escapes decode to U+FFFD or stay as they are).
 *
 * @internal
 */

/** The decoded view of one value. */
export interface Normalised {
  readonly text: string
  /** The value contained a NUL byte (raw or encoded). */
  readonly nul: boolean
  /** Decoding was still changing the value when the round budget ran out. */
  readonly decodeExhausted: boolean
  /** When the value had NUL bytes: the same view with each NUL shown as `%00` (truncation tricks). */
  readonly nulView?: string
}

const utf8 = new TextDecoder("utf-8", { fatal: false })

const hexValue = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1

/** The length of the sequence a lead byte starts when it can only start an overlong form, or 0. */
const overlongLength = (b: number): number =>
  b === 0xc0 || b === 0xc1 ? 2 : b === 0xe0 ? 3 : b === 0xf0 ? 4 : b === 0xf8 ? 5 : b === 0xfc ? 6 : 0

/**
 * The ASCII character an overlong UTF-8 sequence at `i` of `bytes` stands for, with the number of
 * bytes it takes, or undefined. A lenient decoder (old IIS, some Java and PHP stacks) masks each
 * byte and adds the bits up, so it reads `c0 ae`, `e0 80 ae`, `f0 80 80 af` and even `c0 2e` or
 * `c1 1c` (a second byte that is no continuation byte) as ASCII; when that sum is a control
 * character, the lenient reading that drops the lead and keeps the byte is the one meant
 * (`c0 5c` is `\`). A strict decoder rejects them all, so reading them as ASCII finds what the
 * lenient one would see.
 */
const overlongAt = (bytes: ArrayLike<number>, i: number): readonly [number, number] | undefined => {
  const n = overlongLength(bytes[i]!)
  if (n === 0 || i + n > bytes.length) return undefined
  if (n === 2) {
    const next = bytes[i + 1]!
    if (next >= 0xc0) return undefined
    const masked = ((bytes[i]! & 0x1f) << 6) | (next & 0x3f)
    return [masked < 0x20 && next >= 0x20 && next < 0x80 ? next : masked, 2]
  }
  let code = 0
  for (let k = 1; k < n; k++) {
    const c = bytes[i + k]!
    if ((c & 0xc0) !== 0x80) return undefined
    code = (code << 6) | (c & 0x3f)
  }
  return code < 0x80 ? [code, n] : undefined
}

/**
 * Decodes a run of `%XX` escapes as UTF-8 (lossy, never throws), overlong forms of ASCII folded to
 * the character a lenient decoder sees (see {@link overlongAt}).
 */
const decodePercentRun = (run: string): string => {
  const bytes: Array<number> = []
  let ascii = true
  for (let i = 0; i + 2 < run.length; i += 3) {
    const b = hexValue(run.charCodeAt(i + 1)) * 16 + hexValue(run.charCodeAt(i + 2))
    if (b >= 0x80) ascii = false
    bytes.push(b)
  }
  if (ascii) return String.fromCharCode(...bytes)
  const folded: Array<number> = []
  for (let i = 0; i < bytes.length; i++) {
    const overlong = overlongAt(bytes, i)
    if (overlong === undefined) {
      folded.push(bytes[i]!)
    } else {
      folded.push(overlong[0])
      i += overlong[1] - 1
    }
  }
  return utf8.decode(Uint8Array.from(folded))
}

const RAW_OVERLONG = /[\u00c0\u00c1\u00e0\u00f0\u00f8\u00fc][\u0080-\u00bf]{1,5}/g

/**
 * Overlong forms sent as raw bytes (`/\xc0\xae\xc0\xae/`): Node reads a request line as latin1,
 * so each byte is one character from U+0080 to U+00FF. Only sequences that are overlong fold; `À`
 * and other text stay as they are.
 */
const foldRawOverlong = (s: string): string =>
  s.replace(RAW_OVERLONG, (run) => {
    const codes: Array<number> = []
    for (let i = 0; i < run.length; i++) codes.push(run.charCodeAt(i))
    let out = ""
    for (let i = 0; i < codes.length; i++) {
      const overlong = overlongAt(codes, i)
      if (overlong === undefined) {
        out += run[i]
      } else {
        out += String.fromCharCode(overlong[0])
        i += overlong[1] - 1
      }
    }
    return out
  })

const PERCENT_RUN = /(?:%[0-9a-fA-F][0-9a-fA-F]){1,4096}/g
const PERCENT_U = /%u([0-9a-fA-F]{4})/g

/** An escape of a hex digit (`%35` is `5`, `%63` is `c`). */
const HEX_DIGIT_ESCAPE = "%(?:3[0-9]|[46][1-6])"

/**
 * `%%35%%63`: each half of an escape escaped after its own `%`, which a server that decodes twice
 * reads as `%5c`; decoded one escape at a time it would give `%5%c` and lose the character.
 */
const NESTED_PERCENT = new RegExp(`%(${HEX_DIGIT_ESCAPE})%(${HEX_DIGIT_ESCAPE})`, "gi")

const decodePercent = (s: string): string =>
  (s.includes("%%") ? s.replace(NESTED_PERCENT, (_, hi: string, lo: string) => `%${decodePercentRun(hi)}${decodePercentRun(lo)}`) : s)
    .replace(PERCENT_RUN, decodePercentRun).replace(PERCENT_U, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  lt: "<",
  gt: ">",
  amp: "&",
  quot: "\"",
  apos: "'",
  nbsp: " ",
  tab: "\t",
  newline: "\n",
  colon: ":",
  semi: ";",
  comma: ",",
  period: ".",
  sol: "/",
  bsol: "\\",
  lpar: "(",
  rpar: ")",
  lsqb: "[",
  rsqb: "]",
  lbrack: "[",
  rbrack: "]",
  lcub: "{",
  rcub: "}",
  lbrace: "{",
  rbrace: "}",
  equals: "=",
  excl: "!",
  quest: "?",
  num: "#",
  percnt: "%",
  dollar: "$",
  ast: "*",
  plus: "+",
  grave: "`",
  vert: "|",
  verbar: "|",
  hyphen: "-",
  dash: "-",
  lowbar: "_",
  commat: "@"
}

const ENTITY = /&(?:#[xX]0{0,16}([0-9a-fA-F]{1,6})|#0{0,16}([0-9]{1,7})|([a-zA-Z]{2,8}));?/g

/** Entities browsers also decode without their semicolon, even before letters (`&ltscript`). */
const LEGACY_PREFIXES: ReadonlyArray<readonly [string, string]> = [["nbsp", " "], ["quot", "\""], ["amp", "&"], ["lt", "<"], ["gt", ">"]]

const fromCodePoint = (code: number): string =>
  code >= 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : "\ufffd"

const decodeEntities = (s: string): string =>
  s.replace(ENTITY, (whole, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (hex !== undefined) return fromCodePoint(parseInt(hex, 16))
    if (dec !== undefined) return fromCodePoint(parseInt(dec, 10))
    if (name === undefined) return whole
    const lower = name.toLowerCase()
    const named = NAMED_ENTITIES[lower]
    if (named !== undefined) return named
    for (const [prefix, char] of LEGACY_PREFIXES) if (lower.startsWith(prefix)) return char + whole.slice(1 + prefix.length)
    return whole
  })

const BACKSLASH = /\\(?:x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|([0-9a-fA-F]{2,6})[ \t\n]?)/g

/**
 * JavaScript escapes, and CSS escapes (`\3c`) whose character is printable ASCII: a CSS escape of
 * anything else is left alone, so that Windows paths (`\boot.ini`, `\cafe`) keep their backslashes.
 */
const decodeBackslash = (s: string): string =>
  s.replace(BACKSLASH, (whole, x: string | undefined, braced: string | undefined, u: string | undefined, css: string | undefined) => {
    if (css === undefined) return fromCodePoint(parseInt(x ?? braced ?? u ?? "fffd", 16))
    const code = parseInt(css, 16)
    return code >= 0x20 && code <= 0x7e ? String.fromCharCode(code) : whole
  })

const LOOKALIKES: ReadonlyArray<readonly [RegExp, string]> = [
  [/[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u034f\u180e]/g, ""],
  [/[\u2044\u2215\u29f8\u2571]/g, "/"],
  [/[\u29f5\u2216\u2572]/g, "\\"],
  // typographic quotes too: Windows "best fit" code pages and some database collations read them as ASCII
  [/[\u02bc\u02b9\u2032\u2018\u2019\u201a\u201b]/g, "'"],
  [/[\u02ba\u2033\u201c\u201d\u201e\u201f]/g, "\""],
  [/[\u2028\u2029\u560a\u560d\u0085]/g, "\n"],
  [/[\u2039\u3008\u27e8]/g, "<"],
  [/[\u203a\u3009\u27e9]/g, ">"]
]

const NON_ASCII = /[^\x00-\x7f]/
const SQL_COMMENT = /\/\*!?\d{0,6}|\*\//g
const WHITESPACE_RUN = /\s{2,}|[^\S ]/g

const collapse = (run: string): string => (run.includes("\n") || run.includes("\r") ? "\n" : " ")

const SPACE_CONTROL = /[\x00-\x08\x0e-\x1f\x7f]/g
/** Vertical tab and form feed separate words in SQL, HTML and JavaScript: deleting them would glue `1\vAND` into one word. */
const SEPARATOR_CONTROL = /[\x0b\x0c]/g

/**
 * The decoded view of `raw`, case kept (what the rule families read); `undefined` when decoding
 * cannot change it (no `%`, `&`, `\\`, non-ASCII or control character), so the caller reuses `raw`.
 */
export const decode = (raw: string, maxRounds: number): Normalised | undefined => {
  if (!NEEDS_DECODING.test(raw)) return undefined
  let text = raw
  let rounds = 0
  let decodeExhausted = false
  while (true) {
    let next = text
    if (next.includes("%")) next = decodePercent(next)
    if (next.includes("&")) next = decodeEntities(next)
    if (next.includes("\\")) next = decodeBackslash(next)
    if (next === text) break
    text = next
    rounds++
    if (rounds >= maxRounds) {
      const probe = decodeBackslash(decodeEntities(decodePercent(text)))
      decodeExhausted = probe !== text
      break
    }
  }
  if (NON_ASCII.test(text)) {
    text = foldRawOverlong(text).normalize("NFKC")
    for (const [pattern, replacement] of LOOKALIKES) text = text.replace(pattern, replacement)
  }
  const nul = text.includes("\u0000")
  text = text.replace(SEPARATOR_CONTROL, " ")
  const nulView = nul ? text.replace(/\u0000/g, "%00").replace(SPACE_CONTROL, "") : undefined
  text = text.replace(SPACE_CONTROL, "")
  return nulView === undefined ? { text, nul, decodeExhausted } : { text, nul, decodeExhausted, nulView }
}

const NEEDS_DECODING = /[%&\\\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\uffff]/

/** The legacy table's view of decoded text: SQL comments removed, lower case, whitespace runs collapsed. */
export const fold = (text: string): string => {
  let out = text
  if (out.includes("/*") && out.includes("*/")) out = out.replace(SQL_COMMENT, " ")
  return out.toLowerCase().replace(WHITESPACE_RUN, collapse)
}

/** Decodes, folds and collapses `raw` into the view the legacy patterns are written for. */
export const normalise = (raw: string, maxRounds: number): Normalised => {
  const decoded = decode(raw, maxRounds)
  if (decoded === undefined) return { text: fold(raw), nul: false, decodeExhausted: false }
  const text = fold(decoded.text)
  return decoded.nulView === undefined ? { ...decoded, text } : { ...decoded, text, nulView: fold(decoded.nulView) }
}

const BASE64_CANDIDATE = /^[A-Za-z0-9+/_-]{16,}={0,2}$/
const PRINTABLE = /^[\x20-\x7e\t\n\r]*$/

/**
 * A bounded base64 attempt: values that look like base64 and decode to printable text. Random ids
 * decode to binary and are left alone.
 */
export const decodeBase64View = (raw: string): string | undefined => {
  if (raw.length > 8192 || !BASE64_CANDIDATE.test(raw)) return undefined
  if (/^[0-9a-fA-F-]+$/.test(raw) || /^[0-9]+$/.test(raw)) return undefined
  const decoded = Buffer.from(raw.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("latin1")
  if (decoded.length < 8 || !PRINTABLE.test(decoded)) return undefined
  return decoded
}

/** Decodes `%XX` (and `+` when `plus`) once, for parameter names and locations; never throws. */
export const decodeComponent = (s: string, plus: boolean): string => {
  const spaced = plus && s.includes("+") ? s.replace(/\+/g, " ") : s
  return spaced.includes("%") ? spaced.replace(PERCENT_RUN, decodePercentRun) : spaced
}

const PREVIEW_UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g

/** A short excerpt around a match, with control characters escaped: safe to log. */
export const preview = (text: string, index: number, length: number, max = 80): string => {
  const context = Math.max(0, Math.floor((max - Math.min(length, max)) / 2))
  const start = Math.max(0, index - context)
  const end = Math.min(text.length, Math.max(index + Math.min(length, max), start + max))
  const excerpt = text.slice(start, end).replace(
    PREVIEW_UNSAFE,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`
  )
  return `${start > 0 ? "…" : ""}${excerpt}${end < text.length ? "…" : ""}`
}
