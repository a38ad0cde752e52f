/**
 * An HTML tokenizer for untrusted values: the states of the HTML5 tokenizer that matter for script
 * injection (data, tag open, end tag, tag name, attribute name, attribute value quoted and
 * unquoted, comments, `<!...>` and `<?...>`), reporting each start tag with its attributes to a
 * callback. It starts either in data or inside an attribute value (a value pasted into
 * `value="..."`), and never fails. Every state moves forward; lookahead uses `indexOf` and jumps
 * past what it found, so the work is linear in the value's length.
 *
 * @internal
 */

export interface Attribute {
  /** Lower-cased. */
  readonly name: string
  readonly value: string
  /** Written with `=`, even if the value is empty or missing (`onload=`). */
  readonly assigned: boolean
}

export interface Tag {
  /** Lower-cased, without a namespace prefix (`svg:script` is `script`). */
  readonly name: string
  readonly attributes: ReadonlyArray<Attribute>
  /** For `<style>`: the text up to `</style>`. */
  readonly text: string
}

/** Where the value starts: in text, or inside an attribute value opened by `"`, `'` or nothing. */
export type HtmlContext = "data" | "\"" | "'" | "unquoted"

export interface HtmlEvents {
  readonly tag: (tag: Tag) => void
  /**
   * An end tag; `closes` when a browser would end an element with it: its `>` is in the value (else the
   * page's next characters extend it) and it stands outside a comment or a CDATA section.
   */
  readonly endTag: (name: string, closes: boolean) => void
  /** The value started inside an attribute value and left it. */
  readonly attributeBreak: (attributes: ReadonlyArray<Attribute>, closedTag: boolean) => void
}

const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13)
const isAlpha = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90)

/** At most this many attributes are kept per tag; the rest are read and dropped. */
const MAX_ATTRIBUTES = 64

/** Reads `value`, reporting to `events`; returns the characters examined (for the linearity tests). */
export const tokenizeHtml = (value: string, context: HtmlContext, events: HtmlEvents): number => {
  const n = value.length
  let i = 0
  let steps = 0
  // lower-cased once, and only when a `<style>` needs its end found
  let lowered: string | undefined
  // where the comment or CDATA section the reader is in ends (`-->`, `]]>`): its markup is still read
  let hiddenUntil = 0
  // each search starts past the last one's end, so the searches together read the value once
  const hideToGt = (from: number): void => {
    const gt = value.indexOf(">", from)
    steps += (gt < 0 ? n : gt) - from
    hiddenUntil = gt < 0 ? n : gt + 1
  }

  /** Attributes from `i` up to the end of the tag; returns whether `>` closed it. */
  const readAttributes = (into: Array<Attribute>): boolean => {
    while (i < n) {
      steps++
      const c = value.charCodeAt(i)
      if (isSpace(c) || c === 47) {
        i++
        continue
      }
      if (c === 62) {
        i++
        return true
      }
      const nameStart = i
      // the first character may be `=` (a parse error that still names an attribute)
      i++
      while (i < n) {
        const d = value.charCodeAt(i)
        if (isSpace(d) || d === 47 || d === 62 || d === 61) break
        i++
        steps++
      }
      const name = value.slice(nameStart, Math.min(i, nameStart + 64)).toLowerCase()
      let j = i
      while (j < n && isSpace(value.charCodeAt(j))) {
        j++
        steps++
      }
      let attributeValue = ""
      const assigned = value.charCodeAt(j) === 61
      if (assigned) {
        j++
        while (j < n && isSpace(value.charCodeAt(j))) {
        j++
        steps++
      }
        const q = value.charCodeAt(j)
        // a back-quote delimits values in old Internet Explorer; reading it so costs nothing
        if (q === 34 || q === 39 || q === 96) {
          const end = value.indexOf(String.fromCharCode(q), j + 1)
          steps += (end < 0 ? n : end) - j
          attributeValue = value.slice(j + 1, end < 0 ? n : end)
          i = end < 0 ? n : end + 1
        } else {
          let end = j
          while (end < n && !isSpace(value.charCodeAt(end)) && value.charCodeAt(end) !== 62) {
        end++
        steps++
      }
          attributeValue = value.slice(j, end)
          i = end
        }
      } else {
        // a name with no value: `i` stays after the name, so the spaces are read again as separators
      }
      if (into.length < MAX_ATTRIBUTES) into.push({ name, value: attributeValue, assigned })
    }
    return false
  }

  if (context !== "data") {
    // leave the attribute value the way a browser would, then read the rest of the tag
    let end: number
    if (context === "unquoted") {
      end = 0
      while (end < n && !isSpace(value.charCodeAt(end)) && value.charCodeAt(end) !== 62) {
        end++
        steps++
      }
    } else {
      end = value.indexOf(context)
    }
    steps += end < 0 ? n : end
    if (end < 0 || end >= n) return steps
    i = end + (context === "unquoted" ? 0 : 1)
    const attributes: Array<Attribute> = []
    const closed = readAttributes(attributes)
    events.attributeBreak(attributes, closed)
  }

  while (i < n) {
    const lt = value.indexOf("<", i)
    if (lt < 0) return steps + (n - i)
    steps += lt + 1 - i
    i = lt + 1
    // `<:vmlframe>` (an empty namespace prefix) and `<?import ...>` (an Internet Explorer
    // processing instruction that loads behaviours) are read as tags named by what follows
    const prefixed = (value.charCodeAt(i) === 58 || value.charCodeAt(i) === 63) && isAlpha(value.charCodeAt(i + 1))
    // `<?...>` is a bogus comment to a browser: an end tag inside it closes nothing
    if (value.charCodeAt(i) === 63 && lt >= hiddenUntil) hideToGt(i)
    if (prefixed) i++
    const c = value.charCodeAt(i)
    if (isAlpha(c)) {
      const nameStart = i
      while (i < n) {
        const d = value.charCodeAt(i)
        if (isSpace(d) || d === 47 || d === 62) break
        i++
        steps++
      }
      // names longer than any real one are cut: they only need comparing
      let name = value.slice(nameStart, Math.min(i, nameStart + 64)).toLowerCase()
      const colon = name.lastIndexOf(":")
      if (colon >= 0) name = name.slice(colon + 1)
      // `<?xml version="1.0"?>` starts every XML document: of the instructions only `import` runs anything
      const inert = prefixed && value.charCodeAt(lt + 1) === 63 && !name.startsWith("import")
      // `<script+>`, `<iframe%>`: what a filter sees as one odd name starts with a real one
      const odd = name.search(/[^a-z0-9-]/)
      if (odd > 0) name = name.slice(0, odd)
      const attributes: Array<Attribute> = []
      readAttributes(attributes)
      let text = ""
      if (name === "style") {
        // raw text: the style sheet runs up to `</style>` and holds no tags
        lowered ??= value.toLowerCase()
        const close = lowered.indexOf("</style", i)
        steps += (close < 0 ? n : close) - i
        text = value.slice(i, close < 0 ? n : close)
        i = close < 0 ? n : close
      }
      if (!inert) events.tag({ name, attributes, text })
    } else if (c === 47 && isAlpha(value.charCodeAt(i + 1))) {
      const nameStart = i + 1
      i++
      while (i < n && !isSpace(value.charCodeAt(i)) && value.charCodeAt(i) !== 62 && value.charCodeAt(i) !== 47) {
        i++
        steps++
      }
      const gt = value.indexOf(">", i)
      events.endTag(value.slice(nameStart, Math.min(i, nameStart + 64)).toLowerCase(), gt >= 0 && lt >= hiddenUntil)
      steps += (gt < 0 ? n : gt) - i
      i = gt < 0 ? n : gt + 1
    } else if (c === 47 && value.charCodeAt(i + 1) !== 62 && lt >= hiddenUntil) {
      // `</ x>`, `</1>`: a bogus comment to the next `>`
      hideToGt(i)
    } else if (c === 33 && lt >= hiddenUntil) {
      // `<!-->` and `<!--->` end where they start; an unterminated one runs to the end of the value
      const closer = value.startsWith("--", i + 1) ? "-->" : value.startsWith("[CDATA[", i + 1) ? "]]>" : ""
      if (closer !== "") {
        const end = value.indexOf(closer, closer === "-->" ? i + 1 : i + 8)
        steps += (end < 0 ? n : end) - i
        hiddenUntil = end < 0 ? n : end + closer.length
      } else {
        // `<!DOCTYPE ...>`, `<!x ...>`: a doctype or a bogus comment, up to the next `>`
        hideToGt(i)
      }
    }
    // `<!--...-->`, `<![CDATA[...]]>`, `<!DOCTYPE>`, `<?...>`, `<%...%>`: their content is read as
    // markup too, since conditional comments, XML islands and server templates let it run
  }
  return steps
}
