/**
 * Fetches the dynamic rules from the guard-agent backend at start and then every
 * `dynamicRuleInterval` seconds, from a fiber of the layer's scope. A payload is validated with the
 * `DynamicRules` schema (a bad one is logged and never applied); a rule set whose `version` is not newer
 * than the one in force (same `rule_id`) is skipped; a new one is put in force at once through
 * `DynamicRuleManager.setRules`, announced with `dynamic_rule_updated`, `emergency_mode_activated` (when
 * it turns emergency mode on) and `dynamic_rule_applied`, and taken out of force at its `expires_at`,
 * which restores the configured behaviour.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { DynamicRulePoller, GuardConfig, GuardLive } from "effect-guard"
 *
 * const Guard = Layer.provideMerge(DynamicRulePoller.layerConfig, GuardLive).pipe(
 *   Layer.provide(GuardConfig.layerConfig())
 * )
 * ```
 *
 * @since 0.1.0
 */
import { FetchHttpClient } from "@effect/platform"
import {
  Clock,
  Context,
  Data,
  Duration,
  Effect,
  Either,
  FiberHandle,
  Layer,
  Option,
  ParseResult,
  Ref,
  Schedule,
  type Scope,
  SubscriptionRef
} from "effect"
import { DynamicRuleManager, isExpired } from "./DynamicRuleManager.js"
import { decodeDynamicRules, type DynamicRules } from "./DynamicRules.js"
import { EventBus } from "./EventBus.js"
import {
  AgentClient,
  type AgentClientOptions,
  AgentError,
  clientOptionsFromConfig,
  makeClient,
  type RetryPolicy,
  retryPolicyFromConfig
} from "./exporters/Agent.js"
import { withRetries } from "./exporters/agent/retry.js"
import { GuardConfig, type GuardConfigShape } from "./GuardConfig.js"

/**
 * What one poll did.
 *
 * @since 0.1.0
 * @category models
 */
export type PollOutcome = Data.TaggedEnum<{
  /** The rules were put in force. */
  Applied: { readonly ruleId: string; readonly version: number }
  /** The backend sent the rules in force again, or an older version. */
  Unchanged: { readonly ruleId: string; readonly version: number }
  /** The rules had expired before they arrived; ignored. */
  Expired: { readonly ruleId: string; readonly version: number }
  /** The backend has no rules (204, 404, `null` or `{}`). */
  NoRules: {}
  /** The payload did not match the `DynamicRules` schema; ignored. */
  Invalid: { readonly message: string }
  /** The backend could not be reached or refused; the rules in force stay. */
  Failed: { readonly message: string }
}>

/**
 * @since 0.1.0
 * @category constructors
 */
export const PollOutcome = Data.taggedEnum<PollOutcome>()

/**
 * @since 0.1.0
 * @category tags
 */
export class DynamicRulePoller extends Context.Tag("effect-guard/DynamicRulePoller")<DynamicRulePoller, {
  /** Fetches now and applies what is newer. Never fails. */
  readonly poll: Effect.Effect<PollOutcome>
  /** The outcome of the latest poll. */
  readonly lastOutcome: Effect.Effect<Option.Option<PollOutcome>>
}>() {
  /**
   * Polls the guard-agent backend of `options.client` over `fetch`. Without a client (no API key)
   * the error is logged and every poll answers `Failed`; nothing else changes.
   *
   * @since 0.2.0
   */
  static layer(options: DynamicRulePollerLayerOptions): Layer.Layer<DynamicRulePoller, never, DynamicRuleManager | EventBus> {
    return Layer.scoped(
      DynamicRulePoller,
      Effect.gen(function*() {
        const client = yield* (options.client === undefined
          ? Effect.fail(new AgentError({ reason: "Unauthorized", message: "agentApiKey is not set" }))
          : makeClient(options.client).pipe(Effect.provide(FetchHttpClient.layer))).pipe(Effect.either)
        if (Either.isLeft(client)) {
          yield* Effect.logError(`dynamic rules are off: ${client.left.message}`)
          return yield* fromContext(unavailable(client.left), { ...options, schedule: false })
        }
        return yield* fromContext(client.right, options)
      })
    )
  }

  /**
   * {@link DynamicRulePoller.layer} with the backend and interval of `GuardConfig`; polls on a
   * schedule when `enableDynamicRules` is on, otherwise `poll` still works on demand.
   *
   * @since 0.1.0
   */
  static readonly layerConfig: Layer.Layer<DynamicRulePoller, never, DynamicRuleManager | GuardConfig | EventBus> = Layer
    .unwrapEffect(Effect.map(GuardConfig, (config) => DynamicRulePoller.layer(optionsFromConfig(config))))

  /**
   * Polls through the `AgentClient` in context (a test client, or one built elsewhere); `client` of
   * the options is not used.
   *
   * @since 0.2.0
   */
  static layerClient(
    options: Omit<DynamicRulePollerLayerOptions, "client">
  ): Layer.Layer<DynamicRulePoller, never, AgentClient | DynamicRuleManager | EventBus> {
    return Layer.scoped(DynamicRulePoller, Effect.flatMap(AgentClient, (client) => fromContext(client, options)))
  }

  /**
   * {@link DynamicRulePoller.layerClient} with the interval of `GuardConfig`; polls on a schedule when
   * `enableDynamicRules` is on.
   *
   * @since 0.1.0
   */
  static readonly layerClientConfig: Layer.Layer<
    DynamicRulePoller,
    never,
    AgentClient | DynamicRuleManager | GuardConfig | EventBus
  > = Layer.unwrapEffect(Effect.map(GuardConfig, (config) => DynamicRulePoller.layerClient(optionsFromConfig(config))))
}

/**
 * Options of {@link DynamicRulePoller.layer}.
 *
 * @since 0.2.0
 * @category models
 */
export interface DynamicRulePollerLayerOptions {
  /** The backend to poll; `undefined` when no API key is set (every poll answers `Failed`). */
  readonly client: AgentClientOptions | undefined
  /** Time between two polls (the first poll runs at once). */
  readonly interval: Duration.DurationInput
  readonly retry: RetryPolicy
  /** Whether to poll on a schedule; `poll` works on demand either way. */
  readonly schedule: boolean
}

/**
 * The poller's options from a decoded `GuardConfig`: the agent's client, `dynamicRuleInterval`, the
 * agent's retry policy, and a schedule when `enableDynamicRules` is on.
 *
 * @since 0.2.0
 * @category constructors
 */
export const optionsFromConfig = (config: GuardConfigShape): DynamicRulePollerLayerOptions => ({
  client: Option.getOrUndefined(clientOptionsFromConfig(config)),
  interval: Duration.seconds(config.dynamicRuleInterval),
  retry: retryPolicyFromConfig(config),
  schedule: config.enableDynamicRules
})

const unavailable = (error: AgentError): AgentClient["Type"] =>
  AgentClient.of({ sendBatch: () => Effect.fail(error), fetchRules: Effect.fail(error), sendStatus: () => Effect.fail(error) })

const fromContext = (client: AgentClient["Type"], options: Omit<DynamicRulePollerLayerOptions, "client">) =>
  Effect.gen(function*() {
    return yield* make({
      client,
      manager: yield* DynamicRuleManager,
      bus: yield* EventBus,
      interval: options.interval,
      retry: options.retry,
      schedule: options.schedule
    })
  })

/**
 * @since 0.1.0
 * @category models
 */
export interface DynamicRulePollerOptions {
  readonly client: AgentClient["Type"]
  readonly manager: DynamicRuleManager["Type"]
  readonly bus: EventBus["Type"]
  /** Time between two polls (the first poll runs at once). */
  readonly interval: Duration.DurationInput
  readonly retry?: RetryPolicy
  /** Whether to poll on a schedule (default true). */
  readonly schedule?: boolean
}

const HANDLER_NAME = "dynamic_rules"
const EMERGENCY_WHITELIST_SHOWN = 10

/**
 * Starts the poller in the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: DynamicRulePollerOptions): Effect.Effect<DynamicRulePoller["Type"], never, Scope.Scope> =>
  Effect.gen(function*() {
    const { bus, client, manager } = options
    const retry = withRetries(options.retry ?? { attempts: 3, base: Duration.seconds(1) })
    const lock = yield* Effect.makeSemaphore(1)
    const last = yield* Ref.make(Option.none<PollOutcome>())
    const expiredSeen = yield* Ref.make<ReadonlySet<string>>(new Set())
    const expiry = yield* FiberHandle.make<void, never>()

    const expireAt = (rules: DynamicRules, now: number) =>
      rules.expiresAt === undefined || rules.expiresAt === null
        ? FiberHandle.clear(expiry)
        : FiberHandle.run(
          expiry,
          Effect.sleep(Duration.millis(Math.max(0, rules.expiresAt.getTime() - now))).pipe(
            Effect.zipRight(SubscriptionRef.modify(manager.changes, (active) =>
              Option.isSome(active) && active.value.rules === rules ? [true, Option.none()] : [false, active])),
            Effect.flatMap((cleared) =>
              cleared
                ? Effect.logInfo(`dynamic rules ${rules.ruleId} v${rules.version} expired; the configured behaviour is back`)
                : Effect.void)
          )
        )

    const apply = (rules: DynamicRules, now: number) =>
      Effect.gen(function*() {
        const previous = yield* manager.current
        const prev = Option.map(previous, (a) => a.rules)
        if (Option.isSome(prev) && prev.value.ruleId === rules.ruleId && rules.version <= prev.value.version) {
          return PollOutcome.Unchanged({ ruleId: rules.ruleId, version: rules.version })
        }
        yield* bus.emit("dynamic_rule_updated", {
          actionTaken: "rules_received",
          reason: `Received updated rules ${rules.ruleId} v${rules.version}`,
          ipAddress: "system",
          handlerName: HANDLER_NAME,
          metadata: {
            rule_id: rules.ruleId,
            version: rules.version,
            previous_version: Option.match(prev, { onNone: () => 0, onSome: (p) => p.version })
          }
        })
        yield* manager.setRules(rules)
        yield* expireAt(rules, now)
        if (rules.emergencyMode && !Option.exists(prev, (p) => p.emergencyMode)) {
          yield* bus.emit("emergency_mode_activated", {
            actionTaken: "emergency_lockdown",
            reason: "[EMERGENCY MODE] activated via dynamic rules",
            ipAddress: "system",
            handlerName: HANDLER_NAME,
            metadata: {
              whitelist_count: rules.emergencyWhitelist.length,
              whitelist: rules.emergencyWhitelist.slice(0, EMERGENCY_WHITELIST_SHOWN)
            }
          })
        }
        yield* bus.emit("dynamic_rule_applied", {
          actionTaken: "rules_updated",
          reason: `Applied dynamic rules ${rules.ruleId} v${rules.version}`,
          ipAddress: "system",
          handlerName: HANDLER_NAME,
          metadata: {
            rule_id: rules.ruleId,
            version: rules.version,
            ip_bans: rules.ipBlacklist.length,
            country_blocks: rules.blockedCountries.length,
            emergency_mode: rules.emergencyMode
          }
        })
        yield* Effect.logInfo(`dynamic rules ${rules.ruleId} v${rules.version} in force`)
        return PollOutcome.Applied({ ruleId: rules.ruleId, version: rules.version })
      })

    const pollOnce: Effect.Effect<PollOutcome> = Effect.gen(function*() {
      const fetched = yield* Effect.either(retry(client.fetchRules))
      if (Either.isLeft(fetched)) {
        yield* Effect.logWarning(`dynamic rules not fetched; the rules in force stay: ${fetched.left.message}`)
        return PollOutcome.Failed({ message: fetched.left.message })
      }
      if (Option.isNone(fetched.right)) return PollOutcome.NoRules()
      const decoded = yield* Effect.either(decodeDynamicRules(fetched.right.value))
      if (Either.isLeft(decoded)) {
        const message = ParseResult.TreeFormatter.formatErrorSync(decoded.left)
        yield* Effect.logWarning(`dynamic rules payload ignored: it does not match the DynamicRules schema\n${message}`)
        return PollOutcome.Invalid({ message })
      }
      const rules = decoded.right
      const now = yield* Clock.currentTimeMillis
      if (isExpired(rules, now)) {
        const id = `${rules.ruleId}@${rules.version}`
        const first = yield* Ref.modify(expiredSeen, (s) => [!s.has(id), s.has(id) ? s : new Set([...s, id])])
        if (first) yield* Effect.logWarning(`dynamic rules ${rules.ruleId} v${rules.version} arrived already expired; ignored`)
        return PollOutcome.Expired({ ruleId: rules.ruleId, version: rules.version })
      }
      return yield* apply(rules, now)
    })

    const poll = lock.withPermits(1)(pollOnce).pipe(
      Effect.tap((outcome) => Ref.set(last, Option.some(outcome))),
      Effect.withSpan("DynamicRulePoller.poll")
    )

    if (options.schedule ?? true) {
      yield* Effect.forkScoped(Effect.repeat(poll, Schedule.spaced(options.interval)))
    }

    return DynamicRulePoller.of({ poll, lastOutcome: Ref.get(last) })
  })
