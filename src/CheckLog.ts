/**
 * The one logging gate of the security checks. A check whose name is in `mutedCheckLogs` logs
 * nothing (its own lines, the pipeline's block and failure lines about it, the auto-ban and store
 * lines it writes along the way); behaviour is unchanged. Behaviour rules are per-route settings:
 * their lines are filed under `route_config`.
 *
 * Code of your own logs through the same gate with {@link logCheck}, given {@link MutedCheckLogs}.
 *
 * A line a check could write on every request while something outside it fails (a state store
 * that is down) goes through {@link makeRepeatedCheckLog}: the first at once, then at most one per
 * interval saying how many were held back.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer, LogLevel, Ref } from "effect"
import type { CheckName } from "./EventTypes.js"
import { GuardConfig } from "./GuardConfig.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface CheckLogOptions {
  /** Default `Warning`. */
  readonly level?: LogLevel.LogLevel
  readonly annotations?: Readonly<Record<string, unknown>>
  readonly cause?: unknown
}

/**
 * Logs a line for a check, unless the check's logs are muted.
 *
 * @since 0.1.0
 * @category models
 */
export type CheckLog = (check: CheckName, message: string, options?: CheckLogOptions) => Effect.Effect<void>

/**
 * The gate for a set of muted checks: what the checks use (they hold the decoded configuration,
 * not the `GuardConfig` service).
 *
 * @since 0.1.0
 * @category constructors
 */
export const checkLogFor = (muted: ReadonlySet<CheckName>): CheckLog => (check, message, options = {}) =>
  muted.has(check)
    ? Effect.void
    : Effect.logWithLevel(options.level ?? LogLevel.Warning, ...(options.cause === undefined ? [message] : [message, options.cause])).pipe(
      Effect.annotateLogs({ ...options.annotations, "guard.check": check })
    )

/**
 * The checks whose logs are muted, for {@link logCheck} and {@link isCheckLogMuted} in code of your
 * own (a custom validator, a handler). The guard's checks take the set from `GuardLive`, which does
 * not provide this service.
 *
 * @since 0.2.0
 * @category tags
 */
export class MutedCheckLogs extends Context.Tag("effect-guard/MutedCheckLogs")<MutedCheckLogs, ReadonlySet<CheckName>>() {
  /**
   * @since 0.2.0
   */
  static layer(checks: Iterable<CheckName>): Layer.Layer<MutedCheckLogs> {
    return Layer.succeed(MutedCheckLogs, new Set(checks))
  }

  /**
   * {@link MutedCheckLogs.layer} with `mutedCheckLogs` of `GuardConfig`.
   *
   * @since 0.2.0
   */
  static readonly layerConfig: Layer.Layer<MutedCheckLogs, never, GuardConfig> = Layer.effect(
    MutedCheckLogs,
    Effect.map(GuardConfig, (config) => config.mutedCheckLogs)
  )
}

/**
 * Logs `message` for `check` at `level` (default Warning), annotated with the check's name, unless
 * the check's logs are muted.
 *
 * @since 0.1.0
 * @category logging
 */
export const logCheck = (check: CheckName, message: string, options: CheckLogOptions = {}): Effect.Effect<void, never, MutedCheckLogs> =>
  Effect.flatMap(MutedCheckLogs, (muted) => checkLogFor(muted)(check, message, options))

/**
 * Whether `check`'s logs are muted (to skip building an expensive message).
 *
 * @since 0.1.0
 * @category logging
 */
export const isCheckLogMuted = (check: CheckName): Effect.Effect<boolean, never, MutedCheckLogs> =>
  Effect.map(MutedCheckLogs, (muted) => muted.has(check))

interface Repeated {
  /** When the last line of this key was written. */
  readonly at: number
  /** Lines held back since. */
  readonly held: number
}

/**
 * A gate for lines that repeat per request, by key (a check and what failed): the first line of a
 * key is written at once; the next ones within `every` are counted, and the first after it is
 * written with `(N more since)`. Muted checks write nothing and count nothing. Time is the `Clock`'s.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeRepeatedCheckLog = (
  muted: ReadonlySet<CheckName>,
  every: Duration.DurationInput = Duration.seconds(10)
): Effect.Effect<CheckLog> =>
  Effect.map(Ref.make<ReadonlyMap<string, Repeated>>(new Map()), (state): CheckLog => {
    const gate = checkLogFor(muted)
    const interval = Duration.toMillis(Duration.decode(every))
    return (check, message, options) =>
      muted.has(check) ? Effect.void : Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.flatMap(
          Ref.modify(state, (lines): [number | undefined, ReadonlyMap<string, Repeated>] => {
            const key = `${check}\u0000${message}`
            const last = lines.get(key)
            const next = new Map(lines)
            if (last !== undefined && now - last.at < interval) {
              next.set(key, { at: last.at, held: last.held + 1 })
              return [undefined, next]
            }
            // bounded: the keys are the checks' fixed messages, but a caller could vary them
            if (next.size >= 256) next.clear()
            next.set(key, { at: now, held: 0 })
            return [last?.held ?? 0, next]
          }),
          (held) =>
            held === undefined ? Effect.void : gate(check, held === 0 ? message : `${message} (${held} more since the last line)`, options)
        ))
  })
