import { describe, expect, it } from "@effect/vitest"
import { canonicalIp, canonicalRange, makeIpMatcher, parseRange, rangesOverlap } from "../src/internal/ip.js"

describe("internal/ip", () => {
  it("canonicalises IPv4-mapped IPv6 to IPv4 and compresses IPv6", () => {
    expect(canonicalIp("::ffff:192.0.2.1")).toBe("192.0.2.1")
    expect(canonicalIp("[2001:DB8:0:0:0:0:0:1]")).toBe("2001:db8::1")
    expect(canonicalIp("fe80::1%eth0")).toBe("fe80::1")
  })

  it("reads an IPv4-compatible address (::1.2.3.4) as the IPv6 address it is, in every spelling", () => {
    for (const input of ["::192.0.2.1", "::c000:201", "0:0:0:0:0:0:192.0.2.1", "[::192.0.2.1]"]) {
      expect([input, canonicalIp(input)]).toEqual([input, "::c000:201"])
    }
    expect(makeIpMatcher(["192.0.2.0/24"]).matches("::192.0.2.1")).toBe(false)
    expect(makeIpMatcher(["::192.0.2.0/120"]).matches("192.0.2.1")).toBe(false)
    expect(makeIpMatcher(["::192.0.2.0/120"]).matches("::c000:201")).toBe(true)
  })

  it("rejects garbage and legacy IPv4 spellings", () => {
    for (const input of ["", "x", "1.2.3", "127.1", "0x7f.0.0.1", "1.2.3.256", "a".repeat(10_000), "1.2.3.4/24"]) {
      expect(canonicalIp(input)).toBeUndefined()
    }
  })

  it("reads the IPv4 part of an IPv6 address only in four-part decimal, as Node does", () => {
    for (const input of ["::0177.0.0.1", "[::0177.0.0.1]", "::ffff:0x7f.0.0.1", "::ffff:010.0.0.1", "::ffff:127.0.0.01", "::ffff:127.1", "::0300.0.0.1"]) {
      expect([input, canonicalIp(input)]).toEqual([input, undefined])
    }
    expect(makeIpMatcher(["177.0.0.0/8", "127.0.0.0/8"]).matches("::0177.0.0.1")).toBe(false)
    expect(makeIpMatcher(["127.0.0.0/8"]).matches("::ffff:0x7f.0.0.1")).toBe(false)
    // the decimal spellings keep their meaning
    expect(canonicalIp("::ffff:127.0.0.1")).toBe("127.0.0.1")
    expect(canonicalIp("::177.0.0.1")).toBe("::b100:1")
    expect(canonicalIp("64:ff9b::192.0.2.7")).toBe("64:ff9b::c000:207")
    expect(canonicalIp("1:2:3:4:5:6:1.2.3.4")).toBe("1:2:3:4:5:6:102:304")
  })

  it("matches an IPv4-mapped address against an IPv4 CIDR", () => {
    const matcher = makeIpMatcher(["192.0.2.0/24"])
    expect(matcher.matches("::ffff:192.0.2.77")).toBe(true)
    expect(matcher.matches("::ffff:192.0.3.77")).toBe(false)
  })

  it("matches an IPv4 address against an IPv4-mapped IPv6 CIDR", () => {
    const matcher = makeIpMatcher(["::ffff:192.0.2.0/120"])
    expect(matcher.matches("192.0.2.9")).toBe(true)
  })

  it("matches IPv6 addresses against IPv6 CIDRs only", () => {
    const matcher = makeIpMatcher(["2001:db8::/32", "10.0.0.0/8"])
    expect(matcher.find("2001:db8:1234::1")?.source).toBe("2001:db8::/32")
    expect(matcher.matches("2001:db9::1")).toBe(false)
    expect(matcher.matches("::a00:1")).toBe(false)
  })

  it("ignores invalid matcher entries", () => {
    const matcher = makeIpMatcher(["unix", "10.0.0.0/33", "nope", "1.2.3.4"])
    expect(matcher.size).toBe(1)
    expect(matcher.matches("garbage")).toBe(false)
  })

  it("masks the host bits in a range's canonical text", () => {
    expect(canonicalRange(parseRange("10.1.2.3/8")!)).toBe("10.0.0.0/8")
    expect(canonicalRange(parseRange("2001:db8::ff/120")!)).toBe("2001:db8::/120")
    expect(canonicalRange(parseRange("::ffff:10.1.2.3/104")!)).toBe("10.0.0.0/8")
    expect(canonicalRange(parseRange("10.1.2.3")!)).toBe("10.1.2.3")
  })

  it("detects overlapping ranges in both directions", () => {
    const loopback = parseRange("127.0.0.0/8")!
    expect(rangesOverlap(loopback, parseRange("127.0.0.1")!)).toBe(true)
    expect(rangesOverlap(parseRange("0.0.0.0/0")!, loopback)).toBe(true)
    expect(rangesOverlap(parseRange("128.0.0.0/1")!, loopback)).toBe(false)
    expect(rangesOverlap(parseRange("::1")!, loopback)).toBe(false)
  })
})
