/**
 * The Node `ServerResponse` behind a request that `@effect/platform-node` serves, found without
 * depending on that package.
 *
 * Headers set on it before the application answers are merged by Node into the response it
 * writes, the application's own headers winning. That is what the guard's security headers need,
 * and it costs a handful of `setHeader` calls. The portable way, a pre-response handler that
 * rebuilds the response, adds a fiber-ref local that makes every later fiber-ref write of the
 * request copy a larger table, and the rebuilt headers become span attributes: together about
 * 10 KB allocated per GET (docs/performance.md).
 *
 * @internal
 */
import type { HttpServerRequest } from "@effect/platform"

/** The part of `http.ServerResponse` the guard uses. */
export interface NodeResponse {
  readonly headersSent: boolean
  readonly setHeader: (name: string, value: string) => unknown
}

const isNodeResponse = (u: unknown): u is NodeResponse =>
  typeof u === "object" && u !== null && typeof (u as { readonly setHeader?: unknown }).setHeader === "function" &&
  (u as { readonly headersSent?: unknown }).headersSent === false

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
