/**
 * The guard's headers on a response: the security headers (by the request's scheme and whether
 * the response is a document) and the CORS headers (by the request's `Origin`), the application's
 * own headers winning, and `Origin` added to the application's own `Vary`.
 *
 * The platform applies them to the application's response the way its own `cors` middleware does,
 * through a pre-response handler; the guard's refusals get them directly.
 *
 * @internal
 */
import { Headers, HttpServerResponse } from "@effect/platform"
import { addToVary, type CorsPolicy } from "../../CorsHeaders.js"
import type { SecurityHeadersConfig } from "../config/security.js"
import { isDocument, securityHeaderSet, securityHeadersFor } from "../../SecurityHeaders.js"

/** What the headers of a response depend on in its request. */
export interface HeaderRequest {
  /** The request's `Origin`. */
  readonly origin: string | undefined
  readonly secure: boolean
}

/** Adds the guard's headers to a response. */
export interface ResponseHeaders {
  /** Whether the guard adds any header at all (if not, responses pass as they are). */
  readonly adds: boolean
  /** Whether the headers depend on the request's scheme (HSTS is configured). */
  readonly needsScheme: boolean
  /**
   * The response with the guard's headers and `extra` (more of the guard's fields, e.g. the
   * rate-limit ones), the application's own headers winning over both.
   */
  readonly apply: (
    req: HeaderRequest,
    response: HttpServerResponse.HttpServerResponse,
    extra?: Readonly<Record<string, string>>
  ) => HttpServerResponse.HttpServerResponse
}

export const makeResponseHeaders = (config: SecurityHeadersConfig, cors: CorsPolicy | undefined): ResponseHeaders => {
  const set = securityHeaderSet(config)
  // the four lists a response can get, built once: each response then costs one record
  const variants = [false, true].map((secure) =>
    [false, true].map((document): ReadonlyArray<readonly [string, string]> => Object.entries(Headers.fromInput(securityHeadersFor(set, secure, document))))
  )
  const needsScheme = Object.keys(set.https).length > 0
  const hasDocumentHeaders = Object.keys(set.documents).length > 0
  const adds = Object.keys(set.common).length > 0 || needsScheme || hasDocumentHeaders || cors !== undefined

  // responses repeat a handful of content types: each is parsed once (at most 64 remembered)
  const documentTypes = new Map<string, boolean>()
  const isDocumentType = (contentType: string | undefined): boolean => {
    if (contentType === undefined) return isDocument(contentType)
    const known = documentTypes.get(contentType)
    if (known !== undefined) return known
    const answer = isDocument(contentType)
    if (documentTypes.size >= 64) documentTypes.clear()
    documentTypes.set(contentType, answer)
    return answer
  }

  const apply = (
    req: HeaderRequest,
    response: HttpServerResponse.HttpServerResponse,
    extra?: Readonly<Record<string, string>>
  ): HttpServerResponse.HttpServerResponse => {
    if (!adds && extra === undefined) return response
    const own = response.headers
    // One list of entries, the guard's first and the application's own last (a later entry wins),
    // made into the response's record in one pass by the platform (`Headers.fromInput`), then one
    // rebuild with the body. A record merged first (`Object.assign`) and read back by the platform
    // cost four times as much; a `setHeaders` per source copied the headers four times each.
    const entries: Array<readonly [string, string]> = adds
      ? variants[req.secure ? 1 : 0]![hasDocumentHeaders && isDocumentType(own["content-type"]) ? 1 : 0]!.slice()
      : []
    if (cors !== undefined) {
      for (const entry of cors.headersFor(req.origin)) entries.push(entry)
    }
    if (extra !== undefined) {
      for (const name in extra) entries.push([name, extra[name]!])
    }
    for (const name in own) entries.push([name, own[name]!])
    // the application's own Vary would otherwise replace the guard's
    if (cors?.variesByOrigin === true && own["vary"] !== undefined) entries.push(["vary", addToVary(own["vary"], "Origin")])
    const bare = HttpServerResponse.empty({ status: response.status, statusText: response.statusText, headers: entries, cookies: response.cookies })
    return response.body._tag === "Empty" ? bare : HttpServerResponse.setBody(bare, response.body)
  }

  return { adds, needsScheme, apply }
}
