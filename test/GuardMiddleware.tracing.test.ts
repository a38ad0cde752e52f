import { HttpApp, HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { ClientIp, GuardConfig, type GuardConfigInput, GuardLive, guardMiddleware } from "effect-guard"
import { recordingTracer } from "./support/recordingTracer.js"

const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("ok")))

const handlerWith = (config: GuardConfigInput) => {
  const recorder = recordingTracer()
  const layer = GuardLive.pipe(Layer.provideMerge(GuardConfig.layer({ enableRateLimiting: false, ...config })), Layer.merge(recorder.layer))
  return { ...HttpApp.toWebHandlerLayer(app, layer, { middleware: guardMiddleware }), spans: recorder.spans }
}

const request = (handler: ReturnType<typeof handlerWith>["handler"], path: string, ip: string) =>
  Effect.promise(() => handler(new Request(`http://guarded.test${path}`), Context.make(ClientIp, ip)))

describe("tracing the guard's own work", () => {
  it.live("the request span says which check refused the request", () =>
    Effect.gen(function*() {
      const { dispose, handler, spans } = handlerWith({ blacklist: ["203.0.113.0/24"] })
      expect((yield* request(handler, "/", "203.0.113.4")).status).toBe(403)
      const server = spans.find((s) => s.name.startsWith("http.server"))
      expect(server?.attributes.get("guard.blocked_by")).toBe("ip_security")
      expect(spans.some((s) => s.name.startsWith("guard.check."))).toBe(false)
      yield* Effect.promise(dispose)
    }))

  it.live("with traceSecurityChecks every check that runs gets its own span", () =>
    Effect.gen(function*() {
      const { dispose, handler, spans } = handlerWith({ traceSecurityChecks: true })
      expect((yield* request(handler, "/", "198.51.100.4")).status).toBe(200)
      expect(spans.map((s) => s.name).filter((n) => n.startsWith("guard.check."))).toEqual([
        "guard.check.ip_security",
        "guard.check.suspicious_activity"
      ])
      yield* Effect.promise(dispose)
    }))
})
