/**
 * Suspicious-request counts per IP and category: the state of the auto-ban engine. Each detection hit,
 * escalated identity violation or (optionally) rate-limit violation is recorded here; the caller
 * compares the returned counts with `autoBanThreshold` / `threatBanConfig` and bans through `IpBans`.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer } from "effect"
import type { StoreError } from "./StoreError.js"

/**
 * The counts of one IP right after a violation was recorded.
 *
 * @since 0.1.0
 * @category models
 */
export interface ViolationCounts {
  /** Violations in the category just recorded. */
  readonly category: number
  /** Violations across all categories. */
  readonly total: number
  readonly byCategory: ReadonlyMap<string, number>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class ViolationCounter extends Context.Tag("effect-guard/ViolationCounter")<ViolationCounter, {
  /** Counts one violation of `category` by `ip` and returns the IP's counts including it. */
  readonly record: (ip: string, category: string) => Effect.Effect<ViolationCounts, StoreError>
  /** Forgets an IP (e.g. after it was banned, or unbanned by a dynamic rule). */
  readonly reset: (ip: string) => Effect.Effect<void, StoreError>
  /** Number of IPs tracked. */
  readonly size: Effect.Effect<number, StoreError>
}>() {
  /**
   * An in-process counter tracking at most `maxIps` IPs (default 10 000; the least recently seen is
   * dropped first) and at most 64 categories per IP. With `window`, an IP's counts start over once
   * `window` has passed since its first counted violation; without it they never decay (the
   * reference's behaviour). Never fails.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerMemory = (options?: ViolationCounterMemoryOptions): Layer.Layer<ViolationCounter> =>
    Layer.sync(ViolationCounter, () => makeMemory(options))
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ViolationCounterMemoryOptions {
  readonly maxIps?: number
  readonly window?: Duration.DurationInput
}

const MAX_CATEGORIES = 64

interface Entry {
  readonly since: number
  readonly counts: Map<string, number>
  total: number
}

const makeMemory = (options?: ViolationCounterMemoryOptions): ViolationCounter["Type"] => {
  const maxIps = Math.max(1, options?.maxIps ?? 10_000)
  const windowMillis = options?.window === undefined ? Infinity : Duration.toMillis(options.window)
  const entries = new Map<string, Entry>()

  const record = Effect.fn("ViolationCounter.record")(function*(ip: string, category: string) {
    const now = yield* Clock.currentTimeMillis
    return yield* Effect.sync((): ViolationCounts => {
      let entry = entries.get(ip)
      entries.delete(ip)
      if (entry === undefined || now - entry.since >= windowMillis) entry = { since: now, counts: new Map(), total: 0 }
      entries.set(ip, entry)
      if (entries.size > maxIps) {
        const oldest = entries.keys().next().value
        if (oldest !== undefined) entries.delete(oldest)
      }
      const previous = entry.counts.get(category)
      const count = (previous ?? 0) + 1
      if (previous !== undefined || entry.counts.size < MAX_CATEGORIES) entry.counts.set(category, count)
      entry.total += 1
      return { category: count, total: entry.total, byCategory: new Map(entry.counts) }
    })
  })

  const reset = (ip: string) => Effect.sync(() => void entries.delete(ip))

  return ViolationCounter.of({ record, reset, size: Effect.sync(() => entries.size) })
}
