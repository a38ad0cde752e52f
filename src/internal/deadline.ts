/**
 * Deadlines for waits on the outside world (an exporter's network call, a provider's shutdown), and
 * the pace of looking at it (an exporter's health).
 *
 * They run on the wall clock, not the fiber's `Clock`: a `TestClock` cannot make a socket answer,
 * and must not keep a test's flush or scope close waiting on one either. And they cut anything,
 * even work that cannot be interrupted (a finalizer, or a request, which `@effect/platform` runs
 * uninterruptibly): the work runs disconnected, so the caller goes on at the deadline while the work
 * is interrupted (or, if it cannot be, finishes) in the background.
 *
 * @internal
 */
import { Clock, Duration, Effect, Option } from "effect"

/** The clock of the machine, whatever `Clock` the fiber has. */
const wallClock = Clock.make()

/** Waits `duration` on the wall clock. */
export const wallSleep = (duration: Duration.DurationInput): Effect.Effect<void> => wallClock.sleep(Duration.decode(duration))

/** Milliseconds since the epoch on the wall clock. */
export const wallMillis: Effect.Effect<number> = Effect.sync(() => wallClock.unsafeCurrentTimeMillis())

/** `effect`'s result, or `None` once `duration` has passed on the wall clock. */
export const withinDeadline = <A, E, R>(effect: Effect.Effect<A, E, R>, duration: Duration.DurationInput): Effect.Effect<Option.Option<A>, E, R> =>
  Effect.raceFirst(
    Effect.asSome(Effect.disconnect(Effect.interruptible(effect))),
    Effect.as(wallClock.sleep(Duration.decode(duration)), Option.none<A>())
  ).pipe(Effect.interruptible)

/** `effect`, or a failure with `onTimeout()` once `duration` has passed on the wall clock. */
export const failAfter = <A, E, R, E2>(
  effect: Effect.Effect<A, E, R>,
  duration: Duration.DurationInput,
  onTimeout: () => E2
): Effect.Effect<A, E | E2, R> =>
  Effect.flatMap(withinDeadline(effect, duration), Option.match({ onNone: () => Effect.fail(onTimeout()), onSome: Effect.succeed }))
