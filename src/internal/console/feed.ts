/**
 * What the guard console knows, fed through the composite handler like any exporter (so muting and
 * enrichment apply, and the request path only pays the composite's own offer): a ring buffer of
 * recent events, per-minute counts over the last hour, the top talkers in Space-Saving counters, the
 * passive-mode report, the bans it saw being set, and a `PubSub` for the live stream. Every part is
 * bounded, whatever the traffic.
 *
 * @internal
 */
import { Clock, Effect, PubSub, type Scope } from "effect"
import { type CheckName, type EventType, threatScoreFor } from "../../EventTypes.js"
import type { Exporter, ExporterSpec } from "../../Exporter.js"
import type { SecurityEvent, SecurityMetric } from "../../SecurityEvent.js"
import { type Json, toJsonSafe } from "../json.js"
import { makeTopK, type TopEntry } from "./topK.js"

/**
 * One event as the console shows it: the fields a row needs, and the metadata as JSON with secrets
 * redacted and its size bounded.
 */
export interface ConsoleEvent {
  readonly id: number
  readonly time: number
  readonly type: EventType
  readonly action: string
  readonly ip: string
  readonly method: string | null
  readonly route: string | null
  /** The check that refused (or would have refused) the request, when the event says so. */
  readonly check: CheckName | null
  /** Detection pattern ids, dynamic rule id, rule or violation type. */
  readonly rules: ReadonlyArray<string>
  /** The event type's threat score (the detection's own score, if any, is in the metadata). */
  readonly score: number
  readonly reason: string
  /** The request was refused, or would have been in passive mode. */
  readonly refused: boolean
  /** Passive mode: logged only, the request went on. */
  readonly passive: boolean
  readonly metadata: Json
}

/** One minute of counts. */
export interface MinuteCounts {
  readonly minute: number
  readonly requests: number
  readonly errors: number
  readonly refusals: number
  readonly byType: Readonly<Record<string, number>>
  readonly byCheck: Readonly<Record<string, number>>
}

export interface BanSeen {
  readonly target: string
  readonly reason: string
  readonly bannedAt: number
  readonly until: number | null
}

export interface PassiveEntry {
  readonly check: string
  readonly type: string
  readonly rule: string
  readonly count: number
  readonly error: number
  readonly lastReason: string
  readonly lastRoute: string | null
  readonly lastSeen: number
}

export interface ConsoleFeed {
  readonly exporter: ExporterSpec
  /** Newest last; at most `limit`. */
  readonly recent: (limit: number) => ReadonlyArray<ConsoleEvent>
  readonly minutes: Effect.Effect<ReadonlyArray<MinuteCounts>>
  readonly top: (limit: number) => {
    readonly ips: ReadonlyArray<TopEntry<undefined>>
    readonly routes: ReadonlyArray<TopEntry<undefined>>
    readonly rules: ReadonlyArray<TopEntry<undefined>>
  }
  readonly passiveReport: (limit: number) => ReadonlyArray<PassiveEntry>
  readonly bansSeen: () => ReadonlyArray<BanSeen>
  readonly forgetBan: (target: string) => void
  readonly totals: () => { readonly events: number; readonly refusals: number; readonly requests: number; readonly stored: number }
  /** Subscribes (in the scope) before reading the buffer: every event is either in `backlog` or comes through `live`. */
  readonly subscribe: (backlog: number) => Effect.Effect<{
    readonly backlog: ReadonlyArray<ConsoleEvent>
    readonly live: Effect.Effect<ConsoleEvent>
  }, never, Scope.Scope>
}

export const EXPORTER_NAME = "guard_console"
const MINUTES = 60
const TOP_CAPACITY = 64
const PASSIVE_CAPACITY = 256
const MAX_BANS_SEEN = 10_000
const MAX_REASON = 1_000
const MAX_METADATA = 4_000

/** What refusing a request is recorded as (`logged_only`: what passive mode would have refused). */
const REFUSAL_ACTIONS: ReadonlySet<string> = new Set(["request_blocked", "banned", "emergency_lockdown", "https_redirect", "logged_only"])

/** The check behind each refusal event, for the events that do not carry it. */
const CHECK_OF: Partial<Record<EventType, CheckName>> = {
  penetration_attempt: "suspicious_activity",
  rate_limited: "rate_limit",
  dynamic_rule_violation: "rate_limit",
  ip_blocked: "ip_security",
  ip_banned: "ip_security",
  country_blocked: "ip_security",
  cloud_blocked: "cloud_provider",
  user_agent_blocked: "user_agent",
  emergency_mode_block: "emergency_mode",
  https_enforced: "https_enforcement",
  content_filtered: "request_size_content",
  authentication_failed: "authentication",
  custom_request_check: "custom_request",
  access_denied: "route_config"
}

/** `decorator_violation` names its check through `violation_type`. */
const CHECK_OF_VIOLATION: Readonly<Record<string, CheckName>> = {
  require_referrer: "referrer",
  custom_validation: "custom_validators",
  time_restriction: "time_window",
  required_header: "required_headers",
  header_mismatch: "required_headers",
  max_request_size: "request_size_content",
  content_type: "request_size_content",
  invalid_content_length: "request_size_content",
  rate_limit: "rate_limit",
  cloud_provider: "cloud_provider",
  require_auth: "authentication"
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max)}…`)

const strings = (value: unknown): ReadonlyArray<string> =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : typeof value === "string" ? [value] : []

const boundedMetadata = (metadata: SecurityEvent["metadata"]): Json => {
  const safe = toJsonSafe(metadata) ?? {}
  const text = JSON.stringify(safe)
  return text.length <= MAX_METADATA ? safe : { truncated: true, preview: text.slice(0, MAX_METADATA) }
}

const checkOf = (event: SecurityEvent): CheckName | null => {
  const violation = event.metadata["violation_type"]
  if (typeof violation === "string" && CHECK_OF_VIOLATION[violation] !== undefined) return CHECK_OF_VIOLATION[violation]
  return CHECK_OF[event.eventType] ?? null
}

const rulesOf = (event: SecurityEvent): ReadonlyArray<string> => {
  const m = event.metadata
  const rules = [...strings(m["pattern_ids"]), ...strings(m["rule_id"]).map((id) => `dynamic:${id}`)]
  if (rules.length === 0) {
    for (const key of ["rule_type", "violation_type", "filter_type"] as const) rules.push(...strings(m[key]))
  }
  if (event.ruleType !== undefined && !rules.includes(event.ruleType)) rules.push(event.ruleType)
  return rules.slice(0, 16).map((rule) => clip(rule, 128))
}

export const toConsoleEvent = (id: number, event: SecurityEvent): ConsoleEvent => {
  const metadata = event.metadata
  const passive = metadata["passive_mode"] === true || event.actionTaken === "logged_only"
  return {
    id,
    time: event.timestamp.getTime(),
    type: event.eventType,
    action: clip(event.actionTaken, 128),
    ip: clip(event.ipAddress, 128),
    method: event.method === undefined ? null : clip(event.method, 32),
    route: event.endpoint === undefined ? null : clip(event.endpoint, 512),
    check: checkOf(event),
    rules: rulesOf(event),
    score: threatScoreFor(event.eventType),
    reason: clip(event.reason, MAX_REASON),
    refused: REFUSAL_ACTIONS.has(event.actionTaken) && event.eventType !== "ip_banned",
    passive,
    metadata: boundedMetadata(metadata)
  }
}

interface MutableMinute {
  minute: number
  requests: number
  errors: number
  refusals: number
  byType: Record<string, number>
  byCheck: Record<string, number>
}

const emptyMinute = (minute: number): MutableMinute => ({ minute, requests: 0, errors: 0, refusals: 0, byType: {}, byCheck: {} })

export const makeFeed = (options: { readonly capacity: number }): Effect.Effect<ConsoleFeed> =>
  Effect.gen(function*() {
    const capacity = options.capacity
    // touched only from one fiber at a time (the exporter's lane) or synchronously: no locking needed
    const ring: Array<ConsoleEvent | undefined> = new Array(capacity)
    let next = 0
    let nextId = 1
    const minutes: Array<MutableMinute> = Array.from({ length: MINUTES }, () => emptyMinute(-1))
    const ips = makeTopK(TOP_CAPACITY)
    const routes = makeTopK(TOP_CAPACITY)
    const rules = makeTopK(TOP_CAPACITY)
    const passive = makeTopK<{ check: string; type: string; rule: string; reason: string; route: string | null; time: number }>(PASSIVE_CAPACITY)
    const bans = new Map<string, BanSeen>()
    const totals = { events: 0, refusals: 0, requests: 0 }
    const pubsub = yield* PubSub.sliding<ConsoleEvent>(1024)

    const minuteAt = (millis: number): MutableMinute => {
      const minute = Math.floor(millis / 60_000)
      const slot = minutes[((minute % MINUTES) + MINUTES) % MINUTES]!
      if (slot.minute === minute) return slot
      // an older minute than the one in the slot is more than an hour old: counted nowhere
      if (slot.minute > minute) return emptyMinute(minute)
      Object.assign(slot, emptyMinute(minute))
      return slot
    }

    const countRequest = (millis: number, status: number, count = 1) => {
      const m = minuteAt(millis)
      m.requests += count
      if (status >= 400) m.errors += count
      totals.requests += count
    }

    const remember = (view: ConsoleEvent, event: SecurityEvent) => {
      ring[next] = view
      next = (next + 1) % capacity
      totals.events++
      const m = minuteAt(view.time)
      m.byType[view.type] = (m.byType[view.type] ?? 0) + 1
      if (view.type === "ip_banned") {
        const duration = event.metadata["duration"]
        const network = event.metadata["banned_network"]
        const target = typeof network === "string" ? network : view.ip
        if (bans.size >= MAX_BANS_SEEN && !bans.has(target)) bans.delete(bans.keys().next().value!)
        bans.delete(target)
        bans.set(target, {
          target,
          reason: view.reason,
          bannedAt: view.time,
          until: typeof duration === "number" ? view.time + duration * 1000 : null
        })
      } else if (view.type === "ip_unbanned") {
        bans.delete(view.ip)
      }
      if (!view.refused) return
      totals.refusals++
      m.refusals++
      const check = view.check ?? view.type
      m.byCheck[check] = (m.byCheck[check] ?? 0) + 1
      ips.add(view.ip, undefined)
      if (view.route !== null) routes.add(`${view.method ?? ""} ${view.route}`.trim(), undefined)
      for (const rule of view.rules) rules.add(rule, undefined)
      if (view.passive) {
        const rule = view.rules[0] ?? "-"
        passive.add(`${check}|${view.type}|${rule}`, { check, type: view.type, rule, reason: view.reason, route: view.route, time: view.time })
      }
    }

    const record = (event: SecurityEvent): Effect.Effect<void> =>
      Effect.suspend(() => {
        const view = toConsoleEvent(nextId++, event)
        remember(view, event)
        return PubSub.publish(pubsub, view)
      })

    const recordMetrics = (metrics: ReadonlyArray<SecurityMetric>): Effect.Effect<void> =>
      Effect.sync(() => {
        for (const metric of metrics) {
          // requests are counted once, from request_count; error_rate only marks the errors among them
          if (metric.metricType === "request_count") countRequest(metric.timestamp.getTime(), 0, metric.value)
          else if (metric.metricType === "error_rate") minuteAt(metric.timestamp.getTime()).errors += metric.value
        }
      })

    const recent = (limit: number): ReadonlyArray<ConsoleEvent> => {
      const out: Array<ConsoleEvent> = []
      const count = Math.min(limit, capacity)
      for (let i = 1; i <= count; i++) {
        const view = ring[(next - i + capacity * 2) % capacity]
        if (view === undefined) break
        out.push(view)
      }
      return out.reverse()
    }

    const exporter: ExporterSpec = {
      name: EXPORTER_NAME,
      acquire: Effect.map(Effect.clock, (clock): Exporter => ({
        name: EXPORTER_NAME,
        exportEvent: record,
        exportMetric: (metric) => recordMetrics([metric]),
        exportMetrics: recordMetrics,
        // a finished request is one increment here, taken synchronously: nothing is built for it
        requestSink: ({ muted }) =>
          muted.has("request_count") ? () => {} : (request) => countRequest(clock.unsafeCurrentTimeMillis(), request.status),
        flush: Effect.void,
        health: Effect.succeed(true)
      }))
    }

    return {
      exporter,
      recent,
      minutes: Effect.map(Clock.currentTimeMillis, (now) => {
        const current = Math.floor(now / 60_000)
        const out: Array<MinuteCounts> = []
        for (let minute = current - MINUTES + 1; minute <= current; minute++) {
          const slot = minutes[((minute % MINUTES) + MINUTES) % MINUTES]!
          const m = slot.minute === minute ? slot : emptyMinute(minute)
          out.push({ ...m, byType: { ...m.byType }, byCheck: { ...m.byCheck } })
        }
        return out
      }),
      top: (limit) => ({ ips: ips.top(limit), routes: routes.top(limit), rules: rules.top(limit) }),
      passiveReport: (limit) =>
        passive.top(limit).map(({ count, detail, error }) => ({
          check: detail.check,
          type: detail.type,
          rule: detail.rule,
          count,
          error,
          lastReason: detail.reason,
          lastRoute: detail.route,
          lastSeen: detail.time
        })),
      bansSeen: () => [...bans.values()],
      forgetBan: (target) => {
        bans.delete(target)
      },
      totals: () => ({ ...totals, stored: Math.min(totals.events, capacity) }),
      subscribe: (backlog) =>
        Effect.map(PubSub.subscribe(pubsub), (queue) => ({ backlog: recent(backlog), live: queue.take }))
    }
  })
