/**
 * The three request instruments (`guard.request.duration`, `guard.request.count`,
 * `guard.error.count`) on a given OpenTelemetry meter, shared by the OpenTelemetry exporter and the
 * Logfire exporter (which records them on the Logfire SDK's meter).
 *
 * @internal
 */
import type * as OtelApi from "@opentelemetry/api"
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
    }
  }
}
