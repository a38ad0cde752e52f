/**
 * Who the rate limits count a request as, whether they count it at all, and for how much: the
 * `rateLimitKey`, `rateLimitSkip` and `rateLimitCost` of its route, else the global ones.
 *
 * A key or skip function is application code run on every request, so it is contained: one that
 * fails or dies neither answers 500 nor lets the request through uncounted. A failing key counts
 * the request by address; a failing skip counts it. Either is logged (at most one line per 10 s).
 *
 * @internal
 */
import { createHash } from "node:crypto"
import { Cause, Effect } from "effect"
import type { CheckLog } from "../CheckLog.js"
import type { RateLimitKey, RateLimitSkip } from "./config/security.js"
import type { CheckEnv, GuardRequest } from "./pipeline.js"

/** Keys longer than this are hashed: a client picking its own key (a header) cannot grow the store's keys. */
export const MAX_KEY_LENGTH = 128

/**
 * The store's name for a custom key: prefixed so that no key can pose as an address (`key:` never
 * starts one), and hashed past {@link MAX_KEY_LENGTH} characters.
 */
export const customClient = (key: string): string =>
  key.length <= MAX_KEY_LENGTH ? `key:${key}` : `key#${createHash("sha256").update(key).digest("base64url")}`

export interface RateLimitClient {
  /** Whether `req` is left out of every limit. `undefined` when nothing can skip it (no step taken). */
  readonly skip: (req: GuardRequest) => Effect.Effect<boolean> | undefined
  /** The store key of `req`'s client: an effect only when a key function applies. */
  readonly key: (req: GuardRequest) => string | Effect.Effect<string>
  /** The units one request of `req`'s route counts for. */
  readonly cost: (req: GuardRequest) => number
}

export const makeRateLimitClient = (env: CheckEnv, log: CheckLog): RateLimitClient => {
  const { config } = env
  const contained = <A>(what: string, run: Effect.Effect<A>, fallback: A, req: GuardRequest, outcome: string): Effect.Effect<A> =>
    Effect.catchAllCause(
      // a function that throws instead of returning an effect is contained too
      Effect.suspend(() => run),
      (cause) =>
        Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.as(
          log("rate_limit", `${what} failed; ${outcome}`, {
            cause: Cause.pretty(cause),
            annotations: { "guard.route": req.route?.id ?? req.path }
          }),
          fallback
        )
    )

  const skipFn = (req: GuardRequest): RateLimitSkip | undefined => req.route?.settings.rateLimitSkip ?? config.rateLimitSkip
  const keyFn = (req: GuardRequest): RateLimitKey | undefined => req.route?.settings.rateLimitKey ?? config.rateLimitKey

  return {
    skip: (req) => {
      const fn = skipFn(req)
      return fn === undefined ? undefined : contained("rateLimitSkip", Effect.suspend(() => fn(req.request)), false, req, "the request is counted")
    },
    key: (req) => {
      const fn = keyFn(req)
      if (fn === undefined) return req.clientKey
      return contained(
        "rateLimitKey",
        Effect.flatMap(Effect.suspend(() => fn(req.request)), (key) =>
          typeof key === "string" && key !== ""
            ? Effect.succeed(customClient(key))
            : Effect.dieMessage(`rateLimitKey gave ${typeof key === "string" ? "an empty key" : `a ${typeof key}, not a string`}`)),
        req.clientKey,
        req,
        "the request is counted by client address"
      )
    },
    cost: (req) => req.route?.settings.rateLimitCost ?? 1
  }
}
