/**
 * Temporary IP bans: the state behind the `ip_security` check and the auto-ban engine. A ban targets
 * one address or a CIDR block and expires by the Effect `Clock`.
 *
 * The service reports what happened (`BanResult`, `UnbanResult`) instead of emitting events; the caller
 * emits `ip_banned` / `ip_unbanned` / `ip_ban_failed`. Loopback and the configured protected ranges
 * (trusted proxies) can never be banned, so a forged violation cannot lock out the proxy every client
 * comes through.
 *
 * @since 0.1.0
 */
import { Clock, Context, Data, Duration, Effect, Layer, Option } from "effect"
import { canonicalRange, type IpRange, parseIp, parseRange, rangeContains, rangesOverlap } from "./internal/ip.js"
import type { StoreError } from "./StoreError.js"

/**
 * An active ban. Times are epoch milliseconds by the Effect `Clock`; `until` is `Infinity` for a ban
 * with an infinite duration.
 *
 * @since 0.1.0
 * @category models
 */
export interface BanInfo {
  /** The banned target: a canonical address, or a CIDR block such as `203.0.113.0/24`. */
  readonly target: string
  readonly reason: string
  readonly bannedAt: number
  readonly until: number
}

/**
 * The outcome of `IpBans.ban`.
 *
 * - `Banned`: the ban is in place. `evicted` names a target whose ban was dropped to stay within the
 *   store's capacity (worth a warning).
 * - `Refused`: nothing was stored; `refusal` says why (`Protected` for loopback or a protected range,
 *   `InvalidTarget` for something that is not an address or CIDR, `InvalidDuration` for a
 *   non-positive duration). Callers emit `ip_ban_failed`.
 *
 * @since 0.1.0
 * @category models
 */
export type BanResult = Data.TaggedEnum<{
  Banned: {
    readonly ip: string
    readonly reason: string
    readonly duration: Duration.Duration
    readonly until: number
    readonly evicted: Option.Option<string>
  }
  Refused: {
    readonly ip: string
    readonly refusal: "Protected" | "InvalidTarget" | "InvalidDuration"
    readonly message: string
  }
}>

/**
 * Constructors and matchers for `BanResult`.
 *
 * @since 0.1.0
 * @category models
 */
export const BanResult = Data.taggedEnum<BanResult>()

/**
 * The outcome of `IpBans.unban`: `Unbanned` when an active ban was removed, `NotBanned` otherwise (the
 * caller emits `ip_unbanned` only for the former).
 *
 * @since 0.1.0
 * @category models
 */
export type UnbanResult = Data.TaggedEnum<{
  Unbanned: { readonly ip: string }
  NotBanned: { readonly ip: string }
}>

/**
 * Constructors and matchers for `UnbanResult`.
 *
 * @since 0.1.0
 * @category models
 */
export const UnbanResult = Data.taggedEnum<UnbanResult>()

/**
 * @since 0.1.0
 * @category tags
 */
export class IpBans extends Context.Tag("effect-guard/IpBans")<IpBans, {
  /** Bans an address or CIDR block (canonicalised) for `duration`. Banning again replaces the ban. */
  readonly ban: (ip: string, duration: Duration.DurationInput, reason: string) => Effect.Effect<BanResult, StoreError>
  /** Lifts a ban on exactly this address or block. */
  readonly unban: (ip: string) => Effect.Effect<UnbanResult, StoreError>
  /** The active ban covering `ip` (its own or a banned block containing it). Invalid input: none. */
  readonly isBanned: (ip: string) => Effect.Effect<Option.Option<BanInfo>, StoreError>
  /** Number of stored bans (expired ones may linger until looked up or evicted). */
  readonly size: Effect.Effect<number, StoreError>
}>() {
  /**
   * An in-process store, bounded: at most `maxEntries` address bans (default 10 000) and
   * `maxNetworks` block bans (default 1 000); past that the oldest ban is evicted. Never fails.
   * `guardMiddleware` looks a client up through `isBanned`, as it does any store, so a wrapper
   * around it (even one spread from it) sees every lookup.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerMemory = (options?: IpBansMemoryOptions): Layer.Layer<IpBans> =>
    Layer.sync(IpBans, () => makeMemory(options))
}

/**
 * @since 0.1.0
 * @category models
 */
export interface IpBansMemoryOptions {
  readonly maxEntries?: number
  readonly maxNetworks?: number
  /** Addresses and blocks that may never be banned, typically the trusted proxies. Loopback always is. */
  readonly protectedRanges?: Iterable<string>
}

const LOOPBACK = ["127.0.0.0/8", "::1"].map((entry) => parseRange(entry)!)

type Target =
  | { readonly _tag: "Address"; readonly key: string; readonly range: IpRange }
  | { readonly _tag: "Network"; readonly key: string; readonly range: IpRange }

const parseTarget = (input: string): Target | undefined => {
  const range = parseRange(input)
  if (range === undefined) return undefined
  const full = range.address.kind() === "ipv4" ? 32 : 128
  return { _tag: range.prefix === full ? "Address" : "Network", key: canonicalRange(range), range }
}

/** Applies the rules every store shares: the target, or why the ban is refused. */
const validateBan = (
  ip: string,
  duration: Duration.Duration,
  protectedRanges: ReadonlyArray<IpRange>
): Target | BanResult => {
  const target = parseTarget(ip)
  if (target === undefined) {
    return BanResult.Refused({ ip, refusal: "InvalidTarget", message: `not an IP address or CIDR block: ${JSON.stringify(ip)}` })
  }
  if (!Duration.greaterThan(duration, Duration.zero)) {
    return BanResult.Refused({ ip, refusal: "InvalidDuration", message: `ban duration must be positive, got ${Duration.format(duration)}` })
  }
  const shield = protectedRanges.find((range) => rangesOverlap(range, target.range))
  if (shield !== undefined) {
    return BanResult.Refused({
      ip: target.key,
      refusal: "Protected",
      message: `refusing to ban ${target.key}: it overlaps the protected range ${canonicalRange(shield)}`
    })
  }
  return target
}

const untilOf = (now: number, duration: Duration.Duration): number =>
  Duration.isFinite(duration) ? now + Duration.toMillis(duration) : Infinity

/** Inserts as the newest entry, evicting the oldest beyond `max`; returns the evicted key. */
const insertBounded = <V>(map: Map<string, V>, key: string, value: V, max: number): string | undefined => {
  map.delete(key)
  map.set(key, value)
  if (map.size <= max) return undefined
  const oldest = map.keys().next().value
  if (oldest !== undefined) map.delete(oldest)
  return oldest
}

const makeMemory = (options?: IpBansMemoryOptions): IpBans["Type"] => {
  const maxEntries = Math.max(1, options?.maxEntries ?? 10_000)
  const maxNetworks = Math.max(1, options?.maxNetworks ?? 1_000)
  const protectedRanges = [...LOOPBACK, ...Array.from(options?.protectedRanges ?? [], parseRange).filter((r) => r !== undefined)]
  // touched only inside Effect.sync blocks, so every operation is atomic
  const addresses = new Map<string, BanInfo>()
  const networks = new Map<string, { readonly range: IpRange; readonly info: BanInfo }>()

  const ban = Effect.fn("IpBans.ban")(function*(ip: string, duration: Duration.DurationInput, reason: string) {
    const now = yield* Clock.currentTimeMillis
    return yield* Effect.sync(() => {
      const length = Duration.decode(duration)
      const target = validateBan(ip, length, protectedRanges)
      if (target._tag !== "Address" && target._tag !== "Network") return target
      const info: BanInfo = { target: target.key, reason, bannedAt: now, until: untilOf(now, length) }
      const evicted = target._tag === "Address"
        ? insertBounded(addresses, target.key, info, maxEntries)
        : insertBounded(networks, target.key, { range: target.range, info }, maxNetworks)
      return BanResult.Banned({ ip: target.key, reason, duration: length, until: info.until, evicted: Option.fromNullable(evicted) })
    })
  })

  const unban = Effect.fn("IpBans.unban")(function*(ip: string) {
    const now = yield* Clock.currentTimeMillis
    return yield* Effect.sync(() => {
      const target = parseTarget(ip)
      if (target === undefined) return UnbanResult.NotBanned({ ip })
      const store: Map<string, { readonly until: number } | { readonly info: BanInfo }> = target._tag === "Address"
        ? addresses
        : networks
      const entry = store.get(target.key)
      store.delete(target.key)
      const until = entry === undefined ? -Infinity : "info" in entry ? entry.info.until : entry.until
      return until > now ? UnbanResult.Unbanned({ ip: target.key }) : UnbanResult.NotBanned({ ip: target.key })
    })
  })

  const isBannedAt = (ip: string, now: number): Option.Option<BanInfo> => {
    // the common case, nobody banned, costs no address parsing
    if (addresses.size === 0 && networks.size === 0) return Option.none()
    const address = parseIp(ip)
    if (address === undefined) return Option.none()
    const key = address.toString()
    const own = addresses.get(key)
    if (own !== undefined) {
      if (own.until > now) return Option.some(own)
      addresses.delete(key)
    }
    for (const [block, { info, range }] of networks) {
      if (info.until <= now) networks.delete(block)
      else if (rangeContains(range, address)) return Option.some(info)
    }
    return Option.none()
  }

  // not traced: a wrapped store is called through this on every request, and a span costs about 10 µs
  const isBanned = (ip: string) => Effect.clockWith((clock) => Effect.sync(() => isBannedAt(ip, clock.unsafeCurrentTimeMillis())))

  return IpBans.of({ ban, unban, isBanned, size: Effect.sync(() => addresses.size + networks.size) })
}

/**
 * The rules every `IpBans` store applies (target parsing, refusals, expiry), shared with the Redis
 * store.
 *
 * @internal
 */
export const banRules = { validateBan, parseTarget, untilOf, loopback: LOOPBACK } as const
