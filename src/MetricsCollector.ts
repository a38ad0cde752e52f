/**
 * Emits request metrics (`response_time`, `request_count`, `error_rate`). A muted type returns before
 * anything is built; emission never blocks or fails the caller.
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer } from "effect"
import { CompositeHandler } from "./CompositeHandler.js"
import type { MetricType } from "./EventTypes.js"
import { GuardConfig } from "./GuardConfig.js"
import { SecurityMetric } from "./SecurityEvent.js"

/**
 * What one finished request reports.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestMetrics {
  readonly endpoint: string
  readonly method: string
  readonly status: number
  /** Seconds. */
  readonly responseTime: number
}

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
  static readonly layer: Layer.Layer<MetricsCollector, never, GuardConfig | CompositeHandler> = Layer.effect(
    MetricsCollector,
    Effect.gen(function*() {
      const config = yield* GuardConfig
      const composite = yield* CompositeHandler
      return make({ muted: config.mutedMetricTypes, send: composite.sendMetric })
    })
  )
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: {
  readonly muted: ReadonlySet<MetricType>
  readonly send: (metric: SecurityMetric) => Effect.Effect<void>
}): MetricsCollector["Type"] => {
  const { muted } = options
  const send = (metricType: MetricType, value: number, tags: Readonly<Record<string, string>> = {}) =>
    muted.has(metricType) ? Effect.void : Effect.flatMap(Clock.currentTimeMillis, (now) =>
      options.send(
        new SecurityMetric({
          timestamp: new Date(now),
          metricType,
          value,
          ...(tags["endpoint"] === undefined ? {} : { endpoint: tags["endpoint"] }),
          tags: { ...tags }
        }, true)
      ))
  return MetricsCollector.of({
    send,
    isMuted: (t) => muted.has(t),
    collectRequest: ({ endpoint, method, responseTime, status }) =>
      Effect.all([
        send("response_time", responseTime, { endpoint, method, status: String(status) }),
        send("request_count", 1, { endpoint, method }),
        status >= 400 ? send("error_rate", 1, { endpoint, method, status: String(status) }) : Effect.void
      ], { discard: true })
  })
}
