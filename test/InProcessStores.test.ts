/**
 * The checks ask the stores and the detector through their services' methods only: a store the
 * user wrapped is called on every request with the in-process store's answers, a window after a
 * refusal still does not count, nothing is counted for a request the guard refuses before its
 * checks, and a store that throws instead of failing fails its check safely.
 */
import { HttpApp, HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Ref } from "effect"
import { GuardConfig, GuardLive, guardMiddleware, GuardRoutes, IpBans, RateLimitStore, ThreatDetector } from "effect-guard"
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

const limited = { enableRateLimiting: true, rateLimit: 3, rateLimitWindow: 60 }
const five = ["/", "/", "/", "/", "/"]

describe("in-process stores", () => {
  it.scoped("a rate limit store the user wrapped is called on every request, with the in-process store's answers", () =>
    Effect.gen(function*() {
      const inProcess = yield* statuses(five).pipe(Effect.provide(guardedServer(app, limited)))
      const calls = yield* Ref.make(0)
      const wrapped = yield* statuses(five).pipe(Effect.provide(guardedServer(app, limited, counted(calls).rateLimits)))
      expect(inProcess).toEqual([200, 200, 200, 429, 429])
      expect(wrapped).toEqual(inProcess)
      expect(yield* Ref.get(calls)).toBe(5)
    }))

  it.scoped("an endpoint refusal does not count the request in the global window", () =>
    Effect.gen(function*() {
      // "/" allows one request a minute; the global limit of three counts only what passed it
      expect(yield* statuses(["/", "/", "/", "/search", "/search", "/search"])).toEqual([200, 429, 429, 200, 200, 429])
    }).pipe(Effect.provide(guardedServer(app, { ...limited, endpointRateLimits: { "/": [1, 60] } }))))

  it.scoped("a route refusal does not count the request in the global window either", () =>
    Effect.gen(function*() {
      expect(yield* statuses(["/", "/", "/", "/search", "/search", "/search"])).toEqual([200, 429, 429, 200, 200, 429])
    }).pipe(Effect.provide(guardedServer(app, limited, GuardRoutes.layer([{ method: "GET", path: "/", settings: { rateLimit: { requests: 1, window: 60 } } }])))))

  it.effect("a client the guard refuses before its checks (fail-secure, no address) is counted nowhere", () =>
    Effect.gen(function*() {
      // the in-process store itself, which counts as soon as a check calls it
      const store = yield* RateLimitStore
      const guard = GuardLive.pipe(Layer.provideMerge(Layer.succeed(RateLimitStore, store)), Layer.provide(GuardConfig.layer(limited)))
      const { dispose, handler } = HttpApp.toWebHandlerLayer(app, guard, { middleware: guardMiddleware })
      // a web request with no socket and no ClientIp from the host: the peer is unknown
      for (let i = 0; i < 2; i++) expect((yield* Effect.promise(() => handler(new Request("http://guarded.test/")))).status).toBe(403)
      expect(yield* store.size).toBe(0)
      yield* Effect.promise(dispose)
    }).pipe(Effect.provide(RateLimitStore.layerMemory())))

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

  it.scoped("a store that throws instead of answering fails its check: 500 under fail-secure, with the security headers", () =>
    Effect.gen(function*() {
      // rate_limit is not the last check: the run stops there all the same
      const response = yield* get("/")
      expect(response.headers["x-content-type-options"]).toBe("nosniff")
      expect(yield* statusAndBody(response)).toEqual({ status: 500, body: "Security check failed" })
    }).pipe(Effect.provide(guardedServer(app, { enableRateLimiting: true }, Layer.effect(
      RateLimitStore,
      Effect.map(RateLimitStore, (store) =>
        RateLimitStore.of({
          ...store,
          hit: () => {
            throw new Error("a bug in the store")
          }
        }))
    ).pipe(Layer.provide(RateLimitStore.layerMemory()))))))

  /** A detector that reports an error for any query: what a bug in a rule family looks like from outside. */
  const failing = Layer.effect(
    ThreatDetector,
    Effect.map(ThreatDetector, (detector) => ({
      detect: (...args: Parameters<typeof detector.detect>) =>
        args[0].query === undefined || args[0].query === ""
          ? detector.detect(...args)
          : Effect.map(detector.detect(...args), (result) => ({
            ...result,
            truncated: true,
            skipped: { ...result.skipped, reasons: ["error" as const] },
            error: "RangeError: Maximum call stack size exceeded"
          }))
    }))
  ).pipe(Layer.provide(ThreatDetector.layer()))

  it.scoped("a request the detector could not scan (an error) is not passed as clean: 500 under fail-secure", () =>
    Effect.gen(function*() {
      expect((yield* get("/search")).status).toBe(200)
      expect(yield* statusAndBody(yield* get("/search?q=anything"))).toEqual({ status: 500, body: "Security check failed" })
    }).pipe(Effect.provide(guardedServer(app, {}, failing))))

  it.scoped("without fail-secure, a request the detector could not scan goes on", () =>
    Effect.gen(function*() {
      expect((yield* get("/search?q=anything")).status).toBe(200)
    }).pipe(Effect.provide(guardedServer(app, { failSecure: false }, failing))))

  it.scoped("in passive mode, a request the detector could not scan goes on: passive mode never blocks", () =>
    Effect.gen(function*() {
      expect((yield* get("/search?q=anything")).status).toBe(200)
    }).pipe(Effect.provide(guardedServer(app, { passiveMode: true }, failing))))
})
