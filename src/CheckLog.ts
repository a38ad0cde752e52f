/**
 * The one logging helper of the security checks. A check whose name is in `mutedCheckLogs` logs
 * nothing (its own lines and the pipeline's block/error lines about it); behaviour is unchanged.
 *
 * @since 0.1.0
 */
import { Effect, LogLevel } from "effect"
import type { CheckName } from "./EventTypes.js"
import { GuardConfig } from "./GuardConfig.js"

/**
 * Logs `message` for `check` at `level` (default Warning), annotated with the check's name, unless
 * the check's logs are muted.
 *
 * @since 0.1.0
 * @category logging
 */
export const logCheck = (
  check: CheckName,
  message: string,
  options: { readonly level?: LogLevel.LogLevel; readonly annotations?: Readonly<Record<string, unknown>>; readonly cause?: unknown } = {}
): Effect.Effect<void, never, GuardConfig> =>
  Effect.flatMap(GuardConfig, (config) =>
    config.mutedCheckLogs.has(check)
      ? Effect.void
      : Effect.logWithLevel(options.level ?? LogLevel.Warning, ...(options.cause === undefined ? [message] : [message, options.cause])).pipe(
        Effect.annotateLogs({ ...options.annotations, "guard.check": check })
      ))

/**
 * Whether `check`'s logs are muted (to skip building an expensive message).
 *
 * @since 0.1.0
 * @category logging
 */
export const isCheckLogMuted = (check: CheckName): Effect.Effect<boolean, never, GuardConfig> =>
  Effect.map(GuardConfig, (config) => config.mutedCheckLogs.has(check))
