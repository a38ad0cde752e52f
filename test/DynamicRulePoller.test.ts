import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Option, Ref, TestClock } from "effect"
import {
  CompositeHandler,
  decodeGuardConfig,
  DynamicRuleManager,
  EnrichmentKeys,
  EventBus,
  GuardConfig,
  type GuardConfigInput,
  GuardLive,
  TestExporter
} from "effect-guard"
import { DynamicRulePoller, optionsFromConfig } from "effect-guard/DynamicRulePoller"
import { AgentClient, AgentError } from "effect-guard/exporters/Agent"

const T0 = Date.parse("2026-01-01T00:00:00.000Z")
const iso = (offsetSeconds: number) => new Date(T0 + offsetSeconds * 1000).toISOString()

const CONFIG: GuardConfigInput = {
  enableAgent: true,
  agentApiKey: "test-api-key-0123456789",
  agentEndpoint: "http://127.0.0.1:9",
  // the agent transport is not under test here: it sends nothing, so it never starts
  agentEnableEvents: false,
  agentEnableMetrics: false,
  agentRetryAttempts: 0,
  enableDynamicRules: true,
  dynamicRuleInterval: 60,
  enableEnrichment: true
}

/** What the stand-in backend answers to `GET /api/v1/rules`. */
type Backend = { readonly _tag: "Rules"; readonly body: unknown } | { readonly _tag: "Down" }

const rules = (overrides: Record<string, unknown> = {}) => ({ rule_id: "r-1", version: 1, ...overrides })

interface Harness {
  readonly backend: Ref.Ref<Backend>
  readonly fetches: Ref.Ref<number>
  readonly manager: DynamicRuleManager["Type"]
  readonly poller: DynamicRulePoller["Type"]
  readonly bus: EventBus["Type"]
  readonly composite: CompositeHandler["Type"]
  readonly exporter: TestExporter["Type"]
}

/** GuardLive + the poller (as the lead wires it), over a test AgentClient, on the TestClock at T0. */
const harness = (first: Backend) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(T0)
    const backend = yield* Ref.make(first)
    const fetches = yield* Ref.make(0)
    const client = AgentClient.layerTest({
      fetchRules: Effect.zipRight(
        Ref.update(fetches, (n) => n + 1),
        Effect.flatMap(Ref.get(backend), (b) =>
          b._tag === "Down"
            ? Effect.fail(new AgentError({ reason: "ServerError", status: 503, message: "GET /api/v1/rules: backend answered 503" }))
            : Effect.succeed(Option.fromNullable(b.body)))
      )
    })
    const layer = Layer.provideMerge(DynamicRulePoller.layerClientConfig, GuardLive).pipe(
      Layer.provideMerge(TestExporter.layer()),
      Layer.provide(client),
      Layer.provide(Layer.orDie(GuardConfig.layer(CONFIG)))
    )
    const context = yield* Layer.build(layer)
    const h: Harness = {
      backend,
      fetches,
      manager: Context.get(context, DynamicRuleManager),
      poller: Context.get(context, DynamicRulePoller),
      bus: Context.get(context, EventBus),
      composite: Context.get(context, CompositeHandler),
      exporter: Context.get(context, TestExporter)
    }
    yield* settle(h, 1)
    return h
  })

/** Lets the poll fiber run until `n` fetches happened (bounded). */
const settle = (h: Pick<Harness, "fetches" | "poller">, n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 200; i++) {
      if ((yield* Ref.get(h.fetches)) >= n && Option.isSome(yield* h.poller.lastOutcome)) return
      yield* Effect.yieldNow()
    }
  })

const adjust = (h: Harness, seconds: number) =>
  Effect.gen(function*() {
    const before = yield* Ref.get(h.fetches)
    yield* TestClock.adjust(Duration.seconds(seconds))
    for (let i = 0; i < 50; i++) yield* Effect.yieldNow()
    return (yield* Ref.get(h.fetches)) - before
  })

const inForce = (h: Harness) =>
  Effect.map(h.manager.current, Option.map((a) => `${a.rules.ruleId}@${a.rules.version}`))

const systemEvents = (h: Harness) =>
  Effect.gen(function*() {
    yield* h.composite.flush
    return (yield* h.exporter.events).filter((e) => e.ipAddress === "system")
  })

describe("DynamicRulePoller", () => {
  it.scoped("fetches the rules at start and puts them in force", () =>
    Effect.gen(function*() {
      const h = yield* harness({ _tag: "Rules", body: rules() })
      expect(yield* Ref.get(h.fetches)).toBe(1)
      expect(yield* inForce(h)).toEqual(Option.some("r-1@1"))
      expect(Option.map(yield* h.poller.lastOutcome, (o) => o._tag)).toEqual(Option.some("Applied"))
    }))

  it.scoped("fetches again every dynamicRuleInterval seconds", () =>
    Effect.gen(function*() {
      const h = yield* harness({ _tag: "Rules", body: rules() })
      expect(yield* adjust(h, 59)).toBe(0)
      expect(yield* adjust(h, 1)).toBe(1)
      expect(yield* adjust(h, 60)).toBe(1)
    }))

  it.scoped("a newer version replaces the rules in force at the next poll", () =>
    Effect.gen(function*() {
      const h = yield* harness({ _tag: "Rules", body: rules() })
      yield* Ref.set(h.backend, { _tag: "Rules", body: rules({ version: 2 }) })
      yield* adjust(h, 60)
      expect(yield* inForce(h)).toEqual(Option.some("r-1@2"))
    }))

  it.scoped("a version that is not newer than the one in force is skipped", () =>
    Effect.gen(function*() {
      const h = yield* harness({ _tag: "Rules", body: rules({ version: 3 }) })
      yield* Ref.set(h.backend, { _tag: "Rules", body: rules({ version: 2, blocked_countries: ["FR"] }) })
      yield* adjust(h, 60)
      expect(yield* inForce(h)).toEqual(Option.some("r-1@3"))
      expect(Option.map(yield* h.poller.lastOutcome, (o) => o._tag)).toEqual(Option.some("Unchanged"))
      expect((yield* systemEvents(h)).filter((e) => e.eventType === "dynamic_rule_updated").length).toBe(1)
    }))

  it.scoped("a payload that does not match the schema is ignored and the rules in force stay", () =>
    Effect.gen(function*() {
      const h = yield* harness({ _tag: "Rules", body: rules() })
      yield* Ref.set(h.backend, { _tag: "Rules", body: { rule_id: "r-1", version: "two", ip_blacklist: "1.2.3.4" } })
      yield* adjust(h, 60)
      expect(yield* inForce(h)).toEqual(Option.some("r-1@1"))
      expect(Option.map(yield* h.poller.lastOutcome, (o) => o._tag)).toEqual(Option.some("Invalid"))
    }))

  it.scoped("an empty payload means no rules and applies nothing", () =>
    Effect.gen(function*() {
      const h = yield* harness({ _tag: "Rules", body: null })
      expect(yield* inForce(h)).toEqual(Option.none())
      expect(Option.map(yield* h.poller.lastOutcome, (o) => o._tag)).toEqual(Option.some("NoRules"))
    }))

  it.scoped("a backend that is down leaves the rules in force", () =>
    Effect.gen(function*() {
      const h = yield* harness({ _tag: "Rules", body: rules() })
      yield* Ref.set(h.backend, { _tag: "Down" })
      yield* adjust(h, 60)
      expect(yield* inForce(h)).toEqual(Option.some("r-1@1"))
      expect(Option.map(yield* h.poller.lastOutcome, (o) => o._tag)).toEqual(Option.some("Failed"))
    }))

  it.scoped("rules go out of force at expires_at and the configured behaviour returns", () =>
    Effect.gen(function*() {
      const h = yield* harness({ _tag: "Rules", body: rules({ expires_at: iso(90) }) })
      yield* adjust(h, 89)
      expect(yield* inForce(h)).toEqual(Option.some("r-1@1"))
      yield* adjust(h, 1)
      expect(yield* inForce(h)).toEqual(Option.none())
      // subscribers of `changes` see the expiry too
      expect(Option.isNone(yield* Ref.get(h.manager.changes))).toBe(true)
    }))

  it.scoped("rules that arrive already expired are ignored", () =>
    Effect.gen(function*() {
      const h = yield* harness({ _tag: "Rules", body: rules({ expires_at: iso(-1) }) })
      expect(yield* inForce(h)).toEqual(Option.none())
      expect(Option.map(yield* h.poller.lastOutcome, (o) => o._tag)).toEqual(Option.some("Expired"))
    }))

  it.scoped("the enricher tags events the rules concern with the rule id and version", () =>
    Effect.gen(function*() {
      const h = yield* harness({ _tag: "Rules", body: rules({ version: 4, ip_blacklist: ["203.0.113.0/24"] }) })
      yield* h.bus.emit("ip_blocked", { actionTaken: "request_blocked", reason: "blacklisted", ipAddress: "203.0.113.7" })
      yield* h.bus.emit("ip_blocked", { actionTaken: "request_blocked", reason: "other", ipAddress: "198.51.100.1" })
      yield* h.composite.flush
      const tags = (yield* h.exporter.events)
        .filter((e) => e.eventType === "ip_blocked")
        .map((e) => [e.ipAddress, e.metadata[EnrichmentKeys.ruleId], e.metadata[EnrichmentKeys.ruleVersion]])
      expect(tags).toEqual([["203.0.113.7", "r-1", 4], ["198.51.100.1", undefined, undefined]])
    }))

  it.scoped("events after expiry are no longer tagged with the rule", () =>
    Effect.gen(function*() {
      const h = yield* harness({ _tag: "Rules", body: rules({ ip_blacklist: ["203.0.113.7"], expires_at: iso(30) }) })
      yield* adjust(h, 30)
      yield* h.bus.emit("ip_blocked", { actionTaken: "request_blocked", reason: "blacklisted", ipAddress: "203.0.113.7" })
      yield* h.composite.flush
      const event = (yield* h.exporter.events).find((e) => e.eventType === "ip_blocked")
      expect(event?.metadata[EnrichmentKeys.ruleId]).toBeUndefined()
    }))

  it.scoped("applying rules emits dynamic_rule_updated then dynamic_rule_applied from ip system", () =>
    Effect.gen(function*() {
      const h = yield* harness({ _tag: "Rules", body: rules({ ip_blacklist: ["1.1.1.1", "2.2.2.2"], blocked_countries: ["CN"] }) })
      const events = yield* systemEvents(h)
      expect(events.map((e) => [e.eventType, e.actionTaken, e.reason, e.handlerName])).toEqual([
        ["dynamic_rule_updated", "rules_received", "Received updated rules r-1 v1", "dynamic_rules"],
        ["dynamic_rule_applied", "rules_updated", "Applied dynamic rules r-1 v1", "dynamic_rules"]
      ])
      expect(events[0]?.metadata).toMatchObject({ rule_id: "r-1", version: 1, previous_version: 0 })
      expect(events[1]?.metadata).toMatchObject({ rule_id: "r-1", version: 1, ip_bans: 2, country_blocks: 1, emergency_mode: false })
    }))

  it.scoped("rules that turn emergency mode on emit emergency_mode_activated once, between the two", () =>
    Effect.gen(function*() {
      const whitelist = Array.from({ length: 12 }, (_, i) => `10.0.0.${i}`)
      const h = yield* harness({ _tag: "Rules", body: rules({ emergency_mode: true, emergency_whitelist: whitelist }) })
      yield* Ref.set(h.backend, { _tag: "Rules", body: rules({ version: 2, emergency_mode: true, emergency_whitelist: whitelist }) })
      yield* adjust(h, 60)
      const events = yield* systemEvents(h)
      expect(events.map((e) => e.eventType)).toEqual([
        "dynamic_rule_updated",
        "emergency_mode_activated",
        "dynamic_rule_applied",
        "dynamic_rule_updated",
        "dynamic_rule_applied"
      ])
      expect(events[1]?.metadata).toEqual(expect.objectContaining({ whitelist_count: 12, whitelist: whitelist.slice(0, 10) }))
    }))
})

describe("optionsFromConfig", () => {
  it.effect("takes the agent's backend and retry policy, dynamicRuleInterval, and a schedule when enableDynamicRules is on", () =>
    Effect.gen(function*() {
      const options = optionsFromConfig(yield* decodeGuardConfig(CONFIG))
      expect(options.client?.endpoint).toBe("http://127.0.0.1:9")
      expect(Duration.toSeconds(options.interval)).toBe(60)
      expect(options.retry.attempts).toBe(0)
      expect(options.schedule).toBe(true)
    }))

  it.effect("without an API key there is no client, and with enableDynamicRules off no schedule", () =>
    Effect.gen(function*() {
      const options = optionsFromConfig(yield* decodeGuardConfig({}))
      expect(options.client).toBeUndefined()
      expect(options.schedule).toBe(false)
    }))
})
