/**
 * The in-process stores and detector answer the checks synchronously (no fiber steps per request).
 * These tests pin down that this is only a shortcut: a store the user wrapped is called through its
 * effects, both paths give the same answers, and a window after a refusal still does not count.
 */
import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Ref } from "effect"
import { IpBans, RateLimitStore, ThreatDetector } from "effect-guard"
import { syncHits } from "../src/RateLimitStore.js"
import { events, get, guardedServer, statusAndBody } from "./support/guarded.js"

const app = HttpRouter.empty.pipe(
  HttpRouter.get("/", HttpServerResponse.text("ok")),
  HttpRouter.get("/search", HttpServerResponse.text("ok"))
)

/** Layers that wrap the in-process store, counting the calls made through the service's effects. */
const counted = (calls: Ref.Ref<number>) => ({
  rateLimits: Layer.effect(
    RateLimitStore,
    Effect.map(RateLimitStore, (store) => RateLimitStore.of({ ...store, hit: (...args) => Effect.zipRight(Ref.update(calls, (n) => n + 1), store.hit(...args)) }))
  ).pipe(Layer.provide(RateLimitStore.layerMemory())),
  bans: Layer.effect(
    IpBans,
    Effect.map(IpBans, (bans) => IpBans.of({ ...bans, isBanned: (ip) => Effect.zipRight(Ref.update(calls, (n) => n + 1), bans.isBanned(ip)) }))
  ).pipe(Layer.provide(IpBans.layerMemory())),
  detector: Layer.effect(
    ThreatDetector,
    Effect.map(ThreatDetector, (detector) => ({
      detect: (...args: Parameters<typeof detector.detect>) => Effect.zipRight(Ref.update(calls, (n) => n + 1), detector.detect(...args))
    }))
  ).pipe(Layer.provide(ThreatDetector.layer()))
})

const statuses = (paths: ReadonlyArray<string>) => Effect.forEach(paths, (path) => Effect.map(get(path), (r) => r.status))

describe("in-process stores", () => {
  const limited = { enableRateLimiting: true, rateLimit: 3, rateLimitWindow: 60 }
  const five = ["/", "/", "/", "/", "/"]

  it.scoped("the in-process rate limit store counts every request", () =>
    Effect.gen(function*() {
      expect(yield* statuses(five)).toEqual([200, 200, 200, 429, 429])
    }).pipe(Effect.provide(guardedServer(app, limited))))

  it.scoped("a rate limit store the user wrapped is called through its effects, with the same answers", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      yield* Effect.gen(function*() {
        expect(yield* statuses(five)).toEqual([200, 200, 200, 429, 429])
        expect(yield* Ref.get(calls)).toBe(5)
      }).pipe(Effect.provide(guardedServer(app, limited, counted(calls).rateLimits)))
    }))

  it.scoped("an endpoint refusal does not count the request in the global window", () =>
    Effect.gen(function*() {
      // "/" allows one request a minute; the global limit of three counts only what passed it
      expect(yield* statuses(["/", "/", "/", "/search", "/search", "/search"])).toEqual([200, 429, 429, 200, 200, 429])
    }).pipe(Effect.provide(guardedServer(app, { ...limited, endpointRateLimits: { "/": [1, 60] } }))))

  it.scoped("a ban store the user wrapped is asked through isBanned on every request", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      yield* Effect.gen(function*() {
        const client = { "x-forwarded-for": "198.51.100.7" }
        expect((yield* get("/", client)).status).toBe(200)
        yield* Effect.flatMap(IpBans, (bans) => bans.ban("198.51.100.7", "1 minute", "test"))
        expect(yield* statusAndBody(yield* get("/", client))).toEqual({ status: 403, body: "IP address banned" })
        expect(yield* Ref.get(calls)).toBe(2)
      }).pipe(Effect.provide(guardedServer(app, { trustedProxies: ["127.0.0.1", "::1"] }, counted(calls).bans)))
    }))

  it.scoped("a detector the user wrapped is asked through detect, and finds the same attack", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      yield* Effect.gen(function*() {
        expect((yield* get("/search?q=1")).status).toBe(200)
        expect((yield* get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E")).status).toBe(400)
        expect(yield* Ref.get(calls)).toBe(2)
        expect((yield* events).map((e) => e.eventType)).toContain("penetration_attempt")
      }).pipe(Effect.provide(guardedServer(app, { enableIpBanning: false }, counted(calls).detector)))
    }))
})

describe("a check that throws while answering", () => {
  it.scoped("a store whose synchronous answer throws fails its check: 500 under fail-secure", () =>
    Effect.gen(function*() {
      expect(yield* statusAndBody(yield* get("/"))).toEqual({ status: 500, body: "Security check failed" })
    }).pipe(Effect.provide(guardedServer(app, { enableRateLimiting: true }, Layer.effect(
      RateLimitStore,
      Effect.map(RateLimitStore, (store) =>
        syncHits.register(RateLimitStore.of({ ...store }), () => {
          throw new Error("a bug in the store")
        }))
    ).pipe(Layer.provide(RateLimitStore.layerMemory()))))))

  it.scoped("a custom request hook that throws instead of failing is a failed check too", () =>
    Effect.gen(function*() {
      expect(yield* statusAndBody(yield* get("/"))).toEqual({ status: 500, body: "Security check failed" })
    }).pipe(Effect.provide(guardedServer(app, {
      customRequestCheck: () => {
        throw new Error("the hook threw instead of failing")
      }
    }))))
})
