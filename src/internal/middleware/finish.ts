/**
 * Finishing a response the guard lets out, its own or the application's: its metrics recorded
 * (the response time read from the request fiber's clock) and the guard's headers added.
 *
 * @internal
 */
import type { HttpServerResponse } from "@effect/platform"
import { type Clock, Effect } from "effect"
import { METRIC_TYPE_VALUES } from "../../EventTypes.js"
import { type MetricsCollector, UNMATCHED_ENDPOINT } from "../../MetricsCollector.js"
import { metricMethod } from "../metricMethod.js"
import type { GuardRequest } from "../pipeline.js"
import { rateLimitFields as fieldsOf, type RateLimitHeadersMode } from "../rateLimitHeaders.js"
import type { ResponseHeaders } from "./responseHeaders.js"

/**
 * What finishing a response reads of its request, taken from the request's facts once the checks
 * have run. A pre-response handler keeps this, not the facts: what the request's fiber holds
 * outlives the request long enough to be promoted to V8's old generation, and the facts (a copy
 * of the headers, the body read, the rate-limit verdicts) would all be promoted with it.
 */
export interface Finishing {
  readonly secure: boolean
  /** The request's `Origin`. */
  readonly origin: string | undefined
  /** The metrics' `endpoint` and `method`: values from a bounded set, whatever the client sent. */
  readonly endpoint: string
  readonly method: string
  readonly startedAt: number
  /** The request fiber's clock: the response time is measured with it. */
  readonly clock: Clock.Clock
  /** The rate-limit fields: none when a check refused before the rate limit ran, or none are added. */
  readonly rateLimitFields: Readonly<Record<string, string>> | undefined
}

export interface Finisher {
  /** Whether responses get headers from the guard. */
  readonly addsHeaders: boolean
  /** Whether any request metric is recorded (not all muted). */
  readonly recordsMetrics: boolean
  /** What a response to `req` is finished with: read once the checks have run. */
  readonly of: (req: GuardRequest) => Finishing
  /** Records the request's metrics for a response with `status`. */
  readonly record: (req: Finishing, status: number) => Effect.Effect<void>
  /** The metrics recorded, then the response with the guard's headers. */
  readonly finish: (req: Finishing, response: HttpServerResponse.HttpServerResponse) => Effect.Effect<HttpServerResponse.HttpServerResponse>
}

/**
 * `rateLimitFields`: the mode of the rate-limit fields, `false` when no request can be counted
 * (rate limiting off everywhere) or no field is wanted.
 */
export const makeFinisher = (metrics: MetricsCollector["Type"], security: ResponseHeaders, rateLimitFields: RateLimitHeadersMode): Finisher => {
  const adds = security.adds || rateLimitFields !== false
  // the windows the request was counted in: none when a check refused before the rate limit ran
  const of = (req: GuardRequest): Finishing => {
    const windows = req.state.rateLimits
    return {
      secure: req.secure,
      origin: req.headers["origin"],
      endpoint: req.route?.path ?? UNMATCHED_ENDPOINT,
      method: metricMethod(req.method),
      startedAt: req.startedAt,
      clock: req.clock,
      rateLimitFields: rateLimitFields === false || windows === undefined ? undefined : fieldsOf(rateLimitFields, windows)
    }
  }
  // the rate-limit fields go in the same rebuild as the security headers
  const apply = (req: Finishing, response: HttpServerResponse.HttpServerResponse) => security.apply(req, response, req.rateLimitFields)
  const recordsMetrics = !METRIC_TYPE_VALUES.every((t) => metrics.isMuted(t))
  const record = (req: Finishing, status: number): Effect.Effect<void> =>
    metrics.collectRequest({
      endpoint: req.endpoint,
      method: req.method,
      status,
      responseTime: (req.clock.unsafeCurrentTimeMillis() - req.startedAt) / 1000
    })
  const finish = !recordsMetrics
    ? (req: Finishing, response: HttpServerResponse.HttpServerResponse) => Effect.succeed(adds ? apply(req, response) : response)
    : !adds
    ? (req: Finishing, response: HttpServerResponse.HttpServerResponse) => Effect.as(record(req, response.status), response)
    : (req: Finishing, response: HttpServerResponse.HttpServerResponse) => Effect.as(record(req, response.status), apply(req, response))
  return { addsHeaders: adds, recordsMetrics, of, record, finish }
}
