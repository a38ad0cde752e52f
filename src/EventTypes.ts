/**
 * The closed vocabularies of effect-guard: event types, metric types and check names, and the
 * deterministic threat score of every event type.
 *
 * Each vocabulary is a literal union plus a sorted `ReadonlyArray`, so nothing outside the set can be
 * emitted (the compiler rejects it) and configuration errors can list the valid values.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Every event type the guard emits: the 30 values of guard-core's telemetry page plus the newer
 * reference types our pipeline really emits. Sorted by code unit, as printed in config errors.
 *
 * @since 0.1.0
 * @category vocabulary
 */
export const EVENT_TYPE_VALUES = [
  "access_denied",
  "authentication_failed",
  "behavior_violation",
  "cloud_blocked",
  "content_filtered",
  "country_blocked",
  "csp_violation",
  "custom_request_check",
  "decoding_error",
  "decorator_violation",
  "dynamic_rule_applied",
  "dynamic_rule_updated",
  "dynamic_rule_violation",
  "emergency_mode_activated",
  "emergency_mode_block",
  "geo_lookup_failed",
  "https_enforced",
  "ip_ban_failed",
  "ip_banned",
  "ip_blocked",
  "ip_unbanned",
  "path_excluded",
  "pattern_added",
  "pattern_detected",
  "pattern_removed",
  "penetration_attempt",
  "rate_limited",
  "redis_connection",
  "redis_error",
  "route_unresolved",
  "security_bypass",
  "security_headers_applied",
  "suspicious_request",
  "user_agent_blocked"
] as const

/**
 * @since 0.1.0
 * @category vocabulary
 */
export type EventType = (typeof EVENT_TYPE_VALUES)[number]

/**
 * The metric types of the reference, sorted.
 *
 * @since 0.1.0
 * @category vocabulary
 */
export const METRIC_TYPE_VALUES = ["error_rate", "request_count", "response_time"] as const

/**
 * @since 0.1.0
 * @category vocabulary
 */
export type MetricType = (typeof METRIC_TYPE_VALUES)[number]

/**
 * The names of the 17 security checks, sorted. The pipeline runs them in {@link CHECK_ORDER}.
 *
 * @since 0.1.0
 * @category vocabulary
 */
export const CHECK_NAME_VALUES = [
  "authentication",
  "cloud_ip_refresh",
  "cloud_provider",
  "custom_request",
  "custom_validators",
  "emergency_mode",
  "https_enforcement",
  "ip_security",
  "rate_limit",
  "referrer",
  "request_logging",
  "request_size_content",
  "required_headers",
  "route_config",
  "suspicious_activity",
  "time_window",
  "user_agent"
] as const

/**
 * @since 0.1.0
 * @category vocabulary
 */
export type CheckName = (typeof CHECK_NAME_VALUES)[number]

/**
 * The order in which the pipeline runs its checks (the reference order).
 *
 * @since 0.1.0
 * @category vocabulary
 */
export const CHECK_ORDER: ReadonlyArray<CheckName> = [
  "route_config",
  "emergency_mode",
  "https_enforcement",
  "request_logging",
  "request_size_content",
  "required_headers",
  "authentication",
  "referrer",
  "custom_validators",
  "time_window",
  "cloud_ip_refresh",
  "ip_security",
  "cloud_provider",
  "user_agent",
  "rate_limit",
  "suspicious_activity",
  "custom_request"
]

/**
 * @since 0.1.0
 * @category schemas
 */
export const EventTypeSchema: Schema.Schema<EventType> = Schema.Literal(...EVENT_TYPE_VALUES)

/**
 * @since 0.1.0
 * @category schemas
 */
export const MetricTypeSchema: Schema.Schema<MetricType> = Schema.Literal(...METRIC_TYPE_VALUES)

/**
 * @since 0.1.0
 * @category schemas
 */
export const CheckNameSchema: Schema.Schema<CheckName> = Schema.Literal(...CHECK_NAME_VALUES)

const eventTypes: ReadonlySet<string> = new Set(EVENT_TYPE_VALUES)
const metricTypes: ReadonlySet<string> = new Set(METRIC_TYPE_VALUES)
const checkNames: ReadonlySet<string> = new Set(CHECK_NAME_VALUES)

/**
 * @since 0.1.0
 * @category guards
 */
export const isEventType = (u: unknown): u is EventType => typeof u === "string" && eventTypes.has(u)

/**
 * @since 0.1.0
 * @category guards
 */
export const isMetricType = (u: unknown): u is MetricType => typeof u === "string" && metricTypes.has(u)

/**
 * @since 0.1.0
 * @category guards
 */
export const isCheckName = (u: unknown): u is CheckName => typeof u === "string" && checkNames.has(u)

/**
 * Threat score (0-100) of every event type. A `Record` over the union, so the compiler proves that a
 * new event type cannot be added without a score.
 *
 * @since 0.1.0
 * @category threat scores
 */
export const THREAT_SCORES: Readonly<Record<EventType, number>> = {
  penetration_attempt: 90,
  ip_banned: 70,
  emergency_mode_activated: 60,
  ip_blocked: 50,
  behavior_violation: 50,
  cloud_blocked: 50,
  country_blocked: 50,
  decorator_violation: 50,
  authentication_failed: 50,
  emergency_mode_block: 50,
  dynamic_rule_violation: 50,
  pattern_detected: 50,
  suspicious_request: 50,
  dynamic_rule_applied: 40,
  csp_violation: 40,
  content_filtered: 40,
  custom_request_check: 40,
  decoding_error: 40,
  redis_error: 40,
  ip_ban_failed: 40,
  access_denied: 30,
  user_agent_blocked: 30,
  security_bypass: 30,
  rate_limited: 20,
  geo_lookup_failed: 20,
  redis_connection: 20,
  route_unresolved: 20,
  ip_unbanned: 10,
  https_enforced: 10,
  dynamic_rule_updated: 10,
  path_excluded: 10,
  pattern_added: 10,
  pattern_removed: 10,
  security_headers_applied: 10
}

/**
 * The score given to a string that is not a known event type (wire compatibility with the reference).
 *
 * @since 0.1.0
 * @category threat scores
 */
export const DEFAULT_THREAT_SCORE = 20

/**
 * @since 0.1.0
 * @category threat scores
 */
export const threatScoreFor = (eventType: string): number =>
  isEventType(eventType) ? THREAT_SCORES[eventType] : DEFAULT_THREAT_SCORE
