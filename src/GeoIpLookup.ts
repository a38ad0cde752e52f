/**
 * Country lookup for an IP address. Optional: when no `GeoIpLookup` is provided, events carry no
 * country and country rules cannot match.
 *
 * `GeoIpLookup.layerMaxmind(path)` reads a MaxMind DB file supplied by the application (GeoLite2 /
 * GeoIP2 Country or City, or IPinfo's `country_asn.mmdb`); the `maxmind` package is loaded only when
 * that layer is built, so it is needed only by applications that use it. `layerTest` maps addresses
 * and CIDR blocks to countries for tests.
 *
 * @since 0.1.0
 */
import { Context, Data, Effect, Layer, Option } from "effect"
import type { Reader, Response } from "maxmind"
import { type IpRange, parseIp, parseRange, rangeContains } from "./internal/ip.js"

/**
 * @since 0.1.0
 * @category errors
 */
export class GeoIpError extends Data.TaggedError("GeoIpError")<{
  readonly reason: "Open" | "Lookup"
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * @since 0.1.0
 * @category tags
 */
export class GeoIpLookup extends Context.Tag("effect-guard/GeoIpLookup")<GeoIpLookup, {
  /** ISO 3166-1 alpha-2 country code (upper case), if the address is known. */
  readonly country: (ip: string) => Effect.Effect<Option.Option<string>, GeoIpError>
}>() {
  /**
   * Opens the MaxMind DB file at `path` once, when the layer is built. A missing, unreadable or
   * invalid file fails the layer with `GeoIpError({ reason: "Open" })`. Lookups of strings that are
   * not IP addresses return `Option.none()`.
   *
   * @example
   * ```ts
   * import { GeoIpLookup } from "effect-guard"
   *
   * const GeoLive = GeoIpLookup.layerMaxmind("/var/lib/geoip/GeoLite2-Country.mmdb")
   * ```
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerMaxmind = (path: string): Layer.Layer<GeoIpLookup, GeoIpError> =>
    Layer.effect(
      GeoIpLookup,
      Effect.gen(function*() {
        const maxmind = yield* loadMaxmind
        const reader = yield* Effect.tryPromise({
          try: () => maxmind.open<Response>(path),
          catch: (cause) => openError(`cannot open the GeoIP database ${JSON.stringify(path)}`, cause)
        })
        return makeFromReader(reader)
      })
    )

  /**
   * Like `layerMaxmind`, from the bytes of a MaxMind DB (e.g. fetched or embedded by the application).
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerMaxmindBuffer = (buffer: Uint8Array): Layer.Layer<GeoIpLookup, GeoIpError> =>
    Layer.effect(
      GeoIpLookup,
      Effect.gen(function*() {
        const maxmind = yield* loadMaxmind
        const reader = yield* Effect.try({
          try: () => new maxmind.Reader<Response>(Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength)),
          catch: (cause) => openError("cannot read the GeoIP database buffer", cause)
        })
        return makeFromReader(reader)
      })
    )

  /**
   * A fixed table for tests: keys are addresses or CIDR blocks, values country codes. The most specific
   * entry containing an address wins. An invalid key is a defect.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerTest = (table: Readonly<Record<string, string>>): Layer.Layer<GeoIpLookup> =>
    Layer.effect(GeoIpLookup, makeTest(table))
}

const openError = (what: string, cause: unknown) =>
  new GeoIpError({ reason: "Open", message: `${what}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })

const loadMaxmind = Effect.tryPromise({
  try: () => import("maxmind"),
  catch: (cause) => openError("the \"maxmind\" package is required by GeoIpLookup.layerMaxmind; install it", cause)
})

const COUNTRY = /^[A-Za-z]{2}$/

const normaliseCountry = (value: unknown): Option.Option<string> =>
  typeof value === "string" && COUNTRY.test(value) ? Option.some(value.toUpperCase()) : Option.none()

/**
 * The country of a record: `country.iso_code` (MaxMind), a plain `country` string (IPinfo), or
 * `registered_country.iso_code` when the address has no location country.
 */
const countryOf = (record: unknown): Option.Option<string> => {
  if (typeof record !== "object" || record === null) return Option.none()
  const { country, registered_country } = record as { country?: unknown; registered_country?: unknown }
  const isoCode = (value: unknown) =>
    typeof value === "object" && value !== null ? (value as { iso_code?: unknown }).iso_code : value
  return normaliseCountry(isoCode(country)).pipe(
    Option.orElse(() => normaliseCountry(isoCode(registered_country)))
  )
}

const makeFromReader = (reader: Reader<Response>): GeoIpLookup["Type"] =>
  GeoIpLookup.of({
    country: (ip: string) =>
      // not traced: runs on every request, and a span costs about 10 µs
      Effect.gen(function*() {
        const address = parseIp(ip)
        if (address === undefined) return Option.none()
        const canonical = address.toString()
        const record = yield* Effect.try({
          try: () => reader.get(canonical),
          catch: (cause) =>
            new GeoIpError({ reason: "Lookup", message: `GeoIP lookup of ${canonical} failed: ${String(cause)}`, cause })
      })
      return countryOf(record)
      })
  })

const makeTest = (table: Readonly<Record<string, string>>): Effect.Effect<GeoIpLookup["Type"]> =>
  Effect.gen(function*() {
    const entries: Array<{ readonly range: IpRange; readonly country: string }> = []
    for (const [key, country] of Object.entries(table)) {
      const range = parseRange(key)
      if (range === undefined) return yield* Effect.dieMessage(`GeoIpLookup.layerTest: invalid address or CIDR ${JSON.stringify(key)}`)
      entries.push({ range, country: country.toUpperCase() })
    }
    entries.sort((a, b) => b.range.prefix - a.range.prefix)
    return GeoIpLookup.of({
      country: (ip) =>
        Effect.sync(() => {
          const address = parseIp(ip)
          return Option.fromNullable(address && entries.find((entry) => rangeContains(entry.range, address))?.country)
        })
    })
  })
