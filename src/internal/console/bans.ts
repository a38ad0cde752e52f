/**
 * The bans the console lists. `IpBans` answers for one address, not with a list, so:
 *
 * - in memory, the console lists the bans it saw set (`ip_banned` events), each checked against the
 *   store when listed, so an expired or lifted ban is not shown;
 * - with Redis, it reads the ban keys themselves (bounded `SCAN`), so the bans every instance set are
 *   listed, in the layout `stores/redis/IpBans` writes.
 *
 * @internal
 */
import { Clock, Effect, Option, Schema } from "effect"
import type { IpBans } from "../../IpBans.js"
import type { GuardRedis } from "../../Redis.js"
import type { StoreError } from "../../StoreError.js"
import type { BanSeen, ConsoleFeed } from "./feed.js"

/** The most bans one listing reads. */
export const MAX_LISTED = 1_000

export interface ListedBan {
  readonly target: string
  readonly reason: string
  readonly bannedAt: number | null
  /** `null`: until lifted. */
  readonly until: number | null
}

const Stored = Schema.parseJson(Schema.Struct({ r: Schema.String, b: Schema.Number, u: Schema.optional(Schema.Number) }))
const decodeStored = Schema.decodeUnknownOption(Stored)

const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, (c) => `\\${c}`)

const fromStored = (target: string, text: unknown): ListedBan | undefined => {
  if (typeof text !== "string") return undefined
  return Option.match(decodeStored(text), {
    onNone: () => ({ target, reason: "(unreadable)", bannedAt: null, until: null }),
    onSome: (s) => ({ target, reason: s.r, bannedAt: s.b, until: s.u ?? null })
  })
}

/** The bans in Redis, every instance's, newest first. */
export const listRedisBans = (redis: GuardRedis["Type"]): Effect.Effect<ReadonlyArray<ListedBan>, StoreError> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const addressPrefix = redis.key("banned_ips", "")
    const pattern = `${escapeGlob(addressPrefix)}*`
    const keys: Array<string> = []
    let cursor = "0"
    // bounded: at most MAX_LISTED keys and 100 round trips, whatever the keyspace holds
    for (let round = 0; round < 100 && keys.length < MAX_LISTED; round++) {
      const [nextCursor, found] = yield* redis.use("console.scan_bans", (client) => client.scan(cursor, "MATCH", pattern, "COUNT", 500))
      keys.push(...found.slice(0, MAX_LISTED - keys.length))
      cursor = nextCursor
      if (cursor === "0") break
    }
    const values = keys.length === 0 ? [] : yield* redis.use("console.read_bans", (client) => client.mget(...keys))
    const networks = yield* redis.use("console.read_network_bans", (client) => client.hgetall(redis.key("banned_networks", "all")))
    const listed: Array<ListedBan> = []
    keys.forEach((key, i) => {
      const ban = fromStored(key.slice(addressPrefix.length), values[i])
      if (ban !== undefined) listed.push(ban)
    })
    for (const [block, text] of Object.entries(networks).slice(0, MAX_LISTED)) {
      const ban = fromStored(block, text)
      if (ban !== undefined) listed.push(ban)
    }
    return listed.filter((ban) => ban.until === null || ban.until > now).sort((a, b) => (b.bannedAt ?? 0) - (a.bannedAt ?? 0))
  })

/** The bans the console saw set that the store still holds, newest first. */
export const listSeenBans = (feed: ConsoleFeed, bans: IpBans["Type"]): Effect.Effect<ReadonlyArray<ListedBan>, StoreError> =>
  Effect.suspend(() => Effect.map(
    Effect.forEach(feed.bansSeen().slice(-MAX_LISTED), (seen: BanSeen) =>
      // a block is looked up by its first address: the store finds the block ban covering it
      Effect.map(bans.isBanned(seen.target.split("/")[0]!), (info): ListedBan | undefined => {
        if (Option.isNone(info)) {
          feed.forgetBan(seen.target)
          return undefined
        }
        return { target: seen.target, reason: info.value.reason, bannedAt: info.value.bannedAt, until: Number.isFinite(info.value.until) ? info.value.until : null }
      })),
    (listed) => listed.filter((ban): ban is ListedBan => ban !== undefined).reverse()
  ))
