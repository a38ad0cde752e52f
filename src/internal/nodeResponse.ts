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
  readonly getHeaderNames: () => ReadonlyArray<string>
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
 * A function that makes a Node response write `entries` (lower-case names) along with its own
 * headers, a header the response already has winning; false when the response's `writeHead` is
 * already replaced by someone else, so the caller sets the headers itself.
 *
 * Node writes headers it is handed in `writeHead` as they are, but once any header was set with
 * `setHeader` it merges every header given to `writeHead` through `setHeader` as well, each
 * validated and lower-cased twice over. Handing the guard's headers to `writeHead` with the
 * application's keeps Node on its direct path: for the eleven default headers, 22 K instructions
 * per GET instead of 37 K on a plain Node server, and no `setHeader` for the platform's own
 * headers (the technique of the `on-headers` package: the instance's `writeHead` is replaced).
 */
export const headersOnWrite = (entries: ReadonlyArray<readonly [string, string]>) => {
  const writeHead: WriteHead = function(this: NodeResponse, statusCode, reasonOrHeaders, headers) {
    const reason = typeof reasonOrHeaders === "string" ? reasonOrHeaders : undefined
    const flat = flatten(reason === undefined ? reasonOrHeaders as OutgoingHeaders : headers)
    const set = this.getHeaderNames()
    for (const [name, value] of entries) {
      if (!hasName(flat, name) && !set.includes(name)) flat.push(name, value)
    }
    const original = (Object.getPrototypeOf(this) as NodeResponse).writeHead
    return reason === undefined ? original.call(this, statusCode, flat) : original.call(this, statusCode, reason, flat)
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
