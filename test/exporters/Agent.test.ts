import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Exit, Logger, Option, Redacted, Ref, Scope, TestClock } from "effect"
import { decodeGuardConfig } from "effect-guard"
import {
  type AgentClientOptions,
  type AgentExporterOptions,
  AgentClient,
  agentExporters,
  exportersOptionsFromConfig,
  make
} from "effect-guard/exporters/Agent"
import { type AgentBackend, makeAgentBackend } from "../support/agentBackend.js"
import { eventually, makeEvent, makeMetric } from "../support/events.js"

const API_KEY = "test-api-key-0123456789"
const KEY_B64 = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString("base64url")

const fastRetry = { attempts: 3, base: Duration.millis(5) }

/** An exporter talking to `backend` over real HTTP, with a long interval unless a test wants one. */
const exporterFor = (
  backend: AgentBackend,
  options: AgentExporterOptions = {},
  client: Partial<AgentClientOptions> = {}
) =>
  make({ flushInterval: Duration.hours(1), retry: fastRetry, ...options }).pipe(
    Effect.provide(AgentClient.layer({ endpoint: backend.url, apiKey: Redacted.make(API_KEY), ...client }))
  )

const uuidEvent = (i: number) => makeEvent("ip_banned", { idempotencyKey: crypto.randomUUID(), ipAddress: `10.0.0.${i}` })

describe("AgentExporter over HTTP", () => {
  it.scopedLive("an event batch arrives at /api/v1/events with the protocol headers", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      const exporter = yield* exporterFor(backend, {}, { projectId: "proj-1", installId: "install-1" })
      yield* exporter.exportEvent(uuidEvent(1))
      yield* exporter.flush
      const [request] = yield* backend.requests
      expect(request?.method).toBe("POST")
      expect(request?.path).toBe("/api/v1/events")
      expect(request?.headers["x-api-key"]).toBe(API_KEY)
      expect(request?.headers["x-project-id"]).toBe("proj-1")
      expect(request?.headers["x-agent-install-id"]).toBe("install-1")
      expect(request?.headers["content-type"]).toBe("application/json")
      expect(request?.headers["user-agent"]).toMatch(/^effect-guard\//)
    }))

  it.scopedLive("the batch object carries the reference's snake_case fields", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      const exporter = yield* exporterFor(backend, {}, { projectId: "proj-1" })
      const event = makeEvent("rate_limited", {
        idempotencyKey: crypto.randomUUID(),
        country: "FR",
        statusCode: 429,
        metadata: { rate_limit: 10, authorization: "Bearer secret" }
      })
      yield* exporter.exportEvent(event)
      yield* exporter.flush
      const [request] = yield* backend.requests
      const body = request?.json as Record<string, unknown>
      expect(body).toMatchObject({
        project_id: "proj-1",
        metrics: [],
        compressed: false,
        agent_version: "0.1.0",
        guard_version: null,
        guard_core_version: null
      })
      expect(body["batch_id"]).toMatch(/^\d+-[0-9a-f]{8}$/)
      expect(new Date(body["created_at"] as string).toISOString()).toBe(body["created_at"])
      expect((body["events"] as Array<unknown>)[0]).toEqual({
        idempotency_key: event.idempotencyKey,
        timestamp: "2023-11-14T22:13:20.000Z",
        event_type: "rate_limited",
        ip_address: "1.2.3.4",
        country: "FR",
        user_agent: null,
        action_taken: "request_blocked",
        reason: "test",
        endpoint: null,
        method: null,
        status_code: 429,
        response_time: null,
        decorator_type: null,
        rule_type: null,
        pattern_matched: null,
        handler_name: null,
        metadata: { rate_limit: 10, authorization: "[REDACTED]" }
      })
    }))

  it.scopedLive("metrics go to /api/v1/metrics as snake_case items", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      const exporter = yield* exporterFor(backend)
      yield* exporter.exportMetric(makeMetric("response_time", 12.5))
      yield* exporter.flush
      const [request] = yield* backend.requests
      expect(request?.path).toBe("/api/v1/metrics")
      expect(request?.json).toMatchObject({
        events: [],
        metrics: [{ timestamp: "2023-11-14T22:13:20.000Z", metric_type: "response_time", value: 12.5, endpoint: null, tags: { endpoint: "/x" } }]
      })
    }))

  it.scopedLive("the signature verifies against the uncompressed body, also when the body is gzipped", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend({ signingSecret: "shared-secret" })
      const exporter = yield* exporterFor(backend, {}, { signingSecret: Redacted.make("shared-secret"), compressionThreshold: 4096 })
      yield* exporter.exportEvent(uuidEvent(1))
      yield* exporter.flush
      for (let i = 0; i < 20; i++) yield* exporter.exportEvent(uuidEvent(i))
      yield* exporter.flush
      const [small, large] = yield* backend.requests
      expect(small?.headers["content-encoding"]).toBeUndefined()
      expect(large?.headers["content-encoding"]).toBe("gzip")
      expect((large?.json as Record<string, unknown>)["compressed"]).toBe(true)
      expect([small?.signatureValid, large?.signatureValid]).toEqual([true, true])
      expect(small?.headers["x-payload-signature"]).toMatch(/^v1=[0-9a-f]{64}$/)
    }))

  it.scopedLive("a wrong signing secret is refused by the verifying backend", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend({ signingSecret: "shared-secret" })
      const exporter = yield* exporterFor(backend, {}, { signingSecret: Redacted.make("another-secret") })
      yield* exporter.exportEvent(uuidEvent(1))
      const exit = yield* Effect.exit(exporter.flush)
      expect(Exit.isFailure(exit)).toBe(true)
      expect((yield* backend.requests).map((r) => r.signatureValid)).toEqual([false])
    }))

  it.scopedLive("encrypted envelopes go to /api/v1/events/encrypted and decrypt with the shared key", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend({ encryptionKey: KEY_B64 })
      const exporter = yield* exporterFor(backend, {}, { encryptionKey: Redacted.make(KEY_B64), projectId: "proj-1" })
      const event = uuidEvent(7)
      yield* exporter.exportEvent(event)
      yield* exporter.exportMetric(makeMetric("request_count"))
      yield* exporter.flush
      const requests = yield* backend.requests
      expect(requests.map((r) => r.path)).toEqual(["/api/v1/events/encrypted", "/api/v1/events/encrypted"])
      const envelope = requests[0]?.json as Record<string, unknown>
      expect(Object.keys(envelope).sort()).toEqual(["agent_version", "batch_id", "encrypted_payload", "guard_core_version", "guard_version"])
      expect(envelope["encrypted_payload"]).toMatch(/^[A-Za-z0-9_-]+=*$/)
      expect(requests[0]?.headers["x-project-id"]).toBe("proj-1")
      expect((yield* backend.acceptedEvents).map((e) => e["idempotency_key"])).toEqual([event.idempotencyKey])
      expect((yield* backend.acceptedMetrics).map((m) => m["metric_type"])).toEqual(["request_count"])
    }))

  it.effect("an encryption key that is not 32 bytes fails to start the client", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.provide(AgentClient, AgentClient.layer({ endpoint: "http://127.0.0.1:9", apiKey: Redacted.make(API_KEY), encryptionKey: Redacted.make("c2hvcnQ") }))
      )
      expect(error.reason).toBe("Encryption")
    }))

  it.scopedLive("a 500 then a 200 delivers each event exactly once: the background round retries", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      yield* backend.script([{ status: 500 }])
      const exporter = yield* exporterFor(backend, { batchSize: 3 })
      const events = [uuidEvent(1), uuidEvent(2), uuidEvent(3)]
      yield* Effect.forEach(events, exporter.exportEvent)
      yield* eventually(backend.acceptedEvents, (accepted) => accepted.length === 3)
      expect((yield* backend.requests).map((r) => r.status)).toEqual([500, 200])
      expect((yield* backend.acceptedEvents).map((e) => e["idempotency_key"])).toEqual(events.map((e) => e.idempotencyKey))
    }))

  it.scopedLive("a flush tries each batch once: a failed batch is kept and delivered, once, by the next flush", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      yield* backend.script([{ status: 503 }])
      const exporter = yield* exporterFor(backend, { retry: { attempts: 5, base: Duration.hours(1) } })
      const event = uuidEvent(1)
      yield* exporter.exportEvent(event)
      // no backoff: the caller hears of the failure as soon as the backend answers
      expect(Exit.isFailure(yield* Effect.exit(exporter.flush))).toBe(true)
      expect((yield* backend.requests).map((r) => r.status)).toEqual([503])
      expect((yield* exporter.stats).bufferedEvents).toBe(1)
      yield* exporter.flush
      expect((yield* backend.acceptedEvents).map((e) => e["idempotency_key"])).toEqual([event.idempotencyKey])
    }))

  it.scopedLive("a 429 is retried after its Retry-After", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      yield* backend.script([{ status: 429, headers: { "retry-after": "0.2" } }])
      const exporter = yield* exporterFor(backend, { batchSize: 1 })
      yield* exporter.exportEvent(uuidEvent(1))
      const [refused, accepted] = yield* eventually(backend.requests, (rs) => rs.length === 2)
      expect([refused?.status, accepted?.status]).toEqual([429, 200])
      expect(accepted!.at - refused!.at).toBeGreaterThanOrEqual(190)
    }))

  it.scopedLive("a flush asked for while a background round waits to retry goes at once", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      yield* backend.script([{ status: 503 }])
      // the background round's retry would wait an hour
      const exporter = yield* exporterFor(backend, { batchSize: 1, retry: { attempts: 3, base: Duration.hours(1) } })
      yield* exporter.exportEvent(uuidEvent(1))
      yield* eventually(backend.requests, (rs) => rs.length === 1)
      yield* exporter.flush
      expect((yield* backend.requests).map((r) => r.status)).toEqual([503, 200])
    }))

  it.scopedLive("a 400 drops the batch without a retry and counts it rejected", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      yield* backend.script([{ status: 400 }])
      const exporter = yield* exporterFor(backend)
      yield* Effect.forEach([uuidEvent(1), uuidEvent(2)], exporter.exportEvent)
      yield* exporter.flush
      const stats = yield* exporter.stats
      expect((yield* backend.requests).length).toBe(1)
      expect([stats.rejected, stats.bufferedEvents, stats.sent]).toEqual([2, 0, 0])
    }))

  it.scopedLive("a 200 saying success: false is a rejection, not a delivery", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      yield* backend.script([{ status: 200, body: { success: false, message: "Event quota exceeded" } }])
      const exporter = yield* exporterFor(backend)
      yield* exporter.exportEvent(uuidEvent(1))
      yield* exporter.flush
      const stats = yield* exporter.stats
      expect([stats.rejected, stats.sent, (yield* backend.requests).length]).toEqual([1, 0, 1])
    }))

  it.scopedLive("a 401 is not retried and the batch is kept for a later flush", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      yield* backend.script([{ status: 401 }])
      const exporter = yield* exporterFor(backend)
      yield* exporter.exportEvent(uuidEvent(1))
      const error = yield* Effect.flip(exporter.flush)
      expect(error.reason).toBe("Flush")
      expect((yield* backend.requests).length).toBe(1)
      expect((yield* exporter.stats).bufferedEvents).toBe(1)
      expect(yield* exporter.health).toBe(false)
    }))

  it.scopedLive("a 413 splits the batch in halves until it fits", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      yield* backend.script([{ status: 413 }])
      const exporter = yield* exporterFor(backend)
      const events = [uuidEvent(1), uuidEvent(2), uuidEvent(3), uuidEvent(4)]
      yield* Effect.forEach(events, exporter.exportEvent)
      yield* exporter.flush
      const requests = yield* backend.requests
      expect(requests.map((r) => (r.json as { events: Array<unknown> }).events.length)).toEqual([4, 2, 2])
      expect((yield* backend.acceptedEvents).map((e) => e["idempotency_key"])).toEqual(events.map((e) => e.idempotencyKey))
    }))

  it.scopedLive("a 5xx storm never grows the buffer past its bound; the drops are counted", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      yield* backend.always({ status: 503 })
      const exporter = yield* exporterFor(backend, { bufferSize: 10, batchSize: 5, retry: { attempts: 1, base: Duration.millis(1) } })
      const sizes = yield* Ref.make(Chunk.empty<number>())
      for (let i = 0; i < 200; i++) {
        yield* exporter.exportEvent(uuidEvent(i % 250))
        if (i % 20 === 0) yield* Effect.exit(exporter.flush)
        yield* Ref.update(sizes, Chunk.append((yield* exporter.stats).bufferedEvents))
      }
      const stats = yield* exporter.stats
      expect(Math.max(...Chunk.toReadonlyArray(yield* Ref.get(sizes)))).toBeLessThanOrEqual(10)
      expect(stats.bufferedEvents).toBe(10)
      expect(stats.dropped).toBe(190)
      expect(stats.sent).toBe(0)
    }))

  it.scopedLive("a 429 storm drops the oldest events and keeps the newest", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      yield* backend.always({ status: 429, headers: { "retry-after": "0" } })
      const exporter = yield* exporterFor(backend, { bufferSize: 5, batchSize: 5, retry: { attempts: 1, base: Duration.millis(1) } })
      const events = Array.from({ length: 50 }, (_, i) => uuidEvent(i))
      yield* Effect.forEach(events, exporter.exportEvent)
      yield* Effect.exit(exporter.flush)
      yield* backend.always(undefined)
      yield* exporter.flush
      expect((yield* exporter.stats).dropped).toBe(45)
      expect((yield* backend.acceptedEvents).map((e) => e["idempotency_key"])).toEqual(events.slice(45).map((e) => e.idempotencyKey))
    }))

  it.scopedLive("reaching the batch size flushes without waiting for the interval", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      const exporter = yield* exporterFor(backend, { batchSize: 3 })
      yield* Effect.forEach([uuidEvent(1), uuidEvent(2), uuidEvent(3)], exporter.exportEvent)
      const accepted = yield* eventually(backend.acceptedEvents, (a) => a.length === 3)
      expect(accepted.length).toBe(3)
    }))

  it.scopedLive("the flush interval delivers a partial batch", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      const exporter = yield* exporterFor(backend, { flushInterval: Duration.millis(50) })
      yield* exporter.exportEvent(uuidEvent(1))
      const accepted = yield* eventually(backend.acceptedEvents, (a) => a.length === 1)
      expect(accepted.length).toBe(1)
    }))

  it.live("closing the scope flushes what is buffered", () =>
    Effect.gen(function*() {
      const backendScope = yield* Scope.make()
      const backend = yield* Scope.extend(makeAgentBackend(), backendScope)
      const scope = yield* Scope.make()
      const exporter = yield* Scope.extend(exporterFor(backend), scope)
      yield* Effect.forEach([uuidEvent(1), uuidEvent(2)], exporter.exportEvent)
      yield* Scope.close(scope, Exit.void)
      expect((yield* backend.acceptedEvents).length).toBe(2)
      yield* Scope.close(backendScope, Exit.void)
    }))

  it.effect("closing the scope tries the final flush once when the backend keeps failing: no backoff to wait out", () =>
    Effect.gen(function*() {
      const backendScope = yield* Scope.make()
      const backend = yield* Scope.extend(makeAgentBackend(), backendScope)
      yield* backend.always({ status: 503 })
      const scope = yield* Scope.make()
      const exporter = yield* Scope.extend(
        exporterFor(backend, { shutdownTimeout: Duration.millis(200), retry: { attempts: 100, base: Duration.millis(50) } }),
        scope
      )
      yield* exporter.exportEvent(uuidEvent(1))
      // the test clock never moves: a backoff or a wait for the deadline would never end
      yield* Scope.close(scope, Exit.void)
      const posts = (yield* backend.requests).filter((r) => r.path === "/api/v1/events")
      expect(posts.map((r) => r.status)).toEqual([503])
      yield* Scope.close(backendScope, Exit.void)
    }))

  it.scoped("reports its status to /api/v1/status one interval after the start, then every interval (TestClock)", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      const exporter = yield* exporterFor(backend, { statusInterval: Duration.minutes(5) })
      yield* exporter.exportEvent(uuidEvent(1))
      yield* exporter.flush
      const statuses = Effect.map(backend.requests, (rs) => rs.filter((r) => r.path === "/api/v1/status"))
      yield* TestClock.adjust(Duration.minutes(4))
      expect(yield* statuses).toEqual([])
      yield* TestClock.adjust(Duration.minutes(1))
      const [first] = yield* eventually(statuses, (rs) => rs.length === 1)
      expect(first!.headers["x-api-key"]).toBe(API_KEY)
      expect(first!.json).toEqual({
        timestamp: new Date(5 * 60_000).toISOString(),
        status: "healthy",
        uptime: 300,
        events_sent: 1,
        events_failed: 0,
        buffer_size: 0,
        last_flush: new Date(0).toISOString(),
        errors: []
      })
      yield* TestClock.adjust(Duration.minutes(5))
      expect((yield* eventually(statuses, (rs) => rs.length === 2)).length).toBe(2)
    }))

  it.scopedLive("while flushes fail the status is degraded, then failed, with the reasons; it is never encrypted", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend({ encryptionKey: KEY_B64 })
      const exporter = yield* exporterFor(backend, { retry: { attempts: 0, base: Duration.millis(1) } }, { encryptionKey: Redacted.make(KEY_B64) })
      yield* exporter.exportEvent(uuidEvent(1))
      yield* backend.always({ status: 503 })
      yield* Effect.exit(exporter.flush)
      const degraded = yield* exporter.status
      expect(degraded.status).toBe("degraded")
      expect(degraded.errors[0]).toContain("agent flush failed")
      yield* Effect.exit(exporter.flush)
      yield* Effect.exit(exporter.flush)
      expect((yield* exporter.status)).toMatchObject({ status: "failed", bufferSize: 1, eventsSent: 0 })
      yield* backend.always(undefined)
      yield* exporter.reportStatus
      const report = (yield* backend.requests).find((r) => r.path === "/api/v1/status")
      expect(report?.json).toMatchObject({ status: "failed", buffer_size: 1, last_flush: null })
      expect((report?.json as { errors: Array<string> }).errors).toHaveLength(3)
      // once a flush delivers, it is healthy again
      yield* exporter.flush
      expect((yield* exporter.status)).toMatchObject({ status: "healthy", errors: [], eventsSent: 1 })
    }))

  it.scopedLive("a high failure rate or a nearly full buffer degrade the status; the rate counts only since the previous report", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      const exporter = yield* exporterFor(backend, { bufferSize: 10, batchSize: 10 })
      yield* backend.script([{ status: 400 }])
      yield* Effect.forEach([uuidEvent(1), uuidEvent(2)], exporter.exportEvent)
      yield* exporter.flush
      const refused = yield* exporter.status
      expect(refused).toMatchObject({ status: "degraded", eventsFailed: 2, errors: ["High failure rate: 100.0%"] })
      yield* exporter.reportStatus
      // the refusal is in the previous report: the next period starts clean
      yield* exporter.exportEvent(uuidEvent(3))
      yield* exporter.flush
      expect(yield* exporter.status).toMatchObject({ status: "healthy", eventsSent: 1, eventsFailed: 2, errors: [] })
      // nine of ten slots taken, not flushed yet
      yield* Effect.forEach(Array.from({ length: 9 }, (_, i) => uuidEvent(10 + i)), exporter.exportEvent)
      expect(yield* exporter.status).toMatchObject({ status: "degraded", bufferSize: 9, errors: ["Buffer at least 90% full (10 items per kind)"] })
    }))

  it.scopedLive("disabled events are not sent while metrics still are", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      const exporter = yield* exporterFor(backend, { sendEvents: false })
      yield* exporter.exportEvent(uuidEvent(1))
      yield* exporter.exportMetric(makeMetric("request_count"))
      yield* exporter.flush
      expect((yield* backend.requests).map((r) => r.path)).toEqual(["/api/v1/metrics"])
    }))

  it.scopedLive("the API key appears in no log line or error message", () => {
    const lines: Array<string> = []
    const capture = Logger.make(({ cause, message }) => {
      lines.push(`${String(message)} ${String(cause)}`)
    })
    return Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      yield* backend.always({ status: 401 })
      const exporter = yield* exporterFor(backend, { flushInterval: Duration.millis(10) })
      yield* exporter.exportEvent(uuidEvent(1))
      const error = yield* Effect.flip(exporter.flush)
      yield* eventually(Effect.sync(() => lines.length), (n) => n > 0)
      const text = [...lines, error.message, JSON.stringify(error), String(error)].join("\n")
      expect(lines.length).toBeGreaterThan(0)
      expect(text).toContain("401")
      expect(text).not.toContain(API_KEY)
    }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture)))
  })
})

describe("AgentClient.fetchRules over HTTP", () => {
  const client = (backend: AgentBackend) =>
    Effect.provide(AgentClient, AgentClient.layer({ endpoint: `${backend.url}/api/v1/`, apiKey: Redacted.make(API_KEY) }))

  it.scopedLive("GETs /api/v1/rules with the API key and without a Content-Type", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      yield* backend.setRules({ rule_id: "r-1", version: 2 })
      const body = yield* (yield* client(backend)).fetchRules
      const [request] = yield* backend.requests
      expect(body).toEqual(Option.some({ rule_id: "r-1", version: 2 }))
      expect([request?.method, request?.path]).toEqual(["GET", "/api/v1/rules"])
      expect(request?.headers["x-api-key"]).toBe(API_KEY)
      expect(request?.headers["content-type"]).toBeUndefined()
    }))

  it.scopedLive("a 204 means the backend has no rules", () =>
    Effect.gen(function*() {
      const backend = yield* makeAgentBackend()
      expect(yield* (yield* client(backend)).fetchRules).toEqual(Option.none())
    }))
})

describe("agentExporters", () => {
  const config = (input: Record<string, unknown>) => decodeGuardConfig({ enableAgent: true, agentApiKey: API_KEY, ...input })

  it.effect("the agent is off unless enableAgent is on", () =>
    Effect.gen(function*() {
      expect(yield* agentExporters(exportersOptionsFromConfig(yield* decodeGuardConfig({})))).toEqual([])
    }))

  it.effect("enableAgent with an API key gives one exporter named agent", () =>
    Effect.gen(function*() {
      expect((yield* agentExporters(exportersOptionsFromConfig(yield* config({})))).map((s) => s.name)).toEqual(["agent"])
    }))

  it.effect("with both agentEnableEvents and agentEnableMetrics off the agent sends nothing, so it is not started", () =>
    Effect.gen(function*() {
      expect(yield* agentExporters(exportersOptionsFromConfig(yield* config({ agentEnableEvents: false, agentEnableMetrics: false })))).toEqual([])
    }))

  it.effect("an encryption key that does not decode to 32 bytes fails config decoding without echoing it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(config({ agentEncryptionKey: "bm90LWEta2V5" }))
      expect(error.message).toContain("agentEncryptionKey must decode to 32 bytes")
      expect(error.message).not.toContain("bm90LWEta2V5")
    }))

  it.effect("an API key shorter than 10 characters fails config decoding", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(config({ agentApiKey: "short" }))
      expect(error.message).toContain("at least 10 characters")
    }))

  it.effect("a status interval outside 60 s to one day fails config decoding", () =>
    Effect.gen(function*() {
      expect((yield* config({ agentStatusInterval: 60 })).agentStatusInterval).toBe(60)
      const error = yield* Effect.flip(config({ agentStatusInterval: 10 }))
      expect(error.issues.map((i) => i.path)).toEqual(["agentStatusInterval"])
    }))
})
