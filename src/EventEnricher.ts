/**
 * Adds the `guard.*` keys of the enriched telemetry tier to events (all eight) and metrics (the three
 * identity keys, as tags). Each strategy runs on its own: one that fails is logged and skipped
 * without costing the others. Time comes from the event's own timestamp, so the correlation bucket is
 * the one the event happened in, however late enrichment runs.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Context, Effect, Layer, Option } from "effect"
import { BehaviorTracker, RECENT_EVENT_WINDOW } from "./BehaviorTracker.js"
import { DynamicRuleManager } from "./DynamicRuleManager.js"
import { threatScoreFor } from "./EventTypes.js"
import { effectiveServiceName, GuardConfig, type GuardConfigShape } from "./GuardConfig.js"
import { makeClientKeys } from "./internal/ip.js"
import { copyEvent, copyMetric, type Metadata, type SecurityEvent, type SecurityMetric } from "./SecurityEvent.js"

/**
 * The eight enrichment keys.
 *
 * @since 0.1.0
 * @category constants
 */
export const EnrichmentKeys = {
  projectId: "guard.project_id",
  serviceName: "guard.service.name",
  deploymentEnvironment: "guard.deployment.environment",
  threatScore: "guard.threat_score",
  ruleId: "guard.rule.id",
  ruleVersion: "guard.rule.version",
  correlationKey: "guard.behavior.correlation_key",
  recentEventCount: "guard.behavior.recent_event_count"
} as const

/**
 * Seconds in one correlation bucket.
 *
 * @since 0.1.0
 * @category constants
 */
export const CORRELATION_BUCKET_SECONDS = 300

/**
 * Addresses that name no client; they get no behaviour keys (they would all share one key).
 *
 * @since 0.1.0
 * @category constants
 */
export const PSEUDO_IPS: ReadonlySet<string> = new Set(["", "unknown", "system"])

/**
 * The correlation key: the first 16 hex characters of SHA-256(`${ip}|${service}|${bucket}`), where
 * bucket is `floor(epochSeconds / 300)`.
 *
 * @example
 * ```ts
 * import { correlationKey } from "effect-guard/EventEnricher"
 *
 * correlationKey("1.2.3.4", "guard-core", 1_700_000_000) // "2b06d6c4973760f5"
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const correlationKey = (ip: string, service: string, epochSeconds: number): string =>
  createHash("sha256")
    .update(`${ip}|${service}|${Math.floor(epochSeconds / CORRELATION_BUCKET_SECONDS)}`, "utf8")
    .digest("hex")
    .slice(0, 16)

/**
 * @since 0.1.0
 * @category tags
 */
export class EventEnricher extends Context.Tag("effect-guard/EventEnricher")<EventEnricher, {
  /** A copy of `event` with the `guard.*` keys whose sources exist. Never fails. */
  readonly enrichEvent: (event: SecurityEvent) => Effect.Effect<SecurityEvent>
  /** A copy of `metric` with the identity keys as tags. Never fails. */
  readonly enrichMetric: (metric: SecurityMetric) => Effect.Effect<SecurityMetric>
  /** `enrichMetric` for many metrics in one step (three per request reach the composite). */
  readonly enrichMetrics: (metrics: ReadonlyArray<SecurityMetric>) => Effect.Effect<ReadonlyArray<SecurityMetric>>
  /**
   * The tags `enrichMetrics` adds to every metric, when they are the same for all (they are here):
   * exporters that aggregate requests take them once per attribute set instead of per metric.
   * An enricher that leaves it out gets every request metric to enrich.
   */
  readonly metricTags?: Readonly<Record<string, string>> | undefined
}>() {
  /**
   * Counts behaviour with the `BehaviorTracker` and matches events against the `DynamicRuleManager`'s
   * rules (`make` builds one without either).
   *
   * @since 0.2.0
   */
  static layer(options: EventEnricherOptions): Layer.Layer<EventEnricher, never, BehaviorTracker | DynamicRuleManager> {
    return Layer.effect(
      EventEnricher,
      Effect.gen(function*() {
        const tracker = yield* BehaviorTracker
        const rules = yield* DynamicRuleManager
        return make({ ...options, tracker, rules })
      })
    )
  }

  /**
   * {@link EventEnricher.layer} with the options of `GuardConfig` ({@link optionsFromConfig}).
   *
   * @since 0.1.0
   */
  static readonly layerConfig: Layer.Layer<EventEnricher, never, GuardConfig | BehaviorTracker | DynamicRuleManager> = Layer
    .unwrapEffect(Effect.map(GuardConfig, (config) => EventEnricher.layer(optionsFromConfig(config))))
}

/**
 * What an enricher adds to every event and metric, and how it groups clients.
 *
 * @since 0.2.0
 * @category models
 */
export interface EventEnricherOptions {
  /** `guard.project_id`, when set. */
  readonly projectId?: string | undefined
  /** `guard.service_name`, and part of the correlation key. */
  readonly serviceName: string
  /** `guard.deployment_environment`, when set and not empty. */
  readonly deploymentEnvironment?: string | undefined
  /** The prefix length that makes an IPv6 client one network (behaviour and correlation keys). */
  readonly ipv6Subnet: number
}

/**
 * The enricher's options from a decoded `GuardConfig`: `agentProjectId`, the effective service name,
 * `otelResourceAttributes["deployment.environment"]` and `ipv6Subnet`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const optionsFromConfig = (config: GuardConfigShape): EventEnricherOptions => ({
  projectId: config.agentProjectId,
  serviceName: effectiveServiceName(config),
  deploymentEnvironment: config.otelResourceAttributes["deployment.environment"],
  ipv6Subnet: config.ipv6Subnet
})

type Strategy = (event: SecurityEvent, bag: Record<string, unknown>) => Effect.Effect<void, unknown>

const identity = (options: EventEnricherOptions): Readonly<Record<string, string>> => {
  const out: Record<string, string> = {}
  if (options.projectId !== undefined) out[EnrichmentKeys.projectId] = options.projectId
  out[EnrichmentKeys.serviceName] = options.serviceName
  const env = options.deploymentEnvironment
  if (env !== undefined && env !== "") out[EnrichmentKeys.deploymentEnvironment] = env
  return out
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: EventEnricherOptions & {
  readonly tracker?: BehaviorTracker["Type"] | undefined
  readonly rules?: DynamicRuleManager["Type"] | undefined
}): EventEnricher["Type"] => {
  const { rules, tracker } = options
  const ids = identity(options)
  const service = options.serviceName
  const clientKey = makeClientKeys(options.ipv6Subnet)

  const strategies: ReadonlyArray<readonly [string, Strategy]> = [
    ["identity", (_, bag) => Effect.sync(() => Object.assign(bag, ids))],
    ["threat_score", (event, bag) =>
      Effect.sync(() => {
        bag[EnrichmentKeys.threatScore] = threatScoreFor(event.eventType)
      })],
    ["rule_correlation", (event, bag) =>
      rules === undefined ? Effect.void : Effect.map(rules.matchEvent(event), (match) => {
        if (Option.isSome(match)) {
          bag[EnrichmentKeys.ruleId] = match.value.ruleId
          bag[EnrichmentKeys.ruleVersion] = match.value.version
        }
      })],
    ["behavior_correlation", (event, bag) => {
      if (PSEUDO_IPS.has(event.ipAddress)) return Effect.void
      // an IPv6 client is one network of ipv6Subnet bits, whichever of its addresses it uses
      const ip = clientKey(event.ipAddress)
      const at = event.timestamp.getTime()
      bag[EnrichmentKeys.correlationKey] = correlationKey(ip, service, at / 1000)
      if (tracker === undefined) return Effect.void
      return tracker.record(ip, at).pipe(
        Effect.zipRight(tracker.recentEventCount(ip, RECENT_EVENT_WINDOW, at)),
        Effect.map((count) => {
          bag[EnrichmentKeys.recentEventCount] = count
        })
      )
    }]
  ]

  const enrichEvent = (event: SecurityEvent) =>
    Effect.gen(function*() {
      const bag: Record<string, unknown> = {}
      for (const [name, strategy] of strategies) {
        yield* Effect.catchAllCause(
          Effect.suspend(() => strategy(event, bag)),
          (cause) => Effect.logWarning(`enrichment strategy ${name} failed; its keys are left out`, cause)
        )
      }
      return copyEvent(event, { ...event.metadata, ...bag } as Metadata)
    })

  const withIds = (metric: SecurityMetric) => copyMetric(metric, { ...metric.tags, ...ids })
  return EventEnricher.of({
    enrichEvent,
    enrichMetric: (metric) => Effect.sync(() => withIds(metric)),
    enrichMetrics: (metrics) => Effect.sync(() => metrics.map(withIds)),
    metricTags: ids
  })
}
