/**
 * The guard's configuration: one Effect Schema that decodes user input (arrays, plain records,
 * strings from the environment) into a validated, immutable `GuardConfig` with `ReadonlySet`s and
 * defaults filled in. Every mistake becomes a {@link ConfigError} whose message names the field.
 *
 * @since 0.1.0
 */
import { Context, Effect, Either, Layer, ParseResult, Redacted, Schema } from "effect"
import { ConfigError, type ConfigIssue } from "./ConfigError.js"
import { agentFields } from "./internal/config/agent.js"
import { bodyFields } from "./internal/config/body.js"
import { consoleFields } from "./internal/config/console.js"
import { corsFields, corsRules } from "./internal/config/cors.js"
import { detectionFields } from "./internal/config/detection.js"
import { envName, LIST_FORMS, readEnvInput, unknownVariables } from "./internal/config/env.js"
import { redisFields } from "./internal/config/redis.js"
import { securityFields, securityRules } from "./internal/config/security.js"
import { telemetryFields } from "./internal/config/telemetry.js"

const fields = {
  ...telemetryFields,
  ...agentFields,
  ...securityFields,
  ...corsFields,
  ...detectionFields,
  ...bodyFields,
  ...redisFields,
  ...consoleFields
}

const GuardConfigStruct = Schema.Struct(fields)

type Decoded = Schema.Schema.Type<typeof GuardConfigStruct>

const crossFieldRules: ReadonlyArray<(c: Decoded) => Schema.FilterIssue | undefined> = [
  (c) =>
    c.enableAgent && c.agentApiKey === undefined
      ? { path: ["agentApiKey"], message: "agentApiKey is required when enableAgent is true" }
      : undefined,
  (c) =>
    c.enableDynamicRules && !c.enableAgent
      ? { path: ["enableDynamicRules"], message: "enableAgent must be true when enableDynamicRules is true" }
      : undefined,
  (c) =>
    c.enableEnrichment && !c.enableAgent
      ? {
        path: ["enableEnrichment"],
        message:
          "enableEnrichment requires enableAgent: true; enrichment is the guard-agent tier. Either enable the agent or set enableEnrichment to false"
      }
      : undefined,
  ...securityRules,
  ...corsRules
]

/**
 * The schema of the whole configuration.
 *
 * @since 0.1.0
 * @category schemas
 */
export const GuardConfigSchema = GuardConfigStruct.pipe(
  Schema.filter((c) => crossFieldRules.map((rule) => rule(c))),
  Schema.annotations({ identifier: "GuardConfig" })
)

/**
 * The decoded configuration.
 *
 * @since 0.1.0
 * @category models
 */
export type GuardConfigShape = Schema.Schema.Type<typeof GuardConfigSchema>

type Encoded = Schema.Schema.Encoded<typeof GuardConfigSchema>

/** The fields decoded to `Redacted` (`redisUrl`, `agentApiKey`, `consoleToken`, ...). */
type SecretField = {
  readonly [K in keyof GuardConfigShape]-?: NonNullable<GuardConfigShape[K]> extends Redacted.Redacted<unknown> ? K : never
}[keyof GuardConfigShape]

/**
 * What users write: every field optional; set fields take an array or a `Set`; secret fields (the
 * ones decoded to `Redacted`) take a string or a `Redacted<string>`, so a secret read with
 * `Config.redacted` is passed on without being unwrapped.
 *
 * @since 0.1.0
 * @category models
 */
export type GuardConfigInput = {
  readonly [K in keyof Encoded]?: K extends SecretField ? string | Redacted.Redacted<string>
    : NonNullable<Encoded[K]> extends ReadonlyArray<infer A> ? ReadonlyArray<A> | ReadonlySet<A>
    : Encoded[K]
}

const normalizeInput = (input: unknown): unknown => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return input
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    out[key] = value instanceof Set ? [...value] : Redacted.isRedacted(value) ? Redacted.value(value) : value
  }
  return out
}

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc === "" ? String(key) : `${acc}.${String(key)}`),
    ""
  )

const toConfigError = (error: ParseResult.ParseError): ConfigError =>
  ConfigError.fromIssues(
    ParseResult.ArrayFormatter.formatErrorSync(error).map((issue): ConfigIssue => ({
      path: formatPath(issue.path),
      message: issue.message
    }))
  )

const decode = Schema.decodeUnknown(GuardConfigSchema, { errors: "all", onExcessProperty: "error" })

/**
 * Decodes and validates a configuration. Unknown keys, unknown vocabulary values and inconsistent
 * combinations fail with a {@link ConfigError} listing every problem.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { decodeGuardConfig } from "effect-guard"
 *
 * const program = decodeGuardConfig({ mutedEventTypes: ["rate_limited"], enableOtel: true })
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeGuardConfig = (input: unknown): Effect.Effect<GuardConfigShape, ConfigError> =>
  decode(normalizeInput(input)).pipe(Effect.mapError(toConfigError))

const KNOWN_VARIABLES: ReadonlyArray<string> = Object.keys(fields).map(envName)

/**
 * Reads the configuration from `GUARD_*` variables (through the current `ConfigProvider`) on top of
 * `defaults`, then decodes it. A variable that is refused outright (a number that is not a plain
 * decimal) is reported with the decoding problems, all in one {@link ConfigError}; a `GUARD_*`
 * variable that no field reads is logged as a warning naming the closest known one.
 *
 * @since 0.1.0
 * @category decoding
 */
export const loadGuardConfig = (defaults: GuardConfigInput = {}): Effect.Effect<GuardConfigShape, ConfigError> =>
  Effect.gen(function*() {
    for (const variable of yield* unknownVariables(KNOWN_VARIABLES)) {
      yield* Effect.logWarning(
        `${variable.name} is not an effect-guard variable and is ignored${
          variable.closest === undefined ? "" : `; did you mean ${variable.closest}?`
        }`
      )
    }
    const env = yield* readEnvInput(GuardConfigStruct.ast).pipe(
      Effect.mapError((error) => ConfigError.fromIssues([{ path: "environment", message: String(error) }]))
    )
    const decoded = yield* decodeGuardConfig({ ...(normalizeInput(defaults) as object), ...env.input }).pipe(Effect.either)
    const decodeIssues = Either.isLeft(decoded)
      ? decoded.left.issues.map((issue): ConfigIssue => {
        const field = issue.path.split(/[.[]/)[0] ?? ""
        if (!(field in env.input)) return issue
        const forms = env.lists.has(field) ? `; ${LIST_FORMS}` : ""
        return { path: issue.path, message: `${issue.message} (${envName(field)}${forms})` }
      })
      : []
    const issues = [...env.issues, ...decodeIssues]
    if (issues.length > 0 || Either.isLeft(decoded)) return yield* Effect.fail(ConfigError.fromIssues(issues))
    return decoded.right
  })

/**
 * The decoded configuration as a service.
 *
 * @since 0.1.0
 * @category tags
 */
export class GuardConfig extends Context.Tag("effect-guard/GuardConfig")<GuardConfig, GuardConfigShape>() {
  /**
   * A layer from a configuration written in code.
   *
   * @since 0.1.0
   */
  static layer(input: GuardConfigInput = {}): Layer.Layer<GuardConfig, ConfigError> {
    return Layer.effect(GuardConfig, decodeGuardConfig(input))
  }

  /**
   * A layer from `GUARD_*` variables (e.g. `GUARD_MUTED_EVENT_TYPES=rate_limited,ip_banned`,
   * `GUARD_OTEL_RESOURCE_ATTRIBUTES=deployment.environment=prod`), over optional code defaults.
   *
   * @since 0.1.0
   */
  static layerConfig(defaults: GuardConfigInput = {}): Layer.Layer<GuardConfig, ConfigError> {
    return Layer.effect(GuardConfig, loadGuardConfig(defaults))
  }
}

/**
 * The service name the OTel resource ends up with: `otelServiceName`, unless
 * `otelResourceAttributes["service.name"]` overrides it (applied last, as in the reference).
 *
 * @since 0.1.0
 * @category accessors
 */
export const effectiveServiceName = (config: GuardConfigShape): string =>
  config.otelResourceAttributes["service.name"] ?? config.otelServiceName

/**
 * The environment variable that sets a field (`mutedEventTypes` -> `GUARD_MUTED_EVENT_TYPES`).
 *
 * @since 0.1.0
 * @category accessors
 */
export const guardEnvName: (field: string) => string = envName
