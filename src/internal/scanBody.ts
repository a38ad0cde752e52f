/**
 * What of a request body reaches the detector, decided as the application will parse it, not as
 * the client labels it.
 *
 * The platform's readers ignore the declared type (`request.json` parses any body, `urlParamsBody`
 * any text, `HttpApi` takes a body without `Content-Type` as JSON and looks for `application/json`,
 * `multipart/form-data` or `x-www-form-urlencoded` anywhere in the header), so the guard scans every
 * body that can be read as text:
 *
 * - its `Content-Encoding` undone first (`gzip`, `deflate`, `br`; see `bodyDecode.ts`): a bomb is
 *   refused with 413, a corrupt stream with 400, another coding with 415;
 * - `multipart/form-data` (anywhere in the type) parsed by the platform's own parser: text fields by
 *   name and value, file parts by name and file name (their contents are the application's data, not
 *   parameters, and are not scanned), and every part's headers as sent (`filename*`, odd parameters,
 *   extra header lines); a body that does not parse is refused with 400;
 * - a body that starts as JSON (`{`, `[`) as JSON, whatever its type;
 * - a type naming `x-www-form-urlencoded` anywhere as form fields;
 * - anything else as text (which the detector also reads as the form `urlParamsBody` makes of it),
 *   unless its type is not a text type and its bytes are not text (invalid UTF-8, or NUL bytes):
 *   binary data, which no platform reader turns into fields, is not scanned.
 *
 * A body is read up to `detectionMaxBodyBytes` (after decoding); a longer one is refused with 413, or
 * with `detectionOversizedBody: "scanPrefix"` scanned up to there. A body whose framing breaks
 * before its end (a truncated chunked body, a client gone) is refused with 400.
 *
 * @internal
 */
import { Multipart } from "@effect/platform"
import { Effect, Stream } from "effect"
import type { DetectionBody, DetectionPairs } from "../ThreatDetector.js"
import { type Decoded, contentCodings, decodeBody } from "./bodyDecode.js"
import { type BodySize, mayHaveBody } from "./bodyPeek.js"
import { type GuardRequest, peekedBody, type Refusal } from "./pipeline.js"

/**
 * - `none`: nothing to scan; `why` says why for a debug line, unless there is no body at all.
 * - `body`: what the detector gets; `truncated` when only the first `detectionMaxBodyBytes` are in it.
 * - `refuse`: the body itself is refused (malformed, too large, an unknown coding).
 */
export type BodyScan =
  | { readonly _tag: "none"; readonly why: string | undefined }
  | {
    readonly _tag: "body"
    readonly body: DetectionBody
    readonly truncated: boolean
  }
  | { readonly _tag: "refuse"; readonly refusal: Refusal }

export interface BodyScanOptions {
  readonly limit: number
  readonly oversized: "refuse" | "scanPrefix"
}

const none = (why: string): BodyScan => ({ _tag: "none", why })

/** A request without a body: the common case, answered at once. */
const NO_BODY: Effect.Effect<BodyScan> = Effect.succeed({ _tag: "none", why: undefined })

/** The `why` of a body a stream before the guard reads or has read: the guard cannot leave it unread. */
export const READ_BEFORE = "it is read by something before the guard"

const refuse = (
  event: "content_filtered" | "decoding_error",
  status: 400 | 413 | 415,
  message: string,
  reason: string,
  metadata: Readonly<Record<string, unknown>>
): BodyScan => ({
  _tag: "refuse",
  refusal: {
    check: "suspicious_activity",
    event,
    reason,
    status,
    message,
    // the rest of the body is not read: the connection cannot carry another request
    headers: { connection: "close" },
    metadata,
    emit: { decoratorType: "content_filtering" }
  }
})

const tooLarge = (limit: number, extra: Readonly<Record<string, unknown>> = {}) =>
  refuse("content_filtered", 413, "Request too large", `Request body exceeds the scan limit ${limit} (detectionMaxBodyBytes)`, {
    violation_type: "body_scan_limit",
    detection_max_body_bytes: limit,
    ...extra
  })

/** Whether a declared type is one whose body is text to every reader. */
const TEXTUAL = /json|form|text\/|xml|javascript|graphql|multipart|csv|yaml|urlencoded/

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false })
const lenientUtf8 = new TextDecoder("utf-8")

/** The text of `bytes` as a reader would get it, or `undefined` when the bytes are not text. */
const textOf = (bytes: Uint8Array, textual: boolean, known: string | undefined): string | undefined => {
  if (textual) return known ?? lenientUtf8.decode(bytes)
  if (bytes.includes(0)) return undefined
  try {
    return fatalUtf8.decode(bytes)
  } catch {
    return undefined
  }
}

/** The first character that is not whitespace or a byte-order mark. */
const firstSignificant = (text: string): string | undefined => /^[\s\uFEFF]*(.)/.exec(text)?.[1]

const BOUNDARY = /boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i

/** The delimiter line's text (`--` and the boundary) of a multipart type, if it names a boundary. */
const delimiterOf = (contentType: string): string | undefined => {
  const match = BOUNDARY.exec(contentType)
  return match === null ? undefined : `--${match[1] ?? match[2]}`
}

/**
 * Where the part whose header block never ends starts (the byte offset of its delimiter), if the
 * body ends inside one: the platform's parser then neither finishes nor fails (it waits forever), so
 * such a body never reaches it. One forward pass.
 */
const unfinishedPart = (bytes: Uint8Array, delimiter: string): number | undefined => {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = buffer.indexOf(delimiter)
  while (at >= 0) {
    const after = at + delimiter.length
    if (buffer[after] === 45 && buffer[after + 1] === 45) return undefined
    const crlf = buffer.indexOf("\r\n\r\n", after)
    const lf = buffer.indexOf("\n\n", after)
    const end = crlf < 0 ? lf : lf < 0 ? crlf : Math.min(crlf, lf)
    if (end < 0) return at
    at = buffer.indexOf(delimiter, end)
  }
  return undefined
}

/** The fields of a multipart body, by the platform's parser: text fields, and file parts' names. */
const multipartFields = (
  whole: Uint8Array,
  contentType: string,
  truncated: boolean
): Effect.Effect<{ readonly fields: DetectionPairs } | { readonly error: string }> => {
  const fields: Array<readonly [string, string]> = []
  const delimiter = delimiterOf(contentType)
  const cut = delimiter === undefined ? undefined : unfinishedPart(whole, delimiter)
  if (cut !== undefined && !truncated) return Effect.succeed({ error: "Parse: the body ends inside a part's headers" })
  // a prefix is closed after its last whole part (or mid-part), so the parser hands over every part before the cut
  const bytes = !truncated || delimiter === undefined
    ? whole
    : Buffer.concat([whole.subarray(0, cut ?? whole.byteLength), Buffer.from(`\r\n${delimiter}--\r\n`)])
  return Stream.make(bytes).pipe(
    Stream.pipeThroughChannel(Multipart.makeChannel<never>({ "content-type": contentType })),
    Stream.runForEach((part) =>
      Effect.sync(() => {
        if (part._tag === "Field") fields.push([part.key, part.value])
        else fields.push([part.key, part.name], [`${part.key}.content_type`, part.contentType])
      })
    ),
    Effect.as({ fields } as { readonly fields: DetectionPairs } | { readonly error: string }),
    // a prefix ends mid-part: the parts before the cut are all there is to scan
    Effect.catchAll((error) => Effect.succeed(truncated ? { fields } : { error: `${error.reason}: ${error.message}` }))
  )
}

const DISPOSITION_PARAM = /;\s*([\w*.-]{1,64})\s*=\s*(?:"((?:[^"\\]|\\.){0,1024})"|([^;]{0,1024}))/g
const MAX_PART_HEADERS = 256

/**
 * What the platform's parser does not hand over: each part's header lines other than
 * `Content-Disposition` and `Content-Type` (named by the header), and the parameters of its
 * `Content-Disposition` other than `name` (`filename`, `filename*`, anything odd), as the client
 * sent them (named `<part>.<parameter>`). Read from the text in one forward pass.
 */
export const multipartHeaderFields = (text: string, contentType: string): Array<readonly [string, string]> => {
  const fields: Array<readonly [string, string]> = []
  const delimiter = delimiterOf(contentType)
  if (delimiter === undefined) return fields
  let at = text.indexOf(delimiter)
  while (at >= 0 && fields.length < MAX_PART_HEADERS) {
    let i = text.indexOf("\n", at + delimiter.length)
    if (i < 0 || text.startsWith("--", at + delimiter.length)) break
    i++
    const lines: Array<string> = []
    while (i < text.length) {
      const end = text.indexOf("\n", i)
      const stop = end < 0 ? text.length : end
      const line = text.slice(i, text.charCodeAt(stop - 1) === 13 ? stop - 1 : stop)
      i = stop + 1
      if (line.length === 0) break
      lines.push(line)
    }
    let part = ""
    const later: Array<readonly [string, string]> = []
    for (const line of lines) {
      const colon = line.indexOf(":")
      if (colon <= 0) continue
      const header = line.slice(0, colon).trim().toLowerCase()
      const value = line.slice(colon + 1).trim()
      if (header === "content-type") continue
      if (header !== "content-disposition") {
        fields.push([header.slice(0, 64), value])
        continue
      }
      for (const param of value.matchAll(DISPOSITION_PARAM)) {
        const name = param[1]!.toLowerCase()
        const paramValue = param[2] ?? param[3]?.trim() ?? ""
        if (name === "name") part = paramValue
        else later.push([name, paramValue])
      }
    }
    for (const [name, value] of later) fields.push([`${part.slice(0, 64)}.${name}`, value])
    at = text.indexOf(delimiter, i)
  }
  return fields
}

/** What decoded body bytes are to the detector: a body, binary data (not scanned), or a malformed multipart body. */
export type BodyView = { readonly body: DetectionBody } | { readonly binary: true } | { readonly error: string }

/**
 * The view of decoded body bytes: answered at once, except for a multipart body, which the
 * platform's parser reads as an effect.
 */
const viewOf = (bytes: Uint8Array, contentType: string, truncated: boolean, known: string | undefined): BodyView | Effect.Effect<BodyView> => {
  const type = contentType.toLowerCase()
  const text = textOf(bytes, type === "" || TEXTUAL.test(type), known)
  if (text === undefined) return { binary: true }
  const first = firstSignificant(text)
  if (first === "{" || first === "[") return { body: { kind: "json", text } }
  if (type.includes("multipart/form-data")) {
    return Effect.map(multipartFields(bytes, contentType, truncated), (parsed) =>
      "error" in parsed ? parsed : { body: { kind: "fields", fields: [...parsed.fields, ...multipartHeaderFields(text, contentType)] } })
  }
  return { body: type.includes("x-www-form-urlencoded") ? { kind: "form", text } : { kind: "text", text } }
}

/** The detector's view of decoded body bytes, as an effect whatever its kind. */
export const bodyOf = (bytes: Uint8Array, contentType: string, truncated: boolean, known?: string): Effect.Effect<BodyView> => {
  const view = viewOf(bytes, contentType, truncated, known)
  return Effect.isEffect(view) ? view : Effect.succeed(view)
}

/**
 * Whether `req` has no body at all (`scannableBody` answers none at once): a caller that only
 * needs the body when there is one takes no step for the others (most GETs).
 */
export const hasNoBody = (req: GuardRequest): boolean => !mayHaveBody(req.request, req.headers)

/**
 * The body of `req` as the detector should see it. Read once and left for the application (see
 * `bodyPeek.ts`); shares the read of `request_size_content`.
 */
export const scannableBody = (req: GuardRequest, options: BodyScanOptions): Effect.Effect<BodyScan> => {
  if (hasNoBody(req)) return NO_BODY
  const { headers } = req
  const { limit } = options
  const declared = headers["content-length"] === undefined ? undefined : Number(headers["content-length"])
  const prefixOnly = declared !== undefined && declared > limit
  if (prefixOnly && options.oversized === "refuse") return Effect.succeed(tooLarge(limit, { content_length: declared }))
  // Node's parser reads exactly the declared length; a web host may not hold a body to it
  const max = declared !== undefined && declared <= limit && req.onNode ? declared : limit
  const read = peekedBody(req, max, "keep")
  if (read === undefined) return Effect.succeed(none(READ_BEFORE))
  return Effect.flatMap(read, (size): Effect.Effect<BodyScan> => {
    switch (size._tag) {
      case "unreadable":
        return Effect.succeed(refuse("decoding_error", 400, "Malformed request body", "Request body ended before its framing did (truncated or broken)", {
          violation_type: "body_unreadable",
          ...(headers["transfer-encoding"] === undefined ? {} : { transfer_encoding: headers["transfer-encoding"].slice(0, 64) })
        }))
      case "tooLarge":
        // measured over maxRequestSize by request_size_content, which has answered 413
        return Effect.succeed(none("over the size cap"))
      case "prefix":
      case "fits": {
        const whole = size._tag === "fits"
        const data = size.data()
        if (data.byteLength > limit && options.oversized === "refuse") return Effect.succeed(tooLarge(limit, { bytes_read: data.byteLength }))
        const truncated = !whole || data.byteLength > limit
        return scanDecoded(req, size, truncated ? data.subarray(0, limit) : data, truncated, options)
      }
    }
  })
}

const scanDecoded = (req: GuardRequest, size: BodySize, raw: Uint8Array, truncated: boolean, options: BodyScanOptions): Effect.Effect<BodyScan> => {
  const codings = contentCodings(req.headers["content-encoding"])
  // a body sent as is (most) has nothing to undo: no step for it
  if (codings.length === 0) return withBody(req, size, raw, truncated, true)
  return Effect.flatMap(decodeBody(raw, codings, options.limit, truncated), (result: Decoded): Effect.Effect<BodyScan> => {
    switch (result._tag) {
      case "unsupported":
        return Effect.succeed(refuse("content_filtered", 415, "Unsupported content encoding", `Content-Encoding ${JSON.stringify(result.coding.slice(0, 32))} cannot be scanned`, {
          violation_type: "content_encoding",
          content_encoding: result.coding.slice(0, 32)
        }))
      case "corrupt":
        return Effect.succeed(refuse("decoding_error", 400, "Malformed request body", `Request body is not valid ${result.coding}: ${result.message}`, {
          violation_type: "content_encoding_corrupt",
          content_encoding: result.coding
        }))
      case "tooLarge":
        if (result.bound === "ratio" || options.oversized === "refuse") {
          return Effect.succeed(tooLarge(options.limit, { violation_type: result.bound === "ratio" ? "decompression_bomb" : "body_scan_limit", content_encoding: result.coding }))
        }
        return withBody(req, size, result.partial, true, false)
      case "decoded":
        return withBody(req, size, result.bytes, truncated, false)
    }
  })
}

const withBody = (req: GuardRequest, size: BodySize, bytes: Uint8Array, truncated: boolean, identity: boolean): Effect.Effect<BodyScan> => {
  // the body read as is from Node, whole: its text is decoded once, as the platform decodes it
  const asRead = identity && !truncated && size._tag === "fits" && size.fromNode ? size.text() : undefined
  const view = viewOf(bytes, req.headers["content-type"] ?? "", truncated, asRead)
  // a body that is not multipart (most) is known at once: one step, not three
  return Effect.isEffect(view) ? Effect.map(view, (view) => scanOf(view, truncated)) : Effect.succeed(scanOf(view, truncated))
}

/** What the detector gets of a body's view. */
const scanOf = (view: BodyView, truncated: boolean): BodyScan => {
  if ("binary" in view) return none("binary data")
  if ("error" in view) {
    return refuse("decoding_error", 400, "Malformed request body", `Request body is not valid multipart/form-data: ${view.error}`, {
      violation_type: "multipart_malformed"
    })
  }
  return { _tag: "body", body: view.body, truncated }
}
