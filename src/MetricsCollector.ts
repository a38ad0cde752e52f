/**
 * Emits request metrics (`response_time`, `request_count`, `error_rate`). A muted type returns before
 * anything is built; emission never blocks or fails the caller.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import { CompositeHandler } from "./CompositeHandler.js"
import { METRIC_TYPE_VALUES, type MetricType } from "./EventTypes.js"
import type { RequestMetrics, RequestSink } from "./Exporter.js"
import { type SecurityMetric, unsafeMakeMetric } from "./SecurityEvent.js"

const ALL_METRICS: ReadonlySet<MetricType> = new Set(METRIC_TYPE_VALUES)

/**
 * What one finished request reports (defined with the exporter contract that receives it).
 *
 * @since 0.1.0
 * @category models
 */
export type { RequestMetrics } from "./Exporter.js"

/**
 * The `endpoint` of a request's metrics when no route the guard knows serves it (`GuardRoutes`, the
 * `HttpApi` served): one series, whatever paths a scanner tries. A served request's `endpoint` is its
 * route's pattern (`/users/:id`), never the path as sent.
 *
 * @since 0.1.0
 * @category constants
 */
export const UNMATCHED_ENDPOINT = "unmatched"

/**
 * The `method` of a request's metrics when it is none of the methods of RFC 9110 and PATCH (as
 * OpenTelemetry's `http.request.method` says `_OTHER`): a web handler takes any token as a method.
 *
 * @since 0.1.0
 * @category constants
 */
export const OTHER_METHOD = "_OTHER"

/**
 * @since 0.1.0
 * @category tags
 */
export class MetricsCollector extends Context.Tag("effect-guard/MetricsCollector")<MetricsCollector, {
  readonly send: (metricType: MetricType, value: number, tags?: Readonly<Record<string, string>>) => Effect.Effect<void>
  /** `response_time` and `request_count` for every request, `error_rate` (value 1) when status >= 400. */
  readonly collectRequest: (request: RequestMetrics) => Effect.Effect<void>
  readonly isMuted: (metricType: MetricType) => boolean
}>() {
  /**
   * @since 0.1.0
   */
  static readonly layer: Layer.Layer<MetricsCollector, never, CompositeHandler> = Layer.effect(
    MetricsCollector,
    Effect.gen(function*() {
      const composite = yield* CompositeHandler
      // the composite's mute filter (every type while no exporter runs): a muted metric is never built
      return make({
        muted: composite.mutedMetricTypes,
        send: composite.sendMetric,
        sendBatch: composite.sendMetrics,
        record: composite.recordRequest,
        buildsRequestMetrics: composite.buildsRequestMetrics
      })
    })
  )
}

/**
 * The tags of a request's metrics, a fresh object per call: `response_time` and `error_rate` carry
 * the status, `request_count` does not. Exporters that aggregate requests use the same shapes.
 *
 * @internal
 */
export const requestMetricTags = ({ endpoint, method, status }: RequestMetrics, withStatus: boolean): Record<string, string> =>
  withStatus ? { endpoint, method, status: String(status) } : { endpoint, method }

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: {
  readonly muted: ReadonlySet<MetricType>
  readonly send: (metric: SecurityMetric) => Effect.Effect<void>
  /** Offers metrics to be built later, off the request path. Default: build now and `send` each. */
  readonly sendBatch?: ((build: () => ReadonlyArray<SecurityMetric>) => Effect.Effect<void>) | undefined
  /** Takes each finished request as it is, for the exporters that aggregate requests themselves. */
  readonly record?: RequestSink | undefined
  /** Whether a request's metrics are built at all (default `true`): not when only sinks take them. */
  readonly buildsRequestMetrics?: boolean | undefined
}): MetricsCollector["Type"] => {
  const { muted, record } = options
  const builds = options.buildsRequestMetrics ?? true
  const sendBatch = options.sendBatch ??
    ((build: () => ReadonlyArray<SecurityMetric>) => Effect.forEach(build(), options.send, { discard: true }))
  /** `tags` must be a fresh object: the metric takes it over. */
  const metric = (metricType: MetricType, value: number, tags: Record<string, string>, timestamp: Date) => {
    const endpoint = tags["endpoint"]
    return unsafeMakeMetric(
      endpoint === undefined ? { timestamp, metricType, value, tags } : { timestamp, metricType, value, endpoint, tags }
    )
  }
  const send = (metricType: MetricType, value: number, tags: Readonly<Record<string, string>> = {}) =>
    muted.has(metricType)
      ? Effect.void
      : Effect.clockWith((clock) => options.send(metric(metricType, value, { ...tags }, new Date(clock.unsafeCurrentTimeMillis()))))
  const requestMetrics = (request: RequestMetrics, millis: number) => {
    const at = new Date(millis)
    const out: Array<SecurityMetric> = []
    if (!muted.has("response_time")) out.push(metric("response_time", request.responseTime, requestMetricTags(request, true), at))
    if (!muted.has("request_count")) out.push(metric("request_count", 1, requestMetricTags(request, false), at))
    if (request.status >= 400 && !muted.has("error_rate")) out.push(metric("error_rate", 1, requestMetricTags(request, true), at))
    return out
  }
  return MetricsCollector.of({
    send,
    isMuted: (t) => muted.has(t),
    // every request comes through here: the sinks, and one clock read and one offer for the metrics
    // built later
    collectRequest: (request) =>
      muted.size === ALL_METRICS.size
        ? Effect.void
        : !builds
        ? (record === undefined ? Effect.void : Effect.sync(() => record(request)))
        : Effect.clockWith((clock) => {
          record?.(request)
          const millis = clock.unsafeCurrentTimeMillis()
          return sendBatch(() => requestMetrics(request, millis))
        })
  })
}
