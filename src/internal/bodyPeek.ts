/**
 * A request body read before the application reads it, and left for the application to read.
 *
 * The guard reads a body for two checks: `request_size_content` measures a body sent without
 * `Content-Length` (chunked) against the cap, and `suspicious_activity` scans a textual body. Both
 * read the body itself rather than through the platform's `request.text`, which caches the text on
 * that one request object: a router that mounts routes under a prefix hands the handler a new
 * request object (`request.modify`), whose read then waited forever on a stream already consumed.
 *
 * - On a Node server the guard reads the body in paused mode and puts what it read back at the
 *   front of the stream (`unshift`) before the stream has announced its end: the application's
 *   read later sees the whole body as if untouched, through any request object. The platform caps
 *   a read with `HttpIncomingMessage.withMaxBodySize`, and when a capped read overflows it destroys
 *   the request stream; Node then destroys the socket, so the client sees its connection reset
 *   instead of a 413. A body over the cap is therefore not put back; the rest of it is discarded as
 *   it arrives, so the client can finish sending and read the guard's 413.
 * - A web request's body is read by the platform with no cap at all. The guard reads a clone of it
 *   (`Request.clone` tees the stream) up to the cap; the application reads the original. Reading it
 *   once instead has no public form that saves the second read: no constructor gives the platform's
 *   request the guard's bytes (`HttpServerRequest.fromWeb` takes a `Request`, `modify` changes the
 *   URL, headers and address only), and a new `Request` built from the bytes is read through a stream
 *   again: 39.9 KB and about the same CPU against the clone's 42.6 KB for a 9.6 KB body
 *   (`bench/web-body-clone.ts`). It would also hand the application a request other than its host's
 *   (`source`, its abort signal), drop what middleware before the guard set with `modify`, and need
 *   a stream stitched from the bytes read and the rest for a body kept past the cap.
 *
 * @internal
 */
import type { Headers, HttpServerRequest } from "@effect/platform"
import { Effect } from "effect"

/** The part of `http.IncomingMessage` this uses. */
export interface NodeBody {
  /** Whether Node has received the whole message. */
  readonly complete: boolean
  /** `true` once someone reads it as a flowing stream. */
  readonly readableFlowing: boolean | null
  /** Whether it has announced its end. */
  readonly readableEnded: boolean
  /** The text decoder set on it (`setEncoding`), or `null` when it gives bytes. */
  readonly readableEncoding: string | null
  readonly readableLength: number
  readonly read: (size?: number) => Buffer | string | null
  readonly unshift: (chunk: Buffer) => void
  readonly resume: () => unknown
  readonly on: (event: "readable" | "error" | "close", listener: () => void) => unknown
  readonly removeListener: (event: "readable" | "error" | "close", listener: () => void) => unknown
}

/** `chunks` (`bytes` in all) as one array. */
const concat = (chunks: ReadonlyArray<Uint8Array>, bytes: number): Uint8Array => {
  if (chunks.length === 1) return chunks[0]!
  if (chunks.length === 0) return new Uint8Array(0)
  const whole = new Uint8Array(bytes)
  let at = 0
  for (const chunk of chunks) {
    whole.set(chunk, at)
    at += chunk.byteLength
  }
  return whole
}

const isNodeBody = (u: unknown): u is NodeBody => {
  if (typeof u !== "object" || u === null) return false
  const s = u as Record<string, unknown>
  return typeof s["complete"] === "boolean" && typeof s["read"] === "function" && typeof s["unshift"] === "function" &&
    typeof s["resume"] === "function" && typeof s["on"] === "function"
}

/**
 * - `fits`: the whole body (at most `max` bytes) is left for the application; `data` is its bytes,
 *   `text` decodes it as the platform would (Node's decoder keeps a byte-order mark,
 *   `Request.text()` drops it), and `fromNode` says whether it came from a Node stream.
 * - `tooLarge`: more than `max` bytes arrived (`read` of them); the rest is being discarded.
 * - `prefix`: more than `max` bytes arrived, and all of it is left for the application (a read
 *   that keeps the body); `data` is what was read, at least `max` bytes.
 * - `unreadable`: the stream failed or closed first (the client went away, or sent a broken or
 *   truncated framing); what was read is put back.
 */
export type BodySize =
  | {
    readonly _tag: "fits"
    readonly bytes: number
    readonly data: () => Uint8Array
    readonly text: () => string
    readonly fromNode: boolean
  }
  | { readonly _tag: "tooLarge"; readonly read: number }
  | { readonly _tag: "prefix"; readonly read: number; readonly data: () => Uint8Array }
  | { readonly _tag: "unreadable" }

/** What a read does with a body longer than its `max`: discard the rest (for a 413), or keep it all. */
export type Overflow = "discard" | "keep"

const EMPTY = new Uint8Array(0)

/** A body whose bytes are all in hand: what was read, left for the application. */
const fits = (read: Buffer): BodySize => ({
  _tag: "fits",
  bytes: read.length,
  data: () => read,
  text: () => read.toString("utf8"),
  fromNode: true
})

/**
 * The body of a message Node has received whole, read and put back in this turn: its bytes are all
 * in the stream's buffer (the parser pushes them before it marks the message complete), so one
 * `read` takes them and nothing has to wait for a "readable" event. A guard whose checks all answer
 * at once does not get here: the platform starts the request in the parser's callback for the
 * headers, and the parser reaches the body only once that callback and the microtasks it queued
 * have returned, even when the body came in the headers' packet (none of 3,000 10 KB POSTs over
 * loopback found its body complete). A check that waits first (a Redis store) does.
 * `undefined` when the buffer holds more than `max` bytes: the stream form answers that.
 */
const measureComplete = (body: NodeBody, max: number): BodySize | undefined => {
  if (body.readableLength > max) return undefined
  const chunk = body.read()
  if (chunk === null) return undefined
  const read = typeof chunk === "string" ? Buffer.from(chunk) : chunk
  // put back in the same turn: a read that empties an ended stream schedules its "end" for the next
  // turn, and a stream with data in it by then does not announce it
  if (read.length > 0) body.unshift(read)
  return fits(read)
}

/** Reads `body` up to `max` bytes and puts it back; see {@link BodySize}. */
const measureNode = (body: NodeBody, max: number, overflow: Overflow): Effect.Effect<BodySize> => {
  // An empty body Node has all of: nothing to read, and a read would announce its end now.
  if (body.complete && body.readableLength === 0) {
    return Effect.succeed({ _tag: "fits", bytes: 0, data: () => EMPTY, text: () => "", fromNode: true })
  }
  const whole = body.complete ? measureComplete(body, max) : undefined
  if (whole !== undefined) return Effect.succeed(whole)
  return Effect.async<BodySize>((resume) => {
    const chunks: Array<Buffer> = []
    let bytes = 0
    const stop = () => {
      body.removeListener("readable", onReadable)
      body.removeListener("error", onGone)
      body.removeListener("close", onGone)
    }
    // Put back in the same turn as the last read: a read that empties an ended stream schedules
    // its "end" for the next turn, and a stream with data in it by then does not announce it.
    const whole = (): Buffer => (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes))
    const putBack = (read: Buffer) => {
      if (bytes > 0) body.unshift(read)
    }
    function onReadable() {
      // only what is buffered: a read at the end of an empty stream would announce its end now
      while (body.readableLength > 0) {
        const chunk = body.read()
        if (chunk === null) break
        const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk
        chunks.push(buffer)
        bytes += buffer.length
        if (bytes > max) {
          stop()
          if (overflow === "discard") {
            body.resume()
            return resume(Effect.succeed({ _tag: "tooLarge", read: bytes }))
          }
          const read = whole()
          putBack(read)
          return resume(Effect.succeed({ _tag: "prefix", read: bytes, data: () => read }))
        }
      }
      if (body.complete) {
        stop()
        const read = whole()
        putBack(read)
        resume(Effect.succeed(fits(read)))
      }
    }
    function onGone() {
      stop()
      putBack(whole())
      resume(Effect.succeed({ _tag: "unreadable" }))
    }
    body.on("error", onGone)
    body.on("close", onGone)
    // Reading before listening: a "readable" listener on a stream nobody reads yet schedules a
    // read for the next turn, and if the body turns out empty in between, that read announces its
    // end before the application listens for it.
    if (!body.complete) body.read(0)
    body.on("readable", onReadable)
    return Effect.sync(stop)
  })
}

/** Reads a clone of `request`'s body up to `max` bytes: the original stays unread. */
const measureWeb = (request: Request, max: number, overflow: Overflow): Effect.Effect<BodySize> =>
  Effect.async<BodySize>((resume) => {
    const reader = request.clone().body!.getReader()
    const chunks: Array<Uint8Array> = []
    let bytes = 0
    const next = (): void => {
      reader.read().then(
        (chunk) => {
          if (chunk.done) {
            const body = concat(chunks, bytes)
            return resume(Effect.succeed({ _tag: "fits", bytes, data: () => body, text: () => new TextDecoder().decode(body), fromNode: false }))
          }
          chunks.push(chunk.value)
          bytes += chunk.value.byteLength
          if (bytes <= max) return next()
          reader.cancel().catch(() => undefined)
          // the application reads the original, untouched either way
          const read = concat(chunks, bytes)
          resume(Effect.succeed(overflow === "discard" ? { _tag: "tooLarge", read: bytes } : { _tag: "prefix", read: bytes, data: () => read }))
        },
        () => resume(Effect.succeed({ _tag: "unreadable" }))
      )
    }
    next()
    return Effect.sync(() => {
      reader.cancel().catch(() => undefined)
    })
  })

/**
 * Reads `request`'s body up to `max` bytes and leaves it for the application to read (past `max`,
 * all of it with `keep`, none of the rest with `discard`); `undefined` when it has none (on Node,
 * neither Content-Length nor Transfer-Encoding), or when it cannot be read and left: a stream
 * someone already reads or has read, or a platform other than Node's or the web's.
 */
export const peekBody = (
  request: HttpServerRequest.HttpServerRequest,
  headers: Headers.Headers,
  max: number,
  overflow: Overflow
): Effect.Effect<BodySize> | undefined => {
  const source = request.source
  if (isNodeBody(source)) {
    const unread = source.readableFlowing !== true && !source.readableEnded
    return unread && hasNodeBody(headers) ? measureNode(source, max, overflow) : undefined
  }
  if (isWebRequest(source)) return source.body !== null && !source.bodyUsed ? measureWeb(source, max, overflow) : undefined
  return undefined
}

/**
 * Whether something before the guard has read `request`'s body to its end as text, by public
 * stream state, so that the platform's `request.text` holds that text: a Node stream that has
 * announced its end after a text decoder was set on it (platform-node's `request.text` sets
 * `utf8`), a web request whose body is used. A body read as raw bytes is not: `request.text` on it
 * would wait for an end that has passed, and interrupting that read destroys the stream.
 */
export const textReadBefore = (request: HttpServerRequest.HttpServerRequest): boolean => {
  const source = request.source
  if (isNodeBody(source)) return source.readableEnded && source.readableEncoding !== null
  if (isWebRequest(source)) return source.bodyUsed
  return false
}

/** Whether a request Node received has a body: a Content-Length (but 0) or a Transfer-Encoding. */
const hasNodeBody = (headers: Headers.Headers): boolean =>
  headers["transfer-encoding"] !== undefined || (headers["content-length"] !== undefined && headers["content-length"].trim() !== "0")

/**
 * Whether `request` may carry a body at all: on Node, by its headers (its parser frames the body by
 * them); a web request, by its stream, whatever its headers say.
 */
export const mayHaveBody = (request: HttpServerRequest.HttpServerRequest, headers: Headers.Headers): boolean => {
  const source = request.source
  if (isWebRequest(source)) return source.body !== null
  return hasNodeBody(headers)
}

/** A fetch `Request`, the global one or another implementation's (undici's, a polyfill). */
const isWebRequest = (u: unknown): u is Request => {
  if (typeof u !== "object" || u === null) return false
  const r = u as Partial<Record<"clone" | "body" | "bodyUsed", unknown>>
  return typeof r.clone === "function" && typeof r.bodyUsed === "boolean" && "body" in r
}
