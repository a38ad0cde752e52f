/**
 * The two telemetry payloads: `SecurityEvent` (something a check saw) and `SecurityMetric` (a number
 * about a request). Both are Schema classes whose encoded form is the reference's snake_case wire
 * shape, so the agent transport can send `Schema.encode(SecurityEvent)(event)` as it is.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { EventTypeSchema, MetricTypeSchema } from "./EventTypes.js"

const optionalKey = <S extends Schema.Schema.Any>(schema: S, key: string) =>
  Schema.optionalWith(schema, { exact: true }).pipe(Schema.fromKey(key))

/**
 * Metadata: emitter-specific keys, forwarded trace headers and, after enrichment, the `guard.*` keys.
 *
 * @since 0.1.0
 * @category models
 */
export const Metadata = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/**
 * @since 0.1.0
 * @category models
 */
export type Metadata = typeof Metadata.Type

/**
 * A security event. Field names are camelCase in TypeScript and snake_case on the wire.
 *
 * @since 0.1.0
 * @category models
 */
export class SecurityEvent extends Schema.Class<SecurityEvent>("effect-guard/SecurityEvent")({
  idempotencyKey: Schema.String.pipe(Schema.propertySignature, Schema.fromKey("idempotency_key")),
  timestamp: Schema.Date,
  eventType: EventTypeSchema.pipe(Schema.propertySignature, Schema.fromKey("event_type")),
  ipAddress: Schema.String.pipe(Schema.propertySignature, Schema.fromKey("ip_address")),
  country: optionalKey(Schema.String, "country"),
  userAgent: optionalKey(Schema.String, "user_agent"),
  actionTaken: Schema.String.pipe(Schema.propertySignature, Schema.fromKey("action_taken")),
  reason: Schema.String,
  endpoint: optionalKey(Schema.String, "endpoint"),
  method: optionalKey(Schema.String, "method"),
  statusCode: optionalKey(Schema.Int, "status_code"),
  responseTime: optionalKey(Schema.Number, "response_time"),
  decoratorType: optionalKey(Schema.String, "decorator_type"),
  ruleType: optionalKey(Schema.String, "rule_type"),
  patternMatched: optionalKey(Schema.String, "pattern_matched"),
  handlerName: optionalKey(Schema.String, "handler_name"),
  metadata: Metadata
}) {}

/**
 * Tags of a metric (string to string, as OTel attributes and the agent wire expect).
 *
 * @since 0.1.0
 * @category models
 */
export const Tags = Schema.Record({ key: Schema.String, value: Schema.String })

/**
 * A request metric. `error_rate` is an error counter (value 1 per failed request), not a ratio.
 *
 * @since 0.1.0
 * @category models
 */
export class SecurityMetric extends Schema.Class<SecurityMetric>("effect-guard/SecurityMetric")({
  timestamp: Schema.Date,
  metricType: MetricTypeSchema.pipe(Schema.propertySignature, Schema.fromKey("metric_type")),
  value: Schema.Number,
  endpoint: optionalKey(Schema.String, "endpoint"),
  tags: Tags
}) {}

/**
 * A copy of an event with its own metadata object, so that one consumer cannot change what another
 * sees. Nested values are copied too.
 *
 * @since 0.1.0
 * @category constructors
 */
export const copyEvent = (event: SecurityEvent, metadata: Metadata = event.metadata): SecurityEvent =>
  new SecurityEvent({ ...event, metadata: structuredCloneSafe(metadata) }, true)

/**
 * @since 0.1.0
 * @category constructors
 */
export const copyMetric = (metric: SecurityMetric, tags: Readonly<Record<string, string>> = metric.tags): SecurityMetric =>
  unsafeMakeMetric({ ...metric, tags: { ...tags } })

/**
 * A metric from fields the type system already vouches for, built without the Schema constructor:
 * even unvalidated, that constructor costs about 1 µs, and every request builds up to three metrics.
 * The result is an ordinary `SecurityMetric` (same prototype, same own fields). `fields` is taken over.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMakeMetric = (fields: ConstructorParameters<typeof SecurityMetric>[0]): SecurityMetric =>
  Object.assign(Object.create(SecurityMetric.prototype) as SecurityMetric, fields)

const cloneValue = (value: unknown): unknown => {
  if (value === null || typeof value !== "object") return value
  try {
    return structuredClone(value)
  } catch {
    // values that cannot be cloned (functions, class instances with handles) are shared
    return value
  }
}

// most metadata values are primitives: clone only the nested ones (structuredClone is costly)
const structuredCloneSafe = (metadata: Metadata): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const key in metadata) out[key] = cloneValue(metadata[key])
  return out
}
