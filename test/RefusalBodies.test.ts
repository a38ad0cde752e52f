/**
 * What a guard refusal says: plain text by default, or an RFC 9457 problem
 * (`application/problem+json`: type, title, status, detail) for all refusals or for one status.
 */
import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { decodeGuardConfig } from "effect-guard"
import { loadGuardConfig } from "../src/GuardConfig.js"
import { guardFor, send } from "./support/inFiber.js"

const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("ok")))

/** One request allowed per minute, and 192.0.2.66 blacklisted: a 429 and a 403 to look at. */
const base = { rateLimit: 1, rateLimitWindow: 60, blacklist: ["192.0.2.66"] }

const refusedTwice = Effect.gen(function*() {
  yield* send(app, "/")
  return { limited: yield* send(app, "/"), blocked: yield* send(app, "/", { ip: "192.0.2.66" }) }
})

describe("refusal bodies", () => {
  it.scoped("plain text by default", () =>
    Effect.gen(function*() {
      const { blocked, limited } = yield* refusedTwice
      expect(limited.status).toBe(429)
      expect(limited.headers["content-type"]).toMatch(/^text\/plain/)
      expect(limited.body).toBe("Too many requests")
      expect(blocked.status).toBe(403)
      expect(blocked.headers["content-type"]).toMatch(/^text\/plain/)
    }).pipe(Effect.provide(guardFor(app, base))))

  it.scoped("refusalFormat problem+json: every refusal is a problem named by its status", () =>
    Effect.gen(function*() {
      const { blocked, limited } = yield* refusedTwice
      expect(limited.headers["content-type"]).toBe("application/problem+json")
      expect(JSON.parse(limited.body)).toEqual({ type: "about:blank", title: "Too Many Requests", status: 429, detail: "Too many requests" })
      // the rate-limit fields and Retry-After are still there
      expect(limited.headers["retry-after"]).toBe("60")
      expect(limited.headers["ratelimit"]).toBe("\"global\";r=0;t=60")
      expect(blocked.headers["content-type"]).toBe("application/problem+json")
      expect(JSON.parse(blocked.body)).toMatchObject({ type: "about:blank", title: "Forbidden", status: 403 })
    }).pipe(Effect.provide(guardFor(app, { ...base, refusalFormat: "problem+json" }))))

  it.scoped("one status as a problem of its own type and title, the others as text", () =>
    Effect.gen(function*() {
      const { blocked, limited } = yield* refusedTwice
      expect(JSON.parse(limited.body)).toEqual({
        type: "https://example.com/problems/quota",
        title: "Quota exceeded",
        status: 429,
        detail: "Too many requests"
      })
      expect(blocked.headers["content-type"]).toMatch(/^text\/plain/)
    }).pipe(Effect.provide(guardFor(app, {
      ...base,
      refusalBodies: { "429": { format: "problem+json", type: "https://example.com/problems/quota", title: "Quota exceeded" } }
    }))))

  it.scoped("one status as text while the others are problems; detail replaces the message", () =>
    Effect.gen(function*() {
      const { blocked, limited } = yield* refusedTwice
      expect(limited.headers["content-type"]).toBe("application/problem+json")
      expect(blocked.headers["content-type"]).toMatch(/^text\/plain/)
      expect(blocked.body).toBe("Not from here")
    }).pipe(Effect.provide(guardFor(app, { ...base, refusalFormat: "problem+json", refusalBodies: { "403": { format: "text", detail: "Not from here" } } }))))

  it.scoped("customErrorResponses' text is the problem's detail, escaped as JSON", () =>
    Effect.gen(function*() {
      const { limited } = yield* refusedTwice
      expect(JSON.parse(limited.body).detail).toBe("Slow down, \"friend\"\n</script>")
    }).pipe(Effect.provide(guardFor(app, { ...base, refusalFormat: "problem+json", customErrorResponses: { "429": "Slow down, \"friend\"\n</script>" } }))))

  it.scoped("a HEAD refusal carries the problem's headers and no body", () =>
    Effect.gen(function*() {
      yield* send(app, "/")
      const head = yield* send(app, "/", { method: "HEAD" })
      expect(head.status).toBe(429)
      expect(head.headers["content-type"]).toBe("application/problem+json")
      expect(head.body).toBe("")
    }).pipe(Effect.provide(guardFor(app, { ...base, refusalFormat: "problem+json" }))))

  it.effect("a format or status the guard does not know is a ConfigError", () =>
    Effect.gen(function*() {
      const format = yield* Effect.flip(decodeGuardConfig({ refusalFormat: "xml" }))
      expect(format.message).toContain("refusalFormat")
      const status = yield* Effect.flip(decodeGuardConfig({ refusalBodies: { "4299": { format: "text" } } }))
      expect(status.message).toContain("refusalBodies.4299")
    }))

  it.effect("GUARD_REFUSAL_FORMAT and GUARD_REFUSAL_BODIES (JSON) set them from the environment", () =>
    Effect.gen(function*() {
      const config = yield* loadGuardConfig().pipe(Effect.withConfigProvider(ConfigProvider.fromMap(
        new Map([
          ["GUARD_REFUSAL_FORMAT", "problem+json"],
          ["GUARD_REFUSAL_BODIES", "{\"429\":{\"type\":\"https://example.com/problems/quota\"}}"]
        ])
      )))
      expect(config.refusalFormat).toBe("problem+json")
      expect(config.refusalBodies["429"]?.type).toBe("https://example.com/problems/quota")
    }))
})
