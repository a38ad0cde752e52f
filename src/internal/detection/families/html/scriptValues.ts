/**
 * Values that run script where a browser reads them: URLs whose scheme runs what follows
 * (`javascript:`, `data:text/html`, written with entities, whitespace or case to dodge a filter) and
 * styles that run script (`expression(`, `-moz-binding`, CSS escapes undone first).
 *
 * @internal
 */

/** Schemes that run what follows, once whitespace, control characters and case are undone. */
const SCRIPT_SCHEMES = ["javascript:", "vbscript:", "livescript:", "mocha:", "data:text/html", "data:image/svg", "data:application/xhtml", "data:text/xml", "data:application/xml", "data:text/javascript", "data:application/javascript"]

/** The first letters of `SCRIPT_SCHEMES`. */
const SCRIPT_SCHEME_STARTS = [...new Set(SCRIPT_SCHEMES.map((scheme) => scheme.charAt(0)))].join("")

const NAMED_ENTITIES: Readonly<Record<string, string>> = { colon: ":", tab: "", newline: "", lpar: "(", rpar: ")", sol: "/", semi: ";" }

/**
 * A URL as a browser resolves its scheme: entities the engine may have left (`&colon;`, `&Tab;`)
 * decoded, whitespace, control and invisible characters removed, lower case. Linear, bounded to the
 * first 64 meaningful characters, which is all a scheme check needs. `enough` is asked after each
 * character read and ends the reading early when it answers true.
 */
const readUrlHead = (raw: string, enough: (head: string) => boolean): string => {
  let out = ""
  for (let i = 0; i < raw.length && out.length < 64; i++) {
    const c = raw.charCodeAt(i)
    if (c <= 32 || c === 0x7f || c === 0x180e || (c >= 0x2000 && c <= 0x200d) || c === 0xfeff || c === 0xa0 || c === 0x3000) continue
    if (out === "" && (c === 96 || c === 34 || c === 39)) continue
    if (c === 38 && raw.charCodeAt(i + 1) === 35) {
      // `&#10`, `&#x0A;`: browsers accept numeric references without the semicolon
      const hex = (raw.charCodeAt(i + 2) | 32) === 120
      let j = i + (hex ? 3 : 2)
      const digitsStart = j
      while (j < raw.length && j - digitsStart < 8 && (hex ? /[0-9a-f]/i : /[0-9]/).test(raw[j] ?? "")) j++
      if (j > digitsStart) {
        const code = parseInt(raw.slice(digitsStart, j), hex ? 16 : 10)
        if (code > 32 && code < 0x110000) out += String.fromCodePoint(code).toLowerCase()
        i = raw.charCodeAt(j) === 59 ? j : j - 1
        if (enough(out)) break
        continue
      }
    }
    if (c === 38) {
      const semi = raw.indexOf(";", i + 1)
      if (semi > i && semi - i <= 10) {
        const entity = raw.slice(i + 1, semi).toLowerCase()
        const named = NAMED_ENTITIES[entity]
        const code = entity.startsWith("#x") ? parseInt(entity.slice(2), 16) : entity.startsWith("#") ? parseInt(entity.slice(1), 10) : NaN
        if (named !== undefined || !Number.isNaN(code)) {
          if (named !== undefined) out += named
          else if (code > 32 && code < 0x110000) out += String.fromCodePoint(code).toLowerCase()
          i = semi
          if (enough(out)) break
          continue
        }
      }
    }
    // ASCII without a call: most of what a head holds
    out += c < 128 ? String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c) : raw[i]?.toLowerCase() ?? ""
    if (enough(out)) break
  }
  return out
}

const never = (): boolean => false

export const urlHead = (raw: string): string => readUrlHead(raw, never)

/**
 * Whether the head read so far settles the question: it starts with a script scheme, or it is no
 * longer the beginning of one, and no character read later can make it one.
 */
const schemeSettled = (head: string): boolean => {
  if (head === "") return false
  // `h` of `https:`, `p` of prose: no script scheme starts so
  if (!SCRIPT_SCHEME_STARTS.includes(head.charAt(0))) return true
  let open = false
  for (const scheme of SCRIPT_SCHEMES) {
    if (head.startsWith(scheme)) return true
    if (scheme.startsWith(head)) open = true
  }
  return !open
}

/** Reads only as far as the answer needs: `https://...` and prose are settled by their first letter. */
export const isScriptUrl = (raw: string): boolean => {
  const head = readUrlHead(raw, schemeSettled)
  if (head === "" || !SCRIPT_SCHEME_STARTS.includes(head.charAt(0))) return false
  for (const scheme of SCRIPT_SCHEMES) if (head.startsWith(scheme)) return true
  return false
}

/** Whitespace and control characters: every code up to the space, as the loop of `compactText` drops them. */
const SPACE = /[\x00-\x20]+/g
const SPACE_OR_BACKSLASH = /[\x00-\x20\\]+/g

/**
 * Text with `/* *\/` comments and whitespace (and, for style, backslashes) removed, lower case:
 * where `expression(` and `document.cookie` hide. Built from slices, so the cost stays linear.
 */
export const compactText = (value: string, dropBackslash: boolean): string => {
  // without a comment, one native replace does what the loop below does
  if (!value.includes("/*")) return value.replace(dropBackslash ? SPACE_OR_BACKSLASH : SPACE, "").toLowerCase()
  const parts: Array<string> = []
  let start = 0
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 47 && value.charCodeAt(i + 1) === 42) {
      parts.push(value.slice(start, i))
      const end = value.indexOf("*/", i + 2)
      i = end < 0 ? value.length : end + 1
      start = i + 1
    } else if (c <= 32 || (dropBackslash && c === 92)) {
      parts.push(value.slice(start, i))
      start = i + 1
    }
  }
  parts.push(value.slice(start))
  return parts.join("").toLowerCase()
}

/**
 * CSS escapes undone (`\3c` is `<`, `\65 xpression` is `expression`, `\<` is `<`): a style sheet or a style
 * attribute reads them as the characters they stand for. One pass; each escape is at most six digits.
 */
const cssUnescape = (style: string): string =>
  style.includes("\\")
    ? style.replace(/\\(?:([0-9a-f]{1,6})\s?|([^\n0-9a-f]))/gi, (_, hex: string | undefined, char: string | undefined) =>
      hex === undefined ? (char ?? "") : String.fromCodePoint(Math.min(parseInt(hex, 16), 0x10ffff) || 0xfffd))
    : style

export const runsScript = (raw: string): boolean => {
  const style = cssUnescape(raw)
  // an escaped tag or quote in a style breaks out of it (`font-family:'\22\3e\3cimg ...'`)
  if (style !== raw && /<[a-z!/?]|["'][\s;]{0,8}>/i.test(style)) return true
  const compact = compactText(style, true)
  return (
    compact.includes("expression(") ||
    compact.includes("javascript:") ||
    compact.includes("vbscript:") ||
    compact.includes("-moz-binding") ||
    compact.includes("behavior:") ||
    compact.includes("behaviour:") ||
    compact.includes("binding:url(") ||
    compact.includes("@import")
  )
}
