/**
 * The guard-agent wire shapes: snake_case event and metric items, the batch object, the encrypted
 * envelope, and the canonical JSON (Python `json.dumps(sort_keys=True, separators=(",", ":"),
 * ensure_ascii=True)`) that is encrypted.
 *
 * @internal
 */
import { Either, Option, Schema } from "effect"
import { type Json, toJsonSafe } from "../../internal/json.js"
import { SecurityEvent, SecurityMetric } from "../../SecurityEvent.js"

export { toJsonSafe }

/** The version this transport reports as `agent_version` and in `User-Agent`. */
export const AGENT_VERSION = "0.1.0"

export { REDACTED, SENSITIVE_KEYS } from "../../internal/json.js"
export type { Json } from "../../internal/json.js"

const OPTIONAL_EVENT_FIELDS = [
  "country",
  "user_agent",
  "endpoint",
  "method",
  "status_code",
  "response_time",
  "decorator_type",
  "rule_type",
  "pattern_matched",
  "handler_name"
] as const

const encodeEvent = Schema.encodeEither(SecurityEvent)
const encodeMetric = Schema.encodeEither(SecurityMetric)

/** One event item: exactly the reference's fields, absent optionals as `null`, metadata made safe. */
export const eventToWire = (event: SecurityEvent): Either.Either<Record<string, Json>, string> =>
  Either.match(encodeEvent(event), {
    onLeft: (error) => Either.left(error.message),
    onRight: (encoded) => {
      const source = encoded as unknown as Record<string, unknown>
      const out: Record<string, Json> = {}
      for (const field of OPTIONAL_EVENT_FIELDS) out[field] = null
      for (const [key, value] of Object.entries(source)) {
        if (key === "metadata") continue
        const safe = toJsonSafe(value)
        if (safe !== undefined) out[key] = safe
      }
      out["metadata"] = toJsonSafe(source["metadata"]) ?? {}
      return Either.right(out)
    }
  })

/** One metric item: `timestamp`, `metric_type`, `value`, `endpoint` (or null), `tags`. */
export const metricToWire = (metric: SecurityMetric): Either.Either<Record<string, Json>, string> =>
  Either.match(encodeMetric(metric), {
    onLeft: (error) => Either.left(error.message),
    onRight: (encoded) => {
      const source = encoded as unknown as Record<string, unknown>
      return Either.right({
        timestamp: toJsonSafe(source["timestamp"]) ?? null,
        metric_type: toJsonSafe(source["metric_type"]) ?? null,
        value: toJsonSafe(source["value"]) ?? null,
        endpoint: toJsonSafe(source["endpoint"]) ?? null,
        tags: toJsonSafe(source["tags"]) ?? {}
      })
    }
  })

/** `<epoch ms>-<8 hex>`. */
export const batchId = (nowMillis: number, randomHex: string): string => `${nowMillis}-${randomHex.slice(0, 8)}`

export interface BatchHeader {
  readonly projectId: string | undefined
  readonly batchId: string
  readonly createdAt: Date
}

/** The plaintext batch object of `/api/v1/events` and `/api/v1/metrics`. */
export const batchWire = (
  header: BatchHeader,
  events: ReadonlyArray<Json>,
  metrics: ReadonlyArray<Json>,
  compressed: boolean
): Record<string, Json> => ({
  project_id: header.projectId ?? "default",
  events,
  metrics,
  batch_id: header.batchId,
  created_at: header.createdAt.toISOString(),
  compressed,
  agent_version: AGENT_VERSION,
  guard_version: null,
  guard_core_version: null
})

/** A status report, as `AgentExporter` builds it. */
export interface StatusReport {
  readonly timestamp: Date
  readonly status: "healthy" | "degraded" | "failed"
  /** Seconds since the exporter started. */
  readonly uptime: number
  /** Items (events and metrics) delivered. */
  readonly eventsSent: number
  /** Items dropped (buffer full) or refused by the backend. */
  readonly eventsFailed: number
  /** Items buffered now. */
  readonly bufferSize: number
  readonly lastFlush: Option.Option<Date>
  /** Why it is not healthy. */
  readonly errors: ReadonlyArray<string>
}

/** The body of `/api/v1/status` (never encrypted): the reference's status item. */
export const statusWire = (status: StatusReport): Record<string, Json> => ({
  timestamp: status.timestamp.toISOString(),
  status: status.status,
  uptime: status.uptime,
  events_sent: status.eventsSent,
  events_failed: status.eventsFailed,
  buffer_size: status.bufferSize,
  last_flush: Option.match(status.lastFlush, { onNone: () => null, onSome: (d) => d.toISOString() }),
  errors: [...status.errors]
})

/** The body of `/api/v1/events/encrypted`; only `{events, metrics}` travel inside the ciphertext. */
export const envelopeWire = (batchIdValue: string, encryptedPayload: string): Record<string, Json> => ({
  encrypted_payload: encryptedPayload,
  batch_id: batchIdValue,
  agent_version: AGENT_VERSION,
  guard_version: null,
  guard_core_version: null
})

const escapeString = (s: string): string => {
  let out = "\""
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i)
    const ch = s[i]!
    switch (ch) {
      case "\"":
        out += "\\\""
        continue
      case "\\":
        out += "\\\\"
        continue
      case "\n":
        out += "\\n"
        continue
      case "\r":
        out += "\\r"
        continue
      case "\t":
        out += "\\t"
        continue
      case "\b":
        out += "\\b"
        continue
      case "\f":
        out += "\\f"
        continue
    }
    // UTF-16 code units are exactly Python's surrogate-pair escapes for astral characters
    out += code < 0x20 || code > 0x7e ? `\\u${code.toString(16).padStart(4, "0")}` : ch
  }
  return out + "\""
}

/** Canonical JSON: keys sorted recursively, no whitespace, ASCII only. */
export const canonicalJson = (value: Json): string => {
  if (value === null) return "null"
  if (typeof value === "string") return escapeString(value)
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value)
  if (Array.isArray(value)) return `[${(value as ReadonlyArray<Json>).map(canonicalJson).join(",")}]`
  const object = value as { readonly [key: string]: Json }
  const keys = Object.keys(object).sort()
  return `{${keys.map((k) => `${escapeString(k)}:${canonicalJson(object[k]!)}`).join(",")}}`
}

/** The endpoint without trailing slashes and without a legacy `/api/v1` suffix. */
export const normalizeEndpoint = (endpoint: string): string => {
  let base = endpoint.trim().replace(/\/+$/, "")
  if (base.endsWith("/api/v1")) base = base.slice(0, -"/api/v1".length).replace(/\/+$/, "")
  return base
}
