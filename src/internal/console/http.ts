/**
 * The console's HTTP side, mounted under `consolePath`: the page and its two assets, the JSON state,
 * the live stream (Server-Sent Events), the passive-mode report and the unban action.
 *
 * Every answer but the two static assets (which ship in the package anyway) needs the credential:
 * `Authorization: Bearer <consoleToken>` (compared in constant time) or the application's verifier.
 * A browser opening the page cannot send a header, so the page alone also takes `?token=`; the page
 * then removes it from the address bar and sends the header itself. The unban action takes the
 * header only, a JSON body only, and its verifier never sees cookies: no cross-site request can
 * forge it. Every answer carries a CSP that allows the package's own script and style and nothing
 * else, and requires Trusted Types, so no string can become markup in the page.
 *
 * @internal
 */
import { Headers, HttpIncomingMessage, type HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Duration, Effect, Option, Redacted, Schema, Stream } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import type { CompositeHandler } from "../../CompositeHandler.js"
import type { EventBus } from "../../EventBus.js"
import type { GuardConfigShape } from "../../GuardConfig.js"
import type { ConsoleVerifier } from "../../GuardConsole.js"
import type { IpBans } from "../../IpBans.js"
import type { GuardRedis } from "../../Redis.js"
import { REDACTED, toJsonSafe } from "../json.js"
import { listRedisBans, listSeenBans } from "./bans.js"
import type { ConsoleEvent, ConsoleFeed } from "./feed.js"

export interface ConsoleAssets {
  readonly html: string
  readonly js: string
  readonly css: string
}

export interface ConsoleDeps {
  readonly base: string
  /** Shown on the page and in the passive-mode report. */
  readonly passiveMode: boolean
  /** The configuration as the health panel shows it ({@link configSummary}). */
  readonly summary: Readonly<Record<string, unknown>>
  /** How long one event stream stays open (the page reconnects at once). */
  readonly streamLifetime: Duration.Duration
  readonly feed: ConsoleFeed
  readonly composite: CompositeHandler["Type"]
  readonly bans: IpBans["Type"]
  readonly bus: EventBus["Type"]
  readonly redis: GuardRedis["Type"] | undefined
  readonly token: Redacted.Redacted<string> | undefined
  readonly verify: ConsoleVerifier | undefined
  readonly assets: ConsoleAssets
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'"
].join("; ")

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin"
} as const

/** Live events a new stream starts with. */
const BACKLOG = 200
const HEARTBEAT = "5 seconds"
const MAX_ACTION_BODY = 4096

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest()

const bearerOf = (headers: Headers.Headers): string | undefined => {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers["authorization"] ?? "")
  return match?.[1]
}

const UnbanBody = Schema.parseJson(Schema.Struct({ target: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(64)) }))
const decodeUnban = Schema.decodeUnknown(UnbanBody)

/** The configuration as the health panel shows it: secrets redacted, sets as lists, functions named. */
export const configSummary = (config: GuardConfigShape): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(config)) {
    if (Redacted.isRedacted(value) || /token|secret|password|apikey|api_key|encryptionkey/i.test(key)) {
      out[key] = value === undefined ? null : REDACTED
    } else if (typeof value === "function") {
      out[key] = "[function]"
    } else if (value instanceof RegExp) {
      out[key] = String(value)
    } else {
      out[key] = toJsonSafe(value) ?? null
    }
  }
  return out
}

/**
 * How long one event stream stays open. A server closing waits for its open responses, and a stream
 * never ends by itself: each one ends after half the shutdown deadline (1 to 30 s), and the page
 * reconnects at once, resuming after the last event it has (`?after=`). Closing the server
 * therefore waits on the console for half the deadline at most.
 */
export const streamLifetime = (shutdownTimeoutMs: number): Duration.Duration =>
  Duration.millis(Math.max(1_000, Math.min(30_000, Math.floor(shutdownTimeoutMs / 2))))

const json = (body: unknown, status = 200, headers: Headers.Input = {}) =>
  HttpServerResponse.unsafeJson(body, { status, headers: { ...SECURITY_HEADERS, ...headers } })

const text = (body: string, status: number, headers: Headers.Input = {}, contentType = "text/plain; charset=utf-8") =>
  HttpServerResponse.text(body, { status, contentType, headers: { ...SECURITY_HEADERS, ...headers } })

const frame = (event: ConsoleEvent) => `id: ${event.id}\nevent: guard\ndata: ${JSON.stringify(event)}\n\n`

export const makeConsoleApp = (deps: ConsoleDeps) => {
  const { base, bans, bus, composite, feed, passiveMode, redis, summary, verify } = deps
  const expected = deps.token === undefined ? undefined : digest(Redacted.value(deps.token))
  const tokenMatches = (candidate: string | undefined) =>
    expected !== undefined && candidate !== undefined && timingSafeEqual(digest(candidate), expected)

  const authorized = (request: HttpServerRequest.HttpServerRequest, options: { readonly action: boolean; readonly query: boolean }) =>
    Effect.suspend(() => {
      const headers = request.headers
      let candidate = bearerOf(headers)
      if (candidate === undefined && options.query) {
        candidate = new URL(request.url, "http://console.invalid").searchParams.get("token") ?? undefined
      }
      if (tokenMatches(candidate)) return Effect.succeed(true)
      if (verify === undefined) return Effect.succeed(false)
      const seen = options.action ? Headers.remove(headers, "cookie") : headers
      return verify(seen, { action: options.action }).pipe(
        Effect.catchAllCause((cause) => Effect.as(Effect.logWarning("guard console: the verifier failed; access refused", cause), false))
      )
    })

  const unauthorized = bus.emit("authentication_failed", {
    actionTaken: "request_blocked",
    reason: "Guard console: missing or wrong credential",
    handlerName: "guard_console",
    metadata: { console: true }
  }).pipe(
    Effect.as(text("Unauthorized: the guard console needs its token (Authorization: Bearer <token>)\n", 401, {
      "www-authenticate": "Bearer realm=\"guard-console\""
    }))
  )

  const page = text(deps.assets.html.replaceAll("%BASE%", base), 200, {}, "text/html; charset=utf-8")
  const script = text(deps.assets.js, 200, { "cache-control": "no-cache" }, "text/javascript; charset=utf-8")
  const style = text(deps.assets.css, 200, { "cache-control": "no-cache" }, "text/css; charset=utf-8")

  const health = Effect.gen(function*() {
    return {
      telemetry: {
        started: yield* composite.started,
        degraded: yield* composite.degraded,
        exporters: composite.exporters,
        failed: yield* composite.failedHandlers,
        dropped: yield* composite.dropped,
        droppedByExporter: yield* composite.droppedByExporter
      },
      redis: redis === undefined ? { enabled: false } : { enabled: true, ready: yield* redis.isReady, url: redis.displayUrl },
      passiveMode,
      config: summary
    }
  })

  const listBans = Effect.map(
    Effect.either(redis === undefined ? listSeenBans(feed, bans) : listRedisBans(redis)),
    (result) => ({
      source: redis === undefined ? "memory" : "redis",
      list: result._tag === "Right" ? result.right : [],
      ...(result._tag === "Left" ? { error: result.left.message } : {})
    })
  )

  const state = Effect.gen(function*() {
    return {
      totals: feed.totals(),
      minutes: yield* feed.minutes,
      top: feed.top(10),
      bans: yield* listBans,
      passive: { enabled: passiveMode, top: feed.passiveReport(10) },
      health: yield* health
    }
  })

  const passiveReport = Effect.map(
    Effect.clockWith((clock) => clock.currentTimeMillis),
    (now) =>
      json({
        generatedAt: new Date(now).toISOString(),
        passiveMode,
        note: "What passive mode logged instead of refusing, by check, event type and rule, most frequent first. count is an upper bound; count - error a lower bound.",
        entries: feed.passiveReport(256)
      }, 200, { "content-disposition": "attachment; filename=\"guard-passive-report.json\"" })
  )

  const lifetime = deps.streamLifetime
  const streamAfter = (after: number) =>
    Stream.unwrapScoped(
      Effect.map(feed.subscribe(BACKLOG), ({ backlog, live }) => {
        const last = backlog.length === 0 ? after : Math.max(after, backlog[backlog.length - 1]!.id)
        const events = Stream.concat(
          Stream.fromIterable(backlog.filter((event) => event.id > after)),
          Stream.repeatEffect(live).pipe(Stream.filter((event) => event.id > last))
        ).pipe(Stream.map(frame))
        const heartbeat = Stream.tick(HEARTBEAT).pipe(Stream.map(() => ": heartbeat\n\n"))
        return Stream.concat(Stream.make("retry: 1000\n: connected\n\n"), Stream.merge(events, heartbeat, { haltStrategy: "left" }))
      })
    ).pipe(Stream.interruptAfter(lifetime), Stream.encodeText)

  const sse = (request: HttpServerRequest.HttpServerRequest) => {
    const after = Number(new URL(request.url, "http://console.invalid").searchParams.get("after") ?? "0")
    return HttpServerResponse.stream(streamAfter(Number.isSafeInteger(after) && after > 0 ? after : 0), {
      contentType: "text/event-stream",
      // the connection goes with the stream, so a reconnect never lands on a server that is closing
      headers: { ...SECURITY_HEADERS, "x-accel-buffering": "no", connection: "close" }
    })
  }

  const unban = (request: HttpServerRequest.HttpServerRequest) =>
    Effect.gen(function*() {
      const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()
      if (type !== "application/json") return text("The unban action takes a JSON body: {\"target\": \"<ip or block>\"}\n", 415)
      const body = yield* HttpIncomingMessage.withMaxBodySize(request.text, Option.some(MAX_ACTION_BODY)).pipe(Effect.option)
      if (Option.isNone(body)) return text("Unreadable or too large body\n", 400)
      const parsed = yield* Effect.option(decodeUnban(body.value))
      if (Option.isNone(parsed)) return text("The unban action takes a JSON body: {\"target\": \"<ip or block>\"}\n", 400)
      const result = yield* Effect.either(bans.unban(parsed.value.target))
      if (result._tag === "Left") return json({ error: result.left.message }, 503, { "retry-after": "5" })
      feed.forgetBan(result.right.ip)
      if (result.right._tag === "Unbanned") {
        yield* bus.emit("ip_unbanned", {
          actionTaken: "unbanned",
          reason: `Unbanned from the guard console: ${result.right.ip}`,
          ipAddress: result.right.ip,
          handlerName: "guard_console"
        })
      }
      return json({ target: result.right.ip, result: result.right._tag === "Unbanned" ? "unbanned" : "not_banned" })
    })

  const READ_ROUTES = new Set(["", "/", "/api/stream", "/api/state", "/api/events", "/api/health", "/api/passive-report"])

  /** Serves `path` (already known to be `base` or under it). */
  return (request: HttpServerRequest.HttpServerRequest, path: string): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
    const sub = path.slice(base.length)
    const reading = request.method === "GET" || request.method === "HEAD"
    if (reading && sub === "/console.js") return Effect.succeed(script)
    if (reading && sub === "/console.css") return Effect.succeed(style)
    const isPage = sub === "" || sub === "/"
    const action = sub === "/api/unban"
    return Effect.flatMap(authorized(request, { action, query: isPage && reading }), (ok): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
      if (!ok) return unauthorized
      if (action) return request.method === "POST" ? unban(request) : Effect.succeed(text("Method not allowed\n", 405, { allow: "POST" }))
      if (!READ_ROUTES.has(sub)) return Effect.succeed(text("Not found\n", 404))
      if (!reading) return Effect.succeed(text("Method not allowed\n", 405, { allow: "GET, HEAD" }))
      switch (sub) {
        case "/api/stream":
          return Effect.succeed(request.method === "GET" ? sse(request) : text("Method not allowed\n", 405, { allow: "GET" }))
        case "/api/state":
          return Effect.map(state, (body) => json(body))
        case "/api/events":
          return Effect.succeed(json({ events: feed.recent(1000) }))
        case "/api/health":
          return Effect.map(health, (body) => json(body))
        case "/api/passive-report":
          return passiveReport
        default:
          return Effect.succeed(page)
      }
    })
  }
}
