/**
 * The body of a guard refusal: plain text, or an RFC 9457 problem (`application/problem+json`),
 * by the refusal's status (`refusalBodies`) or for all (`refusalFormat`).
 *
 * @internal
 */
import { HttpServerResponse } from "@effect/platform"
import { STATUS_CODES } from "node:http"
import type { GuardConfigShape } from "../GuardConfig.js"

/** The guard's refusal with `status`: `message` unless the configuration says otherwise. */
export const refusalResponse = (
  config: Pick<GuardConfigShape, "refusalBodies" | "customErrorResponses" | "refusalFormat">,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>>
): HttpServerResponse.HttpServerResponse => {
  const key = String(status)
  const body = config.refusalBodies[key]
  const detail = body?.detail ?? config.customErrorResponses[key] ?? message
  if ((body?.format ?? config.refusalFormat) === "text") return HttpServerResponse.text(detail, { status, headers })
  const problem = { type: body?.type ?? "about:blank", title: body?.title ?? STATUS_CODES[status] ?? "Error", status, detail }
  return HttpServerResponse.text(JSON.stringify(problem), { status, headers, contentType: "application/problem+json" })
}
