/**
 * The Redis `IpBans`: bans every instance sharing the Redis server sees at once.
 *
 * - An address ban is the key `${prefix}banned_ips:<canonical ip>` holding `{ reason, bannedAt,
 *   until }` with a TTL of the ban's duration, so Redis forgets it when it ends.
 * - Block (CIDR) bans share the hash `${prefix}banned_networks:all` (field: the canonical block),
 *   bounded to `maxNetworks` (the oldest ban is evicted, as in memory); expired fields are dropped on
 *   the next block ban and the hash's TTL is the longest remaining ban.
 * - `isBanned` is one round trip (a script reading the address key and the block hash).
 *
 * Validation, refusals (loopback, protected ranges, invalid input) and results are the memory store's.
 * Expiry is judged by the caller's `Clock` (Redis TTLs only collect garbage), so `TestClock` works and
 * instances should keep synchronised clocks. An infinite ban is stored with a TTL of `maxTtl`
 * (default 365 days): every key expires.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Layer, Option, Schema } from "effect"
import { type BanInfo, banRules, BanResult, IpBans, UnbanResult } from "../../IpBans.js"
import { type IpRange, parseIp, parseRange, rangeContains } from "../../internal/ip.js"
import { GuardRedis } from "../../Redis.js"
import { StoreError } from "../../StoreError.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface IpBansRedisOptions {
  /** Block bans kept at once; the oldest is evicted beyond. Default 1 000. */
  readonly maxNetworks?: number
  /** Addresses and blocks that may never be banned, typically the trusted proxies. Loopback always is. */
  readonly protectedRanges?: Iterable<string>
  /** TTL of an infinite ban. Default 365 days. */
  readonly maxTtl?: Duration.DurationInput
}

/** What is stored per ban: reason, bannedAt, until (absent: infinite). */
const Stored = Schema.parseJson(Schema.Struct({
  r: Schema.String,
  b: Schema.Number,
  u: Schema.optionalWith(Schema.Number, { exact: true })
}))
const encodeStored = Schema.encodeSync(Stored)
const decodeStored = Schema.decodeUnknown(Stored)

/** KEYS[1] block hash; ARGV block, value, now, ttl (ms), max blocks. Returns the evicted block or "". */
const BAN_NETWORK = `
local key = KEYS[1]
local now = tonumber(ARGV[3])
redis.call('HSET', key, ARGV[1], ARGV[2])
local all = redis.call('HGETALL', key)
local live = 0
local oldest, oldestAt = nil, nil
for i = 1, #all, 2 do
  local ok, v = pcall(cjson.decode, all[i + 1])
  local u = ok and type(v) == 'table' and v['u'] or nil
  if ok and type(u) == 'number' and u <= now then
    redis.call('HDEL', key, all[i])
  else
    live = live + 1
    local b = ok and type(v) == 'table' and tonumber(v['b']) or 0
    if all[i] ~= ARGV[1] and (oldestAt == nil or b < oldestAt) then oldest, oldestAt = all[i], b end
  end
end
local evicted = ''
if live > tonumber(ARGV[5]) and oldest ~= nil then
  redis.call('HDEL', key, oldest)
  evicted = oldest
end
local ttl = tonumber(ARGV[4])
if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
return evicted
`

/** KEYS[1] address key, KEYS[2] block hash. Returns { address value or "", flat block hash }. */
const LOOKUP = `
local address = redis.call('GET', KEYS[1]) or ''
return { address, redis.call('HGETALL', KEYS[2]) }
`

/** KEYS[1] address key or block hash; ARGV[1] the block ("" for an address). Removes and returns. */
const TAKE = `
local value
if ARGV[1] == '' then
  value = redis.call('GET', KEYS[1])
  redis.call('DEL', KEYS[1])
else
  value = redis.call('HGET', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return value or ''
`

/** The lookup reply, checked by hand (it runs on every request). */
const decodeLookup = (reply: unknown): Effect.Effect<readonly [string, ReadonlyArray<string>], StoreError> => {
  if (Array.isArray(reply) && reply.length === 2) {
    const [own, blocks] = reply as [unknown, unknown]
    if (typeof own === "string" && Array.isArray(blocks) && blocks.every((b) => typeof b === "string")) {
      return Effect.succeed([own, blocks as ReadonlyArray<string>] as const)
    }
  }
  return Effect.fail(new StoreError({ reason: "Protocol", message: "unexpected reply of the ban lookup script" }))
}

const protocolError = (what: string) => (cause: { readonly message: string }) =>
  new StoreError({ reason: "Protocol", message: `unexpected ${what} in Redis: ${cause.message}`, cause })

const infoOf = (target: string, value: string) =>
  Effect.map(
    Effect.mapError(decodeStored(value), protocolError(`ban of ${target}`)),
    (stored): BanInfo => ({ target, reason: stored.r, bannedAt: stored.b, until: stored.u ?? Infinity })
  )

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: IpBansRedisOptions) =>
  Effect.gen(function*() {
    const redis = yield* GuardRedis
    const maxNetworks = Math.max(1, options?.maxNetworks ?? 1_000)
    const maxTtlMillis = Math.max(1, Math.round(Duration.toMillis(options?.maxTtl ?? "365 days")))
    const protectedRanges = [
      ...banRules.loopback,
      ...Array.from(options?.protectedRanges ?? [], parseRange).filter((r) => r !== undefined)
    ]
    const networksKey = redis.key("banned_networks", "all")
    const addressKey = (ip: string) => redis.key("banned_ips", ip)
    const banNetwork = redis.script("ip_bans.ban_network", BAN_NETWORK, 1)
    const lookup = redis.script("ip_bans.lookup", LOOKUP, 2)
    const take = redis.script("ip_bans.take", TAKE, 1)
    // parsed blocks, reused across lookups (bounded: cleared when it outgrows the hash's bound)
    const parsedBlocks = new Map<string, IpRange | undefined>()
    const blockRange = (block: string) => {
      if (!parsedBlocks.has(block)) {
        if (parsedBlocks.size > maxNetworks * 2) parsedBlocks.clear()
        parsedBlocks.set(block, parseRange(block))
      }
      return parsedBlocks.get(block)
    }

    const ban = Effect.fn("IpBans.ban")(function*(ip: string, duration: Duration.DurationInput, reason: string) {
      const now = yield* Clock.currentTimeMillis
      const length = Duration.decode(duration)
      const target = banRules.validateBan(ip, length, protectedRanges)
      if (target._tag !== "Address" && target._tag !== "Network") return target
      const until = banRules.untilOf(now, length)
      const ttl = Number.isFinite(until) ? Math.max(1, Math.ceil(until - now)) : maxTtlMillis
      const value = encodeStored(Number.isFinite(until) ? { r: reason, b: now, u: until } : { r: reason, b: now })
      let evicted: Option.Option<string> = Option.none()
      if (target._tag === "Address") {
        yield* redis.use("ip_bans.ban", (client) => client.set(addressKey(target.key), value, "PX", ttl))
      } else {
        const reply = yield* banNetwork([networksKey], [target.key, value, now, ttl, maxNetworks])
        if (typeof reply === "string" && reply !== "") evicted = Option.some(reply)
      }
      return BanResult.Banned({ ip: target.key, reason, duration: length, until, evicted })
    })

    const unban = Effect.fn("IpBans.unban")(function*(ip: string) {
      const now = yield* Clock.currentTimeMillis
      const target = banRules.parseTarget(ip)
      if (target === undefined) return UnbanResult.NotBanned({ ip })
      const reply = target._tag === "Address"
        ? yield* take([addressKey(target.key)], [""])
        : yield* take([networksKey], [target.key])
      if (typeof reply !== "string" || reply === "") return UnbanResult.NotBanned({ ip: target.key })
      const info = yield* infoOf(target.key, reply)
      return info.until > now ? UnbanResult.Unbanned({ ip: target.key }) : UnbanResult.NotBanned({ ip: target.key })
    })

    const isBanned = (ip: string) =>
      // not traced: runs on every request, and a span costs about 10 µs
      Effect.gen(function*() {
        const address = parseIp(ip)
        if (address === undefined) return Option.none<BanInfo>()
        const key = address.toString()
        const now = yield* Clock.currentTimeMillis
        const [own, blocks] = yield* Effect.flatMap(lookup([addressKey(key), networksKey], []), decodeLookup)
        if (own !== "") {
          const info = yield* infoOf(key, own)
          if (info.until > now) return Option.some(info)
        }
        for (let i = 0; i + 1 < blocks.length; i += 2) {
          const block = blocks[i]!
          const range = blockRange(block)
          if (range === undefined || !rangeContains(range, address)) continue
          const info = yield* infoOf(block, blocks[i + 1]!)
          if (info.until > now) return Option.some(info)
        }
        return Option.none<BanInfo>()
      })

    const size = Effect.zipWith(
      redis.countKeys("banned_ips"),
      redis.use("ip_bans.size", (client) => client.hlen(networksKey)),
      (addresses, networks) => addresses + networks
    )

    return IpBans.of({ ban, unban, isBanned, size })
  })

/**
 * Bans shared by every instance using the same Redis server and prefix. Same rules and results as
 * the memory store; fails with `StoreError` when Redis is down or slow.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: IpBansRedisOptions): Layer.Layer<IpBans, never, GuardRedis> =>
  Layer.effect(IpBans, make(options))
