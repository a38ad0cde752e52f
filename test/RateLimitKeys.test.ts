/**
 * Who a request is counted as, whether it is counted, and for how much: `rateLimitKey` (a user id,
 * an API key) globally or per route, `rateLimitSkip`, and a route's `rateLimitCost`. A key or skip
 * function is application code: whatever it does, the guard neither answers 500 nor lets a
 * request through uncounted.
 */
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Logger, Ref } from "effect"
import { type GuardConfigInput, RateLimitStore, RouteGuard } from "effect-guard"
import { guardFor, send } from "./support/inFiber.js"

/** Counts a client by the API key it sends. */
const byApiKey = (request: HttpServerRequest.HttpServerRequest) => Effect.succeed(request.headers["x-api-key"] ?? "")

const app = HttpRouter.empty.pipe(
  HttpRouter.get("/", HttpServerResponse.text("ok")),
  HttpRouter.get("/report", RouteGuard.secure({ rateLimitCost: 2 })(HttpServerResponse.text("report"))),
  HttpRouter.get("/export", RouteGuard.secure({ rateLimitCost: 50 })(HttpServerResponse.text("export"))),
  HttpRouter.get(
    "/user",
    RouteGuard.secure({ rateLimitKey: (request) => Effect.succeed(request.headers["x-user"] ?? "anonymous") })(HttpServerResponse.text("user"))
  )
)

class RecordedKeys extends Context.Tag("test/RecordedKeys")<RecordedKeys, Ref.Ref<ReadonlyArray<string>>>() {}

/** The memory store, recording the keys the guard counts under. */
const recordingStore = Layer.unwrapEffect(Effect.gen(function*() {
  const keys = yield* Ref.make<ReadonlyArray<string>>([])
  const memory = yield* Effect.provide(RateLimitStore, RateLimitStore.layerMemory())
  const store = Layer.succeed(RateLimitStore, {
    ...memory,
    hit: (key, limit, window) => Effect.zipRight(Ref.update(keys, (all) => [...all, key]), memory.hit(key, limit, window))
  })
  return Layer.merge(store, Layer.succeed(RecordedKeys, keys))
}))

const guard = (config: GuardConfigInput) =>
  guardFor(app, { rateLimit: 3, rateLimitWindow: 60, ...config }).pipe(Layer.provideMerge(recordingStore))

/** The warnings logged while `effect` ran. */
const warned = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") lines.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
    })
    const result = yield* Effect.provide(effect, Logger.replace(Logger.defaultLogger, logger))
    return { result, lines }
  })

const statuses = (n: number, path: string, sent: Parameters<typeof send>[2] = {}) =>
  Effect.forEach(Array.from({ length: n }), () => Effect.map(send(app, path, sent), (a) => a.status))

describe("rateLimitKey", () => {
  it.scoped("counts clients by their API key: two keys behind one address have a budget each", () =>
    Effect.gen(function*() {
      expect(yield* statuses(4, "/", { headers: { "x-api-key": "alice" } })).toEqual([200, 200, 200, 429])
      expect(yield* statuses(3, "/", { headers: { "x-api-key": "bob" } })).toEqual([200, 200, 200])
      // one key from another address shares its budget
      expect(yield* statuses(1, "/", { headers: { "x-api-key": "bob" }, ip: "203.0.113.50" })).toEqual([429])
    }).pipe(Effect.provide(guard({ rateLimitKey: byApiKey }))))

  it.scoped("a route's key is the one its requests are counted by", () =>
    Effect.gen(function*() {
      expect(yield* statuses(3, "/user", { headers: { "x-user": "u1", "x-api-key": "same" } })).toEqual([200, 200, 200])
      expect(yield* statuses(1, "/user", { headers: { "x-user": "u2", "x-api-key": "same" } })).toEqual([200])
      const keys = yield* Ref.get(yield* RecordedKeys)
      expect(keys).toContain("global:key:u1")
      expect(keys).toContain("global:key:u2")
    }).pipe(Effect.provide(guard({ rateLimitKey: byApiKey }))))

  it.scoped("a key cannot pose as another client's address", () =>
    Effect.gen(function*() {
      // an attacker names its key after the victim's address: the victim's budget is untouched
      yield* statuses(4, "/", { headers: { "x-api-key": "198.51.100.7" }, ip: "203.0.113.66" })
      const keys = yield* Ref.get(yield* RecordedKeys)
      expect(keys.every((k) => k === "global:key:198.51.100.7")).toBe(true)
    }).pipe(Effect.provide(guard({ rateLimitKey: byApiKey }))))

  it.scoped("a huge key is hashed: the store never holds a key past 128 characters of it", () =>
    Effect.gen(function*() {
      const a = "a".repeat(10_000)
      expect(yield* statuses(4, "/", { headers: { "x-api-key": a } })).toEqual([200, 200, 200, 429])
      // same first 128 characters, another key: another budget
      expect(yield* statuses(1, "/", { headers: { "x-api-key": `${a}b` } })).toEqual([200])
      const keys = yield* Ref.get(yield* RecordedKeys)
      expect(Math.max(...keys.map((k) => k.length))).toBeLessThan(64)
      expect(new Set(keys).size).toBe(2)
    }).pipe(Effect.provide(guard({ rateLimitKey: byApiKey }))))

  it.scoped("an empty key counts the request by its address, not in one bucket shared by all", () =>
    Effect.gen(function*() {
      const { lines, result } = yield* warned(Effect.zip(statuses(4, "/"), statuses(1, "/", { ip: "203.0.113.8" })))
      expect(result).toEqual([[200, 200, 200, 429], [200]])
      expect(lines.some((l) => l.includes("rateLimitKey failed; the request is counted by client address"))).toBe(true)
      expect(yield* Ref.get(yield* RecordedKeys)).toContain("global:198.51.100.7")
    }).pipe(Effect.provide(guard({ rateLimitKey: byApiKey }))))

  const failing: ReadonlyArray<[string, (request: HttpServerRequest.HttpServerRequest) => Effect.Effect<string>]> = [
    ["fails", () => Effect.fail("no session store") as unknown as Effect.Effect<string>],
    ["dies", () => Effect.die(new Error("bug"))],
    ["throws", () => {
      throw new Error("thrown")
    }],
    ["gives no string", () => Effect.succeed(42 as unknown as string)]
  ]
  for (const [what, rateLimitKey] of failing) {
    it.scoped(`a key function that ${what}: the request is counted by address, and the guard says so once`, () =>
      Effect.gen(function*() {
        const { lines, result } = yield* warned(statuses(4, "/"))
        expect(result).toEqual([200, 200, 200, 429])
        expect(lines.filter((l) => l.includes("rateLimitKey failed"))).toHaveLength(1)
      }).pipe(Effect.provide(guard({ rateLimitKey }))))
  }

  it.scoped("IPv6: without a key an address's /64 shares one budget; a failing key falls back to that network", () =>
    Effect.gen(function*() {
      expect(yield* statuses(2, "/", { ip: "2001:db8:1:2::1" })).toEqual([200, 200])
      expect(yield* statuses(2, "/", { ip: "2001:db8:1:2:ffff::9" })).toEqual([200, 429])
      expect(yield* statuses(1, "/", { ip: "2001:db8:1:3::1" })).toEqual([200])
      expect(yield* Ref.get(yield* RecordedKeys)).toContain("global:2001:db8:1:2::/64")
    }).pipe(Effect.provide(guard({ rateLimitKey: () => Effect.succeed("") }))))
})

describe("rateLimitSkip", () => {
  it.scoped("a skipped request is not counted and carries no fields", () =>
    Effect.gen(function*() {
      const internal = { headers: { "x-internal": "1" } }
      expect(yield* statuses(5, "/", internal)).toEqual([200, 200, 200, 200, 200])
      expect((yield* send(app, "/", internal)).headers["ratelimit"]).toBeUndefined()
      expect((yield* send(app, "/")).headers["ratelimit"]).toBe("\"global\";r=2;t=60")
    }).pipe(Effect.provide(guard({ rateLimitSkip: (request) => Effect.succeed(request.headers["x-internal"] === "1") }))))

  it.scoped("a skip function that dies counts the request", () =>
    Effect.gen(function*() {
      const { lines, result } = yield* warned(statuses(4, "/"))
      expect(result).toEqual([200, 200, 200, 429])
      expect(lines.some((l) => l.includes("rateLimitSkip failed; the request is counted"))).toBe(true)
    }).pipe(Effect.provide(guard({ rateLimitSkip: () => Effect.dieMessage("bug") }))))
})

describe("rateLimitCost", () => {
  it.scoped("a request of a route with cost 2 uses two units of every window it meets", () =>
    Effect.gen(function*() {
      const report = yield* send(app, "/report")
      expect(report.headers["ratelimit"]).toBe("\"global\";r=2;t=60")
      expect((yield* send(app, "/")).headers["ratelimit"]).toBe("\"global\";r=1;t=60")
      // one unit left, two asked: refused
      expect((yield* send(app, "/report")).status).toBe(429)
    }).pipe(Effect.provide(guard({ rateLimit: 4 }))))

  it.scoped("a cost above the limit takes the whole window: it passes when the window is empty, then nothing does", () =>
    Effect.gen(function*() {
      const first = yield* send(app, "/export")
      expect(first.status).toBe(200)
      expect(first.headers["ratelimit"]).toBe("\"global\";r=0;t=60")
      expect((yield* send(app, "/")).status).toBe(429)
      // the store was asked at most limit + 1 times, not 50
      expect((yield* Ref.get(yield* RecordedKeys)).length).toBe(4)
    }).pipe(Effect.provide(guard({}))))
})
