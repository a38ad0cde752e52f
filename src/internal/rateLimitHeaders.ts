/**
 * The rate-limit header fields of a response, from the windows its request was counted in.
 *
 * The store keeps an exact sliding log, so quota comes back one unit at a time: `remaining` is what
 * the window still holds after this request, and the reset (`t`, `reset`) is when the oldest
 * request counted leaves the window, the moment one more unit is free (for a refused request, the
 * moment it may be retried: `Retry-After`).
 *
 * - `draft-8` (draft-ietf-httpapi-ratelimit-headers-08): both fields are structured-field lists
 *   with one item per policy, `RateLimit-Policy: "global";q=10;w=60` and
 *   `RateLimit: "global";r=9;t=60`; a request counted by a route limit and the global one names both.
 * - `draft-7`: `RateLimit-Policy: 10;w=60` (one item per policy) and one
 *   `RateLimit: limit=10, remaining=9, reset=60` for the policy closest to refusing.
 * - `draft-6`: `RateLimit-Policy` as in draft 7 and `RateLimit-Limit`, `RateLimit-Remaining`,
 *   `RateLimit-Reset` for the policy closest to refusing.
 *
 * @internal
 */
import { Duration, Option } from "effect"
import type { RateLimitResult } from "../RateLimitStore.js"

/** One window a request was counted in: the policy's name and the store's verdict. */
export interface CountedWindow {
  readonly policy: "endpoint" | "route" | "global"
  readonly result: RateLimitResult
}

export type RateLimitHeadersMode = "draft-8" | "draft-7" | "draft-6" | false

const seconds = (duration: Duration.Duration): number => Math.ceil(Duration.toMillis(duration) / 1000)

/** The window closest to refusing: least remaining, then the longest wait. */
const tightest = (windows: ReadonlyArray<CountedWindow>): RateLimitResult =>
  windows.reduce((a, b) =>
    b.result.remaining < a.result.remaining ||
      (b.result.remaining === a.result.remaining && Duration.greaterThan(b.result.resetAfter, a.result.resetAfter))
      ? b
      : a
  ).result

/** `Retry-After` for a refused window: whole seconds, rounded up, at least 1. */
export const retryAfter = (result: RateLimitResult): Record<string, string> =>
  Option.isSome(result.retryAfter) ? { "retry-after": String(Math.max(1, seconds(result.retryAfter.value))) } : {}

/** A structured-field list of one item per window; the one window most requests count in needs no list. */
const listOf = (windows: ReadonlyArray<CountedWindow>, item: (window: CountedWindow) => string): string =>
  windows.length === 1 ? item(windows[0]!) : windows.map(item).join(", ")

const draft8Policy = ({ policy, result }: CountedWindow): string => `"${policy}";q=${result.limit};w=${seconds(result.window)}`
const draft8State = ({ policy, result }: CountedWindow): string => `"${policy}";r=${result.remaining};t=${seconds(result.resetAfter)}`
const draft7Policy = ({ result }: CountedWindow): string => `${result.limit};w=${seconds(result.window)}`

/** The rate-limit fields for `windows` (none when `mode` is `false` or no window counted). */
export const rateLimitFields = (mode: RateLimitHeadersMode, windows: ReadonlyArray<CountedWindow>): Record<string, string> => {
  if (mode === false || windows.length === 0) return {}
  if (mode === "draft-8") return { "ratelimit-policy": listOf(windows, draft8Policy), "ratelimit": listOf(windows, draft8State) }
  const policy = listOf(windows, draft7Policy)
  const tight = tightest(windows)
  return mode === "draft-7"
    ? { "ratelimit-policy": policy, "ratelimit": `limit=${tight.limit}, remaining=${tight.remaining}, reset=${seconds(tight.resetAfter)}` }
    : {
      "ratelimit-policy": policy,
      "ratelimit-limit": String(tight.limit),
      "ratelimit-remaining": String(tight.remaining),
      "ratelimit-reset": String(seconds(tight.resetAfter))
    }
}
