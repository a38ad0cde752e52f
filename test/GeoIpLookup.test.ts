import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { GeoIpLookup } from "../src/GeoIpLookup.js"
import { parseRange } from "../src/internal/ip.js"

// A minimal MaxMind DB writer (format 2.0, IPv6 tree, 24-bit records), enough to build a tiny
// database at test time: https://maxmind.github.io/MaxMind-DB/
const encode = (value: unknown): Buffer => {
  const control = (type: number, size: number): Buffer => {
    const head = type <= 7 ? [type << 5] : [0, type - 7]
    if (size < 29) return Buffer.from([head[0]! | size, ...head.slice(1)])
    if (size < 285) return Buffer.from([head[0]! | 29, ...head.slice(1), size - 29])
    return Buffer.from([head[0]! | 30, ...head.slice(1), (size - 285) >> 8, (size - 285) & 255])
  }
  const uint = (type: number, n: number) => {
    const bytes: Array<number> = []
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256)
    return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)])
  }
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8")
    return Buffer.concat([control(2, bytes.length), bytes])
  }
  if (typeof value === "number") return uint(value > 65535 ? 6 : 5, value)
  if (typeof value === "bigint") return uint(9, Number(value))
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)])
  const entries = Object.entries(value as Record<string, unknown>)
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])])
}

const writeMmdb = (networks: Record<string, unknown>): Buffer => {
  type Rec = { readonly node: number } | { readonly data: number } | null
  const nodes: Array<[Rec, Rec]> = [[null, null]]
  const data: Array<Buffer> = []
  let dataSize = 0
  for (const [cidr, record] of Object.entries(networks)) {
    const range = parseRange(cidr)!
    const bytes = range.address.toByteArray()
    const bits = range.address.kind() === "ipv4" ? [...Array(96).fill(0)] : []
    for (const byte of bytes) for (let i = 7; i >= 0; i--) bits.push((byte >> i) & 1)
    const prefix = range.prefix + (range.address.kind() === "ipv4" ? 96 : 0)
    const offset = dataSize
    const encoded = encode(record)
    data.push(encoded)
    dataSize += encoded.length
    let node = 0
    for (let depth = 0; depth < prefix; depth++) {
      const bit = bits[depth] as 0 | 1
      if (depth === prefix - 1) {
        nodes[node]![bit] = { data: offset }
      } else {
        const next = nodes[node]![bit]
        if (next !== null && "node" in next) node = next.node
        else {
          nodes.push([null, null])
          nodes[node]![bit] = { node: nodes.length - 1 }
          node = nodes.length - 1
        }
      }
    }
  }
  const nodeCount = nodes.length
  const tree = Buffer.alloc(nodeCount * 6)
  const value = (rec: Rec) => rec === null ? nodeCount : "node" in rec ? rec.node : nodeCount + 16 + rec.data
  nodes.forEach(([left, right], i) => {
    tree.writeUIntBE(value(left), i * 6, 3)
    tree.writeUIntBE(value(right), i * 6 + 3, 3)
  })
  const metadata = encode({
    node_count: nodeCount,
    record_size: 24,
    ip_version: 6,
    database_type: "effect-guard-test",
    languages: ["en"],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000n,
    description: { en: "test" }
  })
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    ...data,
    Buffer.from("ABCDEF4D61784D696E642E636F6D", "hex"),
    metadata
  ])
}

const database = writeMmdb({
  "203.0.113.0/24": { country: { iso_code: "nz" } },
  "198.51.100.0/24": { registered_country: { iso_code: "DE" } },
  "192.0.2.0/24": { country: "FR", country_name: "France" },
  "2001:db8::/32": { country: { iso_code: "JP" } }
})

const lookup = (layer: Layer.Layer<GeoIpLookup, unknown>, ip: string) =>
  Effect.flatMap(GeoIpLookup, (geo) => geo.country(ip)).pipe(Effect.provide(layer))

describe("GeoIpLookup.layerMaxmindBuffer", () => {
  const layer = GeoIpLookup.layerMaxmindBuffer(database)

  it.effect("returns the upper-case ISO code of a MaxMind record", () =>
    Effect.gen(function*() {
      expect(yield* lookup(layer, "203.0.113.9")).toEqual(Option.some("NZ"))
    }))

  it.effect("finds IPv4-mapped IPv6 spellings of IPv4 addresses", () =>
    Effect.gen(function*() {
      expect(yield* lookup(layer, "::ffff:203.0.113.9")).toEqual(Option.some("NZ"))
    }))

  it.effect("finds IPv6 addresses", () =>
    Effect.gen(function*() {
      expect(yield* lookup(layer, "2001:db8:1::1")).toEqual(Option.some("JP"))
    }))

  it.effect("falls back to the registered country", () =>
    Effect.gen(function*() {
      expect(yield* lookup(layer, "198.51.100.1")).toEqual(Option.some("DE"))
    }))

  it.effect("reads IPinfo's plain country string", () =>
    Effect.gen(function*() {
      expect(yield* lookup(layer, "192.0.2.1")).toEqual(Option.some("FR"))
    }))

  it.effect("returns none for unknown addresses", () =>
    Effect.gen(function*() {
      expect(yield* lookup(layer, "8.8.8.8")).toEqual(Option.none())
      expect(yield* lookup(layer, "2001:db9::1")).toEqual(Option.none())
    }))

  it.effect("returns none for strings that are not addresses", () =>
    Effect.gen(function*() {
      for (const ip of ["", "unknown", "999.1.1.1", "1.2.3.4/24", "x".repeat(100_000)]) {
        expect(yield* lookup(layer, ip)).toEqual(Option.none())
      }
    }))

  it.effect("fails with an Open error for bytes that are not a database", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(lookup(GeoIpLookup.layerMaxmindBuffer(Buffer.from("not a database")), "1.1.1.1"))
      expect(exit).toMatchObject(Exit.fail({ _tag: "GeoIpError", reason: "Open" }))
    }))
})

describe("GeoIpLookup.layerMaxmind", () => {
  const dir = mkdtempSync(join(tmpdir(), "effect-guard-geo-"))
  const path = join(dir, "test.mmdb")
  writeFileSync(path, database)

  it.effect("opens a database file", () =>
    Effect.gen(function*() {
      expect(yield* lookup(GeoIpLookup.layerMaxmind(path), "203.0.113.9")).toEqual(Option.some("NZ"))
    }))

  it.effect("fails with an Open error naming a missing file", () =>
    Effect.gen(function*() {
      const missing = join(dir, "missing.mmdb")
      const error = yield* Effect.flip(lookup(GeoIpLookup.layerMaxmind(missing), "1.1.1.1"))
      expect(error).toMatchObject({ _tag: "GeoIpError", reason: "Open" })
      expect((error as { message: string }).message).toContain(missing)
    }))

  it.effect("fails with an Open error for an invalid file", () =>
    Effect.gen(function*() {
      const bad = join(dir, "bad.mmdb")
      writeFileSync(bad, "garbage".repeat(100))
      const error = yield* Effect.flip(lookup(GeoIpLookup.layerMaxmind(bad), "1.1.1.1"))
      expect(error).toMatchObject({ _tag: "GeoIpError", reason: "Open" })
    }))
})

describe("GeoIpLookup.layerTest", () => {
  const layer = GeoIpLookup.layerTest({ "10.0.0.0/8": "us", "10.1.0.0/16": "CA", "2001:db8::1": "JP" })

  it.effect("maps addresses through the most specific entry", () =>
    Effect.gen(function*() {
      expect(yield* lookup(layer, "10.2.0.1")).toEqual(Option.some("US"))
      expect(yield* lookup(layer, "10.1.0.1")).toEqual(Option.some("CA"))
      expect(yield* lookup(layer, "::ffff:10.1.0.1")).toEqual(Option.some("CA"))
      expect(yield* lookup(layer, "2001:db8::1")).toEqual(Option.some("JP"))
    }))

  it.effect("returns none for unknown or invalid addresses", () =>
    Effect.gen(function*() {
      expect(yield* lookup(layer, "11.0.0.1")).toEqual(Option.none())
      expect(yield* lookup(layer, "garbage")).toEqual(Option.none())
    }))
})
