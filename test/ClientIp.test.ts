import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import { MAX_FORWARDED_HOPS, makeClientIpResolver, resolveClientIp, UNKNOWN_CLIENT_IP } from "../src/ClientIp.js"
import { makeIpMatcher } from "../src/internal/ip.js"

const behindProxy = makeClientIpResolver({ trustedProxies: ["10.0.0.0/8", "2001:db8:ffff::/48"] })

describe("resolveClientIp", () => {
  it("uses the socket address when no trusted proxy is configured", () => {
    const result = resolveClientIp(
      { remoteAddress: "203.0.113.9", headers: { "x-forwarded-for": "1.1.1.1" } },
      { trustedProxies: [] }
    )
    expect(result).toEqual({ ip: "203.0.113.9", source: "socket", spoofSuspected: false })
  })

  it("accepts the remote address as an Option, as HttpServerRequest provides it", () => {
    expect(behindProxy({ remoteAddress: Option.some("203.0.113.9"), headers: {} }).ip).toBe("203.0.113.9")
  })

  it("ignores a spoofed X-Forwarded-For from an untrusted peer and flags it", () => {
    const result = behindProxy({ remoteAddress: "203.0.113.9", headers: { "x-forwarded-for": "1.1.1.1, 10.0.0.1" } })
    expect(result.ip).toBe("203.0.113.9")
    expect(result.source).toBe("socket")
    expect(result.spoofSuspected).toBe(true)
    expect(result.forwardedChain).toBe("1.1.1.1, 10.0.0.1")
  })

  it("redacts entries that are not addresses in the reported chain", () => {
    const result = behindProxy({ remoteAddress: "203.0.113.9", headers: { "x-forwarded-for": "<script>, 1.1.1.1:80" } })
    expect(result.forwardedChain).toBe("[REDACTED], 1.1.1.1")
  })

  it("returns the right-most hop appended by a trusted proxy", () => {
    const result = behindProxy({
      remoteAddress: "10.0.0.5",
      headers: { "x-forwarded-for": "6.6.6.6, 198.51.100.7" }
    })
    expect(result).toEqual({ ip: "198.51.100.7", source: "forwarded", spoofSuspected: false, hop: 1 })
  })

  it("skips trusted hops within the depth and returns the first untrusted one", () => {
    const resolve = makeClientIpResolver({ trustedProxies: ["10.0.0.0/8"], trustedProxyDepth: 3 })
    const result = resolve({
      remoteAddress: "10.0.0.5",
      headers: { "x-forwarded-for": "6.6.6.6, 198.51.100.7, 10.1.1.1, 10.2.2.2" }
    })
    expect(result.ip).toBe("198.51.100.7")
  })

  it("never examines more hops than the depth allows", () => {
    const result = behindProxy({
      remoteAddress: "10.0.0.5",
      headers: { "x-forwarded-for": "198.51.100.7, 10.1.1.1" }
    })
    expect(result.ip).toBe("10.1.1.1")
  })

  it("stops at an invalid entry and keeps the nearest valid hop", () => {
    const resolve = makeClientIpResolver({ trustedProxies: ["10.0.0.0/8"], trustedProxyDepth: 3 })
    expect(resolve({ remoteAddress: "10.0.0.5", headers: { "x-forwarded-for": "1.1.1.1, unknown, 10.1.1.1" } }).ip)
      .toBe("10.1.1.1")
    expect(resolve({ remoteAddress: "10.0.0.5", headers: { "x-forwarded-for": "1.1.1.1, not-an-ip" } }))
      .toEqual({ ip: "10.0.0.5", source: "socket", spoofSuspected: false })
  })

  it("rejects legacy and wildcard spellings in X-Forwarded-For", () => {
    for (const entry of ["127.1", "0x7f.0.0.1", "1.2.3.*", "1.2.3.4\\", "1.2.3.4/8"]) {
      expect(behindProxy({ remoteAddress: "10.0.0.5", headers: { "x-forwarded-for": entry } }).ip).toBe("10.0.0.5")
    }
  })

  it("strips ports from IPv4 and bracketed IPv6 hops", () => {
    expect(behindProxy({ remoteAddress: "10.0.0.5", headers: { "x-forwarded-for": "198.51.100.7:5555" } }).ip)
      .toBe("198.51.100.7")
    expect(behindProxy({ remoteAddress: "10.0.0.5", headers: { "x-forwarded-for": "[2001:DB8::7]:443" } }).ip)
      .toBe("2001:db8::7")
  })

  it("canonicalises IPv4-mapped IPv6 peers and hops to IPv4", () => {
    expect(behindProxy({ remoteAddress: "::ffff:10.0.0.5", headers: { "x-forwarded-for": "::ffff:198.51.100.7" } }))
      .toEqual({ ip: "198.51.100.7", source: "forwarded", spoofSuspected: false, hop: 1 })
  })

  it("matches an IPv6 peer against an IPv6 trusted CIDR", () => {
    expect(behindProxy({ remoteAddress: "2001:db8:ffff:1::2", headers: { "x-forwarded-for": "2001:db8:1::9" } }).ip)
      .toBe("2001:db8:1::9")
  })

  it("accepts a prebuilt IpMatcher", () => {
    const resolve = makeClientIpResolver({ trustedProxies: makeIpMatcher(["10.0.0.5"]) })
    expect(resolve({ remoteAddress: "10.0.0.5", headers: { "x-forwarded-for": "198.51.100.7" } }).ip).toBe("198.51.100.7")
  })

  it("returns unknown when there is no peer address and Unix sockets are not trusted", () => {
    expect(behindProxy({ remoteAddress: undefined, headers: { "x-forwarded-for": "198.51.100.7" } }).ip)
      .toBe(UNKNOWN_CLIENT_IP)
    expect(resolveClientIp({ remoteAddress: Option.none(), headers: {} }, { trustedProxies: [] }).ip)
      .toBe(UNKNOWN_CLIENT_IP)
  })

  it("walks X-Forwarded-For for peer-less connections when \"unix\" is trusted", () => {
    const result = resolveClientIp(
      { remoteAddress: Option.none(), headers: { "x-forwarded-for": "198.51.100.7" } },
      { trustedProxies: ["unix"] }
    )
    expect(result.ip).toBe("198.51.100.7")
  })

  it("returns unknown for a garbage socket address", () => {
    expect(behindProxy({ remoteAddress: "not an address", headers: {} }).ip).toBe(UNKNOWN_CLIENT_IP)
    expect(resolveClientIp({ remoteAddress: "999.1.1.1", headers: {} }, { trustedProxies: [] }).ip).toBe(UNKNOWN_CLIENT_IP)
  })

  it("reads only the right end of a 100 KB X-Forwarded-For header with thousands of hops", () => {
    const resolve = makeClientIpResolver({ trustedProxies: ["10.0.0.0/8"], trustedProxyDepth: 1000 })
    const hops = Array.from({ length: 8000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`)
    const header = new ScanCountingString(hops.join(",").padStart(100_000, "9"))
    const result = resolve({ remoteAddress: "10.0.0.5", headers: { "x-forwarded-for": header as unknown as string } })
    // the depth is capped: only the right-most MAX_FORWARDED_HOPS hops are read, and nothing left of them
    expect(result.ip).toBe(hops[hops.length - MAX_FORWARDED_HOPS])
    expect(header.searches).toBeLessThanOrEqual(MAX_FORWARDED_HOPS + 1)
    expect(header.scanned).toBeLessThan(MAX_FORWARDED_HOPS * 16)
  })

  it("treats a single enormous entry as invalid instead of scanning or copying it", () => {
    const header = `${"a".repeat(100_000)}1.2.3.4`
    expect(behindProxy({ remoteAddress: "10.0.0.5", headers: { "x-forwarded-for": header } }).ip).toBe("10.0.0.5")
    const spoof = behindProxy({ remoteAddress: "203.0.113.9", headers: { "x-forwarded-for": header } })
    expect(spoof.forwardedChain).toBe("[REDACTED]")
  })

  it("summarises a long spoofed chain to its right-most hops", () => {
    const header = Array.from({ length: 500 }, (_, i) => `1.1.${i >> 8}.${i & 255}`).join(", ")
    const chain = behindProxy({ remoteAddress: "203.0.113.9", headers: { "x-forwarded-for": header } }).forwardedChain
    expect(chain?.startsWith("…, ")).toBe(true)
    expect(chain?.split(", ").length).toBe(17)
  })

  it("ignores an empty X-Forwarded-For from an untrusted peer", () => {
    expect(behindProxy({ remoteAddress: "203.0.113.9", headers: { "x-forwarded-for": " " } }).spoofSuspected).toBe(false)
  })
})

/** A header that counts what the resolver searches of it: a bound on work that no machine load can move. */
class ScanCountingString extends String {
  searches = 0
  scanned = 0
  override lastIndexOf(search: string, position?: number): number {
    const found = super.lastIndexOf(search, position)
    this.searches++
    this.scanned += (position ?? this.length) - found
    return found
  }
  // a whole-string pass counts the whole string
  override indexOf(search: string, position?: number): number {
    this.scanned += this.length
    return super.indexOf(search, position)
  }
  override includes(search: string, position?: number): boolean {
    this.scanned += this.length
    return super.includes(search, position)
  }
}
