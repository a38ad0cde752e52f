import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, Ref, TestClock } from "effect"
import { GuardConfig, isCheckLogMuted, logCheck, MutedCheckLogs, StoreError, ViolationCounter } from "effect-guard"
import { makeRepeatedCheckLog } from "../src/CheckLog.js"
import { get, guardedServer } from "./support/guarded.js"

interface Line {
  readonly check: string | undefined
  readonly level: string
  readonly message: string
}

/** A logger that records every line with its `guard.check` annotation. */
const recordingLogger = Effect.map(Ref.make<ReadonlyArray<Line>>([]), (lines) => ({
  lines: Ref.get(lines),
  layer: Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ annotations, logLevel, message }) => {
      const check = [...annotations].find(([key]) => key === "guard.check")?.[1]
      const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
      Effect.runSync(Ref.update(lines, (all) => [...all, { check: check === undefined ? undefined : String(check), level: logLevel.label, message: text }]))
    })
  )
}))

const captureLogs = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const logger = yield* recordingLogger
    yield* effect.pipe(Effect.provide(logger.layer))
    return (yield* logger.lines).map((line) => `${line.check}: ${line.message}`)
  })

/** A violation store that is always down, as Redis would be during an outage. */
const downViolations = Layer.succeed(ViolationCounter, {
  record: () => Effect.fail(new StoreError({ reason: "Unavailable", message: "Redis violations.record failed: connection closed" })),
  reset: () => Effect.void,
  size: Effect.succeed(0)
})

const attack = "/search?q=%27%20OR%201%3D1%20--"
const app = HttpRouter.empty.pipe(HttpRouter.get("/search", HttpServerResponse.text("ok")))

/** Serves `app` with a failing violation store and returns the lines the guard logged for one attack. */
const linesOfOneAttack = (mutedCheckLogs: ReadonlyArray<"suspicious_activity">) =>
  Effect.gen(function*() {
    const logger = yield* recordingLogger
    yield* Effect.gen(function*() {
      expect((yield* get(attack)).status).toBe(400)
    }).pipe(Effect.provide(guardedServer(app, { mutedCheckLogs: [...mutedCheckLogs] }, downViolations).pipe(Layer.provide(logger.layer))))
    return yield* logger.lines
  })

describe("CheckLog", () => {
  it.effect("a muted check logs nothing while the others log, tagged with their check name", () =>
    Effect.gen(function*() {
      const lines = yield* captureLogs(Effect.all([
        logCheck("rate_limit", "Rate limit exceeded for 1.2.3.4"),
        logCheck("user_agent", "Blocked user agent curl"),
        logCheck("ip_security", "IP 1.2.3.4 is blacklisted")
      ]))
      expect(lines).toEqual(["ip_security: IP 1.2.3.4 is blacklisted"])
      expect(yield* isCheckLogMuted("rate_limit")).toBe(true)
      expect(yield* isCheckLogMuted("ip_security")).toBe(false)
    }).pipe(Effect.provide(MutedCheckLogs.layerConfig.pipe(Layer.provide(GuardConfig.layer({ mutedCheckLogs: ["rate_limit", "user_agent"] }))))))

  it.effect("the muted set can be given without a configuration", () =>
    Effect.gen(function*() {
      const lines = yield* captureLogs(Effect.all([logCheck("rate_limit", "limited"), logCheck("user_agent", "curl")]))
      expect(lines).toEqual(["user_agent: curl"])
    }).pipe(Effect.provide(MutedCheckLogs.layer(["rate_limit"]))))

  it.scoped("a check's own lines, such as a skipped auto-ban count, carry its name", () =>
    Effect.gen(function*() {
      const lines = yield* linesOfOneAttack([])
      const skipped = lines.find((line) => line.message.startsWith("auto-ban counting skipped"))
      expect(skipped).toMatchObject({ check: "suspicious_activity", level: "WARN" })
      expect(lines.some((line) => line.check === "suspicious_activity" && line.message.startsWith("Penetration attempt detected"))).toBe(true)
    }))

  it.scoped("muting a check silences every line it writes, its own and the pipeline's", () =>
    Effect.gen(function*() {
      const lines = yield* linesOfOneAttack(["suspicious_activity"])
      expect(lines.filter((line) => line.check === "suspicious_activity")).toEqual([])
      expect(lines.some((line) => line.message.includes("auto-ban"))).toBe(false)
    }))

  it.effect("a repeated line is written once, then once per interval with the number held back", () =>
    Effect.gen(function*() {
      const lines = yield* captureLogs(Effect.gen(function*() {
        const log = yield* makeRepeatedCheckLog(new Set(), "10 seconds")
        for (let i = 0; i < 4; i++) yield* log("rate_limit", "store unavailable")
        yield* log("ip_security", "store unavailable")
        yield* TestClock.adjust("10 seconds")
        yield* log("rate_limit", "store unavailable")
        yield* log("rate_limit", "store unavailable")
      }))
      expect(lines).toEqual([
        "rate_limit: store unavailable",
        "ip_security: store unavailable",
        "rate_limit: store unavailable (3 more since the last line)"
      ])
    }))

  it.effect("a repeated line of a muted check is neither written nor counted", () =>
    Effect.gen(function*() {
      const lines = yield* captureLogs(Effect.gen(function*() {
        const log = yield* makeRepeatedCheckLog(new Set(["rate_limit"]), "10 seconds")
        yield* log("rate_limit", "store unavailable")
        yield* log("ip_security", "store unavailable")
      }))
      expect(lines).toEqual(["ip_security: store unavailable"])
    }))
})
