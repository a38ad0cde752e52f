/**
 * The part of a decoded `GuardConfig` the compiled pipeline (its checks, response headers and
 * refusals) reads: the security, CORS, body and detection-policy fields, and the few others it acts
 * on (`mutedCheckLogs`, `enableDynamicRules`, `redisFailOpen`, `traceSecurityChecks`). Telemetry,
 * agent, Redis connection and console fields are other services' options.
 *
 * @internal
 */
import type { GuardConfigShape } from "../../GuardConfig.js"

const PIPELINE_FIELDS = [
  "authVerifier",
  "autoBanDuration",
  "autoBanThreshold",
  "blacklist",
  "blockCloudProviders",
  "blockedCountries",
  "blockedUserAgents",
  "corsAllowCredentials",
  "corsAllowHeaders",
  "corsAllowMethods",
  "corsAllowOrigins",
  "corsExposeHeaders",
  "corsMaxAge",
  "customErrorResponses",
  "customRequestCheck",
  "detectionMaxBodyBytes",
  "detectionOversizedBody",
  "detectionScanBody",
  "emergencyMode",
  "emergencyWhitelist",
  "enableCors",
  "enableDynamicRules",
  "enableIpBanning",
  "enablePenetrationDetection",
  "enableRateLimitAutoBan",
  "enableRateLimiting",
  "endpointRateLimits",
  "enforceHttps",
  "excludePaths",
  "failSecure",
  "ipv6Subnet",
  "logRequestLevel",
  "logSuspiciousLevel",
  "maxRequestSize",
  "mutedCheckLogs",
  "passiveMode",
  "rateLimit",
  "rateLimitHeaders",
  "rateLimitKey",
  "rateLimitSkip",
  "rateLimitWindow",
  "redisFailOpen",
  "refusalBodies",
  "refusalFormat",
  "routeResolutionStrict",
  "securityHeaders",
  "traceSecurityChecks",
  "trustedProxies",
  "trustedProxyDepth",
  "trustXForwardedProto",
  "whitelist",
  "whitelistCountries"
] as const satisfies ReadonlyArray<keyof GuardConfigShape>

/** The settings the pipeline is compiled from. */
export type PipelineSettings = Pick<GuardConfigShape, typeof PIPELINE_FIELDS[number]>

/** The pipeline's settings out of a decoded configuration: those fields and no others. */
export const pipelineSettings = (config: GuardConfigShape): PipelineSettings => {
  const out: Partial<Record<keyof GuardConfigShape, unknown>> = {}
  for (const field of PIPELINE_FIELDS) out[field] = config[field]
  return out as PipelineSettings
}
