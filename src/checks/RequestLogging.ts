/**
 * `request_logging`: one access-log line per request at `logRequestLevel`. Never blocks; built only
 * when `logRequestLevel` is set.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { type CheckEnv, logLevelOf, pass, type SecurityCheck } from "../internal/pipeline.js"

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> => {
  const level = env.config.logRequestLevel
  if (level === undefined || env.config.mutedCheckLogs.has("request_logging")) return Option.none()
  const logLevel = logLevelOf(level)
  return Option.some({
    name: "request_logging",
    onExcludedPaths: true,
    run: (req) =>
      Effect.zipRight(
        Effect.logWithLevel(logLevel, `${req.method} ${req.path} from ${req.clientIp}`).pipe(
          Effect.annotateLogs({ "guard.check": "request_logging", "user_agent": req.headers["user-agent"] ?? "" })
        ),
        pass
      )
  })
}
