/**
 * effect-guard: an HTTP security guard and telemetry pipeline for Effect and `@effect/platform`.
 *
 * @since 0.1.0
 */

export { BehaviorTracker, RECENT_EVENT_WINDOW } from "./BehaviorTracker.js"
export type { BehaviorTrackerOptions } from "./BehaviorTracker.js"
export { isCheckLogMuted, logCheck } from "./CheckLog.js"
export { ClientIp, UNKNOWN_CLIENT_IP } from "./ClientIp.js"
export { CompositeHandler, droppedTelemetry } from "./CompositeHandler.js"
export type { CompositeHandlerOptions, Telemetry } from "./CompositeHandler.js"
export { ConfigError } from "./ConfigError.js"
export type { ConfigIssue } from "./ConfigError.js"
export { DynamicRuleManager } from "./DynamicRuleManager.js"
export type { ActiveRules, RuleMatch } from "./DynamicRuleManager.js"
export { decodeDynamicRules, DynamicRules } from "./DynamicRules.js"
export { EventBus } from "./EventBus.js"
export type { EmitOptions } from "./EventBus.js"
export { correlationKey, EnrichmentKeys, EventEnricher } from "./EventEnricher.js"
export {
  CHECK_NAME_VALUES,
  CHECK_ORDER,
  DEFAULT_THREAT_SCORE,
  EVENT_TYPE_VALUES,
  isCheckName,
  isEventType,
  isMetricType,
  METRIC_TYPE_VALUES,
  THREAT_SCORES,
  threatScoreFor
} from "./EventTypes.js"
export type { CheckName, EventType, MetricType } from "./EventTypes.js"
export { ExporterError, GuardExporters } from "./Exporter.js"
export type { Exporter, ExporterSpec } from "./Exporter.js"
export { GeoIpError, GeoIpLookup } from "./GeoIpLookup.js"
export {
  decodeGuardConfig,
  effectiveServiceName,
  GuardConfig,
  GuardConfigSchema,
  guardEnvName,
  loadGuardConfig
} from "./GuardConfig.js"
export type { GuardConfigInput, GuardConfigShape } from "./GuardConfig.js"
export { GuardLive } from "./GuardLive.js"
export type { GuardServices } from "./GuardLive.js"
export { MetricsCollector } from "./MetricsCollector.js"
export type { RequestMetrics } from "./MetricsCollector.js"
export { SecurityEvent, SecurityMetric } from "./SecurityEvent.js"
export { TestExporter } from "./TestExporter.js"
export type { TestExporterBehavior, TestExporterOptions } from "./TestExporter.js"
