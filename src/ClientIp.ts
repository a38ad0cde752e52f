/**
 * Who the client of a request is: the socket address, or `X-Forwarded-For` walked from the right
 * only when the peer is a trusted proxy. The guard's checks and the events the application emits
 * resolve it the same way, so they agree on who the client is.
 *
 * `resolveClientIp` / `makeClientIpResolver` implement that resolution. Unlike
 * `HttpMiddleware.xForwardedHeaders` (which believes the left-most `X-Forwarded-For` entry from any
 * client), a forwarded address is only used when the socket peer is a configured trusted proxy.
 *
 * @since 0.1.0
 */
import { Context, Option } from "effect"
import { rightmostEntries } from "./internal/forwarded.js"
import { canonicalIp, type IpMatcher, makeIpMatcher } from "./internal/ip.js"

/**
 * The socket peer of a request that has none of its own: a web handler (`HttpApp.toWebHandler`) has
 * no socket, so its host passes the peer address in the context. The guard and the event bus read it
 * only when `HttpServerRequest.remoteAddress` is empty, and resolve the client from it as from a
 * socket address (trusted proxies, `X-Forwarded-For`). Where the guard has not resolved a client
 * (outside a request, or a request the guard did not see), the event bus takes it as the client
 * address of the events emitted there.
 *
 * @since 0.1.0
 * @category tags
 */
export class ClientIp extends Context.Tag("effect-guard/ClientIp")<ClientIp, string>() {}

/**
 * The address used when no client address can be determined.
 *
 * @since 0.1.0
 * @category constants
 */
export const UNKNOWN_CLIENT_IP = "unknown"

/**
 * The most `X-Forwarded-For` hops ever examined, whatever `trustedProxyDepth` says. Only the right-most
 * hops are read, so a 100 KB header costs the same as a short one.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_FORWARDED_HOPS = 32

/**
 * What the request offers to identify its client.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientIpInput {
  /** The socket peer (`HttpServerRequest.remoteAddress`). */
  readonly remoteAddress: Option.Option<string> | string | undefined
  /** Request headers with lower-case names (as `@effect/platform` provides them). */
  readonly headers: Readonly<Record<string, string | undefined>>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ClientIpOptions {
  /**
   * Proxies allowed to set `X-Forwarded-For`: addresses and CIDR blocks, or a prebuilt matcher. The
   * entry `"unix"` trusts connections without a peer address (Unix sockets). Empty: the socket address
   * is always the client and `X-Forwarded-For` is ignored.
   */
  readonly trustedProxies: IpMatcher | Iterable<string>
  /**
   * How many `X-Forwarded-For` hops (from the right) may be examined; at most `MAX_FORWARDED_HOPS`.
   * Default 1: a single trusted proxy appends the client's address.
   */
  readonly trustedProxyDepth?: number
  /** Trust connections without a peer address (also implied by `"unix"` in `trustedProxies`). */
  readonly trustUnixSocket?: boolean
}

/**
 * The outcome of a resolution.
 *
 * - `ip`: canonical address (`::ffff:1.2.3.4` becomes `1.2.3.4`), or `UNKNOWN_CLIENT_IP`.
 * - `source`: whether it is the socket peer or a forwarded hop.
 * - `spoofSuspected`: an untrusted peer sent `X-Forwarded-For` while trusted proxies are configured;
 *   the caller should emit `suspicious_request` (`actionTaken: "spoofing_detected"`).
 * - `forwardedChain`: with `spoofSuspected`, the right-most part of the chain for the event, with
 *   entries that are not IP addresses shown as `[REDACTED]`.
 * - `hop`: with `source: "forwarded"`, the client's place in `X-Forwarded-For` counted from the right
 *   (1: the right-most entry). The other forwarded headers are read at the same place
 *   (`X-Forwarded-Proto`: what the proxy that received the client's connection wrote).
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientIpResolution {
  readonly ip: string
  readonly source: "socket" | "forwarded"
  readonly spoofSuspected: boolean
  readonly forwardedChain?: string
  readonly hop?: number
}

const MAX_ENTRY_LENGTH = 64
const MAX_DISPLAYED_HOPS = 16
const REDACTED = "[REDACTED]"

const peerText = (remoteAddress: ClientIpInput["remoteAddress"]): string | undefined =>
  remoteAddress === undefined
    ? undefined
    : typeof remoteAddress === "string"
    ? remoteAddress
    : Option.getOrUndefined(remoteAddress)

/** `1.2.3.4:80` -> `1.2.3.4`, `[2001:db8::1]:443` -> `2001:db8::1`; bare IPv6 is left alone. */
const stripPort = (entry: string): string => {
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]")
    return close > 0 ? entry.slice(1, close) : entry
  }
  const colon = entry.indexOf(":")
  return colon >= 0 && colon === entry.lastIndexOf(":") ? entry.slice(0, colon) : entry
}

/** The canonical address of one `X-Forwarded-For` entry, or `undefined` when it is not an address. */
const canonicalHop = (raw: string): string | undefined => {
  const entry = raw.trim()
  if (entry.length === 0 || entry.length > MAX_ENTRY_LENGTH) return undefined
  return canonicalIp(stripPort(entry))
}

const displayChain = (header: string): string => {
  const { entries, more } = rightmostEntries(header, MAX_DISPLAYED_HOPS, MAX_ENTRY_LENGTH)
  const shown = entries.reverse().map((entry) => canonicalHop(entry) ?? REDACTED)
  return (more ? ["…", ...shown] : shown).join(", ")
}

/**
 * Builds a resolver once (parsing the trusted proxy list) for use on every request.
 *
 * @example
 * ```ts
 * import { makeClientIpResolver } from "effect-guard/ClientIp"
 *
 * const resolve = makeClientIpResolver({ trustedProxies: ["10.0.0.0/8"] })
 * resolve({ remoteAddress: "10.0.0.5", headers: { "x-forwarded-for": "198.51.100.7, 10.0.0.9" } })
 * // { ip: "198.51.100.7", source: "forwarded", spoofSuspected: false }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeClientIpResolver = (options: ClientIpOptions): (input: ClientIpInput) => ClientIpResolution => {
  let matcher: IpMatcher
  let trustUnix = options.trustUnixSocket === true
  if (isIpMatcher(options.trustedProxies)) {
    matcher = options.trustedProxies
  } else {
    const entries = Array.from(options.trustedProxies)
    if (entries.some((entry) => entry.trim().toLowerCase() === "unix")) trustUnix = true
    matcher = makeIpMatcher(entries)
  }
  const depth = Math.min(Math.max(1, Math.floor(options.trustedProxyDepth ?? 1)), MAX_FORWARDED_HOPS)
  const enabled = matcher.size > 0 || trustUnix
  // peers repeat (proxies, keep-alive clients): parsing an IPv6 text costs more than the lookup
  const canonicalPeers = new Map<string, string | undefined>()
  const canonicalPeer = (raw: string): string | undefined => {
    if (canonicalPeers.has(raw)) return canonicalPeers.get(raw)
    const canonical = canonicalIp(raw)
    if (canonicalPeers.size >= 1024) canonicalPeers.clear()
    canonicalPeers.set(raw, canonical)
    return canonical
  }

  return (input) => {
    const rawPeer = peerText(input.remoteAddress)
    const peer = rawPeer === undefined ? undefined : canonicalPeer(rawPeer)
    const fromSocket: ClientIpResolution = { ip: peer ?? UNKNOWN_CLIENT_IP, source: "socket", spoofSuspected: false }
    if (!enabled) return fromSocket

    const header = input.headers["x-forwarded-for"]
    const hasHeader = header !== undefined && header.trim().length > 0
    const peerTrusted = rawPeer === undefined ? trustUnix : peer !== undefined && matcher.matches(peer)
    if (!peerTrusted) {
      return hasHeader ? { ...fromSocket, spoofSuspected: true, forwardedChain: displayChain(header) } : fromSocket
    }
    if (!hasHeader) return fromSocket

    // Walk from the right: each trusted hop vouches for the one before it.
    let nearest: ClientIpResolution = fromSocket
    let position = 0
    for (const entry of rightmostEntries(header, depth, MAX_ENTRY_LENGTH).entries) {
      const hop = canonicalHop(entry)
      if (hop === undefined) return nearest
      nearest = { ip: hop, source: "forwarded", spoofSuspected: false, hop: ++position }
      if (!matcher.matches(hop)) return nearest
    }
    return nearest
  }
}

/**
 * Resolves the client address of one request. Prefer `makeClientIpResolver` on a hot path: it parses
 * the trusted proxy list once.
 *
 * Rules:
 * 1. No trusted proxies configured: the socket address, always.
 * 2. The peer is not a trusted proxy: the socket address; a `X-Forwarded-For` header sets
 *    `spoofSuspected`.
 * 3. The peer is trusted: `X-Forwarded-For` is walked from the right over at most
 *    `trustedProxyDepth` hops; the first hop that is not a trusted proxy is the client (or the last hop
 *    examined when all are trusted). An entry that is not an address stops the walk: the nearest valid
 *    hop (or the peer) is used.
 *
 * Never throws: garbage yields the socket address or `UNKNOWN_CLIENT_IP`.
 *
 * @since 0.1.0
 * @category resolution
 */
export const resolveClientIp = (input: ClientIpInput, options: ClientIpOptions): ClientIpResolution =>
  makeClientIpResolver(options)(input)

const isIpMatcher = (value: IpMatcher | Iterable<string>): value is IpMatcher =>
  typeof (value as Partial<IpMatcher>).matches === "function" && typeof (value as Partial<IpMatcher>).find === "function"
