/**
 * Classifies a URL host the way an SSRF check must: by the address it resolves to on the server,
 * not by how it is spelled. IPv4 is read with `inet_aton` rules (one to four parts, decimal, octal
 * `0251`, hex `0xa9`, `127.1`, `2852039166`), IPv6 with `::` compression and embedded IPv4
 * (`::ffff:169.254.169.254`, `::ffff:a9fe:a9fe`), names against the loopback, container and cloud
 * metadata names, and the wildcard-DNS services that map a name back to an embedded address.
 *
 * @internal
 */

export type HostKind = "metadata" | "loopback" | "private" | "oob" | "other"

export interface HostInfo {
  readonly kind: HostKind
  /** A numeric address spelled in a form other than canonical dotted decimal (or IPv6-mapped). */
  readonly obfuscated: boolean
  /** The host is an IP literal. */
  readonly literal: boolean
}

const OTHER: HostInfo = { kind: "other", obfuscated: false, literal: false }

const LOOPBACK_NAMES: ReadonlySet<string> = new Set([
  "localhost",
  "localhost.localdomain",
  "localhost4",
  "localhost4.localdomain4",
  "localhost6",
  "localhost6.localdomain6",
  "ip6-localhost",
  "ip6-loopback",
  "ipv6-localhost",
  "ipv6-loopback",
  "host.docker.internal",
  "gateway.docker.internal",
  "kubernetes.docker.internal",
  "host.containers.internal",
  "host.lima.internal",
  "localtest.me",
  "lvh.me",
  "kubernetes.default",
  "kubernetes.default.svc"
])

const METADATA_NAMES: ReadonlySet<string> = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "metadata.packet.net",
  "metadata.platformequinix.com",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.tencentyun.com",
  "metadata.azure.internal"
])

/** Out-of-band interaction and redirect helpers used to confirm blind injections and bounce SSRF. */
const OOB_SUFFIXES: ReadonlyArray<string> = [
  "oastify.com",
  "burpcollaborator.net",
  "interact.sh",
  "interactsh.com",
  "oast.fun",
  "oast.pro",
  "oast.live",
  "oast.site",
  "oast.online",
  "oast.me",
  "dnslog.cn",
  "ceye.io",
  "r3dir.me",
  "requestrepo.com",
  "canarytokens.com"
]

/** Wildcard DNS that answers with the address written in the name (`127.0.0.1.nip.io`). */
const REBIND_SUFFIXES: ReadonlyArray<string> = ["nip.io", "sslip.io", "xip.io", "traefik.me", "localtest.me", "lvh.me"]

/** A name's last two labels (`oastify.com` of `x.oastify.com`), or the name when it has fewer. */
const lastTwoLabels = (name: string): string => {
  const last = name.lastIndexOf(".")
  return last <= 0 ? name : name.slice(name.lastIndexOf(".", last - 1) + 1)
}

/**
 * The rebinding and helper domains by their last two labels: every one has two labels or more, so a
 * host under one of them ends in the same two labels, and a host whose last two are none of these
 * (`example.com`, most hosts) skips both lists.
 */
const SUFFIX_KEYS: ReadonlySet<string> = new Set([...REBIND_SUFFIXES, ...OOB_SUFFIXES].map(lastTwoLabels))

const endsWithDomain = (host: string, domain: string): boolean =>
  host === domain || (host.endsWith(domain) && host.charCodeAt(host.length - domain.length - 1) === 46)

const parsePart = (part: string): number | undefined => {
  if (part === "") return undefined
  if (/^0x[0-9a-f]*$/.test(part)) {
    // inet_aton keeps the low bits of an over-long hex part (`0x41414141a9fea9fe`)
    const digits = part.slice(2)
    return digits === "" ? 0 : parseInt(digits.slice(-8), 16)
  }
  if (/^0[0-7]+$/.test(part)) return parseInt(part, 8)
  if (/^[0-9]{1,20}$/.test(part)) return Number(part)
  return undefined
}

/** The 32-bit address of an `inet_aton` spelling, and whether the spelling is canonical. */
const parseIpv4 = (host: string): { address: number; canonical: boolean } | undefined => {
  if (host.length > 64 || !/^[0-9][0-9a-fx.]*$/.test(host)) return undefined
  const parts = host.split(".")
  if (parts.length > 4) return undefined
  const values: Array<number> = []
  for (const p of parts) {
    const v = parsePart(p)
    if (v === undefined) return undefined
    values.push(v)
  }
  let address = 0
  for (let i = 0; i < values.length - 1; i++) {
    const v = values[i] ?? 0
    if (v > 255) return undefined
    address = address * 256 + v
  }
  const last = values[values.length - 1] ?? 0
  const lastBytes = 5 - values.length
  address = address * 256 ** lastBytes + (last % 256 ** lastBytes)
  const canonical = parts.length === 4 && parts.every((p) => /^(?:0|[1-9][0-9]{0,2})$/.test(p))
  return { address: address >>> 0, canonical }
}

const kindOfIpv4 = (a: number): HostKind => {
  const b1 = a >>> 24
  const b2 = (a >>> 16) & 255
  if (a === 0xa9fea9fe || a === 0xc00000c0 || a === 0x646464c8 || (b1 === 169 && b2 === 254)) return "metadata"
  if (b1 === 127 || b1 === 0) return "loopback"
  if (b1 === 10 || (b1 === 172 && b2 >= 16 && b2 <= 31) || (b1 === 192 && b2 === 168) || (b1 === 100 && b2 >= 64 && b2 <= 127)) {
    return "private"
  }
  return "other"
}

/** Eight 16-bit groups of an IPv6 literal, or undefined. */
const parseIpv6 = (host: string): ReadonlyArray<number> | undefined => {
  let text = host
  const zone = text.indexOf("%")
  if (zone >= 0) text = text.slice(0, zone)
  if (text.length > 64 || !/^[0-9a-f:.]+$/.test(text)) return undefined
  const lastColon = text.lastIndexOf(":")
  const lastPart = text.slice(lastColon + 1)
  if (lastPart.includes(".")) {
    // `::ffff:169.254.169.254`: the dotted tail is two groups
    const v4 = parseIpv4(lastPart)
    if (v4 === undefined) return undefined
    text = `${text.slice(0, lastColon + 1)}${(v4.address >>> 16).toString(16)}:${(v4.address & 0xffff).toString(16)}`
  }
  const halves = text.split("::")
  if (halves.length > 2) return undefined
  const groups = (s: string): Array<number> | undefined => {
    if (s === "") return []
    const out: Array<number> = []
    for (const g of s.split(":")) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined
      out.push(parseInt(g, 16))
    }
    return out
  }
  const head = groups(halves[0] ?? "")
  const rest = halves.length === 2 ? groups(halves[1] ?? "") : []
  if (head === undefined || rest === undefined) return undefined
  const known = head.length + rest.length
  if (known > 8 || (halves.length === 1 && known !== 8)) return undefined
  return [...head, ...new Array<number>(8 - known).fill(0), ...rest]
}

const kindOfIpv6 = (g: ReadonlyArray<number>): { kind: HostKind; mapped: boolean } => {
  const zeros = (n: number): boolean => g.slice(0, n).every((x) => x === 0)
  if (zeros(5) && (g[5] === 0xffff || g[5] === 0) && !(zeros(8))) {
    const embedded = (((g[6] ?? 0) << 16) | (g[7] ?? 0)) >>> 0
    if (!(g[5] === 0 && embedded === 1)) return { kind: kindOfIpv4(embedded), mapped: true }
  }
  if (zeros(7) && (g[7] === 1 || g[7] === 0)) return { kind: "loopback", mapped: false }
  if (g[0] === 0xfd00 && g[1] === 0x0ec2) return { kind: "metadata", mapped: false }
  const first = g[0] ?? 0
  if ((first & 0xffc0) === 0xfe80 || (first & 0xfe00) === 0xfc00) return { kind: "private", mapped: false }
  return { kind: "other", mapped: false }
}

/** The kind of `host` (lower-cased, port already removed). */
export const classifyHost = (raw: string): HostInfo => {
  const host = raw.endsWith(".") ? raw.slice(0, -1) : raw
  if (host === "") return OTHER
  if (host.includes(":")) {
    const groups = parseIpv6(host)
    if (groups === undefined) return OTHER
    const { kind, mapped } = kindOfIpv6(groups)
    return { kind, obfuscated: mapped, literal: true }
  }
  const v4 = parseIpv4(host)
  if (v4 !== undefined) return { kind: kindOfIpv4(v4.address), obfuscated: !v4.canonical, literal: true }
  if (LOOPBACK_NAMES.has(host) || host.endsWith(".localhost")) return { kind: "loopback", obfuscated: false, literal: false }
  if (METADATA_NAMES.has(host)) return { kind: "metadata", obfuscated: false, literal: false }
  if (SUFFIX_KEYS.has(lastTwoLabels(host))) {
    const helper = underHelperDomain(host)
    if (helper !== undefined) return helper
  }
  if (host.endsWith(".internal") || host.endsWith(".local") || host.endsWith(".svc.cluster.local")) {
    return { kind: "private", obfuscated: false, literal: false }
  }
  return isDigit(host.charCodeAt(host.length - 1)) ? addressSuffix(host) : OTHER
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57

const DOTTED_QUAD = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/
const LETTER = /[a-z_-]/

/**
 * `static.example.net.127.0.0.2`: a name that ends in an internal address. No top-level domain is numeric,
 * so no registered name ends so; it passes a check that the host starts with a trusted name, and a
 * resolver or wildcard DNS that reads the trailing address sends the request there. Only an internal
 * address counts: a public one names nothing the server guards. Linear: four searches back from the end.
 */
const addressSuffix = (host: string): HostInfo => {
  // the start of the last four labels: four dots back from the end
  let start = host.length
  for (let dots = 0; dots < 4 && start > 0; dots++) start = host.lastIndexOf(".", start - 1)
  if (start <= 0) return OTHER
  const address = host.slice(start + 1)
  // the label before the address has a letter (`v1.2.3.4.5` is no name)
  const label = host.slice(host.lastIndexOf(".", start - 1) + 1, start)
  const v = DOTTED_QUAD.test(address) && LETTER.test(label) ? parseIpv4(address) : undefined
  if (v === undefined) return OTHER
  const kind = kindOfIpv4(v.address)
  return kind === "other" ? OTHER : { kind, obfuscated: true, literal: false }
}

/** Whether `host` (lower-cased, port already removed) is an IP literal: what `classifyHost(host).literal` says, without the names. */
export const isIpLiteral = (raw: string): boolean => {
  const host = raw.endsWith(".") ? raw.slice(0, -1) : raw
  if (host === "") return false
  return host.includes(":") ? parseIpv6(host) !== undefined : parseIpv4(host) !== undefined
}

/** A name under a wildcard-DNS or out-of-band helper domain, or undefined. */
const underHelperDomain = (host: string): HostInfo | undefined => {
  for (const suffix of REBIND_SUFFIXES) {
    if (!endsWithDomain(host, suffix)) continue
    const embedded = host.slice(0, Math.max(0, host.length - suffix.length - 1)).replace(/-/g, ".")
    const match = /(?:^|\.)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(embedded)
    const v = match?.[1] === undefined ? undefined : parseIpv4(match[1])
    return { kind: v === undefined ? "loopback" : kindOfIpv4(v.address) === "other" ? "oob" : kindOfIpv4(v.address), obfuscated: true, literal: false }
  }
  for (const suffix of OOB_SUFFIXES) if (endsWithDomain(host, suffix)) return { kind: "oob", obfuscated: false, literal: false }
  return undefined
}

/** Out-of-band helper domains, for values that name one without a scheme (`curl x.oastify.com`). */
export const OOB_DOMAINS: ReadonlyArray<string> = OOB_SUFFIXES
