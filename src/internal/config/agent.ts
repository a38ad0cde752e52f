/**
 * Config fields of the guard-agent transport and dynamic rules.
 *
 * @internal
 */
import { Schema } from "effect"
import { HttpUrl, NonEmptyString, optional, withDefault } from "./fields.js"

export const agentFields = {
  enableAgent: withDefault(Schema.Boolean, () => false),
  agentApiKey: optional(Schema.Redacted(NonEmptyString)),
  agentProjectId: optional(NonEmptyString),
  agentEndpoint: withDefault(HttpUrl, () => "https://api.guard-core.com"),
  agentEnableEvents: withDefault(Schema.Boolean, () => true),
  agentEnableMetrics: withDefault(Schema.Boolean, () => true),
  enableDynamicRules: withDefault(Schema.Boolean, () => false),
  /** Seconds between two fetches of the dynamic rules (at least 60). */
  dynamicRuleInterval: withDefault(Schema.Int.pipe(Schema.greaterThanOrEqualTo(60)), () => 300)
} as const
