/**
 * The guard-agent transport: batches security events and metrics to a guard-agent backend and fetches
 * the dynamic rules from it, wire-compatible with guard-agent (paths, headers, snake_case JSON,
 * `X-Payload-Signature`, AES-256-GCM envelopes).
 *
 * - `AgentClient` speaks the protocol: one request per call, no retries, no state.
 * - The exporter (`make`) holds a bounded buffer per kind (oldest dropped and counted when full),
 *   delivers in background rounds when a kind reaches the batch size and on an interval, retrying
 *   those with jittered exponential backoff only when a retry can help; a `flush` tries each batch
 *   once, and so does the last one, within a deadline, when its scope closes.
 *
 * The API key stays `Redacted` until the `X-API-Key` header is written; no log line, error or span
 * carries it.
 *
 * @since 0.1.0
 */
import { FetchHttpClient, Headers, HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import {
  Cause,
  Chunk,
  Clock,
  Context,
  Data,
  Duration,
  Effect,
  Either,
  Exit,
  Layer,
  Metric,
  Option,
  Queue,
  Redacted,
  Ref,
  Schedule,
  type Scope
} from "effect"
import { randomUUID } from "node:crypto"
import { gzipSync } from "node:zlib"
import { type Exporter, ExporterError, type ExporterSpec } from "../Exporter.js"
import { failAfter } from "../internal/deadline.js"
import type { GuardConfigShape } from "../GuardConfig.js"
import type { SecurityEvent, SecurityMetric } from "../SecurityEvent.js"
import { type BoundedBuffer, makeBoundedBuffer } from "./agent/buffer.js"
import { decodeKey, decrypt, encrypt, signature } from "./agent/crypto.js"
import { type RetryPolicy, withRetries } from "./agent/retry.js"
import {
  AGENT_VERSION,
  batchId,
  batchWire,
  canonicalJson,
  envelopeWire,
  eventToWire,
  type Json,
  metricToWire,
  normalizeEndpoint,
  type StatusReport,
  statusWire
} from "./agent/wire.js"

export type { RetryPolicy } from "./agent/retry.js"

/**
 * The paths of the guard-agent API.
 *
 * @since 0.1.0
 * @category constants
 */
export const AgentPaths = {
  events: "/api/v1/events",
  metrics: "/api/v1/metrics",
  encrypted: "/api/v1/events/encrypted",
  status: "/api/v1/status",
  rules: "/api/v1/rules"
} as const

/**
 * Why a request to the backend failed. `retryable` says whether trying again can help: transport
 * errors, timeouts, 408, 429 and 5xx can; an auth failure (401/403), a rejected payload (400, 404, 422,
 * or a 200 saying `success: false`), a payload too large (413) or a local encryption failure cannot.
 *
 * @since 0.1.0
 * @category errors
 */
export class AgentError extends Data.TaggedError("AgentError")<{
  readonly reason:
    | "Transport"
    | "Timeout"
    | "RateLimited"
    | "ServerError"
    | "Unauthorized"
    | "Rejected"
    | "PayloadTooLarge"
    | "UnexpectedStatus"
    | "Encryption"
    | "InvalidResponse"
  readonly message: string
  readonly status?: number
  readonly retryAfter?: Duration.Duration
}> {
  /**
   * @since 0.1.0
   */
  get retryable(): boolean {
    return this.reason === "Transport" || this.reason === "Timeout" || this.reason === "RateLimited" ||
      this.reason === "ServerError"
  }

  /**
   * Whether the batch can never be delivered as it is (it is dropped rather than put back).
   *
   * @since 0.1.0
   */
  get permanent(): boolean {
    return this.reason === "Rejected" || this.reason === "PayloadTooLarge" || this.reason === "Encryption"
  }
}

/**
 * What one POST carries. The exporter sends one kind per batch; the client sends each non-empty kind
 * (or one encrypted envelope holding both).
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentBatch {
  readonly events: ReadonlyArray<SecurityEvent>
  readonly metrics: ReadonlyArray<SecurityMetric>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AgentClientOptions {
  /** Base URL; trailing slashes and a legacy `/api/v1` suffix are removed. */
  readonly endpoint: string
  readonly apiKey: Redacted.Redacted<string>
  readonly projectId?: string | undefined
  /** `X-Agent-Install-Id`; a random id when unset. */
  readonly installId?: string | undefined
  /** Signs every body with `X-Payload-Signature: v1=<hex HMAC-SHA256>` over the uncompressed bytes. */
  readonly signingSecret?: Redacted.Redacted<string> | undefined
  /** 32-byte urlsafe base64 project key; batches then go to `/api/v1/events/encrypted`. */
  readonly encryptionKey?: Redacted.Redacted<string> | undefined
  /** Gzip bodies of at least `compressionThreshold` bytes (default on, 1024 bytes). */
  readonly compression?: boolean | undefined
  readonly compressionThreshold?: number | undefined
  /** Longest time one request may take. Default 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * The guard-agent protocol, one request per call.
 *
 * @since 0.1.0
 * @category tags
 */
export class AgentClient extends Context.Tag("effect-guard/AgentClient")<AgentClient, {
  /** Sends a batch once (no retries). */
  readonly sendBatch: (batch: AgentBatch) => Effect.Effect<void, AgentError>
  /** Fetches the rules once: the JSON body, or none when the backend has no rules (204, 404, `null`, `{}`). */
  readonly fetchRules: Effect.Effect<Option.Option<unknown>, AgentError>
  /** Sends a status report once, never encrypted. */
  readonly sendStatus: (status: AgentStatus) => Effect.Effect<void, AgentError>
}>() {
  /**
   * A client over `fetch`.
   *
   * @since 0.1.0
   */
  static layer(options: AgentClientOptions): Layer.Layer<AgentClient, AgentError> {
    return Layer.effect(AgentClient, makeClient(options)).pipe(Layer.provide(FetchHttpClient.layer))
  }

  /**
   * A client from `GuardConfig` fields, or a failure when no `agentApiKey` is set.
   *
   * @since 0.1.0
   */
  static layerConfig(config: GuardConfigShape): Layer.Layer<AgentClient, AgentError> {
    return Option.match(clientOptionsFromConfig(config), {
      onNone: () =>
        Layer.fail(new AgentError({ reason: "Unauthorized", message: "agentApiKey is required to talk to the guard-agent backend" })),
      onSome: AgentClient.layer
    })
  }

  /**
   * A client answering from the given functions (tests, or a backend reached some other way).
   *
   * @since 0.1.0
   */
  static layerTest(impl: {
    readonly sendBatch?: (batch: AgentBatch) => Effect.Effect<void, AgentError>
    readonly fetchRules?: Effect.Effect<Option.Option<unknown>, AgentError>
    readonly sendStatus?: (status: AgentStatus) => Effect.Effect<void, AgentError>
  }): Layer.Layer<AgentClient> {
    return Layer.succeed(
      AgentClient,
      AgentClient.of({
        sendBatch: impl.sendBatch ?? (() => Effect.void),
        fetchRules: impl.fetchRules ?? Effect.succeed(Option.none()),
        sendStatus: impl.sendStatus ?? (() => Effect.void)
      })
    )
  }
}

/**
 * The client options the configuration describes; none without an API key.
 *
 * @since 0.1.0
 * @category constructors
 */
export const clientOptionsFromConfig = (config: GuardConfigShape): Option.Option<AgentClientOptions> =>
  config.agentApiKey === undefined ? Option.none() : Option.some({
    endpoint: config.agentEndpoint,
    apiKey: config.agentApiKey,
    projectId: config.agentProjectId,
    installId: config.agentInstallId,
    signingSecret: config.agentSigningSecret,
    encryptionKey: config.agentEncryptionKey,
    compression: config.agentCompression,
    compressionThreshold: config.agentCompressionThreshold,
    timeout: Duration.seconds(config.agentTimeout)
  })

/**
 * The retry policy the configuration describes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const retryPolicyFromConfig = (config: GuardConfigShape): RetryPolicy => ({
  attempts: config.agentRetryAttempts,
  base: Duration.seconds(config.agentBackoffFactor)
})

const parseRetryAfter = (value: string | undefined, nowMillis: number): Duration.Duration => {
  if (value !== undefined) {
    const seconds = Number(value.trim())
    if (value.trim() !== "" && Number.isFinite(seconds) && seconds >= 0) return Duration.seconds(seconds)
    const date = Date.parse(value)
    if (!Number.isNaN(date)) return Duration.millis(Math.max(0, date - nowMillis))
  }
  return Duration.seconds(60)
}

const describeRejection = (body: unknown): string | undefined => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined
  const record = body as Record<string, unknown>
  const errors = record["errors"]
  const hasErrors = Array.isArray(errors) && errors.length > 0
  if (record["success"] !== false && !hasErrors) return undefined
  const detail = typeof record["message"] === "string"
    ? record["message"]
    : hasErrors
    ? JSON.stringify(errors).slice(0, 200)
    : "success: false"
  return detail
}

/**
 * A client over the `HttpClient` in context. Fails with reason `Encryption` when the encryption key
 * does not survive an encrypt/decrypt round trip (there is never a plaintext fallback).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeClient = (
  options: AgentClientOptions
): Effect.Effect<AgentClient["Type"], AgentError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const base = normalizeEndpoint(options.endpoint)
    const installId = options.installId ?? randomUUID()
    const timeout = Duration.decode(options.timeout ?? Duration.seconds(30))
    const compression = options.compression ?? true
    const threshold = options.compressionThreshold ?? 1024

    const key = options.encryptionKey === undefined ? undefined : decodeKey(Redacted.value(options.encryptionKey))
    if (options.encryptionKey !== undefined) {
      const roundTrip = Either.try(() => key !== undefined && decrypt(key, encrypt(key, "{}")) === "{}")
      if (Either.isLeft(roundTrip) || !roundTrip.right) {
        return yield* new AgentError({
          reason: "Encryption",
          message: "agentEncryptionKey is not a usable AES-256 key (expected 32 bytes, urlsafe base64)"
        })
      }
    }

    const headers = (): Record<string, string> => ({
      "user-agent": `effect-guard/${AGENT_VERSION}`,
      "x-api-key": Redacted.value(options.apiKey),
      "x-agent-install-id": installId,
      ...(options.projectId === undefined ? {} : { "x-project-id": options.projectId })
    })

    const execute = (request: HttpClientRequest.HttpClientRequest, what: string) =>
      http.execute(request).pipe(
        Effect.mapError((error) =>
          new AgentError({ reason: "Transport", message: `${what} failed: ${error.reason} error (${error._tag})` })),
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () => new AgentError({ reason: "Timeout", message: `${what} timed out after ${Duration.format(timeout)}` })
        }),
        Effect.scoped,
        // the key header is redacted in spans even if the application narrowed the redaction list
        Effect.locallyWith(Headers.currentRedactedNames, (names) => [...names, "x-api-key"])
      )

    const classify = (
      response: HttpClientResponse.HttpClientResponse,
      what: string
    ): Effect.Effect<Option.Option<unknown>, AgentError> => {
      const status = response.status
      const fail = (reason: AgentError["reason"], detail: string, retryAfter?: Duration.Duration) =>
        Effect.fail(
          new AgentError({
            reason,
            status,
            message: `${what}: backend answered ${status} (${detail})`,
            ...(retryAfter === undefined ? {} : { retryAfter })
          })
        )
      if (status === 204) return Effect.succeed(Option.none())
      if (status >= 200 && status < 300) {
        return response.text.pipe(
          Effect.map((text) => {
            if (text.trim() === "") return Option.none<unknown>()
            try {
              return Option.some<unknown>(JSON.parse(text))
            } catch {
              return Option.none<unknown>()
            }
          }),
          Effect.catchAll(() => Effect.succeed(Option.none<unknown>())),
          Effect.flatMap((body) => {
            const rejection = Option.flatMap(body, (b) => Option.fromNullable(describeRejection(b)))
            return Option.isSome(rejection) ? fail("Rejected", rejection.value) : Effect.succeed(body)
          })
        )
      }
      if (status === 429) {
        return Effect.flatMap(Clock.currentTimeMillis, (now) =>
          fail("RateLimited", "rate limited", parseRetryAfter(response.headers["retry-after"], now)))
      }
      if (status === 401 || status === 403) return fail("Unauthorized", "check agentApiKey and agentProjectId")
      if (status === 413) return fail("PayloadTooLarge", "payload too large")
      if (status === 400 || status === 404 || status === 422) return fail("Rejected", "payload rejected")
      if (status === 408 || status >= 500) return fail("ServerError", "server error")
      return fail("UnexpectedStatus", "unexpected status")
    }

    const post = (path: string, build: (compressed: boolean) => Record<string, Json>) => {
      const what = `POST ${path}`
      return Effect.gen(function*() {
        let text = JSON.stringify(build(false))
        const compress = compression && Buffer.byteLength(text, "utf8") >= threshold
        if (compress) text = JSON.stringify(build(true))
        const raw = new TextEncoder().encode(text)
        const body = compress ? new Uint8Array(gzipSync(raw)) : raw
        const request = HttpClientRequest.post(`${base}${path}`).pipe(
          HttpClientRequest.setHeaders({
            ...headers(),
            ...(options.signingSecret === undefined ? {} : { "x-payload-signature": signature(Redacted.value(options.signingSecret), raw) }),
            ...(compress ? { "content-encoding": "gzip" } : {})
          }),
          HttpClientRequest.bodyUint8Array(body, "application/json")
        )
        const response = yield* execute(request, what)
        yield* classify(response, what)
      }).pipe(Effect.withSpan("AgentClient.post", { attributes: { "http.route": path } }))
    }

    const sendBatch = Effect.fn("AgentClient.sendBatch")(function*(batch: AgentBatch) {
      const now = yield* Clock.currentTimeMillis
      const id = batchId(now, randomUUID().replace(/-/g, ""))
      const header = { projectId: options.projectId, batchId: id, createdAt: new Date(now) }
      const events: Array<Json> = []
      for (const event of batch.events) {
        const wire = eventToWire(event)
        if (Either.isRight(wire)) events.push(wire.right)
        else yield* Effect.logWarning("agent: an event could not be encoded and is skipped", wire.left)
      }
      const metrics: Array<Json> = []
      for (const metric of batch.metrics) {
        const wire = metricToWire(metric)
        if (Either.isRight(wire)) metrics.push(wire.right)
        else yield* Effect.logWarning("agent: a metric could not be encoded and is skipped", wire.left)
      }
      if (events.length === 0 && metrics.length === 0) return
      if (key !== undefined) {
        const blob = Either.try({
          try: () => encrypt(key, canonicalJson({ events, metrics })),
          catch: () => new AgentError({ reason: "Encryption", message: "agent: the batch could not be encrypted" })
        })
        if (Either.isLeft(blob)) return yield* blob.left
        return yield* post(AgentPaths.encrypted, () => envelopeWire(id, blob.right))
      }
      if (events.length > 0) yield* post(AgentPaths.events, (c) => batchWire(header, events, [], c))
      if (metrics.length > 0) yield* post(AgentPaths.metrics, (c) => batchWire(header, [], metrics, c))
    })

    const fetchRules = Effect.gen(function*() {
      const what = `GET ${AgentPaths.rules}`
      // no Content-Type on a GET
      const response = yield* execute(HttpClientRequest.get(`${base}${AgentPaths.rules}`).pipe(HttpClientRequest.setHeaders(headers())), what)
      if (response.status === 404) return Option.none<unknown>()
      const body = yield* classify(response, what)
      return Option.filter(body, (b) =>
        b !== null && !(typeof b === "object" && !Array.isArray(b) && Object.keys(b).length === 0))
    }).pipe(Effect.withSpan("AgentClient.fetchRules"))

    const sendStatus = Effect.fn("AgentClient.sendStatus")(function*(status: AgentStatus) {
      yield* post(AgentPaths.status, () => statusWire(status))
    })

    return AgentClient.of({ sendBatch, fetchRules, sendStatus })
  })

/**
 * Agent telemetry dropped, by `kind` (`event`, `metric`) and `cause` (`overflow`: the buffer was full
 * and the oldest item went; `rejected`: the backend refused the batch for good).
 *
 * @since 0.1.0
 * @category metrics
 */
export const agentDropped = Metric.counter("effect_guard_agent_dropped", {
  description: "Events and metrics the guard-agent transport dropped",
  incremental: true
})

/**
 * @since 0.1.0
 * @category models
 */
export interface AgentExporterOptions {
  readonly name?: string
  /** Items held per kind; when full the oldest goes. Default 1000. */
  readonly bufferSize?: number
  /** Items per POST, and the size that triggers an early flush. Default 100. */
  readonly batchSize?: number
  /** Time between two periodic flushes. Default 30 seconds. */
  readonly flushInterval?: Duration.DurationInput
  /** How background rounds retry a failed delivery (`flush` never retries). Default 3 retries from 1 s. */
  readonly retry?: RetryPolicy
  /** Longest time the final flush may take when the scope closes. Default 5 seconds. */
  readonly shutdownTimeout?: Duration.DurationInput
  /** Whether events are sent (default true). */
  readonly sendEvents?: boolean
  /** Whether metrics are sent (default true). */
  readonly sendMetrics?: boolean
  /** Time between two status reports to `/api/v1/status`. Default 5 minutes. */
  readonly statusInterval?: Duration.DurationInput
}

/**
 * A status report (`POST /api/v1/status`), the reference's status item. `degraded` while flushes
 * fail, a buffer is 90 % full, or more than 10 % of the items handled since the previous report
 * were dropped or refused; `failed` once three flushes in a row have failed. `errors` says why:
 * the failures of the current run of failed flushes (the latest five), a full buffer, a high
 * failure rate.
 *
 * @since 0.1.0
 * @category models
 */
export type AgentStatus = StatusReport

/**
 * What the transport has done so far.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentStats {
  readonly bufferedEvents: number
  readonly bufferedMetrics: number
  /** Dropped because the buffer was full (oldest first). */
  readonly dropped: number
  /** Delivered items. */
  readonly sent: number
  /** Items the backend refused for good (dropped, not retried). */
  readonly rejected: number
  /** Flushes that ended with items put back. */
  readonly failedFlushes: number
  /** Consecutive failed flushes; 0 once a flush delivers. */
  readonly failureStreak: number
  readonly lastFlush: Option.Option<Date>
}

/**
 * A started agent exporter: an {@link Exporter} that also reports its {@link AgentStats}.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentExporter extends Exporter {
  readonly stats: Effect.Effect<AgentStats>
  /** The status it would report now (its failure rate is over the items since the previous report). */
  readonly status: Effect.Effect<AgentStatus>
  /** Sends the status now (the exporter also does so every `statusInterval`). */
  readonly reportStatus: Effect.Effect<void, AgentError>
}

interface Counters {
  readonly sent: number
  readonly rejected: number
  readonly failedFlushes: number
  readonly failureStreak: number
  readonly lastFlush: Option.Option<Date>
  /** The failures of the current run of failed flushes (the latest few), newest last. */
  readonly errors: ReadonlyArray<string>
}

const RECENT_ERRORS = 5

type Kind = "event" | "metric"

/**
 * Starts the exporter in the current scope: two bounded buffers, a periodic delivery fiber and a
 * batch-size delivery fiber (both retrying with `retry`). Closing the scope stops the fibers (a batch
 * in flight is put back) and then tries once more to deliver what is left, within `shutdownTimeout`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: AgentExporterOptions = {}
): Effect.Effect<AgentExporter, never, AgentClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* AgentClient
    const name = options.name ?? "agent"
    const bufferSize = options.bufferSize ?? 1000
    const batchSize = Math.max(1, Math.min(options.batchSize ?? 100, bufferSize))
    const flushInterval = Duration.decode(options.flushInterval ?? Duration.seconds(30))
    const shutdownTimeout = Duration.decode(options.shutdownTimeout ?? Duration.seconds(5))
    const retry = withRetries(options.retry ?? { attempts: 3, base: Duration.seconds(1) })
    const sendEvents = options.sendEvents ?? true
    const sendMetrics = options.sendMetrics ?? true

    const events = yield* makeBoundedBuffer<SecurityEvent>(bufferSize)
    const metrics = yield* makeBoundedBuffer<SecurityMetric>(bufferSize)
    const counters = yield* Ref.make<Counters>({
      sent: 0,
      rejected: 0,
      failedFlushes: 0,
      failureStreak: 0,
      lastFlush: Option.none(),
      errors: []
    })
    const startedAt = yield* Clock.currentTimeMillis
    const statusInterval = Duration.decode(options.statusInterval ?? Duration.minutes(5))
    const lock = yield* Effect.makeSemaphore(1)
    const wake = yield* Queue.sliding<void>(1)

    const countDrop = (kind: Kind, cause: "overflow" | "rejected", n: number) =>
      n === 0 ? Effect.void : Metric.incrementBy(Metric.tagged(Metric.tagged(agentDropped, "kind", kind), "cause", cause), n)

    const enqueue = <A>(kind: Kind, buffer: BoundedBuffer<A>, item: A): Effect.Effect<void> =>
      Effect.gen(function*() {
        const dropped = yield* buffer.offer(item)
        if (dropped > 0) {
          yield* countDrop(kind, "overflow", dropped)
          const total = yield* buffer.dropped
          if (total === 1 || total % 100 === 0) {
            yield* Effect.logWarning(`agent: ${kind} buffer full (${bufferSize}); oldest dropped, ${total} so far`)
          }
        }
        if ((yield* buffer.size) >= batchSize) yield* Queue.offer(wake, undefined)
      })

    // 413: split in halves until one item is still too large, which is dropped
    const deliver = (kind: Kind, items: ReadonlyArray<SecurityEvent> | ReadonlyArray<SecurityMetric>, depth = 0): Effect.Effect<number, AgentError> => {
      const batch: AgentBatch = kind === "event"
        ? { events: items as ReadonlyArray<SecurityEvent>, metrics: [] }
        : { events: [], metrics: items as ReadonlyArray<SecurityMetric> }
      return client.sendBatch(batch).pipe(
        Effect.as(0),
        Effect.catchIf((e) => e.reason === "PayloadTooLarge" && items.length > 1 && depth < 16, () => {
          const half = Math.ceil(items.length / 2)
          return Effect.zipWith(
            deliver(kind, items.slice(0, half) as typeof items, depth + 1),
            deliver(kind, items.slice(half) as typeof items, depth + 1),
            (a, b) => a + b
          )
        }),
        Effect.catchIf((e) => e.permanent, (e) =>
          Effect.zipRight(
            Effect.logWarning(`agent: ${items.length} ${kind}(s) dropped: ${e.message}`),
            Effect.succeed(items.length)
          ))
      )
    }

    /** Sends one batch; puts it back in front if it failed or was interrupted. `false` when the kind is empty. */
    const flushBatch = <A extends SecurityEvent | SecurityMetric>(kind: Kind, buffer: BoundedBuffer<A>) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const items = yield* buffer.takeUpTo(batchSize)
          if (Chunk.isEmpty(items)) return false
          const exit = yield* Effect.exit(restore(deliver(kind, Chunk.toReadonlyArray(items) as ReadonlyArray<SecurityEvent> | ReadonlyArray<SecurityMetric>)))
          if (Exit.isSuccess(exit)) {
            const rejected = exit.value
            yield* countDrop(kind, "rejected", rejected)
            yield* Ref.update(counters, (c) => ({ ...c, sent: c.sent + Chunk.size(items) - rejected, rejected: c.rejected + rejected }))
            return true
          }
          const lost = yield* buffer.requeue(items)
          yield* countDrop(kind, "overflow", lost)
          return yield* exit
        })
      )

    const flushKind = <A extends SecurityEvent | SecurityMetric>(kind: Kind, buffer: BoundedBuffer<A>) =>
      Effect.gen(function*() {
        // bounded: at most what the buffer can hold, plus one batch that arrived meanwhile
        const rounds = Math.ceil(bufferSize / batchSize) + 1
        for (let i = 0; i < rounds; i++) {
          if (!(yield* flushBatch(kind, buffer))) return
        }
      })

    /** Every batch of both kinds, once; a batch that fails goes back in front. Fails with the first failure. */
    const attempt: Effect.Effect<void, AgentError> = lock.withPermits(1)(
      Effect.flatMap(
        Effect.all([Effect.either(flushKind("event", events)), Effect.either(flushKind("metric", metrics))]),
        (results) => Option.match(Option.fromNullable(results.find(Either.isLeft)), { onNone: () => Effect.void, onSome: (failed) => Effect.fail(failed.left) })
      )
    )

    /**
     * A delivery round, recorded in the counters: `attempt`, retried with the policy's backoff when
     * `retrying` (the lock is free between attempts, so a flush asked for meanwhile goes at once).
     */
    const round = (retrying: boolean): Effect.Effect<void, ExporterError> =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(retrying ? retry(attempt) : attempt)
        const now = yield* Clock.currentTimeMillis
        if (Exit.isSuccess(exit)) {
          yield* Ref.update(counters, (c) => ({ ...c, failureStreak: 0, lastFlush: Option.some(new Date(now)), errors: [] }))
          return
        }
        const failure = Cause.failureOption(exit.cause)
        if (Option.isNone(failure)) return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
        const message = `agent flush failed; items kept for the next flush: ${failure.value.message}`
        yield* Ref.update(counters, (c) => ({
          ...c,
          failedFlushes: c.failedFlushes + 1,
          failureStreak: c.failureStreak + 1,
          errors: [...c.errors, message].slice(-RECENT_ERRORS)
        }))
        return yield* new ExporterError({ exporter: name, reason: "Flush", message })
      })

    // A flush someone waits for (the composite's, a test's, the final one) tries each batch once: its
    // caller learns at once that the backend fails, and no backoff can outlast a deadline or stall
    // under a TestClock. Retries with backoff are the background rounds' business.
    const flush: Effect.Effect<void, ExporterError> = round(false).pipe(Effect.withSpan("AgentExporter.flush"))
    const inBackground = Effect.catchAll(round(true), (error) => Effect.logWarning(error.message))

    // closing the scope: first the fibers stop (finalizers run in reverse), then this final flush
    yield* Effect.addFinalizer(() =>
      failAfter(flush, shutdownTimeout, () =>
        new ExporterError({ exporter: name, reason: "Timeout", message: `agent final flush did not finish within ${Duration.format(shutdownTimeout)}` })).pipe(
          Effect.catchAll((error) =>
            Effect.flatMap(Effect.all([events.size, metrics.size]), ([e, m]) =>
              Effect.logWarning(`${error.message}; ${e} event(s) and ${m} metric(s) not delivered`)))
        )
    )
    yield* Effect.forkScoped(Effect.schedule(inBackground, Schedule.spaced(flushInterval)))
    // size-triggered rounds pause while the backend is failing; the periodic round keeps retrying
    yield* Effect.forkScoped(
      Queue.take(wake).pipe(
        Effect.zipRight(Ref.get(counters)),
        Effect.flatMap((c) => (c.failureStreak > 0 ? Effect.void : inBackground)),
        Effect.forever
      )
    )

    const stats = Effect.map(
      Effect.all([events.size, metrics.size, events.dropped, metrics.dropped, Ref.get(counters)]),
      ([bufferedEvents, bufferedMetrics, de, dm, c]): AgentStats => ({
        bufferedEvents,
        bufferedMetrics,
        dropped: de + dm,
        sent: c.sent,
        rejected: c.rejected,
        failedFlushes: c.failedFlushes,
        failureStreak: c.failureStreak,
        lastFlush: c.lastFlush
      })
    )

    // the failure rate is over the items handled since the previous report: an old outage ages out
    const reported = yield* Ref.make({ sent: 0, failed: 0 })
    const status = Effect.gen(function*() {
      const s = yield* stats
      const { errors } = yield* Ref.get(counters)
      const previous = yield* Ref.get(reported)
      const now = yield* Clock.currentTimeMillis
      const failed = s.rejected + s.dropped
      const recentFailed = failed - previous.failed
      const failureRate = recentFailed / Math.max(1, s.sent - previous.sent + recentFailed)
      const fullBuffer = Math.max(s.bufferedEvents, s.bufferedMetrics) >= bufferSize * 0.9
      const report: AgentStatus = {
        timestamp: new Date(now),
        status: s.failureStreak >= 3 ? "failed" : s.failureStreak > 0 || fullBuffer || failureRate > 0.1 ? "degraded" : "healthy",
        uptime: (now - startedAt) / 1000,
        eventsSent: s.sent,
        eventsFailed: failed,
        bufferSize: s.bufferedEvents + s.bufferedMetrics,
        lastFlush: s.lastFlush,
        errors: [
          ...errors,
          ...(fullBuffer ? [`Buffer at least 90% full (${bufferSize} items per kind)`] : []),
          ...(failureRate > 0.1 ? [`High failure rate: ${(failureRate * 100).toFixed(1)}%`] : [])
        ]
      }
      return report
    })
    const reportStatus = Effect.flatMap(status, (report) =>
      Effect.zipRight(client.sendStatus(report), Ref.set(reported, { sent: report.eventsSent, failed: report.eventsFailed }))).pipe(
        Effect.withSpan("AgentExporter.reportStatus")
      )
    // the reference's loop sleeps first: the first report goes one interval after the start
    yield* Effect.forkScoped(
      Effect.schedule(
        Effect.catchAll(reportStatus, (error) => Effect.logWarning(`agent: status report failed: ${error.message}`)),
        Schedule.spaced(statusInterval)
      )
    )

    return {
      name,
      exportEvent: (event) => (sendEvents ? enqueue("event", events, event) : Effect.void),
      exportMetric: (metric) => (sendMetrics ? enqueue("metric", metrics, metric) : Effect.void),
      flush,
      health: Effect.map(stats, (s) =>
        s.failureStreak === 0 && s.bufferedEvents < bufferSize * 0.9 && s.bufferedMetrics < bufferSize * 0.9),
      stats,
      status,
      reportStatus
    }
  })

/**
 * The exporter options the configuration describes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const exporterOptionsFromConfig = (config: GuardConfigShape): AgentExporterOptions => ({
  bufferSize: config.agentBufferSize,
  batchSize: config.agentBatchSize,
  flushInterval: Duration.seconds(config.agentFlushInterval),
  retry: retryPolicyFromConfig(config),
  shutdownTimeout: Duration.seconds(config.agentShutdownTimeout),
  sendEvents: config.agentEnableEvents,
  sendMetrics: config.agentEnableMetrics,
  statusInterval: Duration.seconds(config.agentStatusInterval)
})

/**
 * The Agent exporters the configuration enables: one when `enableAgent` is on, an API key is set and
 * at least one of `agentEnableEvents` / `agentEnableMetrics` is on; none otherwise.
 *
 * @since 0.1.0
 * @category exporters
 */
export const agentExporters = (config: GuardConfigShape): Effect.Effect<ReadonlyArray<ExporterSpec>> =>
  Effect.succeed(
    !config.enableAgent || (!config.agentEnableEvents && !config.agentEnableMetrics)
      ? []
      : Option.match(clientOptionsFromConfig(config), {
        onNone: () => [],
        onSome: (clientOptions) => [{
          name: "agent",
          acquire: make(exporterOptionsFromConfig(config)).pipe(
            Effect.provide(AgentClient.layer(clientOptions)),
            Effect.mapError((error) => new ExporterError({ exporter: "agent", reason: "Start", message: error.message }))
          )
        }]
      })
  )
