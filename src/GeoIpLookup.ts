/**
 * Country lookup for an IP address. Optional: when no `GeoIpLookup` is provided, events carry no
 * country and country rules cannot match.
 *
 * @since 0.1.0
 */
import { Context, Data, type Effect, type Option } from "effect"

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
}>() {}
