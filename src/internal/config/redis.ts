/**
 * Config fields of the shared Redis state. Off by default: the in-memory stores need no Redis at all.
 * The URL is held `Redacted`, and no validation message ever echoes it (it may carry a password).
 *
 * @internal
 */
import { Redacted, Schema } from "effect"
import { NonEmptyString, PositiveInt, withDefault } from "./fields.js"

/** A `redis://` or `rediss://` URL; the message never repeats the input. */
const RedisUrl = Schema.String.pipe(
  Schema.filter((s) => {
    let url: URL
    try {
      url = new URL(s)
    } catch {
      return "redisUrl must be an absolute redis:// or rediss:// URL"
    }
    if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
      return `redisUrl must use redis:// or rediss://, got ${JSON.stringify(url.protocol.slice(0, 16))}`
    }
    return url.hostname !== "" || "redisUrl must name a host"
  })
)

export const redisFields = {
  /** Shared state in Redis (rate limits, bans, violation and behaviour counts, dynamic rules). */
  enableRedis: withDefault(Schema.Boolean, () => false),
  /** `redis://[user:password@]host:port[/db]` or `rediss://...`; redacted once decoded. */
  redisUrl: withDefault(Schema.Redacted(RedisUrl), () => Redacted.make("redis://127.0.0.1:6379")),
  /** Prefix of every key the guard writes. */
  redisPrefix: withDefault(NonEmptyString, () => "effect_guard:"),
  /**
   * When Redis is down or slow: skip the affected check (true) or answer 503 with `Retry-After`
   * (false). Also lets the guard start while Redis is unreachable.
   */
  redisFailOpen: withDefault(Schema.Boolean, () => false),
  /** Milliseconds connecting may take. */
  redisConnectTimeoutMs: withDefault(PositiveInt, () => 2000),
  /** Milliseconds one Redis command may take. */
  redisCommandTimeoutMs: withDefault(PositiveInt, () => 500)
} as const
