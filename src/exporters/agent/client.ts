/**
 * The guard-agent protocol client: one request per call (a batch of events or metrics, the dynamic
 * rules, a status report), no retries, no state. Paths, headers, snake_case JSON,
 * `X-Payload-Signature` and AES-256-GCM envelopes are guard-agent's. The API key stays `Redacted`
 * until the `X-API-Key` header is written; no log line, error or span carries it.
 *
 * @internal
 */
import { FetchHttpClient, Headers, HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import {
  Clock,
  Context,
  Data,
  Duration,
  Effect,
  Either,
  Layer,
  Option,
  Redacted
} from "effect"
import { randomUUID } from "node:crypto"
import { gzipSync } from "node:zlib"
import type { GuardConfigShape } from "../../GuardConfig.js"
import type { SecurityEvent, SecurityMetric } from "../../SecurityEvent.js"
import { decodeKey, decrypt, encrypt, signature } from "./crypto.js"
import type { RetryPolicy } from "./retry.js"
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
} from "./wire.js"

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
