/**
 * The dynamic-rule payload the guard-agent backend sends: IP, country, cloud, user-agent and
 * rate-limit rules plus feature toggles, with a version and an optional expiry. camelCase in
 * TypeScript, snake_case on the wire (the reference's field names).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

const key = <S extends Schema.Schema.Any>(schema: S, wire: string) =>
  Schema.optionalWith(schema, { exact: true }).pipe(Schema.fromKey(wire))

const keyWithDefault = <S extends Schema.Schema.Any>(schema: S, wire: string, value: () => Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { exact: true, default: value }).pipe(Schema.fromKey(wire))

const StringList = Schema.Array(Schema.String)

const ZONELESS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/

/**
 * An ISO date on the wire. A timestamp without a zone (Python's naive `datetime.isoformat()`) is read
 * as UTC, never as the host's local time.
 */
const WireDate = Schema.transform(Schema.String, Schema.String, {
  strict: true,
  decode: (s) => (ZONELESS.test(s.trim()) ? `${s.trim()}Z` : s),
  encode: (s) => s
}).pipe(Schema.compose(Schema.Date))

/**
 * @since 0.1.0
 * @category models
 */
export class DynamicRules extends Schema.Class<DynamicRules>("effect-guard/DynamicRules")({
  ruleId: Schema.String.pipe(Schema.minLength(1), Schema.propertySignature, Schema.fromKey("rule_id")),
  version: Schema.Int.pipe(Schema.nonNegative()),
  timestamp: Schema.optionalWith(WireDate, { exact: true }),
  expiresAt: key(Schema.NullOr(WireDate), "expires_at"),
  ttl: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { exact: true, default: () => 300 }),
  ipBlacklist: keyWithDefault(StringList, "ip_blacklist", () => []),
  ipWhitelist: keyWithDefault(StringList, "ip_whitelist", () => []),
  ipBanDuration: keyWithDefault(Schema.Int.pipe(Schema.positive()), "ip_ban_duration", () => 3600),
  blockedCountries: keyWithDefault(StringList, "blocked_countries", () => []),
  whitelistCountries: keyWithDefault(StringList, "whitelist_countries", () => []),
  globalRateLimit: key(Schema.NullOr(Schema.Int.pipe(Schema.positive())), "global_rate_limit"),
  globalRateWindow: key(Schema.NullOr(Schema.Int.pipe(Schema.positive())), "global_rate_window"),
  endpointRateLimits: keyWithDefault(
    Schema.Record({ key: Schema.String, value: Schema.Tuple(Schema.Int.pipe(Schema.positive()), Schema.Int.pipe(Schema.positive())) }),
    "endpoint_rate_limits",
    () => ({})
  ),
  blockedCloudProviders: keyWithDefault(StringList, "blocked_cloud_providers", () => []),
  blockedUserAgents: keyWithDefault(StringList, "blocked_user_agents", () => []),
  suspiciousPatterns: keyWithDefault(StringList, "suspicious_patterns", () => []),
  enablePenetrationDetection: key(Schema.NullOr(Schema.Boolean), "enable_penetration_detection"),
  enableIpBanning: key(Schema.NullOr(Schema.Boolean), "enable_ip_banning"),
  enableRateLimiting: key(Schema.NullOr(Schema.Boolean), "enable_rate_limiting"),
  autoBanThreshold: key(Schema.NullOr(Schema.Int.pipe(Schema.positive())), "auto_ban_threshold"),
  autoBanDuration: key(Schema.NullOr(Schema.Int.pipe(Schema.positive())), "auto_ban_duration"),
  enableRateLimitAutoBan: key(Schema.NullOr(Schema.Boolean), "enable_rate_limit_auto_ban"),
  emergencyMode: keyWithDefault(Schema.Boolean, "emergency_mode", () => false),
  emergencyWhitelist: keyWithDefault(StringList, "emergency_whitelist", () => []),
  emergencyWhitelistOnly: keyWithDefault(Schema.Boolean, "emergency_whitelist_only", () => false),
  message: key(Schema.NullOr(Schema.String), "message")
}) {}

/**
 * Decodes a backend payload (snake_case JSON) into `DynamicRules`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeDynamicRules = Schema.decodeUnknown(DynamicRules, { errors: "all" })
