/**
 * Config fields of the telemetry pipeline (the seeds' ten fields plus our queue tuning).
 *
 * @internal
 */
import { Schema } from "effect"
import { CHECK_NAME_VALUES, EVENT_TYPE_VALUES, METRIC_TYPE_VALUES } from "../../EventTypes.js"
import { HttpUrl, NonEmptyString, PositiveInt, optional, vocabularySet, withDefault } from "./fields.js"

export const telemetryFields = {
  mutedEventTypes: vocabularySet(EVENT_TYPE_VALUES, "event type"),
  mutedMetricTypes: vocabularySet(METRIC_TYPE_VALUES, "metric type"),
  mutedCheckLogs: vocabularySet(CHECK_NAME_VALUES, "check name"),
  enableOtel: withDefault(Schema.Boolean, () => false),
  otelServiceName: withDefault(NonEmptyString, () => "guard-core"),
  otelExporterEndpoint: optional(HttpUrl),
  otelResourceAttributes: withDefault(
    Schema.Record({ key: Schema.String, value: Schema.String }),
    () => ({})
  ),
  enableLogfire: withDefault(Schema.Boolean, () => false),
  logfireServiceName: withDefault(NonEmptyString, () => "guard-core"),
  enableEnrichment: withDefault(Schema.Boolean, () => false),
  /** Events and metrics waiting for the exporters; beyond it new ones are dropped and counted. */
  telemetryQueueCapacity: withDefault(PositiveInt, () => 4096),
  /** Longest time one exporter may take for one event, metric or flush. */
  telemetryExportTimeoutMs: withDefault(PositiveInt, () => 5_000),
  /** Longest time closing the scope waits for queued telemetry and exporter shutdown. */
  telemetryShutdownTimeoutMs: withDefault(PositiveInt, () => 10_000)
} as const
