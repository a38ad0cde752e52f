import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Redacted } from "effect"
import {
  CHECK_NAME_VALUES,
  ConfigError,
  decodeGuardConfig,
  EVENT_TYPE_VALUES,
  GuardConfig,
  type GuardConfigInput,
  guardEnvName,
  METRIC_TYPE_VALUES
} from "effect-guard"

const decodeError = (input: unknown) =>
  Effect.flip(decodeGuardConfig(input))

describe("GuardConfig", () => {
  describe("the seeds' example configurations decode", () => {
    it.effect("muting events, metrics and check logs", () =>
      Effect.gen(function*() {
        const config = yield* decodeGuardConfig({
          mutedEventTypes: new Set(["penetration_attempt"]),
          mutedMetricTypes: ["response_time"],
          mutedCheckLogs: ["rate_limit", "user_agent"]
        })
        expect([...config.mutedEventTypes]).toEqual(["penetration_attempt"])
        expect(config.mutedMetricTypes.has("response_time")).toBe(true)
        expect([...config.mutedCheckLogs].sort()).toEqual(["rate_limit", "user_agent"])
      }))

    it.effect("enabling OpenTelemetry with resource attributes", () =>
      Effect.gen(function*() {
        const config = yield* decodeGuardConfig({
          enableOtel: true,
          otelServiceName: "guard-prod",
          otelExporterEndpoint: "http://otel-collector.internal:4318",
          otelResourceAttributes: { "deployment.environment": "prod", "service.version": "1.2.0" }
        })
        expect(config.enableOtel).toBe(true)
        expect(config.otelExporterEndpoint).toBe("http://otel-collector.internal:4318")
        expect(config.otelResourceAttributes["service.version"]).toBe("1.2.0")
      }))

    it.effect("enabling Logfire", () =>
      Effect.gen(function*() {
        const config = yield* decodeGuardConfig({ enableLogfire: true, logfireServiceName: "guard-prod" })
        expect(config.logfireServiceName).toBe("guard-prod")
      }))

    it.effect("enabling enrichment with the agent, keeping the API key redacted", () =>
      Effect.gen(function*() {
        const config = yield* decodeGuardConfig({
          enableAgent: true,
          agentApiKey: "your-api-key",
          agentProjectId: "proj-prod",
          enableEnrichment: true,
          enableOtel: true,
          otelServiceName: "api",
          otelResourceAttributes: { "deployment.environment": "prod" }
        })
        expect(config.enableEnrichment).toBe(true)
        expect(Redacted.isRedacted(config.agentApiKey)).toBe(true)
        expect(String(config.agentApiKey)).not.toContain("your-api-key")
        expect(config.agentApiKey && Redacted.value(config.agentApiKey)).toBe("your-api-key")
      }))
  })

  it.effect("every secret field takes a Redacted string as well as a plain one, and stays redacted", () =>
    Effect.gen(function*() {
      const input: GuardConfigInput = {
        enableAgent: true,
        agentApiKey: Redacted.make("agent-key-0123456789"),
        agentSigningSecret: Redacted.make("signing-secret"),
        agentEncryptionKey: Redacted.make(Buffer.alloc(32, 7).toString("base64url")),
        consoleToken: Redacted.make("console-token-0123456789"),
        redisUrl: "redis://cache.internal:6379"
      }
      const config = yield* Effect.provide(GuardConfig, GuardConfig.layer(input))
      const secrets = [config.agentApiKey, config.agentSigningSecret, config.agentEncryptionKey, config.consoleToken, config.redisUrl]
      expect(secrets.every((secret) => secret !== undefined && Redacted.isRedacted(secret))).toBe(true)
      expect(secrets.map((secret) => secret && Redacted.value(secret))).toEqual([
        "agent-key-0123456789",
        "signing-secret",
        Buffer.alloc(32, 7).toString("base64url"),
        "console-token-0123456789",
        "redis://cache.internal:6379"
      ])
    }))

  it.effect("a Redacted secret is validated like a plain one, and the error does not echo it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.provide(GuardConfig, GuardConfig.layer({ consoleToken: Redacted.make("short-secret") })))
      expect(error.issues.map((issue) => issue.path)).toEqual(["consoleToken"])
      expect(error.message).not.toContain("short-secret")
    }))

  it.effect("defaults match the seeds", () =>
    Effect.gen(function*() {
      const config = yield* decodeGuardConfig({})
      expect(config.mutedEventTypes.size).toBe(0)
      expect(config.enableOtel).toBe(false)
      expect(config.otelServiceName).toBe("guard-core")
      expect(config.logfireServiceName).toBe("guard-core")
      expect(config.otelExporterEndpoint).toBeUndefined()
      expect(config.otelResourceAttributes).toEqual({})
      expect(config.enableEnrichment).toBe(false)
      expect(config.dynamicRuleInterval).toBe(300)
    }))

  describe("bad configurations fail with a ConfigError that explains them", () => {
    it.effect("an unknown event type names the field, the value and lists the valid values sorted", () =>
      Effect.gen(function*() {
        const error = yield* decodeError({ mutedEventTypes: ["suspicious"] })
        expect(error).toBeInstanceOf(ConfigError)
        expect(error._tag).toBe("ConfigError")
        expect(error.message).toContain("mutedEventTypes")
        expect(error.message).toContain("\"suspicious\"")
        expect(error.message).toContain([...EVENT_TYPE_VALUES].sort().join(", "))
      }))

    it.effect("the common typos point at the right names", () =>
      Effect.gen(function*() {
        const error = yield* decodeError({ mutedCheckLogs: ["suspicious"], mutedMetricTypes: ["latency"] })
        expect(error.message).toContain("suspicious_activity")
        expect(error.message).toContain("response_time")
        expect(error.message).toContain([...CHECK_NAME_VALUES].sort().join(", "))
        expect(error.message).toContain([...METRIC_TYPE_VALUES].sort().join(", "))
        expect(error.issues.map((i) => i.path).sort()).toEqual(["mutedCheckLogs[0]", "mutedMetricTypes[0]"])
      }))

    it.effect("enrichment without the agent is refused", () =>
      Effect.gen(function*() {
        const error = yield* decodeError({ enableEnrichment: true })
        expect(error.message).toContain("enableEnrichment requires enableAgent")
      }))

    it.effect("the agent without an API key is refused", () =>
      Effect.gen(function*() {
        const error = yield* decodeError({ enableAgent: true })
        expect(error.message).toContain("agentApiKey is required")
      }))

    it.effect("dynamic rules without the agent are refused", () =>
      Effect.gen(function*() {
        const error = yield* decodeError({ enableDynamicRules: true })
        expect(error.message).toContain("enableAgent must be true when enableDynamicRules is true")
      }))

    it.effect("an unknown key is an error, so a typo cannot silently disable security", () =>
      Effect.gen(function*() {
        const error = yield* decodeError({ mutedEventType: ["rate_limited"] })
        expect(error.message).toContain("mutedEventType")
        expect(error.message).toContain("is unexpected")
      }))

    it.effect("a bare string where a list is expected is an error, not a list of characters", () =>
      Effect.gen(function*() {
        const error = yield* decodeError({ mutedCheckLogs: "rate_limit" })
        expect(error.issues[0]?.path).toBe("mutedCheckLogs")
      }))

    it.effect("a dynamic rule interval under 60 seconds is refused", () =>
      Effect.gen(function*() {
        const error = yield* decodeError({ dynamicRuleInterval: 10 })
        expect(error.issues[0]?.path).toBe("dynamicRuleInterval")
      }))

    it.effect("a non-URL endpoint is refused", () =>
      Effect.gen(function*() {
        const error = yield* decodeError({ otelExporterEndpoint: "collector:4318" })
        expect(error.message).toContain("otelExporterEndpoint")
      }))

    it.effect("input that is not an object is refused", () =>
      Effect.gen(function*() {
        const error = yield* decodeError("enableOtel=true")
        expect(error._tag).toBe("ConfigError")
      }))
  })

  describe("GuardConfig.layerConfig reads GUARD_* variables", () => {
    const fromEnv = (entries: ReadonlyArray<readonly [string, string]>) =>
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries)))

    it("variable names are GUARD_ plus the field in CONSTANT_CASE", () => {
      expect(guardEnvName("mutedEventTypes")).toBe("GUARD_MUTED_EVENT_TYPES")
      expect(guardEnvName("otelResourceAttributes")).toBe("GUARD_OTEL_RESOURCE_ATTRIBUTES")
      expect(guardEnvName("trustXForwardedProto")).toBe("GUARD_TRUST_X_FORWARDED_PROTO")
    })

    it.effect("lists, booleans, URLs and key=value records are parsed", () =>
      Effect.gen(function*() {
        const config = yield* GuardConfig.pipe(
          Effect.provide(GuardConfig.layerConfig()),
          fromEnv([
            ["GUARD_MUTED_EVENT_TYPES", "rate_limited, ip_banned"],
            ["GUARD_ENABLE_OTEL", "true"],
            ["GUARD_OTEL_EXPORTER_ENDPOINT", "http://127.0.0.1:4318"],
            ["GUARD_OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,service.version=1.2.0"],
            ["GUARD_DYNAMIC_RULE_INTERVAL", "120"]
          ])
        )
        expect([...config.mutedEventTypes].sort()).toEqual(["ip_banned", "rate_limited"])
        expect(config.enableOtel).toBe(true)
        expect(config.otelExporterEndpoint).toBe("http://127.0.0.1:4318")
        expect(config.otelResourceAttributes).toEqual({ "deployment.environment": "prod", "service.version": "1.2.0" })
        expect(config.dynamicRuleInterval).toBe(120)
      }))

    it.effect("variables override the defaults given in code", () =>
      Effect.gen(function*() {
        const config = yield* GuardConfig.pipe(
          Effect.provide(GuardConfig.layerConfig({ otelServiceName: "from-code", enableLogfire: true })),
          fromEnv([["GUARD_OTEL_SERVICE_NAME", "from-env"]])
        )
        expect(config.otelServiceName).toBe("from-env")
        expect(config.enableLogfire).toBe(true)
      }))

    it.effect("a bad variable fails with a ConfigError naming the variable", () =>
      Effect.gen(function*() {
        const result = yield* GuardConfig.pipe(
          Effect.provide(GuardConfig.layerConfig()),
          fromEnv([["GUARD_MUTED_METRIC_TYPES", "latency"], ["GUARD_ENABLE_OTEL", "maybe"]]),
          Effect.either
        )
        expect(Either.isLeft(result)).toBe(true)
        if (Either.isLeft(result)) {
          expect(result.left._tag).toBe("ConfigError")
          expect(result.left.message).toContain("GUARD_MUTED_METRIC_TYPES")
          expect(result.left.message).toContain("response_time")
          expect(result.left.message).toContain("GUARD_ENABLE_OTEL")
        }
      }))
  })
})
