import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Logger, LogLevel, Option, Scope, TestClock, TestServices } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { CloudRanges, type CloudRangesOptions } from "../src/CloudRanges.js"

// Fake range files served from 127.0.0.1: the tests never reach the internet.
interface FakeProviders {
  readonly routes: Map<string, { status: number; body: string }>
  readonly requests: Array<string>
  readonly base: string
}

const aws = JSON.stringify({
  syncToken: "1",
  prefixes: [
    { ip_prefix: "3.5.140.0/22", region: "ap-northeast-2", service: "AMAZON", network_border_group: "x" },
    { ip_prefix: "3.5.140.0/24", region: "ap-northeast-2", service: "S3", network_border_group: "x" },
    { ip_prefix: "52.94.0.0/16", region: "us-east-1", service: "EC2", network_border_group: "x" }
  ],
  ipv6_prefixes: [{ ipv6_prefix: "2600:1f00::/24", region: "us-east-1", service: "AMAZON" }]
})
const gcp = JSON.stringify({
  prefixes: [
    { ipv4Prefix: "34.1.208.0/20", service: "Google Cloud", scope: "africa-south1" },
    { ipv6Prefix: "2600:1900:4000::/44", service: "Google Cloud", scope: "us-central1" }
  ]
})
const azure = JSON.stringify({
  values: [
    { name: "AzureCloud", properties: { region: "", addressPrefixes: ["13.64.0.0/11", "2603:1000::/24"] } },
    { name: "AzureCloud.westus", properties: { region: "westus", addressPrefixes: ["13.64.0.0/11"] } }
  ]
})

const fakeProviders = Effect.acquireRelease(
  Effect.async<{ fake: FakeProviders; close: () => void }>((resume) => {
    const routes = new Map<string, { status: number; body: string }>()
    const requests: Array<string> = []
    const server = createServer((req, res) => {
      requests.push(req.url ?? "")
      const route = routes.get(req.url ?? "") ?? { status: 404, body: "not found" }
      res.writeHead(route.status, { "content-type": "application/json" })
      res.end(route.body)
    })
    server.listen(0, "127.0.0.1", () => {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      routes.set("/aws.json", { status: 200, body: aws })
      routes.set("/gcp.json", { status: 200, body: gcp })
      routes.set("/azure.json", { status: 200, body: azure })
      routes.set("/azure-page", {
        status: 200,
        body: `<html><script>var u="https://download.microsoft.com/download/7/1/d/ServiceTags_Public_20250101.json"</script></html>`
      })
      resume(Effect.succeed({ fake: { routes, requests, base }, close: () => server.close() }))
    })
  }),
  ({ close }) => Effect.sync(close)
).pipe(Effect.map(({ fake }) => fake))

const sourcesOf = (fake: FakeProviders) => ({
  aws: `${fake.base}/aws.json`,
  gcp: `${fake.base}/gcp.json`,
  azurePage: `${fake.base}/azure-page`,
  azure: `${fake.base}/azure.json`
})

/** Sends requests for Microsoft's download host to the fake server instead. */
const rewriteMicrosoft = (fake: FakeProviders) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      HttpClient.mapRequest(client, (request) =>
        request.url.startsWith("https://download.microsoft.com/")
          ? HttpClientRequest.setUrl(request, `${fake.base}/azure.json`)
          : request))
  ).pipe(Layer.provide(FetchHttpClient.layer))

const build = (fake: FakeProviders, options?: Partial<CloudRangesOptions>) =>
  Layer.build(
    CloudRanges.layer({
      providers: new Set(["AWS", "GCP", "Azure"]),
      refreshInterval: "1 hour",
      sources: sourcesOf(fake),
      ...options
    }).pipe(Layer.provide(rewriteMicrosoft(fake)))
  ).pipe(Effect.map(Context.get(CloudRanges)))

/** Waits (in real time) until `condition` holds; real sockets do not follow the TestClock. */
const eventually = (condition: Effect.Effect<boolean>) =>
  TestServices.provideLive(
    Effect.gen(function*() {
      for (let i = 0; i < 200 && !(yield* condition); i++) yield* Effect.sleep("10 millis")
      expect(yield* condition).toBe(true)
    })
  )

const quiet = Logger.withMinimumLogLevel(LogLevel.None)

describe("CloudRanges.layer", () => {
  it.scoped("loads every provider's published ranges when built", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProviders
      const ranges = yield* build(fake)
      expect(yield* ranges.provider("3.5.141.7")).toEqual(
        Option.some({ provider: "AWS", network: "3.5.140.0/22", region: "ap-northeast-2" })
      )
      expect(yield* ranges.provider("34.1.210.1")).toEqual(
        Option.some({ provider: "GCP", network: "34.1.208.0/20", region: "africa-south1" })
      )
      expect(yield* ranges.provider("13.70.0.1")).toEqual(Option.some({ provider: "Azure", network: "13.64.0.0/11" }))
    }))

  it.scoped("keeps only AWS prefixes of the AMAZON service", () =>
    Effect.gen(function*() {
      const ranges = yield* build(yield* fakeProviders)
      expect(yield* ranges.provider("52.94.1.1")).toEqual(Option.none())
    }))

  it.scoped("matches IPv6 and IPv4-mapped addresses", () =>
    Effect.gen(function*() {
      const ranges = yield* build(yield* fakeProviders)
      expect(Option.map(yield* ranges.provider("2600:1f00:1::1"), (n) => n.network)).toEqual(Option.some("2600:1f00::/24"))
      expect(Option.map(yield* ranges.provider("2600:1900:4000:1::1"), (n) => n.provider)).toEqual(Option.some("GCP"))
      expect(Option.map(yield* ranges.provider("::ffff:3.5.140.1"), (n) => n.provider)).toEqual(Option.some("AWS"))
    }))

  it.scoped("returns none for other and invalid addresses", () =>
    Effect.gen(function*() {
      const ranges = yield* build(yield* fakeProviders)
      for (const ip of ["8.8.8.8", "2001:db8::1", "", "garbage", "3.5.140.0/22"]) {
        expect(yield* ranges.provider(ip)).toEqual(Option.none())
      }
    }))

  it.scoped("follows the ServiceTags JSON link on the Azure download page when no direct URL is given", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProviders
      const { azure: _, ...sources } = sourcesOf(fake)
      const ranges = yield* build(fake, { providers: new Set(["Azure"]), sources })
      expect(fake.requests).toEqual(["/azure-page", "/azure.json"])
      expect(Option.map(yield* ranges.provider("2603:1000::1"), (n) => n.provider)).toEqual(Option.some("Azure"))
    }))

  it.scoped("leaves Azure empty when the download page has no JSON link", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProviders
      fake.routes.set("/azure-page", { status: 200, body: "<html>moved</html>" })
      const { azure: _, ...sources } = sourcesOf(fake)
      const ranges = yield* build(fake, { providers: new Set(["Azure"]), sources })
      expect((yield* ranges.status).get("Azure")?.ready).toBe(false)
    }).pipe(quiet))

  it.scoped("downloads only the configured providers", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProviders
      const ranges = yield* build(fake, { providers: new Set(["GCP"]) })
      expect(fake.requests).toEqual(["/gcp.json"])
      expect(yield* ranges.provider("3.5.141.7")).toEqual(Option.none())
      expect([...(yield* ranges.status).keys()]).toEqual(["GCP"])
    }))

  it.scoped("builds even when a provider cannot be downloaded, leaving it not ready", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProviders
      fake.routes.set("/aws.json", { status: 503, body: "" })
      const ranges = yield* build(fake).pipe(quiet)
      const status = yield* ranges.status
      expect(status.get("AWS")).toEqual({ ready: false, entries: 0, lastRefreshed: Option.none() })
      expect(status.get("GCP")?.ready).toBe(true)
      expect(yield* ranges.provider("3.5.141.7")).toEqual(Option.none())
    }))

  it.scoped("keeps the last good ranges and logs a warning when a refresh fails", () =>
    Effect.gen(function*() {
      const messages: Array<string> = []
      const fake = yield* fakeProviders
      const ranges = yield* build(fake)
      fake.routes.set("/aws.json", { status: 200, body: "{\"not\":\"ranges\"}" })
      fake.routes.set("/gcp.json", { status: 500, body: "" })
      yield* ranges.refresh.pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void messages.push(String(message)))))
      )
      expect(yield* ranges.provider("3.5.141.7")).toMatchObject(Option.some({ provider: "AWS" }))
      expect(yield* ranges.provider("34.1.210.1")).toMatchObject(Option.some({ provider: "GCP" }))
      expect(messages.some((m) => m.includes("AWS ranges could not be refreshed"))).toBe(true)
      expect(messages.some((m) => m.includes("GCP ranges could not be refreshed"))).toBe(true)
    }))

  it.scoped("does not replace good ranges with an empty file", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProviders
      const ranges = yield* build(fake)
      fake.routes.set("/gcp.json", { status: 200, body: "{\"prefixes\":[]}" })
      yield* ranges.refresh.pipe(quiet)
      expect((yield* ranges.status).get("GCP")?.entries).toBe(2)
    }))

  it.scoped("picks up new ranges on the refresh schedule", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProviders
      const ranges = yield* build(fake, { providers: new Set(["AWS"]), refreshInterval: "1 hour" })
      fake.routes.set("/aws.json", {
        status: 200,
        body: JSON.stringify({ prefixes: [{ ip_prefix: "18.0.0.0/8", region: "eu-west-1", service: "AMAZON" }] })
      })
      yield* TestClock.adjust("59 minutes")
      expect(fake.requests.length).toBe(1)
      yield* TestClock.adjust("1 minute")
      yield* eventually(Effect.map(ranges.provider("18.1.1.1"), Option.isSome))
      expect(fake.requests.length).toBe(2)
      expect(yield* ranges.provider("3.5.141.7")).toEqual(Option.none())
    }))

  it.scoped("stops refreshing when the layer's scope closes", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProviders
      const scope = yield* Scope.make()
      yield* build(fake, { providers: new Set(["GCP"]) }).pipe(Scope.extend(scope))
      yield* Scope.close(scope, Exit.void)
      yield* TestClock.adjust("3 hours")
      yield* TestServices.provideLive(Effect.sleep("50 millis"))
      expect(fake.requests).toEqual(["/gcp.json"])
    }))

  it.scoped("records when each provider was last refreshed", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const ranges = yield* build(yield* fakeProviders)
      expect((yield* ranges.status).get("Azure")).toEqual({
        ready: true,
        entries: 2,
        lastRefreshed: Option.some(1_700_000_000_000)
      })
    }))
})

describe("CloudRanges.layerStatic", () => {
  it.effect("serves fixed ranges", () =>
    Effect.gen(function*() {
      const ranges = yield* CloudRanges
      expect(yield* ranges.provider("10.1.2.3")).toEqual(Option.some({ provider: "GCP", network: "10.0.0.0/8" }))
      expect(yield* ranges.provider("192.0.2.1")).toEqual(
        Option.some({ provider: "AWS", network: "192.0.2.0/24", region: "test-1" })
      )
      expect(yield* ranges.provider("11.0.0.1")).toEqual(Option.none())
    }).pipe(Effect.provide(CloudRanges.layerStatic({
      GCP: ["10.0.0.0/8", "not a range"],
      AWS: [{ network: "192.0.2.0/24", region: "test-1" }]
    }))))
})
