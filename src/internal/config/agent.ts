/**
 * Config fields of the guard-agent transport and dynamic rules. Every field is readable from its
 * `GUARD_<CONSTANT_CASE>` variable (`agentSigningSecret` -> `GUARD_AGENT_SIGNING_SECRET`).
 *
 * @internal
 */
import { Schema } from "effect"
import { HttpUrl, NonEmptyString, NonNegativeInt, optional, PositiveInt, withDefault } from "./fields.js"

/** Seconds, fractions allowed. */
const PositiveSeconds = Schema.Number.pipe(Schema.positive(), Schema.finite())

/** The shortest API key the backend issues (the reference's `resolveAgentConfig` rule). */
const ApiKey = Schema.String.pipe(
  Schema.filter((s) => s.length >= 10 || "agentApiKey must be at least 10 characters")
)

const base64UrlDecodedLength = (text: string): number | undefined => {
  const normalized = text.trim().replace(/-/g, "+").replace(/_/g, "/")
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalized)) return undefined
  return Buffer.from(normalized, "base64").length
}

/**
 * The project encryption key: 32 raw bytes, urlsafe base64 (padded or not). Checked here so that a bad
 * key fails at startup; the message never echoes the key.
 */
const EncryptionKey = Schema.String.pipe(
  Schema.filter((s) => {
    const length = base64UrlDecodedLength(s)
    return length === undefined
      ? "agentEncryptionKey must be urlsafe base64"
      : length === 32 || `agentEncryptionKey must decode to 32 bytes, got ${length}`
  })
)

export const agentFields = {
  enableAgent: withDefault(Schema.Boolean, () => false),
  agentApiKey: optional(Schema.Redacted(ApiKey)),
  agentProjectId: optional(NonEmptyString),
  agentEndpoint: withDefault(HttpUrl, () => "https://api.guard-core.com"),
  /** Whether the agent sends security events (OTel and Logfire are not affected). */
  agentEnableEvents: withDefault(Schema.Boolean, () => true),
  /** Whether the agent sends metrics (OTel and Logfire are not affected). */
  agentEnableMetrics: withDefault(Schema.Boolean, () => true),
  /** Items the agent holds per kind (events, metrics); when full the oldest is dropped and counted. */
  agentBufferSize: withDefault(PositiveInt, () => 1000),
  /** Items per POST; a kind reaching this many buffered items is flushed at once. */
  agentBatchSize: withDefault(PositiveInt, () => 100),
  /** Seconds between two periodic flushes. */
  agentFlushInterval: withDefault(PositiveSeconds, () => 30),
  /** Retries of one batch after the first attempt (jittered exponential backoff). */
  agentRetryAttempts: withDefault(NonNegativeInt, () => 3),
  /** Seconds of the first retry delay; each retry doubles it, up to 60 seconds. */
  agentBackoffFactor: withDefault(PositiveSeconds, () => 1),
  /** Seconds one HTTP request may take. */
  agentTimeout: withDefault(PositiveSeconds, () => 30),
  /** Seconds the final flush may take when the guard shuts down. */
  agentShutdownTimeout: withDefault(PositiveSeconds, () => 5),
  /** HMAC-SHA256 secret for `X-Payload-Signature: v1=<hex>` over the uncompressed body. */
  agentSigningSecret: optional(Schema.Redacted(NonEmptyString)),
  /** Project key (32 bytes, urlsafe base64): batches travel as AES-256-GCM envelopes. */
  agentEncryptionKey: optional(Schema.Redacted(EncryptionKey)),
  /** Gzip bodies of at least `agentCompressionThreshold` bytes. */
  agentCompression: withDefault(Schema.Boolean, () => true),
  agentCompressionThreshold: withDefault(NonNegativeInt, () => 1024),
  /** Seconds between two status reports to `/api/v1/status`. */
  agentStatusInterval: withDefault(Schema.Int.pipe(Schema.between(60, 86_400)), () => 300),
  /** `X-Agent-Install-Id`; a random id per process when unset. */
  agentInstallId: optional(NonEmptyString),
  enableDynamicRules: withDefault(Schema.Boolean, () => false),
  /** Seconds between two fetches of the dynamic rules (at least 60). */
  dynamicRuleInterval: withDefault(Schema.Int.pipe(Schema.greaterThanOrEqualTo(60)), () => 300)
} as const
