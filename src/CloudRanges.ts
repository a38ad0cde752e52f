/**
 * Published IP ranges of cloud providers (AWS, GCP, Azure), for the `cloud_providers` check: is this
 * client address inside a provider's network?
 *
 * `CloudRanges.layer` downloads the providers' range files with the `HttpClient` it is given, decodes
 * them with Schema, and refreshes them from a background fiber on a `Schedule` (the layer's scope ends
 * it). A provider whose download or decoding fails keeps its last good ranges and a warning is logged;
 * one provider never breaks another. Lookups are a hash probe per prefix length present, not a scan
 * of every network.
 *
 * @since 0.1.0
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { Clock, Context, Data, Duration, Effect, Layer, Option, Ref, Schedule, Schema } from "effect"
import { type Address, canonicalRange, parseIp, parseRange } from "./internal/ip.js"

/**
 * @since 0.1.0
 * @category models
 */
export type CloudProvider = "AWS" | "GCP" | "Azure"

/**
 * Every supported provider, in lookup order.
 *
 * @since 0.1.0
 * @category constants
 */
export const CLOUD_PROVIDERS: ReadonlyArray<CloudProvider> = ["AWS", "GCP", "Azure"]

/**
 * A provider network containing an address. `region` is known for AWS and GCP.
 *
 * @since 0.1.0
 * @category models
 */
export interface CloudNetwork {
  readonly provider: CloudProvider
  readonly network: string
  readonly region?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CloudProviderStatus {
  /** Whether ranges were ever loaded. */
  readonly ready: boolean
  readonly entries: number
  /** Epoch milliseconds (Effect `Clock`) of the last successful load. */
  readonly lastRefreshed: Option.Option<number>
}

/**
 * Where the range files are fetched from. Azure publishes its JSON under a URL that changes weekly,
 * linked from a download page: `azurePage` is scraped for it (as the reference does), unless `azure`
 * names the JSON file directly.
 *
 * @since 0.1.0
 * @category models
 */
export interface CloudRangeSources {
  readonly aws: string
  readonly gcp: string
  readonly azurePage: string
  readonly azure?: string
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultCloudRangeSources: CloudRangeSources = {
  aws: "https://ip-ranges.amazonaws.com/ip-ranges.json",
  gcp: "https://www.gstatic.com/ipranges/cloud.json",
  azurePage: "https://www.microsoft.com/en-us/download/details.aspx?id=56519"
}

/**
 * Why one provider's ranges could not be loaded (logged, never surfaced to requests).
 *
 * @since 0.1.0
 * @category errors
 */
export class CloudRangesError extends Data.TaggedError("CloudRangesError")<{
  readonly provider: CloudProvider
  readonly reason: "Fetch" | "Decode" | "Empty"
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * @since 0.1.0
 * @category models
 */
export interface CloudRangesOptions {
  readonly providers: ReadonlySet<CloudProvider>
  readonly refreshInterval: Duration.DurationInput
  readonly sources?: Partial<CloudRangeSources>
  /** Per-download timeout. Default 10 seconds. */
  readonly timeout?: Duration.DurationInput
}

/**
 * @since 0.1.0
 * @category tags
 */
export class CloudRanges extends Context.Tag("effect-guard/CloudRanges")<CloudRanges, {
  /** The provider network containing `ip`, if any. Invalid input: none. */
  readonly provider: (ip: string) => Effect.Effect<Option.Option<CloudNetwork>>
  /** Downloads every configured provider now (one refresh at a time). Never fails. */
  readonly refresh: Effect.Effect<void>
  readonly status: Effect.Effect<ReadonlyMap<CloudProvider, CloudProviderStatus>>
}>() {
  /**
   * Loads the configured providers once while the layer is built (a failure leaves that provider empty
   * and logs a warning; the layer itself never fails), then refreshes them every `refreshInterval`.
   *
   * @example
   * ```ts
   * import { FetchHttpClient } from "@effect/platform"
   * import { CloudRanges } from "effect-guard"
   * import { Layer } from "effect"
   *
   * const CloudLive = CloudRanges.layer({ providers: new Set(["AWS", "GCP"]), refreshInterval: "1 hour" }).pipe(
   *   Layer.provide(FetchHttpClient.layer)
   * )
   * ```
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (options: CloudRangesOptions): Layer.Layer<CloudRanges, never, HttpClient.HttpClient> =>
    Layer.scoped(CloudRanges, make(options))

  /**
   * Fixed ranges (tests, offline deployments): CIDR blocks or `{ network, region }` per provider.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerStatic = (
    ranges: Partial<Record<CloudProvider, Iterable<string | { readonly network: string; readonly region?: string }>>>
  ): Layer.Layer<CloudRanges> =>
    Layer.effect(
      CloudRanges,
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const tables = new Map<CloudProvider, ProviderState>()
        for (const provider of CLOUD_PROVIDERS) {
          const entries = ranges[provider]
          if (entries === undefined) continue
          const table = makeTable(
            provider,
            Array.from(entries, (entry) => (typeof entry === "string" ? { network: entry } : entry))
          )
          tables.set(provider, { table, lastRefreshed: Option.some(now) })
        }
        return CloudRanges.of({
          provider: (ip) => Effect.sync(() => lookup(tables, ip)),
          refresh: Effect.void,
          status: Effect.sync(() => statusOf(tables, new Set(tables.keys())))
        })
      })
    )
}

// ---------------------------------------------------------------------------------------------------
// prefix table

/** Networks keyed by prefix length and masked address bytes. */
interface PrefixTable {
  readonly size: number
  readonly v4: ReadonlyArray<number>
  readonly v6: ReadonlyArray<number>
  readonly networks: ReadonlyMap<string, CloudNetwork>
}

interface ProviderState {
  readonly table: PrefixTable
  readonly lastRefreshed: Option.Option<number>
}

const maskedKey = (bytes: ReadonlyArray<number>, prefix: number): string => {
  let key = `${bytes.length}/${prefix}:`
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.min(8, Math.max(0, prefix - i * 8))
    key += `${(bytes[i]! & (0xff00 >> bits)) & 0xff}.`
  }
  return key
}

const makeTable = (
  provider: CloudProvider,
  entries: Iterable<{ readonly network: string; readonly region?: string | undefined }>
): PrefixTable => {
  const networks = new Map<string, CloudNetwork>()
  const v4 = new Set<number>()
  const v6 = new Set<number>()
  for (const { network, region } of entries) {
    const range = parseRange(network)
    if (range === undefined) continue
    const key = maskedKey(range.address.toByteArray(), range.prefix)
    if (networks.has(key)) continue
    ;(range.address.kind() === "ipv4" ? v4 : v6).add(range.prefix)
    networks.set(key, {
      provider,
      network: canonicalRange(range),
      ...(region !== undefined && region.length > 0 ? { region } : {})
    })
  }
  const descending = (set: Set<number>) => [...set].sort((a, b) => b - a)
  return { size: networks.size, v4: descending(v4), v6: descending(v6), networks }
}

const findIn = (table: PrefixTable, address: Address): CloudNetwork | undefined => {
  const bytes = address.toByteArray()
  for (const prefix of address.kind() === "ipv4" ? table.v4 : table.v6) {
    const hit = table.networks.get(maskedKey(bytes, prefix))
    if (hit !== undefined) return hit
  }
  return undefined
}

const lookup = (tables: ReadonlyMap<CloudProvider, ProviderState>, ip: string): Option.Option<CloudNetwork> => {
  const address = parseIp(ip)
  if (address === undefined) return Option.none()
  for (const provider of CLOUD_PROVIDERS) {
    const state = tables.get(provider)
    const hit = state && findIn(state.table, address)
    if (hit !== undefined) return Option.some(hit)
  }
  return Option.none()
}

const statusOf = (
  tables: ReadonlyMap<CloudProvider, ProviderState>,
  providers: ReadonlySet<CloudProvider>
): ReadonlyMap<CloudProvider, CloudProviderStatus> =>
  new Map(
    CLOUD_PROVIDERS.filter((p) => providers.has(p)).map((provider) => {
      const state = tables.get(provider)
      return [provider, {
        ready: state !== undefined && Option.isSome(state.lastRefreshed),
        entries: state?.table.size ?? 0,
        lastRefreshed: state?.lastRefreshed ?? Option.none()
      }] as const
    })
  )

// ---------------------------------------------------------------------------------------------------
// range files

const AwsRanges = Schema.Struct({
  prefixes: Schema.Array(Schema.Struct({ ip_prefix: Schema.String, region: Schema.String, service: Schema.String })),
  ipv6_prefixes: Schema.optionalWith(
    Schema.Array(Schema.Struct({ ipv6_prefix: Schema.String, region: Schema.String, service: Schema.String })),
    { default: () => [] }
  )
})

const GcpRanges = Schema.Struct({
  prefixes: Schema.Array(Schema.Struct({
    ipv4Prefix: Schema.optional(Schema.String),
    ipv6Prefix: Schema.optional(Schema.String),
    scope: Schema.optional(Schema.String)
  }))
})

const AzureRanges = Schema.Struct({
  values: Schema.Array(Schema.Struct({
    properties: Schema.Struct({ addressPrefixes: Schema.Array(Schema.String) })
  }))
})

type Entry = { readonly network: string; readonly region?: string | undefined }

const AZURE_JSON_LINK = /https:\/\/download\.microsoft\.com\/download\/[^"'\s<>]+?ServiceTags_Public_\d+\.json/
const BROWSER_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"

const make = (options: CloudRangesOptions) =>
  Effect.gen(function*() {
    const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)
    const sources: CloudRangeSources = { ...defaultCloudRangeSources, ...options.sources }
    const timeout = Duration.decode(options.timeout ?? "10 seconds")
    const providers = CLOUD_PROVIDERS.filter((p) => options.providers.has(p))
    const tables = yield* Ref.make<ReadonlyMap<CloudProvider, ProviderState>>(new Map())
    const permit = yield* Effect.makeSemaphore(1)

    const get = (provider: CloudProvider, url: string, headers?: Record<string, string>) =>
      client.get(url, headers === undefined ? undefined : { headers }).pipe(
        Effect.timeout(timeout),
        Effect.mapError((cause) =>
          new CloudRangesError({ provider, reason: "Fetch", message: `cannot download ${url}: ${cause.message}`, cause })
        )
      )

    const json = <A, I>(provider: CloudProvider, url: string, schema: Schema.Schema<A, I>) =>
      get(provider, url).pipe(
        Effect.flatMap((response) =>
          HttpClientResponse.schemaBodyJson(schema)(response).pipe(
            Effect.mapError((cause) =>
              new CloudRangesError({ provider, reason: "Decode", message: `unexpected content at ${url}: ${cause.message}`, cause })
            )
          )
        )
      )

    const azureUrl: Effect.Effect<string, CloudRangesError> = sources.azure !== undefined
      ? Effect.succeed(sources.azure)
      : get("Azure", sources.azurePage, { "user-agent": BROWSER_USER_AGENT }).pipe(
        Effect.flatMap((response) =>
          Effect.mapError(response.text, (cause) =>
            new CloudRangesError({ provider: "Azure", reason: "Fetch", message: `cannot read ${sources.azurePage}`, cause }))
        ),
        Effect.flatMap((page) => {
          const link = AZURE_JSON_LINK.exec(page)?.[0]
          return link === undefined
            ? Effect.fail(
              new CloudRangesError({ provider: "Azure", reason: "Decode", message: `no ServiceTags JSON link on ${sources.azurePage}` })
            )
            : Effect.succeed(link)
        })
      )

    const download = (provider: CloudProvider): Effect.Effect<ReadonlyArray<Entry>, CloudRangesError> => {
      switch (provider) {
        case "AWS":
          return Effect.map(json(provider, sources.aws, AwsRanges), (file) => [
            ...file.prefixes.filter((p) => p.service === "AMAZON").map((p) => ({ network: p.ip_prefix, region: p.region })),
            ...file.ipv6_prefixes.filter((p) => p.service === "AMAZON").map((p) => ({ network: p.ipv6_prefix, region: p.region }))
          ])
        case "GCP":
          return Effect.map(json(provider, sources.gcp, GcpRanges), (file) =>
            file.prefixes.flatMap((p) => {
              const network = p.ipv4Prefix ?? p.ipv6Prefix
              return network === undefined ? [] : [{ network, region: p.scope }]
            }))
        case "Azure":
          return Effect.flatMap(azureUrl, (url) =>
            Effect.map(json(provider, url, AzureRanges), (file) =>
              file.values.flatMap((v) => v.properties.addressPrefixes.map((network) => ({ network })))))
      }
    }

    const refreshProvider = Effect.fn("CloudRanges.refreshProvider")(function*(provider: CloudProvider) {
      const table = makeTable(provider, yield* download(provider))
      if (table.size === 0) {
        return yield* new CloudRangesError({ provider, reason: "Empty", message: `no usable ${provider} ranges were published` })
      }
      const now = yield* Clock.currentTimeMillis
      yield* Ref.update(tables, (current) => new Map(current).set(provider, { table, lastRefreshed: Option.some(now) }))
    }, (effect, provider) =>
      Effect.catchAllCause(effect, (cause) =>
        Effect.logWarning(`CloudRanges: ${provider} ranges could not be refreshed; keeping the last good ones`, cause)
      ))

    const refresh = permit.withPermits(1)(
      Effect.forEach(providers, refreshProvider, { concurrency: "unbounded", discard: true })
    ).pipe(Effect.withSpan("CloudRanges.refresh"))

    yield* refresh
    yield* Effect.forkScoped(Effect.schedule(refresh, Schedule.spaced(options.refreshInterval)))

    return CloudRanges.of({
      provider: (ip) => Effect.map(Ref.get(tables), (current) => lookup(current, ip)),
      refresh,
      status: Effect.map(Ref.get(tables), (current) => statusOf(current, new Set(providers)))
    })
  })
