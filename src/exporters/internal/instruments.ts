/**
 * The three request instruments (`guard.request.duration`, `guard.request.count`,
 * `guard.error.count`) on a given OpenTelemetry meter, shared by the OpenTelemetry exporter and the
 * Logfire exporter (which records them on the Logfire SDK's meter).
 *
 * @internal
 */
import type * as OtelApi from "@opentelemetry/api"
import type { RequestSink, RequestSinkOptions } from "../../Exporter.js"
import { type RequestMetrics, requestMetricTags } from "../../MetricsCollector.js"
import type { SecurityMetric } from "../../SecurityEvent.js"
import { instrumentFor, metricAttributes } from "./telemetryShape.js"

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

export interface Instruments {
  /**
   * Records the metrics; counter increments with the same attributes are added up first, so the SDK
   * hashes each attribute set once per call instead of once per metric. Returns the types that have
   * no instrument (those metrics are not recorded).
   */
  readonly record: (metrics: ReadonlyArray<SecurityMetric>) => ReadonlyArray<string>
  /**
   * A sink for finished requests that buffers them per attribute set (no object per request once
   * the set has been seen) until `drain` records them; `drain` runs by itself when
   * {@link MAX_BUFFERED} requests are waiting. Replaces the previous sink, after draining it.
   */
  readonly requestSink: (options: RequestSinkOptions) => RequestSink
  /** Records what the request sink buffered. */
  readonly drain: () => void
}

/** The most requests buffered before the sink records them itself (at most 512 KB of durations). */
export const MAX_BUFFERED = 65_536

/** One attribute set's buffered requests, and the attributes each instrument records them with. */
interface Series {
  /** `guard.request.duration` and `guard.error.count`: with the status. */
  readonly statusAttributes: OtelApi.Attributes
  readonly countAttributes: OtelApi.Attributes
  readonly durations: Array<number>
  requests: number
  errors: number
}

/** A key that is equal exactly when `metricAttributes` would give equal attribute sets. */
const attributeKey = (metric: SecurityMetric): string => {
  let key = metric.endpoint === undefined ? "" : metric.endpoint
  for (const name in metric.tags) key += `\u0000${name}\u0001${metric.tags[name]}`
  return key
}

export const makeInstruments = (meter: OtelApi.Meter): Instruments => {
  const duration = meter.createHistogram("guard.request.duration", {
    unit: "s",
    description: "Duration of guarded requests",
    advice: { explicitBucketBoundaries: DURATION_BUCKETS }
  })
  const counters: Readonly<Record<string, OtelApi.Counter>> = {
    "guard.request.count": meter.createCounter("guard.request.count", { unit: "{request}", description: "Guarded requests" }),
    "guard.error.count": meter.createCounter("guard.error.count", { unit: "{error}", description: "Guarded requests that failed" })
  }
  let current: { readonly add: RequestSink; readonly drain: () => void } | undefined
  const drain = () => current?.drain()
  return {
    record: (metrics) => {
      const unknown: Array<string> = []
      const sums = new Map<string, { counter: OtelApi.Counter; metric: SecurityMetric; value: number }>()
      for (const metric of metrics) {
        const instrument = instrumentFor(metric.metricType)
        if (instrument === undefined) {
          unknown.push(metric.metricType)
          continue
        }
        const value = Number.isFinite(metric.value) ? metric.value : 0
        const counter = counters[instrument.name]
        if (counter === undefined) {
          duration.record(value, metricAttributes(metric))
          continue
        }
        const key = `${instrument.name}\u0002${attributeKey(metric)}`
        const sum = sums.get(key)
        if (sum === undefined) sums.set(key, { counter, metric, value })
        else sum.value += value
      }
      for (const { counter, metric, value } of sums.values()) counter.add(value, metricAttributes(metric))
      return unknown
    },
    requestSink: (options) => {
      drain()
      const { muted, tags } = options
      const durationsOn = !muted.has("response_time")
      const countsOn = !muted.has("request_count")
      const errorsOn = !muted.has("error_rate")
      // endpoint -> method -> status: three lookups and no key built per request
      const byEndpoint = new Map<string, Map<string, Map<number, Series>>>()
      let buffered = 0
      const seriesOf = (request: RequestMetrics): Series => {
        let byMethod = byEndpoint.get(request.endpoint)
        if (byMethod === undefined) byEndpoint.set(request.endpoint, byMethod = new Map())
        let byStatus = byMethod.get(request.method)
        if (byStatus === undefined) byMethod.set(request.method, byStatus = new Map())
        let series = byStatus.get(request.status)
        if (series === undefined) {
          series = {
            statusAttributes: { ...requestMetricTags(request, true), ...tags },
            countAttributes: { ...requestMetricTags(request, false), ...tags },
            durations: [],
            requests: 0,
            errors: 0
          }
          byStatus.set(request.status, series)
        }
        return series
      }
      current = {
        add: (request) => {
          const series = seriesOf(request)
          if (durationsOn) series.durations.push(Number.isFinite(request.responseTime) ? request.responseTime : 0)
          if (countsOn) series.requests++
          if (errorsOn && request.status >= 400) series.errors++
          // counted per request, not per duration: with response_time muted the sets still grow
          if (++buffered >= MAX_BUFFERED) drain()
        },
        drain: () => {
          buffered = 0
          for (const byMethod of byEndpoint.values()) {
            for (const byStatus of byMethod.values()) {
              for (const series of byStatus.values()) {
                for (const value of series.durations) duration.record(value, series.statusAttributes)
                if (series.requests > 0) counters["guard.request.count"]!.add(series.requests, series.countAttributes)
                if (series.errors > 0) counters["guard.error.count"]!.add(series.errors, series.statusAttributes)
              }
            }
          }
          // the sets seen go too: what the map holds follows the traffic of one interval, not of all time
          byEndpoint.clear()
        }
      }
      return current.add
    },
    drain
  }
}
