/**
 * Value walking: splits a request given as plain data into the values the engine scans, each with
 * where it was found (`path`, `query`, `header`, `cookie`, `body`, or `key` for the name of a
 * parameter, form field or JSON member; a cookie's name is read as a cookie value), a location
 * for reports (`query.q`, `header.x-api-version`, `body.user.name`) and the parameter it belongs to
 * (for exclusions). Query strings, form bodies and `cookie` headers are split without building pair
 * arrays; JSON bodies are walked with an explicit stack, so nesting cannot exhaust the call stack,
 * and what lies deeper than the depth budget is handed over as text. A text body that is markup
 * (XML, SOAP) is scanned whole (for DTDs and entities) and also value by value: each attribute
 * value, text node and CDATA section on its own, as an application reading it sees them.
 *
 * @internal
 */
import type { DetectionBody, DetectionInput, SkipReason } from "./model.js"
import { decodeComponent } from "./decode.js"
import { isProgramText, isSourceSnippet } from "./families/programText.js"
import type { WhereName } from "./patterns.js"

/** A value's role: the value itself or the name of a parameter, cookie or JSON key. */
export type Part = "value" | "name"

/** What the walker hands each value to. */
export interface ValueSink {
  /** Whether a parameter, form field, cookie or JSON key (any depth) is not scanned at all. */
  readonly excludedParameter: (name: string) => boolean
  /** Whether a header is one a browser or proxy sets (scanned only by the always-on checks). */
  readonly excludedHeader: (name: string) => boolean
  /**
   * A value at `location`, or for a JSON leaf at `location` and its `key` in its container: the
   * leaf's segment ({@link jsonSegment}) is made only for a finding (most values have none, and a
   * body holds hundreds of them).
   */
  readonly value: (raw: string, where: WhereName, part: Part, location: string, parameter: string | undefined, key?: string | number) => void
  /** The value of an excluded header. */
  readonly always: (raw: string, location: string, parameter: string) => void
  readonly reason: (reason: SkipReason) => void
}

type Pairs = ReadonlyArray<readonly [string, string]>

const toPairs = (input: Readonly<Record<string, string>> | Pairs | undefined): Pairs =>
  input === undefined ? [] : Array.isArray(input) ? input as Pairs : Object.entries(input as Record<string, string>)

/** Names of at most 64 letters, digits and `-` hold nothing to find: they are not scanned. */
export const isSimpleName = (name: string): boolean => {
  if (name.length > 64) return false
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45)) return false
  }
  return true
}

/** Simple names still scanned outside cookies: a session cookie's name as a parameter is session fixation (`?jsessionid=`). */
const SESSION_NAME = /^(?:j|php|asp|zend|x)sess|^cf(?:id|token)$/i

const SESSION_IN_QUERY = /(?:^|[?&])(?:j|php|asp|zend|x)sess|(?:^|[?&])cf(?:id|token)=/i

const SEGMENT = /^[\w$-]{1,64}$/
/** Segments of the keys bodies repeat (`id`, `name`, ...), so a path costs one concatenation per level. */
const SEGMENTS = new Map<string, string>()
/** `[0]`, `[1]`, ...: the segments of the first array indices, made once. */
const INDEX_SEGMENTS: Array<string> = []
/** The location segment of a JSON member or item (`.name`, `["a b"]`, `[3]`). */
export const jsonSegment = (key: string | number): string => {
  if (typeof key === "number") return key < 1024 ? (INDEX_SEGMENTS[key] ??= `[${key}]`) : `[${key}]`
  const known = SEGMENTS.get(key)
  if (known !== undefined) return known
  const segment = SEGMENT.test(key) ? `.${key}` : `[${JSON.stringify(key.slice(0, 64))}]`
  if (key.length <= 64) {
    if (SEGMENTS.size >= 1024) SEGMENTS.clear()
    SEGMENTS.set(key, segment)
  }
  return segment
}

const PLUS = /\+/g

const pair = (sink: ValueSink, name: string, value: string, where: WhereName, prefix: string, sessionNames = true, cutNames = where === "query"): void => {
  if (sink.excludedParameter(name)) return
  const location = `${prefix}.${name}`
  // a cookie's name is no parameter: read where cookies are read, it is not a key an application
  // builds objects or queries from (and `connect.sid` is an ordinary cookie name)
  if (!isSimpleName(name) || (sessionNames && where !== "cookie" && SESSION_NAME.test(name))) {
    const kind = where === "cookie" ? "cookie" : "key"
    sink.value(name, kind, "name", location, name)
    // PHP builds arrays from bracketed cookie names as it does from query names
    if (name.includes("[")) bracketIndexes(sink, name, location, kind)
  }
  if (value.length > 0) sink.value(value, where, "value", location, name)
  // a query parameter or form field name no application gives (a quote, a space, a comment) is text
  // cut at the `=` it held: `?bob' OR 'k'='k` reads as name `bob' OR 'k'` and value `'k'`, neither an
  // injection alone. A quote opening a form body is a client's mistake (`"text=a = b"` sent quoted),
  // not a cut: the name after it is read as the name.
  if (value.length > 0 && cutNames && TEXT_NAME.test(where === "body" ? withoutOpeningQuote(name) : name)) {
    sink.value(`${name}=${value}`, where, "value", location, name)
  }
}

/**
 * A character no form field or query parameter name holds: a quote, a space, a parenthesis, or any
 * other outside letters, digits, `_`, `-`, `.`, `:` and brackets (`?1/**\/or/**\/1=1`).
 */
const TEXT_NAME = /[^\w.:[\]-]/

const withoutOpeningQuote = (name: string): string => (name.startsWith("\"") || name.startsWith("'") ? name.slice(1) : name)

/**
 * The indexes of a bracketed name (`user[0 ;select 1;#]`, `a[b][c]`), each on its own: PHP, Rails and
 * qs build arrays and objects from them, so an index reaches the application as a key, and read
 * whole the brackets look like a quoted SQL Server name. At most eight, each scanned once; the rest
 * of the name as one value.
 */
const bracketIndexes = (sink: ValueSink, name: string, location: string, kind: WhereName): void => {
  let open = name.indexOf("[")
  for (let n = 0; open >= 0 && n < 8; n++) {
    const close = name.indexOf("]", open + 1)
    if (close < 0) return
    const index = name.slice(open + 1, close)
    if (index.length > 0 && !isSimpleName(index)) sink.value(index, kind, "name", location, name)
    open = name.indexOf("[", close + 1)
  }
  // past the eighth index the rest is read as one value: an injection is not hidden behind padding
  if (open >= 0) sink.value(name.slice(open), kind, "name", location, name)
}

const pairs = (sink: ValueSink, list: Pairs, where: WhereName, prefix: string): void => {
  for (const [name, value] of list) pair(sink, name, value, where, prefix)
}

/** Same as parsing `raw` into pairs and scanning them, without building the pairs. */
const pairString = (
  sink: ValueSink,
  raw: string,
  separator: string,
  plus: boolean,
  where: WhereName,
  prefix: string,
  sessionNames = true,
  cutNames = where === "query"
): void => {
  let start = 0
  while (start <= raw.length) {
    let end = raw.indexOf(separator, start)
    if (end < 0) end = raw.length
    if (end > start) {
      const piece = raw.slice(start, end)
      const eq = piece.indexOf("=")
      const name = eq < 0 ? piece : piece.slice(0, eq)
      const value = eq < 0 ? "" : piece.slice(eq + 1)
      pair(
        sink,
        decodeComponent(name.trim(), plus),
        plus ? (value.includes("+") ? value.replace(PLUS, " ") : value) : value.trim(),
        where,
        prefix,
        sessionNames,
        cutNames
      )
    }
    start = end + separator.length
  }
}

/** A value that is nothing but base64 padding (`=`, `==`) or empty. */
const PADDING = /^=*$/

/**
 * A text body as the form the platform's `urlParamsBody` (and `schemaBodyForm`) reads from any
 * body, whatever its type: pieces split at `&`, where `+` is a space. The whole text is scanned
 * already, its percent escapes decoded; only a name or value holding a `+` reads differently as a
 * field, so only those are scanned again, with their spaces (the value of a piece that is more than
 * the padding ending a base64 block). Markup and program text (a bundle, a snippet of several lines)
 * are scanned again whole with their spaces instead: cut into pieces they would lose what marks them
 * as a document or a program, and everyday tags and code would read as injected ones. One forward pass: each search goes on from the last.
 */
const formPieces = (sink: ValueSink, text: string): void => {
  let plus = text.indexOf("+")
  let eq = text.indexOf("=")
  if (plus < 0 || eq < 0) return
  if (isMarkup(text) || isProgramText(text) || isSourceSnippet(text)) return sink.value(text.replace(PLUS, " "), "body", "value", "body", undefined)
  // every search goes forward from where the last stopped (the piece's start back to its "&" at most)
  while (plus >= 0 && eq >= 0) {
    const start = text.lastIndexOf("&", plus) + 1
    let end = text.indexOf("&", plus)
    if (end < 0) end = text.length
    if (eq < start) eq = text.indexOf("=", start)
    if (eq < 0) return
    if (eq < end && !PADDING.test(text.slice(eq + 1, end))) {
      const name = decodeComponent(text.slice(start, eq).trim(), true)
      const value = text.slice(eq + 1, end)
      if (!sink.excludedParameter(name)) {
        const location = `body.${name}`
        if (plus < eq) sink.value(name, "key", "name", location, name)
        if (value.includes("+")) sink.value(value.replace(PLUS, " "), "body", "value", location, name)
      }
    }
    plus = text.indexOf("+", end)
  }
}

const isMarkup = (text: string): boolean => {
  for (let i = 0; i < text.length && i < 64; i++) {
    const c = text.charCodeAt(i)
    if (c === 60) return true
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 0xfeff) return false
  }
  return false
}

const NAME_END = /[\s/>=]/g
const VALUE_END = /[\s>]/g
const NON_SPACE = /\S/g

/** The index of the first match of `regex` (global) in `text` from `from`, or `text.length`. */
const next = (regex: RegExp, text: string, from: number): number => {
  regex.lastIndex = from
  const m = regex.exec(text)
  return m === null ? text.length : m.index
}

/** The end of `marker` searched from `from` (after it), or the end of the text. */
const past = (text: string, marker: string, from: number): number => {
  const at = text.indexOf(marker, from)
  return at < 0 ? text.length : at + marker.length
}

const isDoctype = (text: string, at: number): boolean =>
  text.charCodeAt(at + 1) === 33 && text.slice(at, at + 9).toUpperCase() === "<!DOCTYPE"

/** The index after a DOCTYPE declaration whose name starts at `from`: past its `[...]` subset, if any. */
const doctypeEnd = (text: string, from: number): number => {
  const gt = text.indexOf(">", from)
  const open = text.indexOf("[", from)
  if (open < 0 || (gt >= 0 && gt < open)) return gt < 0 ? text.length : gt + 1
  const close = text.indexOf("]", open)
  return close < 0 ? text.length : past(text, ">", close)
}

/**
 * Hands each attribute value, text node and CDATA section of markup to `sink`, located by element
 * (`body.a`, attributes `body.a@probe`), and the DOCTYPE declaration whole (`body.!doctype`). One
 * forward pass; comments, processing instructions and other declarations are skipped (the whole
 * body is scanned as well).
 */
const markup = (sink: ValueSink, text: string): void => {
  let element = ""
  let i = 0
  while (i < text.length) {
    const lt = text.indexOf("<", i)
    const end = lt < 0 ? text.length : lt
    if (end > i && next(NON_SPACE, text, i) < end) {
      sink.value(text.slice(i, end), "body", "value", element === "" ? "body" : `body.${element}`, element || undefined)
    }
    if (lt < 0) return
    if (text.startsWith("<!--", lt)) {
      i = past(text, "-->", lt + 4)
    } else if (text.startsWith("<![CDATA[", lt)) {
      const close = text.indexOf("]]>", lt + 9)
      const stop = close < 0 ? text.length : close
      if (stop > lt + 9) sink.value(text.slice(lt + 9, stop), "body", "value", `body.${element || "cdata"}`, element || undefined)
      i = close < 0 ? text.length : close + 3
    } else if (text.startsWith("<?", lt)) {
      i = past(text, "?>", lt + 2)
    } else if (isDoctype(text, lt)) {
      // the DTD, internal subset included: where external entities and parameter entities live
      i = doctypeEnd(text, lt + 9)
      sink.value(text.slice(lt, i), "body", "value", "body.!doctype", undefined)
    } else if (text.startsWith("<!", lt) || text.startsWith("</", lt)) {
      i = past(text, ">", lt + 2)
    } else {
      element = text.slice(lt + 1, Math.min(next(NAME_END, text, lt + 1), lt + 65))
      i = tag(sink, text, lt + 1, element)
    }
  }
}

/** Reads the attributes of the tag whose name starts at `start`; returns the index after the tag. */
const tag = (sink: ValueSink, text: string, start: number, element: string): number => {
  let i = next(NAME_END, text, start)
  while (i < text.length) {
    i = next(NON_SPACE, text, i)
    const c = text[i]
    if (c === undefined) return i
    if (c === ">") return i + 1
    if (c === "/" || c === "=") {
      i++
      continue
    }
    const attrEnd = next(NAME_END, text, i)
    const attr = text.slice(i, Math.min(attrEnd, i + 64))
    i = next(NON_SPACE, text, attrEnd)
    if (text[i] !== "=") continue
    i = next(NON_SPACE, text, i + 1)
    const quote = text[i]
    let value: string
    if (quote === "\"" || quote === "'") {
      const close = text.indexOf(quote, i + 1)
      const stop = close < 0 ? text.length : close
      value = text.slice(i + 1, stop)
      i = stop + 1
    } else {
      const stop = next(VALUE_END, text, i)
      value = text.slice(i, stop)
      i = stop
    }
    if (value.length > 0) sink.value(value, "body", "value", `body.${element}@${attr}`, attr)
  }
  return i
}

/** Keys bodies repeat that hold nothing to find (`id`, `name`, ...), so each is judged once. */
const PLAIN_KEYS = new Set<string>()

/** Whether a JSON key is scanned as a name: not a simple one, `prototype`, or a session id's name. */
const scannedKey = (key: string): boolean => {
  if (!isSimpleName(key) || key === "prototype" || SESSION_NAME.test(key)) return true
  if (PLAIN_KEYS.size >= 1024) PLAIN_KEYS.clear()
  PLAIN_KEYS.add(key)
  return false
}

/** A container being walked; reused for the next container at its level once it is done. */
interface Frame {
  container: object
  keys: ReadonlyArray<string> | undefined
  depth: number
  location: string
  parameter: string | undefined
  next: number
}

const sameKeys = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Strings shorter than this are scanned as text even when they hold a JSON document: that costs less. */
const EMBEDDED_JSON_MIN = 256

/**
 * The object or array a string value holds as JSON text (a client sending a document inside a
 * field), or `undefined`: such a string is walked as the JSON body it would be if sent unwrapped,
 * which is what an application that parses it reads. Scanned as text instead, its quotes and
 * braces cost the rule families a tokenizer pass each over the whole value.
 */
const embeddedJson = (value: string): object | undefined => {
  if (value.length < EMBEDDED_JSON_MIN) return undefined
  const first = value.charCodeAt(0)
  const last = value.charCodeAt(value.length - 1)
  if (!((first === 123 && last === 125) || (first === 91 && last === 93))) return undefined
  try {
    const parsed: unknown = JSON.parse(value)
    return typeof parsed === "object" && parsed !== null ? parsed : undefined
  } catch {
    return undefined
  }
}

/**
 * A subtree below the depth budget as one text: its JSON. `JSON.stringify` recurses, and a body
 * nested some thousands of levels (which `JSON.parse`, and so the application, reads) overflows the
 * stack; such a subtree is written without recursion instead, as its keys and string leaves in JSON
 * spelling (`"key":"leaf"`), in document order, without the brackets that only repeat.
 */
const subtreeText = (value: object): string => {
  try {
    return JSON.stringify(value)
  } catch {
    const parts: Array<string> = []
    const stack: Array<unknown> = [value]
    while (stack.length > 0) {
      const next = stack.pop()
      if (typeof next === "string") parts.push(next)
      else if (Array.isArray(next)) for (let i = next.length - 1; i >= 0; i--) stack.push(jsonLeaf(next[i]))
      else if (typeof next === "object" && next !== null) {
        const keys = Object.keys(next)
        for (let i = keys.length - 1; i >= 0; i--) {
          stack.push(jsonLeaf((next as Record<string, unknown>)[keys[i]!]))
          stack.push(`${JSON.stringify(keys[i])}:`)
        }
      }
    }
    return parts.join(",")
  }
}

/** A member or item for {@link subtreeText}: a string leaf in its JSON spelling, a container as is. */
const jsonLeaf = (value: unknown): unknown => (typeof value === "string" ? JSON.stringify(value) : value)

/**
 * Walks a parsed JSON body: keys that are not simple names, and string leaves, each at its path. A
 * string leaf holding a JSON document (see {@link embeddedJson}) is walked in its place. The stack
 * holds the path from the root to the container being walked, one frame per level, and its frames
 * are reused: a body's hundreds of containers cost no allocation each.
 */
const json = (sink: ValueSink, root: unknown, maxDepth: number): void => {
  const frames: Array<Frame> = []
  let top = 0
  /**
   * The keys of the last object whose keys hold nothing to scan or skip: the objects of an array
   * mostly have the same keys in the same order, and comparing property names costs less than
   * looking each up again.
   */
  let plainKeys: ReadonlyArray<string> = []
  const push = (container: object, keys: ReadonlyArray<string> | undefined, depth: number, location: string, parameter: string | undefined) => {
    const frame = frames[top++]
    if (frame === undefined) {
      frames.push({ container, keys, depth, location, parameter, next: 0 })
      return
    }
    frame.container = container
    frame.keys = keys
    frame.depth = depth
    frame.location = location
    frame.parameter = parameter
    frame.next = 0
  }
  /** Visits `value`, member or item `key` of the container at `base` (the root has none). */
  const visit = (value: unknown, depth: number, base: string, key: string | number | undefined, parameter: string | undefined): void => {
    if (typeof value === "string") {
      const inner = depth < maxDepth ? embeddedJson(value) : undefined
      if (inner !== undefined) return visit(inner, depth, base, key, parameter)
      if (value.length > 0) sink.value(value, "body", "value", base, parameter, key)
      return
    }
    if (typeof value !== "object" || value === null) return
    const location = key === undefined ? base : base + jsonSegment(key)
    if (depth >= maxDepth) {
      sink.reason("json_depth")
      sink.value(subtreeText(value), "body", "value", location, parameter)
      return
    }
    if (Array.isArray(value)) return push(value, undefined, depth, location, parameter)
    const keys = Object.keys(value)
    if (!sameKeys(keys, plainKeys)) {
      let plain = true
      for (const key of keys) {
        if (sink.excludedParameter(key)) {
          plain = false
          continue
        }
        if (!PLAIN_KEYS.has(key) && scannedKey(key)) {
          plain = false
          const path = parameter === undefined ? key : `${parameter}.${key}`
          sink.value(path, "key", "name", location + jsonSegment(key), key)
        }
      }
      if (plain) plainKeys = keys
    }
    push(value, keys, depth, location, parameter)
  }
  visit(root, 0, "body", undefined, undefined)
  while (top > 0) {
    const frame = frames[top - 1]!
    const before = top
    if (frame.keys === undefined) {
      const items = frame.container as ReadonlyArray<unknown>
      while (top === before && frame.next < items.length) {
        const i = frame.next++
        const item = items[i]
        // a string too short to hold a document (most leaves) goes to the sink without a visit
        if (typeof item === "string" && item.length < EMBEDDED_JSON_MIN) {
          if (item.length > 0) sink.value(item, "body", "value", frame.location, frame.parameter, i)
        } else if (typeof item === "string" || (typeof item === "object" && item !== null)) {
          visit(item, frame.depth + 1, frame.location, i, frame.parameter)
        }
      }
    } else {
      const container = frame.container as Record<string, unknown>
      const keys = frame.keys
      while (top === before && frame.next < keys.length) {
        const key = keys[frame.next++]!
        if (sink.excludedParameter(key)) continue
        const child = container[key]
        if (typeof child === "string" && child.length < EMBEDDED_JSON_MIN) {
          if (child.length > 0) sink.value(child, "body", "value", frame.location, key, key)
        } else if (typeof child === "string" || (typeof child === "object" && child !== null)) {
          visit(child, frame.depth + 1, frame.location, key, key)
        }
      }
    }
    if (top === before) top--
  }
}

const body = (sink: ValueSink, input: DetectionBody, options: WalkOptions): void => {
  switch (input.kind) {
    case "fields":
      return pairs(sink, input.fields, "body", "body")
    case "form":
      return pairString(sink, input.text, "&", true, "body", "body", true, true)
    case "text":
      if (input.text.length > 0) sink.value(input.text, "body", "value", "body", undefined)
      if (isMarkup(input.text)) markup(sink, input.text)
      return formPieces(sink, input.text)
    case "json": {
      // a body the budget cannot hold whole is scanned as text, up to the budget
      if (!options.budget.fits(input.text.length)) return sink.value(input.text, "body", "value", "body", undefined)
      let parsed: unknown
      try {
        parsed = JSON.parse(input.text)
      } catch {
        // not JSON: text, and a form to an application that reads it as one
        sink.value(input.text, "body", "value", "body", undefined)
        return formPieces(sink, input.text)
      }
      return json(sink, parsed, options.maxJsonDepth)
    }
  }
}

export interface WalkOptions {
  readonly scanBody: boolean
  readonly maxJsonDepth: number
  /** Says whether a JSON body of this many characters fits what is left of the budget. */
  readonly budget: { fits(length: number): boolean }
}

const REFERER_HOST = /^[a-z][a-z0-9+.-]{0,16}:\/\/(?:[^/?#@]{0,256}@)?(\[[^\]]{0,64}\]|[^/?#:]{1,256})/i

/**
 * Whether the Referer names this request's own host: the site itself linked a URL that carries a
 * session id (URL rewriting), which is not fixation; a foreign or missing Referer is (as in CRS).
 */
const sameSiteReferer = (headers: DetectionInput["headers"]): boolean => {
  let host: string | undefined
  let referer: string | undefined
  for (const [name, value] of toPairs(headers)) {
    const lower = name.toLowerCase()
    if (lower === "host") host = value
    else if (lower === "referer") referer = value
  }
  if (typeof host !== "string" || typeof referer !== "string") return false
  const m = REFERER_HOST.exec(referer)
  const bare = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]
  return m !== null && m[1]!.toLowerCase() === bare!.toLowerCase()
}

/**
 * Scans one header; a `cookie` header is not scanned but answered instead, when `takesCookie`
 * (cookies parsed from it are scanned after the headers).
 */
const header = (sink: ValueSink, rawName: string, value: unknown, takesCookie: boolean): string | undefined => {
  if (typeof value !== "string" || value.length === 0) return undefined
  const name = rawName.toLowerCase()
  if (takesCookie && name === "cookie") return value
  const location = `header.${name}`
  if (sink.excludedHeader(name)) sink.always(value, location, name)
  else sink.value(value, "header", "value", location, name)
  return undefined
}

/** Hands every value of `input` to `sink`, in request order: path, query, headers, cookies, body. */
export const walkRequest = (input: DetectionInput, sink: ValueSink, options: WalkOptions): void => {
  const rawPath = typeof input.path === "string" ? input.path : ""
  const q = rawPath.indexOf("?")
  const path = q >= 0 ? rawPath.slice(0, q) : rawPath
  const query = input.query ?? (q >= 0 ? rawPath.slice(q + 1) : undefined)
  if (path.length > 0) sink.value(path, "path", "value", "path", undefined)
  // an empty query (most requests) holds no pair: not split, nor read for session names
  if (query !== undefined && query !== "" && query !== "?") {
    if (typeof query === "string") {
      const sessionNames = !SESSION_IN_QUERY.test(query) || !sameSiteReferer(input.headers)
      pairString(sink, query.startsWith("?") ? query.slice(1) : query, "&", true, "query", "query", sessionNames)
    }
    else pairs(sink, query, "query", "query")
  }
  // a `cookie` header is parsed (once, when `cookies` is absent) and scanned after the headers
  let cookieHeader: string | undefined
  const cookiesGiven = input.cookies !== undefined
  const headers = input.headers
  if (Array.isArray(headers)) {
    for (const [name, value] of headers as Pairs) {
      const taken = header(sink, name, value, !cookiesGiven && cookieHeader === undefined)
      if (taken !== undefined) cookieHeader = taken
    }
  } else if (headers !== undefined) {
    // a record's names, not `Object.entries`: that is a pair array per header on every request
    const record = headers as Readonly<Record<string, string>>
    const names = Object.keys(record)
    for (let i = 0; i < names.length; i++) {
      const taken = header(sink, names[i]!, record[names[i]!], !cookiesGiven && cookieHeader === undefined)
      if (taken !== undefined) cookieHeader = taken
    }
  }
  if (cookiesGiven) pairs(sink, toPairs(input.cookies), "cookie", "cookie")
  else if (cookieHeader !== undefined) pairString(sink, cookieHeader, ";", false, "cookie", "cookie")
  if (input.body !== undefined && options.scanBody) body(sink, input.body, options)
}
