/**
 * Preprocessing that defeats common evasion before the patterns run: repeated URL / HTML entity /
 * backslash-escape decoding, Unicode compatibility folding and lookalikes, NUL and control bytes,
 * SQL comment markers, case and whitespace runs. Every step is a single linear pass, each is skipped
 * when a cheap test shows it cannot change the value, and none of them can throw (invalid UTF-8 and
 * bad escapes decode to U+FFFD or stay as they are).
 *
 * @internal
 */

/** The normalised view of one value. */
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

/**
 * Decodes a run of `%XX` escapes as UTF-8 (lossy, never throws). Overlong two-byte forms
 * (`%c0%ae` for `.`) are folded to the ASCII character an old parser would have seen.
 */
const decodePercentRun = (run: string): string => {
  const bytes: Array<number> = []
  for (let i = 0; i + 2 < run.length; i += 3) {
    const hi = hexValue(run.charCodeAt(i + 1))
    const lo = hexValue(run.charCodeAt(i + 2))
    bytes.push(hi * 16 + lo)
  }
  let ascii = true
  for (const b of bytes) if (b >= 0x80) ascii = false
  if (ascii) return String.fromCharCode(...bytes)
  const folded: Array<number> = []
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0
    const next = bytes[i + 1]
    if ((b === 0xc0 || b === 0xc1) && next !== undefined && (next & 0xc0) === 0x80) {
      folded.push(((b & 0x1f) << 6) | (next & 0x3f))
      i++
    } else if (b === 0xe0 && next !== undefined && next < 0xa0 && (next & 0xc0) === 0x80) {
      const third = bytes[i + 2]
      if (third !== undefined && (third & 0xc0) === 0x80) {
        folded.push(((next & 0x3f) << 6) | (third & 0x3f))
        i += 2
      } else {
        folded.push(b)
      }
    } else {
      folded.push(b)
    }
  }
  return utf8.decode(Uint8Array.from(folded))
}

const PERCENT_RUN = /(?:%[0-9a-fA-F][0-9a-fA-F]){1,4096}/g
const PERCENT_U = /%u([0-9a-fA-F]{4})/g

const decodePercent = (s: string): string =>
  s.replace(PERCENT_RUN, decodePercentRun).replace(PERCENT_U, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))

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

const ENTITY = /&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([a-zA-Z]{2,8}));?/g

const fromCodePoint = (code: number): string =>
  code >= 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : "\ufffd"

const decodeEntities = (s: string): string =>
  s.replace(ENTITY, (whole, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (hex !== undefined) return fromCodePoint(parseInt(hex, 16))
    if (dec !== undefined) return fromCodePoint(parseInt(dec, 10))
    const named = name === undefined ? undefined : NAMED_ENTITIES[name.toLowerCase()]
    return named ?? whole
  })

const BACKSLASH = /\\(?:x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4}))/g

const decodeBackslash = (s: string): string =>
  s.replace(BACKSLASH, (_, x: string | undefined, braced: string | undefined, u: string | undefined) =>
    fromCodePoint(parseInt(x ?? braced ?? u ?? "fffd", 16))
  )

const LOOKALIKES: ReadonlyArray<readonly [RegExp, string]> = [
  [/[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u034f\u180e]/g, ""],
  [/[\u2044\u2215\u29f8\u2571]/g, "/"],
  [/[\u29f5\u2216\u2572]/g, "\\"],
  [/[\u02bc\u02b9\u2032]/g, "'"],
  [/[\u02ba\u2033]/g, "\""],
  [/[\u2028\u2029\u560a\u560d\u0085]/g, "\n"],
  [/[\u2039\u3008\u27e8]/g, "<"],
  [/[\u203a\u3009\u27e9]/g, ">"]
]

const NON_ASCII = /[^\x00-\x7f]/
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g
const SQL_COMMENT = /\/\*!?\d{0,6}|\*\//g
const WHITESPACE_RUN = /\s{2,}|[^\S ]/g

const collapse = (run: string): string => (run.includes("\n") || run.includes("\r") ? "\n" : " ")

/** Decodes, folds and collapses `raw` into the view the patterns are written for. */
export const normalise = (raw: string, maxRounds: number): Normalised => {
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
    text = text.normalize("NFKC")
    for (const [pattern, replacement] of LOOKALIKES) text = text.replace(pattern, replacement)
  }
  const nul = text.includes("\u0000")
  const finish = (s: string): string => {
    let out = s.replace(CONTROL, "")
    if (out.includes("/*") && out.includes("*/")) out = out.replace(SQL_COMMENT, " ")
    return out.toLowerCase().replace(WHITESPACE_RUN, collapse)
  }
  return nul
    ? { text: finish(text), nul, decodeExhausted, nulView: finish(text.replace(/\u0000/g, "%00")) }
    : { text: finish(text), nul, decodeExhausted }
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
