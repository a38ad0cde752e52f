/**
 * effect-guard: an HTTP security guard and telemetry pipeline for Effect and `@effect/platform`.
 *
 * @since 0.1.0
 */

export { BehaviorTracker, RECENT_EVENT_WINDOW } from "./BehaviorTracker.js"
export type { BehaviorTrackerOptions } from "./BehaviorTracker.js"
export { isCheckLogMuted, logCheck, MutedCheckLogs } from "./CheckLog.js"
export { ClientIp, makeClientIpResolver, MAX_FORWARDED_HOPS, resolveClientIp, UNKNOWN_CLIENT_IP } from "./ClientIp.js"
export type { ClientIpInput, ClientIpOptions, ClientIpResolution } from "./ClientIp.js"
export { CLOUD_PROVIDERS, CloudRanges, CloudRangesError, defaultCloudRangeSources } from "./CloudRanges.js"
export type { CloudNetwork, CloudProvider, CloudProviderStatus, CloudRangeSources, CloudRangesOptions } from "./CloudRanges.js"
export { CompositeHandler, droppedTelemetry, exporterUp } from "./CompositeHandler.js"
export type { CompositeHandlerOptions, Telemetry } from "./CompositeHandler.js"
export { ConfigError } from "./ConfigError.js"
export type { ConfigIssue } from "./ConfigError.js"
export { addToVary, corsPolicyFor } from "./CorsHeaders.js"
export type { CorsHeaderEntries, CorsPolicy } from "./CorsHeaders.js"
export { DynamicRuleManager } from "./DynamicRuleManager.js"
export type { ActiveRules, RuleMatch } from "./DynamicRuleManager.js"
export { decodeDynamicRules, DynamicRules } from "./DynamicRules.js"
export { DynamicRulePoller, PollOutcome } from "./DynamicRulePoller.js"
export type { DynamicRulePollerOptions } from "./DynamicRulePoller.js"
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
export type { Exporter, ExporterSpec, RequestSink, RequestSinkOptions } from "./Exporter.js"
export { AgentClient, AgentError, agentDropped, AgentPaths } from "./exporters/Agent.js"
export type { AgentBatch, AgentClientOptions, AgentExporter, AgentExporterOptions, AgentStats, AgentStatus } from "./exporters/Agent.js"
export { LOGFIRE_UNAVAILABLE_MESSAGE, LogfireExporter } from "./exporters/Logfire.js"
export type { LogfireExporterOptions, LogfireExporterSettings } from "./exporters/Logfire.js"
export { OTEL_UNAVAILABLE_MESSAGE, OtelExporter } from "./exporters/Otel.js"
export type { OtelExporterOptions, OtelExporterSettings } from "./exporters/Otel.js"
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
export { GuardConsole } from "./GuardConsole.js"
export type { ConsoleAccess, ConsoleVerifier, GuardConsoleOptions } from "./GuardConsole.js"
export { GuardLive, GuardPipelineLive, makeGuardLive } from "./GuardLive.js"
export { GuardPipeline, guardMiddleware } from "./GuardMiddleware.js"
export type { GuardPipelineOptions, GuardPipelineServices, GuardPipelineSettings, GuardPipelineShape } from "./GuardMiddleware.js"
export { serveGuarded } from "./GuardServer.js"
export * as GuardTesting from "./GuardTesting.js"
export type { GuardLiveInputs, GuardLiveLayer, GuardServices } from "./GuardLive.js"
export { BanResult, IpBans, UnbanResult } from "./IpBans.js"
export type { BanInfo, IpBansMemoryOptions } from "./IpBans.js"
export { MetricsCollector, OTHER_METHOD, UNMATCHED_ENDPOINT } from "./MetricsCollector.js"
export type { RequestMetrics } from "./MetricsCollector.js"
export { RateLimitStore, rateLimitHeaders } from "./RateLimitStore.js"
export { BYPASS_VALUES, currentEvaluation, GuardRoutes, RouteGuard, RouteNotGuarded, RouteSettingsSchema } from "./RouteGuard.js"
export type {
  BehaviorRule,
  BypassName,
  GuardEvaluation,
  ResolvedRoute,
  RouteEntry,
  RouteSettings,
  RouteSettingsInput,
  RouteValidator
} from "./RouteGuard.js"
export { contentSecurityPolicy, DEFAULT_CSP_DIRECTIVES, securityHeaderSet } from "./SecurityHeaders.js"
export type { CspDirectives, SecurityHeaderSet } from "./SecurityHeaders.js"
export type { RateLimitResult } from "./RateLimitStore.js"
export { SecurityEvent, SecurityMetric } from "./SecurityEvent.js"
export { StoreError } from "./StoreError.js"
export { TestExporter } from "./TestExporter.js"
export type { TestExporterBehavior, TestExporterOptions } from "./TestExporter.js"
export { DETECTION_CATEGORIES, ThreatDetector } from "./ThreatDetector.js"
export type {
  CustomPattern,
  DetectionCategory,
  DetectionContext,
  DetectionInput,
  DetectionMatch,
  DetectionResult,
  ThreatDetectorOptions,
  ThreatDetectorService
} from "./ThreatDetector.js"
export { ViolationCounter } from "./ViolationCounter.js"
export type { ViolationCounterMemoryOptions, ViolationCounts } from "./ViolationCounter.js"
