/**
 * Finishing a response the guard lets out, its own or the application's: its metrics recorded
 * (the response time read from the request fiber's clock) and the guard's headers added.
 *
 * @internal
 */
import type { HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { METRIC_TYPE_VALUES } from "../../EventTypes.js"
import type { MetricsCollector } from "../../MetricsCollector.js"
import type { GuardRequest } from "../pipeline.js"
import { rateLimitFields as fieldsOf, type RateLimitHeadersMode } from "../rateLimitHeaders.js"
import type { ResponseHeaders } from "./responseHeaders.js"

export interface Finisher {
  /** Whether responses get headers from the guard. */
  readonly addsHeaders: boolean
  /** Whether any request metric is recorded (not all muted). */
  readonly recordsMetrics: boolean
  /** Records the request's metrics for a response with `status`. */
  readonly record: (req: GuardRequest, status: number) => Effect.Effect<void>
  /** The metrics recorded, then the response with the guard's headers. */
  readonly finish: (req: GuardRequest, response: HttpServerResponse.HttpServerResponse) => Effect.Effect<HttpServerResponse.HttpServerResponse>
}

/**
 * `rateLimitFields`: the mode of the rate-limit fields, `false` when no request can be counted
 * (rate limiting off everywhere) or no field is wanted.
 */
export const makeFinisher = (metrics: MetricsCollector["Type"], security: ResponseHeaders, rateLimitFields: RateLimitHeadersMode): Finisher => {
  const headers: { readonly adds: boolean; readonly apply: (req: GuardRequest, response: HttpServerResponse.HttpServerResponse) => HttpServerResponse.HttpServerResponse } =
    rateLimitFields === false ? security : {
      adds: true,
      // the windows the request was counted in: none when a check refused before the rate limit ran
      // added in the same rebuild as the security headers
      apply: (req, response) => {
        const windows = req.state.rateLimits
        return security.apply(req, response, windows === undefined ? undefined : fieldsOf(rateLimitFields, windows))
      }
    }
  const recordsMetrics = !METRIC_TYPE_VALUES.every((t) => metrics.isMuted(t))
  const record = (req: GuardRequest, status: number): Effect.Effect<void> =>
    metrics.collectRequest({
      endpoint: req.path,
      method: req.method,
      status,
      responseTime: (req.clock.unsafeCurrentTimeMillis() - req.startedAt) / 1000
    })
  const finish = !recordsMetrics
    ? (req: GuardRequest, response: HttpServerResponse.HttpServerResponse) => Effect.succeed(headers.adds ? headers.apply(req, response) : response)
    : !headers.adds
    ? (req: GuardRequest, response: HttpServerResponse.HttpServerResponse) => Effect.as(record(req, response.status), response)
    : (req: GuardRequest, response: HttpServerResponse.HttpServerResponse) => Effect.as(record(req, response.status), headers.apply(req, response))
  return { addsHeaders: headers.adds, recordsMetrics, record, finish }
}
