/**
 * Every response of a rate-limited request says where the client stands: the IETF `RateLimit` and
 * `RateLimit-Policy` fields (draft 8 by default, draft 7 or 6 on request, or none), and a 429 says
 * when to retry. The store keeps an exact sliding log: units come back one at a time, as the
 * requests that used them leave the window, and a refused request is counted too.
 */
import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, TestClock } from "effect"
import { RouteGuard } from "effect-guard"
import { loadGuardConfig } from "../src/GuardConfig.js"
import { get, guardedServer } from "./support/guarded.js"
import { guardFor, send } from "./support/inFiber.js"

const app = HttpRouter.empty.pipe(
  HttpRouter.get("/", HttpServerResponse.text("ok")),
  HttpRouter.get("/search", RouteGuard.secure({ rateLimit: { requests: 2, window: 10 } })(HttpServerResponse.text("found"))),
  HttpRouter.get("/health", RouteGuard.secure({ bypass: ["rate_limit"] })(HttpServerResponse.text("up"))),
  HttpRouter.get("/quota", HttpServerResponse.text("mine", { headers: { RateLimit: "\"app\";r=7;t=1" } })),
  HttpRouter.get("/broken", Effect.die("boom"))
)

const limited = { rateLimit: 3, rateLimitWindow: 60 }

const fields = (headers: Readonly<Record<string, string>>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith("ratelimit") || name === "retry-after"))

describe("rate-limit header fields", () => {
  it.scoped("draft 8 by default: each response gives the quota left and when a unit comes back", () =>
    Effect.gen(function*() {
      expect(fields((yield* send(app, "/")).headers)).toEqual({ "ratelimit-policy": "\"global\";q=3;w=60", "ratelimit": "\"global\";r=2;t=60" })
      yield* TestClock.adjust("10 seconds")
      // the first request leaves the window 60 s after it came, 50 s from now
      expect(fields((yield* send(app, "/")).headers)).toEqual({ "ratelimit-policy": "\"global\";q=3;w=60", "ratelimit": "\"global\";r=1;t=50" })
      yield* TestClock.adjust("10 seconds")
      expect(fields((yield* send(app, "/")).headers)).toEqual({ "ratelimit-policy": "\"global\";q=3;w=60", "ratelimit": "\"global\";r=0;t=40" })
    }).pipe(Effect.provide(guardFor(app, limited))))

  it.scoped("a 429 says when to retry, and retrying then passes", () =>
    Effect.gen(function*() {
      yield* send(app, "/")
      yield* TestClock.adjust("10 seconds")
      yield* send(app, "/")
      yield* send(app, "/")
      const refused = yield* send(app, "/")
      // the refused request is counted in place of the oldest one (at 0 s): the window holds
      // 10 s, 10 s, 10 s, and the next unit comes back when the 10 s ones leave, at 70 s
      expect(refused.status).toBe(429)
      expect(fields(refused.headers)).toEqual({ "ratelimit-policy": "\"global\";q=3;w=60", "ratelimit": "\"global\";r=0;t=60", "retry-after": "60" })
      yield* TestClock.adjust("59 seconds")
      expect((yield* send(app, "/")).status).toBe(429)
      yield* TestClock.adjust("61 seconds")
      const again = yield* send(app, "/")
      expect(again.status).toBe(200)
      expect(again.headers["ratelimit"]).toBe("\"global\";r=2;t=60")
    }).pipe(Effect.provide(guardFor(app, limited))))

  it.scoped("a request counted by a route limit and the global one names both policies, route first", () =>
    Effect.gen(function*() {
      const first = yield* send(app, "/search")
      expect(fields(first.headers)).toEqual({
        "ratelimit-policy": "\"route\";q=2;w=10, \"global\";q=3;w=60",
        "ratelimit": "\"route\";r=1;t=10, \"global\";r=2;t=60"
      })
      yield* send(app, "/search")
      // refused by the route limit: the global window is not reached, so not named
      const refused = yield* send(app, "/search")
      expect(refused.status).toBe(429)
      expect(fields(refused.headers)).toEqual({ "ratelimit-policy": "\"route\";q=2;w=10", "ratelimit": "\"route\";r=0;t=10", "retry-after": "10" })
    }).pipe(Effect.provide(guardFor(app, limited))))

  it.scoped("draft 7: the policies, and one RateLimit for the window closest to refusing", () =>
    Effect.gen(function*() {
      const first = yield* send(app, "/search")
      expect(fields(first.headers)).toEqual({ "ratelimit-policy": "2;w=10, 3;w=60", "ratelimit": "limit=2, remaining=1, reset=10" })
    }).pipe(Effect.provide(guardFor(app, { ...limited, rateLimitHeaders: "draft-7" }))))

  it.scoped("draft 6: RateLimit-Limit, -Remaining and -Reset for the window closest to refusing", () =>
    Effect.gen(function*() {
      yield* send(app, "/")
      yield* TestClock.adjust("5 seconds")
      const second = yield* send(app, "/search")
      // global: 1 left, back in 55 s; route: 1 left, back in 10 s: equal remaining, the longer wait wins
      expect(fields(second.headers)).toEqual({
        "ratelimit-policy": "2;w=10, 3;w=60",
        "ratelimit-limit": "3",
        "ratelimit-remaining": "1",
        "ratelimit-reset": "55"
      })
    }).pipe(Effect.provide(guardFor(app, { ...limited, rateLimitHeaders: "draft-6" }))))

  it.scoped("false: no RateLimit fields, but a 429 still says when to retry", () =>
    Effect.gen(function*() {
      expect(fields((yield* send(app, "/")).headers)).toEqual({})
      yield* send(app, "/")
      yield* send(app, "/")
      const refused = yield* send(app, "/")
      expect(refused.status).toBe(429)
      expect(fields(refused.headers)).toEqual({ "retry-after": "60" })
    }).pipe(Effect.provide(guardFor(app, { ...limited, rateLimitHeaders: false }))))

  it.scoped("a route that bypasses the rate limit gets no fields", () =>
    Effect.gen(function*() {
      const health = yield* send(app, "/health")
      expect(health.status).toBe(200)
      expect(fields(health.headers)).toEqual({})
      expect(fields((yield* send(app, "/")).headers)["ratelimit"]).toBe("\"global\";r=2;t=60")
    }).pipe(Effect.provide(guardFor(app, limited))))

  it.scoped("a whitelisted client is not counted and gets no fields", () =>
    Effect.gen(function*() {
      const answer = yield* send(app, "/", { ip: "203.0.113.9" })
      expect(answer.status).toBe(200)
      expect(fields(answer.headers)).toEqual({})
    }).pipe(Effect.provide(guardFor(app, { ...limited, whitelist: ["203.0.113.9"] }))))

  it.scoped("HEAD is counted as GET is, and its answer carries the fields", () =>
    Effect.gen(function*() {
      const head = yield* send(app, "/search", { method: "HEAD" })
      expect(head.status).toBe(200)
      expect(head.headers["ratelimit"]).toBe("\"route\";r=1;t=10, \"global\";r=2;t=60")
      yield* send(app, "/search")
      expect((yield* send(app, "/search", { method: "HEAD" })).status).toBe(429)
    }).pipe(Effect.provide(guardFor(app, limited))))

  it.scoped("the application's own RateLimit field wins; a failing handler's 500 carries the fields", () =>
    Effect.gen(function*() {
      const own = yield* send(app, "/quota")
      expect(own.headers["ratelimit"]).toBe("\"app\";r=7;t=1")
      expect(own.headers["ratelimit-policy"]).toBe("\"global\";q=3;w=60")
      const broken = yield* send(app, "/broken")
      expect(broken.status).toBe(500)
      expect(broken.headers["ratelimit"]).toBe("\"global\";r=1;t=60")
    }).pipe(Effect.provide(guardFor(app, limited))))

  it.effect("GUARD_RATE_LIMIT_HEADERS picks the draft, or false (or off) for none", () =>
    Effect.gen(function*() {
      const load = (value: string) =>
        loadGuardConfig().pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["GUARD_RATE_LIMIT_HEADERS", value]]))))
      expect((yield* load("draft-7")).rateLimitHeaders).toBe("draft-7")
      expect((yield* load("false")).rateLimitHeaders).toBe(false)
      expect((yield* load("off")).rateLimitHeaders).toBe(false)
      const error = yield* Effect.flip(load("draft-9"))
      expect(error.message).toContain("rateLimitHeaders")
    }))
})

describe("rate-limit header fields on a Node server", () => {
  it.scoped("a 200 and a 429 over a real socket carry them", () =>
    Effect.gen(function*() {
      const ok = yield* get("/")
      expect(ok.status).toBe(200)
      expect(ok.headers["ratelimit-policy"]).toBe("\"global\";q=1;w=60")
      expect(ok.headers["ratelimit"]).toBe("\"global\";r=0;t=60")
      const refused = yield* get("/")
      expect(refused.status).toBe(429)
      expect(refused.headers["ratelimit"]).toMatch(/^"global";r=0;t=(59|60)$/)
      expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(59)
    }).pipe(Effect.provide(guardedServer(app, { enableRateLimiting: true, rateLimit: 1 }))), { timeout: 30_000 })
})
