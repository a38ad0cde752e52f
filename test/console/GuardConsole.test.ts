/**
 * The guard console over HTTP: a real guarded NodeHttpServer on loopback with the console mounted at
 * `consolePath`. What the page shows is covered by the browser test (console.browser.test.ts).
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Context, Effect, Exit, Layer, Option, Redacted, Scope, Stream } from "effect"
import { createServer } from "node:http"
import { CompositeHandler, decodeGuardConfig, GuardConfig, GuardLive, IpBans, serveGuarded } from "effect-guard"
import { GuardConsole } from "effect-guard/GuardConsole"
import { get, guardedServer, send, statusAndBody } from "../support/guarded.js"

const TOKEN = "console-test-token-0123456789"
const auth = { authorization: `Bearer ${TOKEN}` }
const attacker = "203.0.113.7"
const ATTACK = "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"

const router = HttpRouter.empty.pipe(
  HttpRouter.get("/", HttpServerResponse.text("home")),
  HttpRouter.get("/search", HttpServerResponse.text("results"))
)

const base = { consolePath: "/__guard", consoleToken: TOKEN, trustedProxies: ["127.0.0.1", "::1"] } as const
const withConsole = (config: Parameters<typeof guardedServer>[1] = {}) => guardedServer(router, { ...base, ...config })

const fromAttacker = { "x-forwarded-for": attacker }

const flush = Effect.flatMap(CompositeHandler, (c) => c.flush)

const stateOf = Effect.gen(function*() {
  yield* flush
  const response = yield* get("/__guard/api/state", auth)
  expect(response.status).toBe(200)
  return (yield* response.json) as {
    totals: { events: number; refusals: number; requests: number }
    minutes: ReadonlyArray<{ requests: number; refusals: number; byCheck: Record<string, number>; byType: Record<string, number> }>
    top: { ips: ReadonlyArray<{ key: string; count: number }>; routes: ReadonlyArray<{ key: string }>; rules: ReadonlyArray<{ key: string }> }
    bans: { source: string; list: ReadonlyArray<{ target: string }> }
    passive: { enabled: boolean; top: ReadonlyArray<{ check: string; type: string; count: number }> }
    health: { telemetry: { started: boolean; exporters: ReadonlyArray<string> }; config: Record<string, unknown> }
  }
})

describe("GuardConsole", () => {
  describe("configuration", () => {
    it.effect("is off by default and mounted only at a plain absolute consolePath", () =>
      Effect.gen(function*() {
        expect((yield* decodeGuardConfig({})).consolePath).toBeUndefined()
        for (const bad of ["__guard", "/__guard/", "/", "/a/../b", "/a b", "/x\"><script>", "//__guard"]) {
          const exit = yield* Effect.exit(decodeGuardConfig({ consolePath: bad }))
          expect(Exit.isFailure(exit), bad).toBe(true)
        }
        expect((yield* decodeGuardConfig({ consolePath: "/ops/guard-console" })).consolePath).toBe("/ops/guard-console")
      }))

    it.effect("keeps the token redacted and refuses a short one without echoing it", () =>
      Effect.gen(function*() {
        const config = yield* decodeGuardConfig({ consoleToken: TOKEN })
        expect(Redacted.isRedacted(config.consoleToken)).toBe(true)
        const error = yield* Effect.flip(decodeGuardConfig({ consoleToken: "short-secret" }))
        expect(error.message).toContain("consoleToken must be at least 16 characters")
        expect(error.message).not.toContain("short-secret")
      }))

    it.effect("refuses to start without a token or a verifier", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Layer.build(GuardLive.pipe(Layer.provide(GuardConfig.layer({ consolePath: "/__guard" })))))
        expect(error.message).toContain("the guard console needs authentication")
      }).pipe(Effect.scoped))
  })

  describe("authentication", () => {
    it.scoped("answers 401 without the token for the page, the stream, the state and the actions", () =>
      Effect.gen(function*() {
        for (const path of ["/__guard", "/__guard/", "/__guard/api/stream", "/__guard/api/state", "/__guard/api/events", "/__guard/api/passive-report", "/__guard/api/health", "/__guard/nope"]) {
          const response = yield* get(path)
          expect(response.status, path).toBe(401)
          expect(response.headers["www-authenticate"]).toContain("Bearer")
          const wrong = yield* get(path, { authorization: `Bearer ${TOKEN}x` })
          expect(wrong.status, path).toBe(401)
        }
        const action = yield* send("POST", "/__guard/api/unban", { headers: { "content-type": "application/json" }, body: JSON.stringify({ target: attacker }) })
        expect(action.status).toBe(401)
      }).pipe(Effect.provide(withConsole())))

    it.scoped("takes ?token= for the page alone: the stream, the state and the actions need the header", () =>
      Effect.gen(function*() {
        expect((yield* get(`/__guard/?token=${TOKEN}`)).status).toBe(200)
        expect((yield* get(`/__guard/api/state?token=${TOKEN}`)).status).toBe(401)
        expect((yield* get(`/__guard/api/stream?token=${TOKEN}`)).status).toBe(401)
        const action = yield* send("POST", `/__guard/api/unban?token=${TOKEN}`, {
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ target: attacker })
        })
        expect(action.status).toBe(401)
      }).pipe(Effect.provide(withConsole())))

    it.scoped("serves the page with a strict CSP requiring Trusted Types, and its script and style without the token", () =>
      Effect.gen(function*() {
        const page = yield* get("/__guard/", auth)
        expect(page.status).toBe(200)
        const csp = page.headers["content-security-policy"]!
        expect(csp).toContain("default-src 'none'")
        expect(csp).toContain("script-src 'self'")
        expect(csp).toContain("require-trusted-types-for 'script'")
        expect(csp).not.toContain("unsafe-inline")
        expect(page.headers["x-frame-options"]).toBe("DENY")
        expect(page.headers["referrer-policy"]).toBe("no-referrer")
        expect(page.headers["content-type"]).toBe("text/html; charset=utf-8")
        const html = yield* page.text
        expect(html).toContain(`src="/__guard/console.js"`)
        expect(html).not.toContain("%BASE%")
        for (const asset of ["/__guard/console.js", "/__guard/console.css"]) {
          const response = yield* get(asset)
          expect(response.status, asset).toBe(200)
          expect(response.headers["x-content-type-options"]).toBe("nosniff")
          expect(response.headers["content-type"]).toMatch(asset.endsWith(".js") ? /^text\/javascript/ : /^text\/css/)
        }
        expect(yield* Effect.flatMap(get("/__guard/console.js"), (r) => r.text)).not.toContain("innerHTML")
      }).pipe(Effect.provide(withConsole())))

    it.scoped("lets a verifier decide, and never shows it the cookie for an action", () =>
      Effect.gen(function*() {
        const page = yield* get("/__guard/api/state", { cookie: "sso=ok" })
        expect(page.status).toBe(200)
        const forged = yield* send("POST", "/__guard/api/unban", {
          headers: { cookie: "sso=ok", "content-type": "application/json" },
          body: JSON.stringify({ target: attacker })
        })
        expect(forged.status).toBe(401)
        const withHeader = yield* send("POST", "/__guard/api/unban", {
          headers: { "x-sso": "ok", "content-type": "application/json" },
          body: JSON.stringify({ target: attacker })
        })
        expect(withHeader.status).toBe(200)
      }).pipe(Effect.provide(guardedServer(
        router,
        { consolePath: "/__guard" },
        GuardConsole.layer({ verify: (headers) => Effect.succeed(headers["cookie"] === "sso=ok" || headers["x-sso"] === "ok") })
      ))))
  })

  describe("what it shows", () => {
    it.scoped("leaves every other path to the guarded application, look-alikes of the console's included", () =>
      Effect.gen(function*() {
        expect(yield* Effect.flatMap(get("/"), statusAndBody)).toEqual({ status: 200, body: "home" })
        for (const path of ["/__GUARD", "/__guardx", "/x/__guard"]) expect((yield* get(path)).status, path).toBe(404)
        expect((yield* get("/__guard/api/state/", auth)).status).toBe(404)
        expect((yield* get("/__guard/%61pi/state", auth)).status).toBe(404)
      }).pipe(Effect.provide(withConsole())))

    it.scoped("counts requests and refusals per minute, by check and event type, and the top talkers", () =>
      Effect.gen(function*() {
        yield* get("/")
        yield* get("/search?q=fine")
        const refused = yield* get(ATTACK, fromAttacker)
        expect(refused.status).toBe(400)
        const state = yield* stateOf
        const now = state.minutes[state.minutes.length - 1]!
        expect(state.minutes.length).toBe(60)
        expect(now.requests).toBe(3)
        expect(now.refusals).toBe(1)
        expect(now.byCheck).toEqual({ suspicious_activity: 1 })
        expect(now.byType["penetration_attempt"]).toBe(1)
        expect(state.top.ips).toEqual([{ key: attacker, count: 1, error: 0, detail: undefined }].map(({ detail: _, ...rest }) => rest))
        expect(state.top.routes.map((r) => r.key)).toEqual(["GET /search"])
        expect(state.top.rules.length).toBeGreaterThan(0)
        expect(state.health.telemetry.exporters).toContain("guard_console")
      }).pipe(Effect.provide(withConsole())))

    it.scoped("lists recent events with their metadata, secrets redacted", () =>
      Effect.gen(function*() {
        yield* get(ATTACK, { ...fromAttacker, authorization: "Bearer app-secret" })
        yield* flush
        const { events } = (yield* Effect.flatMap(get("/__guard/api/events", auth), (r) => r.json)) as {
          events: ReadonlyArray<{ type: string; ip: string; route: string; check: string; refused: boolean; score: number; reason: string }>
        }
        const attack = events.find((e) => e.type === "penetration_attempt")!
        expect(attack).toMatchObject({ ip: attacker, route: "/search", check: "suspicious_activity", refused: true })
        expect(attack.score).toBeGreaterThan(0)
        expect(JSON.stringify(events)).not.toContain("app-secret")
      }).pipe(Effect.provide(withConsole())))

    it.scoped("does not show muted event types: muting applies as for every exporter", () =>
      Effect.gen(function*() {
        yield* get(ATTACK, fromAttacker)
        const state = yield* stateOf
        expect(state.totals.events).toBe(0)
        expect(state.totals.requests).toBe(1)
      }).pipe(Effect.provide(withConsole({ mutedEventTypes: ["penetration_attempt", "authentication_failed"] }))))

    it.scoped("streams events as they happen, after the recent ones", () =>
      Effect.gen(function*() {
        yield* get("/search?q=%27%20OR%201=1--", fromAttacker)
        yield* flush
        const stream = yield* get("/__guard/api/stream", auth)
        expect(stream.status).toBe(200)
        expect(stream.headers["content-type"]).toContain("text/event-stream")
        const received = yield* stream.stream.pipe(
          Stream.decodeText(),
          Stream.scan("", (all, piece) => all + piece),
          Stream.tap((all) => all.includes(": connected") && !all.includes("live-marker") ? Effect.fork(get(`/search?q=%3Cscript%3Elive-marker%3C%2Fscript%3E`, fromAttacker)) : Effect.void),
          Stream.takeUntil((all) => all.includes("live-marker") && all.includes("id: 2")),
          Stream.runLast,
          Effect.timeout("20 seconds")
        )
        const text = Option.getOrThrow(received)
        const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))
        expect(ids.slice(0, 2)).toEqual([1, 2])
        expect(text).toContain("\"type\":\"penetration_attempt\"")
      }).pipe(Effect.provide(withConsole())))

    it.scoped("lists bans and lifts one with the unban action, which needs the header and a JSON body", () =>
      Effect.gen(function*() {
        expect((yield* get(ATTACK, fromAttacker)).status).toBe(403)
        expect((yield* get("/", fromAttacker)).status).toBe(403)
        const before = yield* stateOf
        expect(before.bans).toMatchObject({ source: "memory", list: [{ target: attacker }] })

        const form = yield* send("POST", "/__guard/api/unban", { headers: { ...auth, "content-type": "application/x-www-form-urlencoded" }, body: `target=${attacker}` })
        expect(form.status).toBe(415)
        const junk = yield* send("POST", "/__guard/api/unban", { headers: { ...auth, "content-type": "application/json" }, body: "{\"target\":" })
        expect(junk.status).toBe(400)
        expect((yield* send("GET", "/__guard/api/unban", { headers: auth })).status).toBe(405)

        const unban = yield* send("POST", "/__guard/api/unban", { headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ target: attacker }) })
        expect(yield* unban.json).toEqual({ target: attacker, result: "unbanned" })
        expect((yield* get("/", fromAttacker)).status).toBe(200)
        expect(Option.isNone(yield* Effect.flatMap(IpBans, (b) => b.isBanned(attacker)))).toBe(true)
        const after = yield* stateOf
        expect(after.bans.list).toEqual([])
        expect(yield* Effect.flatMap(get("/__guard/api/events", auth), (r) => r.text)).toContain("ip_unbanned")
      }).pipe(Effect.provide(withConsole({ autoBanThreshold: 1 }))))

    it.scoped("reports, in passive mode, what would have been refused and by which rule, as a JSON download", () =>
      Effect.gen(function*() {
        expect((yield* get(ATTACK, fromAttacker)).status).toBe(200)
        expect((yield* get(ATTACK, fromAttacker)).status).toBe(200)
        const state = yield* stateOf
        expect(state.passive.enabled).toBe(true)
        expect(state.passive.top[0]).toMatchObject({ check: "suspicious_activity", type: "penetration_attempt", count: 2 })
        const report = yield* get("/__guard/api/passive-report", auth)
        expect(report.headers["content-disposition"]).toContain("attachment")
        const body = (yield* report.json) as { passiveMode: boolean; entries: ReadonlyArray<{ count: number }> }
        expect(body.passiveMode).toBe(true)
        expect(body.entries[0]!.count).toBe(2)
      }).pipe(Effect.provide(withConsole({ passiveMode: true }))))

    it.scoped("shows health and the configuration with its secrets redacted", () =>
      Effect.gen(function*() {
        const state = yield* stateOf
        expect(state.health.telemetry.started).toBe(true)
        expect(state.health.config["consoleToken"]).toBe("[REDACTED]")
        expect(state.health.config["consolePath"]).toBe("/__guard")
        expect(JSON.stringify(state)).not.toContain(TOKEN)
      }).pipe(Effect.provide(withConsole())))
  })
})

describe("shutdown", () => {
  it.live("closes the server within the deadline while a console stream is open", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        serveGuarded(router, NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })).pipe(
          Layer.provide(GuardConfig.layer({ ...base, telemetryShutdownTimeoutMs: 2_000 }))
        ),
        scope
      )
      const address = Context.get(context, HttpServer.HttpServer).address
      const port = address._tag === "TcpAddress" ? address.port : 0
      const controller = new AbortController()
      // a console client holding its stream open, as the page does
      const first = yield* Effect.promise(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/__guard/api/stream`, { headers: auth, signal: controller.signal })
        const reader = response.body!.getReader()
        const chunk = await reader.read()
        void (async () => {
          while (!(await reader.read().catch(() => ({ done: true }))).done) {
            // keep reading until the server ends the stream
          }
        })()
        return new TextDecoder().decode(chunk.value)
      })
      expect(first).toContain(": connected")
      // disconnected: a close that hangs fails the test here instead of hanging it
      const closed = yield* Effect.disconnect(Scope.close(scope, Exit.void)).pipe(Effect.timeout("15 seconds"), Effect.either)
      controller.abort()
      expect(closed._tag).toBe("Right")
    }), 30_000)
})

describe("with Redis", () => {
  const redisPrefix = () => `effect-guard-test:${Math.random().toString(36).slice(2)}:`

  it.scoped("lists the bans every instance set, blocks included, and lifts one for all of them", () =>
    Effect.gen(function*() {
      const prefix = redisPrefix()
      // another instance: its own GuardLive on the same Redis and prefix
      const other = yield* Layer.build(GuardLive.pipe(Layer.provide(GuardConfig.layer({ enableRedis: true, redisPrefix: prefix }))))
      const otherBans = Context.get(other, IpBans)
      yield* otherBans.ban("198.51.100.9", "1 hour", "set elsewhere")
      yield* otherBans.ban("2001:db8:abcd::/48", "1 hour", "a block")

      const served = yield* Layer.build(withConsole({ enableRedis: true, redisPrefix: prefix }))
      const state = yield* stateOf.pipe(Effect.provide(served))
      expect(state.bans.source).toBe("redis")
      expect(state.bans.list.map((b) => b.target).sort()).toEqual(["198.51.100.9", "2001:db8:abcd::/48"])

      const unban = yield* send("POST", "/__guard/api/unban", {
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ target: "198.51.100.9" })
      }).pipe(Effect.provide(served))
      expect(yield* unban.json).toEqual({ target: "198.51.100.9", result: "unbanned" })
      expect(Option.isNone(yield* otherBans.isBanned("198.51.100.9"))).toBe(true)
      const after = yield* stateOf.pipe(Effect.provide(served))
      expect(after.bans.list.map((b) => b.target)).toEqual(["2001:db8:abcd::/48"])
      yield* otherBans.unban("2001:db8:abcd::/48")
    }), 60_000)
})

describe("ring buffer and top-k", () => {
  it.effect("keeps the newest events up to its capacity, however many pass", () =>
    Effect.gen(function*() {
      const { makeFeed } = yield* Effect.promise(() => import("../../src/internal/console/feed.js"))
      const { SecurityEvent } = yield* Effect.promise(() => import("effect-guard"))
      const feed = yield* makeFeed({ capacity: 100 })
      const exporter = yield* Effect.scoped(feed.exporter.acquire)
      for (let i = 0; i < 1_000; i++) {
        yield* exporter.exportEvent(new SecurityEvent({
          idempotencyKey: String(i),
          timestamp: new Date(0),
          eventType: "rate_limited",
          ipAddress: `198.51.100.${i % 250}`,
          actionTaken: "request_blocked",
          reason: "too many",
          metadata: {}
        }))
      }
      const recent = feed.recent(1_000)
      expect(recent.length).toBe(100)
      expect(recent[0]!.id).toBe(901)
      expect(recent[99]!.id).toBe(1000)
      expect(feed.totals()).toMatchObject({ events: 1000, refusals: 1000, stored: 100 })
      expect(feed.top(100).ips.length).toBeLessThanOrEqual(64)
      expect(Chunk.size(Chunk.fromIterable(recent))).toBe(100)
    }))

  it("finds every key heavier than n / capacity (Space-Saving)", async () => {
    const { makeTopK } = await import("../../src/internal/console/topK.js")
    const top = makeTopK(10)
    for (let i = 0; i < 10_000; i++) {
      top.add(i % 5 === 0 ? "heavy" : i % 7 === 0 ? "medium" : `noise-${i}`, undefined)
    }
    const [first, second] = top.top(2)
    expect(first!.key).toBe("heavy")
    expect(first!.count - first!.error).toBeLessThanOrEqual(2000)
    expect(first!.count).toBeGreaterThanOrEqual(2000)
    expect(second!.key).toBe("medium")
    expect(top.size()).toBe(10)
  })
})
