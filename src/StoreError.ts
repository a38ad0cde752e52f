/**
 * The failure of a state store (bans, rate-limit counters, violation counts). The in-memory stores
 * never fail; a networked store (Redis) fails with one of these, and the pipeline decides whether to
 * fail open or closed.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * - `Unavailable`: the store cannot be reached (connection refused, closed, not ready).
 * - `Timeout`: the store did not answer in time.
 * - `Protocol`: the store answered something unexpected (script missing, bad reply shape).
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly reason: "Unavailable" | "Timeout" | "Protocol"
  readonly message: string
  readonly cause?: unknown
}> {}
