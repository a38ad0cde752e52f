/**
 * Running the checks of a request in order: the first refusal ends the run; a check that fails
 * is a refusal (503 when its state store is down, 500 under fail-secure) or is skipped (always in
 * passive mode, which never blocks).
 *
 * @internal
 */
import { Cause, Context, Effect, LogLevel, Option, Tracer } from "effect"
import type { CheckName } from "../../EventTypes.js"
import type { CheckLog } from "../../CheckLog.js"
import { StoreError } from "../../StoreError.js"
import { type CheckEnv, type GuardRequest, guardResponse, pass, type SecurityCheck, type Verdict } from "../pipeline.js"

/** Sets an attribute on the request span, if there is one (cheaper than `annotateCurrentSpan`). */
const annotateRequestSpan = (key: string, value: string): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) => {
    const span = Context.getOption(fiber.currentContext, Tracer.ParentSpan)
    if (Option.isSome(span) && span.value._tag === "Span") span.value.attribute(key, value)
    return Effect.void
  })

/**
 * The index of the first check from `start` on that applies to `req` (`list.length` if none): on an
 * excluded path only those that run there, never one the route bypasses. A request on an ordinary
 * path whose route bypasses nothing (most) runs every check, and is answered without a test.
 */
const nextApplying = (list: ReadonlyArray<SecurityCheck>, req: GuardRequest, start: number): number => {
  const bypass = req.route?.settings.bypass
  if (!req.excluded && bypass === undefined) return start
  let i = start
  while (i < list.length && ((req.excluded && !list[i]!.onExcludedPaths) || bypass?.has(list[i]!.name) === true)) i++
  return i
}

/** Runs a list of checks for a request; the verdict of the first that refuses, else none. */
export type CheckRunner = (list: ReadonlyArray<SecurityCheck>, req: GuardRequest) => Effect.Effect<Verdict>

export const makeCheckRunner = (env: CheckEnv, repeatedLog: CheckLog): CheckRunner => {
  const { config } = env
  const spans = new Map<CheckName, string>()
  const spanOf = (name: CheckName): string => {
    const known = spans.get(name)
    if (known !== undefined) return known
    const span = `guard.check.${name}`
    spans.set(name, span)
    return span
  }

  /** A check's effect; a check that throws instead of answering fails like one that dies in its effect. */
  const started = (check: SecurityCheck, req: GuardRequest): Effect.Effect<Verdict, StoreError> => {
    let result: Effect.Effect<Verdict, StoreError>
    try {
      result = check.run(req)
    } catch (defect) {
      result = Effect.die(defect)
    }
    return result
  }

  const traced = (check: SecurityCheck, req: GuardRequest): Effect.Effect<Verdict, StoreError> =>
    config.traceSecurityChecks
      // suspended, so that the check does its work inside its span
      ? Effect.withSpan(Effect.suspend(() => started(check, req)), spanOf(check.name), { kind: "internal", captureStackTrace: false })
      : started(check, req)

  /** What a check that failed means for the request: a refusal, or none to go on with the next check. */
  const onCheckFailure = (check: SecurityCheck, cause: Cause.Cause<StoreError>): Effect.Effect<Verdict> => {
    if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
    const storeError = Option.getOrUndefined(Cause.failureOption(cause))
    // once per 10 s per check at most: an outage would otherwise write a line per request
    if (storeError instanceof StoreError) {
      // passive mode never blocks, whatever answers fail-open or fail-secure would give
      if (config.redisFailOpen || config.passiveMode) {
        return Effect.as(repeatedLog(check.name, `Security check ${check.name} skipped: state store unavailable (${config.passiveMode ? "passive mode" : "fail-open"})`, { cause: storeError.message }), Option.none())
      }
      return Effect.as(
        repeatedLog(check.name, `Security check ${check.name} failed: state store unavailable; answered 503`, { level: LogLevel.Error, cause: storeError.message }),
        Option.some(guardResponse(env, 503, "Service temporarily unavailable", { "retry-after": "5" }))
      )
    }
    const log = repeatedLog(check.name, `Error in security check ${check.name}${config.passiveMode ? " (passive mode: request passed)" : ""}`, { level: LogLevel.Error, cause })
    return Effect.as(log, config.failSecure && !config.passiveMode ? Option.some(guardResponse(env, 500, "Security check failed")) : Option.none())
  }

  const refusedBy = (check: SecurityCheck, verdict: Verdict): Effect.Effect<Verdict> =>
    Effect.as(annotateRequestSpan("guard.blocked_by", check.name), verdict)

  /**
   * The checks from `index` on. One failure handler covers the whole run (a handler per check
   * would cost every request two more steps per check); it knows which check failed because the
   * run records the check it is in.
   */
  const runFrom = (list: ReadonlyArray<SecurityCheck>, req: GuardRequest, index: number): Effect.Effect<Verdict> => {
    const first = nextApplying(list, req, index)
    // nothing to run: no failure handler to install
    if (first >= list.length) return pass
    let current = first
    const from = (start: number): Effect.Effect<Verdict, StoreError> => {
      const i = nextApplying(list, req, start)
      if (i >= list.length) return pass
      const check = list[i]!
      current = i
      return Effect.flatMap(traced(check, req), (verdict) => Option.isSome(verdict) ? refusedBy(check, verdict) : from(i + 1))
    }
    return Effect.catchAllCause(from(first), (cause) =>
      Effect.flatMap(onCheckFailure(list[current]!, cause), (verdict) =>
        Option.isSome(verdict) ? Effect.succeed(verdict) : runFrom(list, req, current + 1)))
  }

  return (list, req) => runFrom(list, req, 0)
}
