import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { GuardConfig, isCheckLogMuted, logCheck } from "effect-guard"

const captureLogs = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const logger = Logger.make(({ annotations, message }) => {
      lines.push(`${String(annotations.pipe((a) => [...a].find(([k]) => k === "guard.check")?.[1]))}: ${String(message)}`)
    })
    yield* effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
    return lines
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
    }).pipe(Effect.provide(GuardConfig.layer({ mutedCheckLogs: ["rate_limit", "user_agent"] }))))
})
