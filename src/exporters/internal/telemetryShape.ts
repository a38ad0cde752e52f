/**
 * Pure helpers shared by the OpenTelemetry and Logfire exporters: OTLP endpoint normalisation, the
 * resource attributes, W3C trace-context parsing, and the attribute sets of event spans and metrics.
 * Nothing here imports an OpenTelemetry package, so the exporters can load those lazily.
 *
 * @internal
 */
import type { SecurityEvent, SecurityMetric } from "../../SecurityEvent.js"
import { toJsonSafe } from "../../internal/json.js"

/** A span or metric attribute value: never `null` or `undefined`. */
export type AttributeValue = string | number | boolean

/** Attributes ready for `setAttributes`. */
export type Attributes = Record<string, AttributeValue>

const SIGNAL_SUFFIXES = ["/v1/traces", "/v1/metrics", "/v1/logs"] as const

/**
 * The URL of one OTLP/HTTP signal: a base URL gets the signal path appended; a full signal path is
 * kept for that signal and swapped for another one (`.../v1/traces` for metrics becomes
 * `.../v1/metrics`). `undefined` (or empty) means the SDK default, `http://localhost:4318`.
 */
export const otlpSignalUrl = (
  endpoint: string | undefined,
  signal: "/v1/traces" | "/v1/metrics" | "/v1/logs"
): string => {
  if (endpoint === undefined || endpoint.trim() === "") return `http://localhost:4318${signal}`
  let base = endpoint.trim()
  while (base.endsWith("/")) base = base.slice(0, -1)
  for (const suffix of SIGNAL_SUFFIXES) {
    if (base.endsWith(suffix)) {
      base = base.slice(0, -suffix.length)
      break
    }
  }
  return `${base}${signal}`
}

/** `true` when the endpoint targets port 4317, the OTLP/gRPC port (these exporters speak HTTP). */
export const isGrpcPort = (endpoint: string | undefined): boolean => {
  if (endpoint === undefined) return false
  try {
    return new URL(endpoint).port === "4317"
  } catch {
    return false
  }
}

/**
 * Resource attributes: `service.name` first, then every extra attribute, so a `service.name` among
 * the extras wins (the reference's last-write-wins).
 */
export const resourceAttributes = (
  serviceName: string,
  extra: Readonly<Record<string, string>>
): Record<string, string> => ({ "service.name": serviceName, ...extra })

/** A parsed W3C `traceparent`. */
export interface RemoteParent {
  readonly traceId: string
  readonly spanId: string
  readonly traceFlags: number
  readonly traceState: string | undefined
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const ZERO_TRACE = "0".repeat(32)
const ZERO_SPAN = "0".repeat(16)
const MAX_TRACESTATE = 512

/**
 * The remote parent carried in event metadata (`traceparent`, optionally `tracestate`), or
 * `undefined` when there is none or it is malformed (a bad header is ignored, never an error).
 * Follows W3C Trace Context level 1: version `ff` and all-zero ids are invalid; version `00` must
 * have exactly four fields; future versions may append fields.
 */
export const remoteParent = (metadata: Readonly<Record<string, unknown>>): RemoteParent | undefined => {
  const header = metadata["traceparent"]
  if (typeof header !== "string" || header.length > 512) return undefined
  const match = TRACEPARENT.exec(header.trim().toLowerCase())
  if (match === null) return undefined
  const [, version, traceId, spanId, flags, rest] = match
  if (version === undefined || traceId === undefined || spanId === undefined || flags === undefined) return undefined
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined
  const state = metadata["tracestate"]
  return {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & 0xff,
    traceState: typeof state === "string" && state.trim() !== "" && state.length <= MAX_TRACESTATE ? state.trim() : undefined
  }
}

/**
 * A metadata value as an attribute value: the agent's JSON-safe copy (`toJsonSafe`: secrets redacted,
 * cycles and depth bounded, non-finite numbers null), primitives as they are, anything else as its
 * JSON text, and nothing for null (an attribute is never set to null).
 */
export const toAttributeValue = (value: unknown): AttributeValue | undefined => {
  const safe = toJsonSafe(value)
  return safe === null || safe === undefined ? undefined : typeof safe === "object" ? JSON.stringify(safe) : safe
}

const TRACE_KEYS: ReadonlySet<string> = new Set(["traceparent", "tracestate"])

/** The prefix under which non-`guard.*` metadata keys become attributes. */
export const METADATA_PREFIX = "guard.metadata."

/**
 * The event's own fields as attributes (`guard.event_type`, `guard.ip_address`, ...). Optional fields
 * appear only when the event has them.
 */
export const canonicalEventAttributes = (event: SecurityEvent): Attributes => {
  const attributes: Attributes = {
    "guard.event_type": event.eventType,
    "guard.ip_address": event.ipAddress,
    "guard.action_taken": event.actionTaken,
    "guard.reason": event.reason,
    "guard.idempotency_key": event.idempotencyKey
  }
  const optional: ReadonlyArray<readonly [string, AttributeValue | undefined]> = [
    ["guard.endpoint", event.endpoint],
    ["guard.method", event.method],
    ["guard.status_code", event.statusCode],
    ["guard.country", event.country],
    ["guard.user_agent", event.userAgent],
    ["guard.response_time", event.responseTime],
    ["guard.decorator_type", event.decoratorType],
    ["guard.rule_type", event.ruleType],
    ["guard.pattern_matched", event.patternMatched],
    ["guard.handler_name", event.handlerName]
  ]
  for (const [key, value] of optional) if (value !== undefined) attributes[key] = value
  return attributes
}

/**
 * Every attribute of an event span: the canonical fields, the `guard.*` enrichment keys under their
 * own names, and other metadata under `guard.metadata.<key>`. Trace headers are not attributes (they
 * become the parent); `null`/`undefined` values are skipped; metadata can never overwrite a canonical
 * attribute.
 */
export const eventAttributes = (event: SecurityEvent): Attributes => {
  const canonical = canonicalEventAttributes(event)
  const attributes: Attributes = {}
  for (const [key, raw] of Object.entries(event.metadata)) {
    if (TRACE_KEYS.has(key)) continue
    const name = key.startsWith("guard.") ? key : `${METADATA_PREFIX}${key}`
    if (name in canonical) continue
    const value = toAttributeValue(raw)
    if (value !== undefined) attributes[name] = value
  }
  return { ...attributes, ...canonical }
}

/** Metric attributes: `endpoint` (from the metric, else from the tags), then the tags. */
export const metricAttributes = (metric: SecurityMetric): Attributes => {
  const attributes: Attributes = {}
  if (metric.endpoint !== undefined) attributes["endpoint"] = metric.endpoint
  for (const [key, value] of Object.entries(metric.tags)) attributes[key] = value
  return attributes
}

/** The OpenTelemetry instrument each metric type feeds. */
export const INSTRUMENTS = {
  response_time: { name: "guard.request.duration", kind: "histogram", unit: "s" },
  request_count: { name: "guard.request.count", kind: "counter", unit: "1" },
  error_rate: { name: "guard.error.count", kind: "counter", unit: "1" }
} as const

/** The instrument of a metric type, or `undefined` for a type without one. */
export const instrumentFor = (metricType: string): (typeof INSTRUMENTS)[keyof typeof INSTRUMENTS] | undefined =>
  Object.hasOwn(INSTRUMENTS, metricType) ? INSTRUMENTS[metricType as keyof typeof INSTRUMENTS] : undefined
