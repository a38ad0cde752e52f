/**
 * `time_window`: a route with `timeWindow` only answers between `start` and `end` (HH:MM, inclusive)
 * in its time zone; a window whose start is after its end spans midnight. Time comes from `Clock`.
 *
 * @since 0.1.0
 */
import { Clock, Effect, Option } from "effect"
import { anyRoute, type CheckEnv, pass, refuse, type SecurityCheck } from "../internal/pipeline.js"

/**
 * `HH:MM` of `epochMillis` in `timeZone`.
 *
 * @since 0.1.0
 * @category utils
 */
export const clockTime = (epochMillis: number, timeZone: string): string => {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    .formatToParts(new Date(epochMillis))
  const hour = parts.find((p) => p.type === "hour")?.value ?? "00"
  const minute = parts.find((p) => p.type === "minute")?.value ?? "00"
  return `${hour}:${minute}`
}

/**
 * Whether `now` (HH:MM) is inside `[start, end]`, spanning midnight when `start > end`.
 *
 * @since 0.1.0
 * @category utils
 */
export const withinWindow = (now: string, start: string, end: string): boolean =>
  start <= end ? now >= start && now <= end : now >= start || now <= end

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> =>
  anyRoute(env, (s) => s.timeWindow !== undefined)
    ? Option.some({
      name: "time_window",
      onExcludedPaths: true,
      run: (req) => {
        const window = req.route?.settings.timeWindow
        if (window === undefined) return pass
        return Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const time = clockTime(now, window.timezone)
          return withinWindow(time, window.start, window.end) ? pass : refuse(env, req, {
            check: "time_window",
            event: "access_denied",
            reason: `Access at ${time} ${window.timezone} outside ${window.start}-${window.end}`,
            status: 403,
            message: "Access not allowed at this time",
            metadata: { violation_type: "time_restriction", window: `${window.start}-${window.end}`, timezone: window.timezone },
            emit: { decoratorType: "advanced" }
          })
        })
      }
    })
    : Option.none()
