/**
 * The retry policy shared by the agent transport and the rule poller: jittered exponential backoff,
 * capped, honouring `Retry-After`, and only for failures that a retry can cure.
 *
 * @internal
 */
import { Duration, Effect, Schedule } from "effect"

export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly attempts: number
  /** Delay before the first retry; doubles each time. */
  readonly base: Duration.DurationInput
  /** Longest backoff delay. Default 60 seconds. */
  readonly maxDelay?: Duration.DurationInput
  /** Longest `Retry-After` honoured. Default 300 seconds. */
  readonly maxRetryAfter?: Duration.DurationInput
}

export interface Retryable {
  readonly retryable: boolean
  readonly retryAfter?: Duration.Duration | undefined
}

export const retrySchedule = <E extends Retryable>(policy: RetryPolicy): Schedule.Schedule<E, E> => {
  const maxDelay = Duration.decode(policy.maxDelay ?? Duration.seconds(60))
  const maxRetryAfter = Duration.decode(policy.maxRetryAfter ?? Duration.seconds(300))
  return Schedule.identity<E>().pipe(
    Schedule.zipLeft(
      Schedule.exponential(policy.base).pipe(
        Schedule.jittered,
        Schedule.modifyDelay((_, delay) => Duration.min(delay, maxDelay))
      )
    ),
    Schedule.zipLeft(Schedule.recurs(policy.attempts)),
    Schedule.whileInput((error: E) => error.retryable),
    Schedule.modifyDelay((error, delay) =>
      error.retryAfter === undefined ? delay : Duration.max(delay, Duration.min(error.retryAfter, maxRetryAfter)))
  )
}

export const withRetries = (policy: RetryPolicy) => <A, E extends Retryable, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.retry(effect, retrySchedule<E>(policy))
