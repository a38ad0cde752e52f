/**
 * IP parsing, canonical forms and CIDR matching on top of ipaddr.js. IPv4-mapped IPv6 addresses
 * (`::ffff:1.2.3.4`) are treated as the IPv4 address they carry, so one rule matches both spellings.
 *
 * @internal
 */
import ipaddr from "ipaddr.js"

export type Address = ipaddr.IPv4 | ipaddr.IPv6

const IPV4_COMPATIBLE = /^::\d{1,3}(?:\.\d{1,3}){3}$/

/**
 * ipaddr.js reads `::1.2.3.4` (IPv4-compatible, RFC 4291 §2.5.5.1) as `::ffff:1.2.3.4`; it is
 * `::102:304`, as `0:0:0:0:0:0:1.2.3.4` is, and not the IPv4 client `1.2.3.4`.
 */
const asWritten = (text: string): string => (IPV4_COMPATIBLE.test(text) ? `::0:${text.slice(2)}` : text)

/** Parses an address (IPv4, IPv6, IPv4-mapped IPv6, optional `[...]` brackets or IPv6 zone); `undefined` when invalid. */
export const parseIp = (input: string): Address | undefined => {
  let text = input.trim()
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1)
  const zone = text.indexOf("%")
  if (zone >= 0) text = text.slice(0, zone)
  text = asWritten(text)
  if (text.length === 0 || text.length > 45 || !ipaddr.isValid(text)) return undefined
  // ipaddr.isValid accepts legacy IPv4 spellings ("0x7f.1", "127.1", "0177.0.0.1"), inside an IPv6
  // address too (`::ffff:0x7f.0.0.1`); only four-part decimal is an address here, as for Node
  if (text.includes(".") && !ipaddr.IPv4.isValidFourPartDecimal(text.slice(text.lastIndexOf(":") + 1))) return undefined
  const parsed = ipaddr.parse(text)
  return parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
    ? (parsed as ipaddr.IPv6).toIPv4Address()
    : parsed
}

/** The canonical text of an address (`::ffff:1.2.3.4` -> `1.2.3.4`, IPv6 compressed, lower case). */
export const canonicalIp = (input: string): string | undefined => parseIp(input)?.toString()

export const isValidIp = (input: string): boolean => parseIp(input) !== undefined

/** A parsed range: one address (`/32`, `/128`) or a CIDR block. */
export interface IpRange {
  readonly source: string
  readonly address: Address
  readonly prefix: number
}

/** Parses `1.2.3.4`, `10.0.0.0/8`, `2001:db8::/32`, `::ffff:10.0.0.0/104`; `undefined` when invalid. */
export const parseRange = (input: string): IpRange | undefined => {
  const text = input.trim()
  const slash = text.indexOf("/")
  if (slash < 0) {
    const address = parseIp(text)
    return address && { source: input, address, prefix: address.kind() === "ipv4" ? 32 : 128 }
  }
  const prefix = Number(text.slice(slash + 1))
  const raw = asWritten(text.slice(0, slash))
  if (!/^\d{1,3}$/.test(text.slice(slash + 1))) return undefined
  let base: Address | undefined
  try {
    base = ipaddr.parse(raw)
  } catch {
    return undefined
  }
  if (base.kind() === "ipv4") {
    return prefix <= 32 && ipaddr.IPv4.isValidFourPartDecimal(raw) ? { source: input, address: base, prefix } : undefined
  }
  const v6 = base as ipaddr.IPv6
  if (prefix > 128) return undefined
  if (v6.isIPv4MappedAddress() && prefix >= 96) return { source: input, address: v6.toIPv4Address(), prefix: prefix - 96 }
  return { source: input, address: v6, prefix }
}

export const isValidRange = (input: string): boolean => parseRange(input) !== undefined

export const rangeContains = (range: IpRange, address: Address): boolean =>
  range.address.kind() === address.kind() &&
  (address as ipaddr.IPv4).match(range.address as ipaddr.IPv4, range.prefix)

/** A matcher over a list of addresses and CIDR blocks; invalid entries are ignored. */
export interface IpMatcher {
  readonly size: number
  /** The entry that contains `ip`, if any. */
  readonly find: (ip: string | Address) => IpRange | undefined
  readonly matches: (ip: string | Address) => boolean
}

export const makeIpMatcher = (entries: Iterable<string>): IpMatcher => {
  const exact = new Map<string, IpRange>()
  const blocks: Array<IpRange> = []
  for (const entry of entries) {
    const range = parseRange(entry)
    if (range === undefined) continue
    const full = range.address.kind() === "ipv4" ? 32 : 128
    if (range.prefix === full) exact.set(range.address.toString(), range)
    else blocks.push(range)
  }
  const empty = exact.size === 0 && blocks.length === 0
  const find = (ip: string | Address): IpRange | undefined => {
    if (empty) return undefined
    const address = typeof ip === "string" ? parseIp(ip) : ip
    if (address === undefined) return undefined
    const hit = exact.get(address.toString())
    if (hit !== undefined) return hit
    for (const block of blocks) if (rangeContains(block, address)) return block
    return undefined
  }
  return { size: exact.size + blocks.length, find, matches: (ip) => find(ip) !== undefined }
}

/** Whether two ranges share at least one address. */
export const rangesOverlap = (a: IpRange, b: IpRange): boolean =>
  a.address.kind() === b.address.kind() &&
  (a.address as ipaddr.IPv4).match(b.address as ipaddr.IPv4, Math.min(a.prefix, b.prefix))

/** The canonical text of a range: `10.0.0.0/8` (network address masked), or a bare address for `/32`, `/128`. */
export const canonicalRange = (range: IpRange): string => {
  const full = range.address.kind() === "ipv4" ? 32 : 128
  if (range.prefix === full) return range.address.toString()
  const bytes = range.address.toByteArray()
  for (let bit = range.prefix; bit < bytes.length * 8; bit++) {
    bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) & ~(0x80 >> (bit & 7))
  }
  return `${ipaddr.fromByteArray(bytes).toString()}/${range.prefix}`
}

/**
 * The key a client is counted, limited and banned under: an IPv4 address as it is, an IPv6 address
 * as its network of `ipv6Subnet` bits (`2001:db8:2::/64`), or as itself with 128. Anything that is
 * not an address (`unknown`) is returned unchanged.
 */
export const clientKeyOf = (ip: string, ipv6Subnet: number): string => {
  if (!ip.includes(":") || ipv6Subnet >= 128) return ip
  const address = parseIp(ip)
  if (address === undefined || address.kind() !== "ipv6") return ip
  return canonicalRange({ source: ip, address, prefix: ipv6Subnet })
}

/**
 * {@link clientKeyOf} remembered for the last 1,024 addresses seen: the same clients come back, and
 * parsing an IPv6 text costs more than the lookup.
 */
export const makeClientKeys = (ipv6Subnet: number): (ip: string) => string => {
  const known = new Map<string, string>()
  return (ip) => {
    if (!ip.includes(":")) return ip
    let key = known.get(ip)
    if (key === undefined) {
      key = clientKeyOf(ip, ipv6Subnet)
      if (known.size >= 1024) known.clear()
      known.set(ip, key)
    }
    return key
  }
}
