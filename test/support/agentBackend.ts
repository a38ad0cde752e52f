/**
 * A stand-in guard-agent backend on 127.0.0.1 (port 0, node:http) for the transport tests: it records
 * every request (gunzipped), verifies `X-Payload-Signature`, decrypts encrypted envelopes with the
 * shared key, and answers from a script of responses (then 200 `{success: true}`).
 */
import { Effect, type Scope } from "effect"
import { createDecipheriv, createHmac, timingSafeEqual } from "node:crypto"
import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { gunzipSync } from "node:zlib"

export interface ScriptedResponse {
  readonly status: number
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export interface ReceivedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string | undefined>>
  /** The body as sent, before gunzip. */
  readonly wireBytes: number
  /** The JSON body (after gunzip). */
  readonly json: unknown
  /** `undefined` when the backend has no signing secret. */
  readonly signatureValid: boolean | undefined
  /** The decrypted `{events, metrics}` of an encrypted envelope. */
  readonly decrypted: unknown
  /** The status the backend answered. */
  readonly status: number
  /**
   * When it arrived (wall clock, ms): tests compare two arrivals only from below ("not before the
   * Retry-After"), which a loaded machine cannot break, as it only makes the gap longer.
   */
  readonly at: number
}

export interface AgentBackend {
  readonly url: string
  readonly requests: Effect.Effect<ReadonlyArray<ReceivedRequest>>
  /** Answers the next requests (any path except the rules) with these, in order. */
  readonly script: (responses: ReadonlyArray<ScriptedResponse>) => Effect.Effect<void>
  /** Answers every batch POST with this from now on (e.g. a 500 storm). */
  readonly always: (response: ScriptedResponse | undefined) => Effect.Effect<void>
  /** From now on, takes every request and never answers it (`false`: answers again). */
  readonly hang: (on: boolean) => Effect.Effect<void>
  /** What `GET /api/v1/rules` returns (`undefined`: 204). */
  readonly setRules: (rules: unknown) => Effect.Effect<void>
  /** Events of the batches the backend accepted (2xx), decrypted when encrypted. */
  readonly acceptedEvents: Effect.Effect<ReadonlyArray<Record<string, unknown>>>
  readonly acceptedMetrics: Effect.Effect<ReadonlyArray<Record<string, unknown>>>
}

export interface AgentBackendOptions {
  readonly signingSecret?: string
  /** urlsafe base64 of the 32-byte project key. */
  readonly encryptionKey?: string
}

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

export const decryptBlob = (keyB64: string, blob: string): unknown => {
  const key = Buffer.from(keyB64.replace(/-/g, "+").replace(/_/g, "/"), "base64")
  const bytes = Buffer.from(blob.replace(/-/g, "+").replace(/_/g, "/"), "base64")
  const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, 12))
  decipher.setAuthTag(bytes.subarray(bytes.length - 16))
  const plain = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()])
  return JSON.parse(plain.toString("utf8"))
}

const verify = (secret: string, body: Buffer, header: string | undefined): boolean => {
  if (header === undefined || !header.startsWith("v1=")) return false
  const expected = Buffer.from(createHmac("sha256", secret).update(body).digest("hex"))
  const given = Buffer.from(header.slice(3))
  return expected.length === given.length && timingSafeEqual(expected, given)
}

const itemsOf = (value: unknown, key: "events" | "metrics"): ReadonlyArray<Record<string, unknown>> => {
  if (typeof value !== "object" || value === null) return []
  const items = (value as Record<string, unknown>)[key]
  return Array.isArray(items) ? (items as ReadonlyArray<Record<string, unknown>>) : []
}

export const makeAgentBackend = (options: AgentBackendOptions = {}): Effect.Effect<AgentBackend, never, Scope.Scope> =>
  Effect.gen(function*() {
    const received: Array<ReceivedRequest> = []
    const script: Array<ScriptedResponse> = []
    let always: ScriptedResponse | undefined
    let rules: unknown = undefined
    let hanging = false

    const server = createServer((req, res) => {
      if (hanging) return
      void readBody(req).then((wire) => {
        const path = (req.url ?? "/").split("?")[0] ?? "/"
        const headers: Record<string, string | undefined> = {}
        for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : v
        const body = headers["content-encoding"] === "gzip" ? gunzipSync(wire) : wire
        let json: unknown = undefined
        try {
          json = body.length === 0 ? undefined : JSON.parse(body.toString("utf8"))
        } catch {
          json = undefined
        }
        const signatureValid = options.signingSecret === undefined
          ? undefined
          : verify(options.signingSecret, body, headers["x-payload-signature"])
        let decrypted: unknown = undefined
        if (path === "/api/v1/events/encrypted" && options.encryptionKey !== undefined) {
          const blob = (json as Record<string, unknown> | undefined)?.["encrypted_payload"]
          try {
            decrypted = typeof blob === "string" ? decryptBlob(options.encryptionKey, blob) : undefined
          } catch {
            decrypted = "decryption failed"
          }
        }
        let response: ScriptedResponse
        if (req.method === "GET" && path === "/api/v1/rules") {
          response = rules === undefined ? { status: 204 } : { status: 200, body: rules }
        } else if (signatureValid === false) {
          response = { status: 401, body: { detail: "bad signature" } }
        } else {
          response = script.shift() ?? always ?? { status: 200, body: { success: true } }
        }
        received.push({ method: req.method ?? "", path, headers, wireBytes: wire.length, json, signatureValid, decrypted, status: response.status, at: Date.now() })
        res.writeHead(response.status, { "content-type": "application/json", ...response.headers })
        res.end(response.body === undefined ? undefined : JSON.stringify(response.body))
      })
    })

    yield* Effect.acquireRelease(
      Effect.async<void>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.void))
      }),
      () =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    const { port } = server.address() as AddressInfo

    const accepted = (key: "events" | "metrics") =>
      Effect.sync(() =>
        received
          .filter((r) => r.method === "POST" && r.status >= 200 && r.status < 300)
          .flatMap((r) => itemsOf(r.path === "/api/v1/events/encrypted" ? r.decrypted : r.json, key))
      )

    return {
      url: `http://127.0.0.1:${port}`,
      requests: Effect.sync(() => [...received]),
      script: (responses) => Effect.sync(() => void script.push(...responses)),
      always: (response) => Effect.sync(() => void (always = response)),
      setRules: (value) => Effect.sync(() => void (rules = value)),
      hang: (on) => Effect.sync(() => void (hanging = on)),
      acceptedEvents: accepted("events"),
      acceptedMetrics: accepted("metrics")
    }
  })
