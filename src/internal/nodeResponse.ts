/**
 * The Node `ServerResponse` behind a request that `@effect/platform-node` serves, found without
 * depending on that package, and the guard's way of adding its headers to it.
 *
 * The portable way to add headers to the application's response, a pre-response handler that
 * rebuilds it, adds a fiber-ref local that makes every later fiber-ref write of the request copy a
 * larger table, and the rebuilt headers become span attributes: together about 10 KB allocated per
 * GET (docs/performance.md). On Node the guard adds them where Node writes them instead.
 *
 * @internal
 */
import type { HttpServerRequest } from "@effect/platform"

/** What `writeHead` takes after the status: a reason phrase and headers, or headers alone. */
type OutgoingHeaders = Readonly<Record<string, unknown>> | ReadonlyArray<unknown> | null | undefined

type WriteHead = (this: NodeResponse, statusCode: number, reasonOrHeaders?: string | OutgoingHeaders, headers?: OutgoingHeaders) => unknown

/** The part of `http.ServerResponse` the guard uses. */
export interface NodeResponse {
  readonly headersSent: boolean
  readonly setHeader: (name: string, value: string) => unknown
  /** A fresh array on each call. */
  readonly getHeaderNames: () => Array<string>
  writeHead: WriteHead
}

const isNodeResponse = (u: unknown): u is NodeResponse => {
  if (typeof u !== "object" || u === null) return false
  const candidate = u as Partial<Record<keyof NodeResponse, unknown>>
  return candidate.headersSent === false && typeof candidate.setHeader === "function" && typeof candidate.writeHead === "function" &&
    typeof candidate.getHeaderNames === "function"
}

/**
 * The response a Node server will write for `request`, if it is one whose headers are not sent yet.
 * platform-node keeps it in the request's `response` field; an upgrade request holds a function
 * there instead (calling it would create a response), and web requests hold nothing: both are
 * `undefined` here, and the caller takes the portable way.
 */
export const nodeResponseOf = (request: HttpServerRequest.HttpServerRequest): NodeResponse | undefined => {
  const response = (request as { readonly response?: unknown }).response
  return isNodeResponse(response) ? response : undefined
}

/**
 * `headers` (an object, or an array of pairs or of names and values: pairs when the first item is
 * one, as Node reads it) as names and values.
 */
const flatten = (headers: OutgoingHeaders): Array<unknown> => {
  const flat: Array<unknown> = []
  if (headers === null || headers === undefined) return flat
  if (Array.isArray(headers)) {
    const items = headers as ReadonlyArray<unknown>
    if (!Array.isArray(items[0])) return [...items]
    for (const pair of items as ReadonlyArray<ReadonlyArray<unknown>>) flat.push(pair[0], pair[1])
    return flat
  }
  const record = headers as Readonly<Record<string, unknown>>
  for (const name of Object.keys(record)) flat.push(name, record[name])
  return flat
}

/**
 * Names Node reads in the head it writes (framing, keep-alive, the date, an expectation): a header
 * so named must go through `writeHead`, never be appended to the head behind Node's back.
 */
const READ_BY_NODE: ReadonlySet<string> = new Set([
  "connection",
  "content-length",
  "transfer-encoding",
  "trailer",
  "date",
  "expect",
  "keep-alive"
])

/** Node's own checks of a header it is handed (`checkIsHttpToken`, `checkInvalidHeaderChar`). */
const HEADER_NAME = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/

/** Node's outgoing head: null until `writeHead` stores it, then the text it sends, blank line included. */
interface WithHead {
  _header?: unknown
  readonly _headerSent?: unknown
}

/** The names `headers` gives (in any case), lower-cased, added to `into`. */
const namesOf = (headers: OutgoingHeaders, into: Array<string>): Array<string> => {
  if (headers === null || headers === undefined) return into
  if (Array.isArray(headers)) {
    const flat = flatten(headers)
    for (let i = 0; i < flat.length; i += 2) into.push(String(flat[i]).toLowerCase())
  } else {
    for (const name of Object.keys(headers)) into.push(name.toLowerCase())
  }
  return into
}

/**
 * A function that makes a Node response write `entries` (lower-case names) along with its own
 * headers, a header the response already has winning; false when the response's `writeHead` is
 * already replaced by someone else, so the caller sets the headers itself (the technique of the
 * `on-headers` package: the instance's `writeHead` is replaced).
 *
 * Node validates every header it is handed, once per response, and builds the head a header at a
 * time. The guard's headers are the same on every response, so they are checked once here, as Node
 * checks them, and appended as one piece of text to the head Node has just built (its `_header`,
 * the text it sends), when the response has none of them and its class is known to build its head
 * there: for the eleven default headers, about 1 K instructions per GET instead of 22 K. Otherwise
 * (the first response of a class, a header the response sets itself, an expectation) they are
 * handed to `writeHead` with the response's own.
 */
export const headersOnWrite = (entries: ReadonlyArray<readonly [string, string]>) => {
  const guardNames: ReadonlySet<string> = new Set(entries.map(([name]) => name))
  const appendable = entries.length > 0 &&
    entries.every(([name, value]) => HEADER_NAME.test(name) && !INVALID_VALUE.test(value) && !READ_BY_NODE.has(name))
  const text = entries.map(([name, value]) => `${name}: ${value}\r\n`).join("")

  /**
   * Per response class, whether its `writeHead` builds the head there, as Node's does: learnt from
   * its first response, which takes the headers through `writeHead`. Another runtime's `node:http`
   * (Bun's keeps a placeholder there and builds the head natively) then never has them appended.
   */
  const buildsHead = new WeakMap<object, boolean>()
  const firstLine = entries.length === 0 ? "" : `\r\n${entries[0]![0]}: `

  /** Whether the guard's text can go behind the head Node is about to build for `response`. */
  const appends = (response: NodeResponse & WithHead, own: OutgoingHeaders): boolean => {
    if (!appendable || response._header !== null || buildsHead.get(Object.getPrototypeOf(response)) !== true) return false
    for (const name of namesOf(own, response.getHeaderNames())) {
      if (guardNames.has(name) || name === "expect") return false
    }
    return true
  }

  const merged = (response: NodeResponse, own: OutgoingHeaders): Array<unknown> => {
    const flat = flatten(own)
    const set = response.getHeaderNames()
    for (const [name, value] of entries) {
      if (!hasName(flat, name) && !set.includes(name)) flat.push(name, value)
    }
    return flat
  }

  const writeHead: WriteHead = function(this: NodeResponse & WithHead, statusCode, reasonOrHeaders, headers) {
    const reason = typeof reasonOrHeaders === "string" ? reasonOrHeaders : undefined
    const own = reason === undefined ? reasonOrHeaders as OutgoingHeaders : headers
    const original = (Object.getPrototypeOf(this) as NodeResponse).writeHead
    const appending = appends(this, own)
    const given = appending ? own : merged(this, own)
    const result = reason === undefined ? original.call(this, statusCode, given) : original.call(this, statusCode, reason, given)
    const head = this._header
    const built = typeof head === "string" && head.endsWith("\r\n\r\n")
    if (appending && built && this._headerSent === false) {
      this._header = `${head.slice(0, -2)}${text}\r\n`
    } else if (!appending && appendable) {
      const prototype: object = Object.getPrototypeOf(this)
      if (!buildsHead.has(prototype)) buildsHead.set(prototype, built && head.toLowerCase().includes(firstLine))
    }
    return result
  }
  return (response: NodeResponse): boolean => {
    if (Object.hasOwn(response, "writeHead")) return false
    response.writeHead = writeHead
    return true
  }
}

/** Whether the names of `flat` (every other item, any case) include `name` (lower case). */
const hasName = (flat: ReadonlyArray<unknown>, name: string): boolean => {
  for (let i = 0; i < flat.length; i += 2) {
    const item = flat[i]
    if (typeof item === "string" && (item === name || (item.length === name.length && item.toLowerCase() === name))) return true
  }
  return false
}
