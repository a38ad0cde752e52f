import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { type GuardConfigInput } from "effect-guard"
import { rawExchange, type Transport, TRANSPORTS } from "./support/transports.js"

/**
 * `X-Forwarded-Proto` is a list proxies append to, as `X-Forwarded-For` is: each writes the scheme of
 * the connection it received. It is read from the right, at the client's place in `X-Forwarded-For`,
 * so what a client writes ahead of the proxies never counts. The peer is a trusted proxy on
 * loopback (Node) or the web handler's `ClientIp` (web); both send the same headers.
 */
const router = HttpRouter.empty.pipe(HttpRouter.get("/account", HttpServerResponse.text("account")))

const behindProxies = (config: GuardConfigInput = {}): GuardConfigInput => ({
  enforceHttps: true,
  trustXForwardedProto: true,
  trustedProxies: ["127.0.0.1", "::1", "10.0.0.0/8"],
  ...config
})

describe("X-Forwarded-Proto", () => {
  for (const transport of TRANSPORTS) {
    const viaProxy = transport.name === "web" ? { from: "127.0.0.1" } : {}
    const statusOf = (guarded: Transport) => (headers: Record<string, string>) =>
      Effect.map(guarded.send({ method: "GET", path: "/account", headers: { host: "shop.example", ...headers }, ...viaProxy }), (r) => r.status)

    it.scopedLive(`${transport.name}: https a client wrote ahead of a proxy that appends is not HTTPS`, () =>
      Effect.gen(function*() {
        const status = statusOf(yield* transport.make({ _tag: "app", app: router }, { config: behindProxies() }))
        expect(yield* status({ "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https, http" })).toBe(301)
        expect(yield* status({ "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "HTTPS,http" })).toBe(301)
        // what the proxy wrote counts, whatever the client put before it
        expect(yield* status({ "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "http, https" })).toBe(200)
        expect(yield* status({ "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" })).toBe(200)
      }))

    it.scopedLive(`${transport.name}: behind two trusted proxies the entry the outer one wrote counts`, () =>
      Effect.gen(function*() {
        const status = statusOf(yield* transport.make({ _tag: "app", app: router }, { config: behindProxies({ trustedProxyDepth: 2 }) }))
        // the load balancer (10.0.0.2) ended TLS and wrote https; the ingress wrote http for its hop
        expect(yield* status({ "x-forwarded-for": "203.0.113.7, 10.0.0.2", "x-forwarded-proto": "https, http" })).toBe(200)
        // a client's own https ahead of both is read as what it is: the client's text
        expect(yield* status({ "x-forwarded-for": "203.0.113.7, 10.0.0.2", "x-forwarded-proto": "https, http, http" })).toBe(301)
        // a proxy that overwrites leaves one entry, written by a trusted proxy
        expect(yield* status({ "x-forwarded-for": "203.0.113.7, 10.0.0.2", "x-forwarded-proto": "https" })).toBe(200)
      }))

    it.scopedLive(`${transport.name}: a trusted proxy's last entry counts when it sends no X-Forwarded-For`, () =>
      Effect.gen(function*() {
        const status = statusOf(yield* transport.make({ _tag: "app", app: router }, { config: behindProxies() }))
        expect(yield* status({ "x-forwarded-proto": "https, http" })).toBe(301)
        expect(yield* status({ "x-forwarded-proto": "http, https" })).toBe(200)
        // an empty or over-long last entry is no scheme
        expect(yield* status({ "x-forwarded-proto": "https," })).toBe(301)
        expect(yield* status({ "x-forwarded-proto": `https, ${"https".repeat(20)}` })).toBe(301)
      }))

    it.scopedLive(`${transport.name}: X-Forwarded-Proto from a peer that is not a trusted proxy never counts`, () =>
      Effect.gen(function*() {
        const status = statusOf(yield* transport.make({ _tag: "app", app: router }, { config: behindProxies({ trustedProxies: ["10.0.0.1"] }) }))
        expect(yield* status({ "x-forwarded-proto": "https" })).toBe(301)
        expect(yield* status({ "x-forwarded-for": "10.0.0.1", "x-forwarded-proto": "https, https" })).toBe(301)
      }))
  }

  for (const transport of TRANSPORTS) {
    const viaProxy = transport.name === "web" ? { from: "127.0.0.1" } : {}
    it.scopedLive(`${transport.name}: a Forwarded header (RFC 7239) names neither the client nor the scheme`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, { config: behindProxies({ blacklist: ["198.51.100.9"] }) })
        const status = (headers: Record<string, string>) =>
          Effect.map(guarded.send({ method: "GET", path: "/account", headers: { host: "shop.example", ...headers }, ...viaProxy }), (r) => r.status)
        // from a trusted proxy too: the guard reads X-Forwarded-For and X-Forwarded-Proto alone
        expect(yield* status({ forwarded: "for=203.0.113.7;proto=https", "x-forwarded-for": "203.0.113.7" })).toBe(301)
        const https = { "x-forwarded-proto": "https" }
        expect(yield* status({ ...https, forwarded: "for=198.51.100.9", "x-forwarded-for": "203.0.113.7" })).toBe(200)
        expect(yield* status({ ...https, forwarded: "for=\"[2001:db8::9]\"", "x-forwarded-for": "198.51.100.9" })).toBe(403)
      }))
  }

  it.scopedLive("node: two X-Forwarded-Proto headers are one list, read from the right", () =>
    Effect.gen(function*() {
      const guarded = yield* TRANSPORTS[0].make({ _tag: "app", app: router }, { config: behindProxies() })
      const port = Number(guarded.address.split(":")[1])
      const status = (headers: string) =>
        Effect.map(
          rawExchange(port, `GET /account HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: 203.0.113.7\r\n${headers}Connection: close\r\n\r\n`, { halfClose: false }),
          (reply) => Number(reply.split(" ")[1])
        )
      expect(yield* status("X-Forwarded-Proto: https\r\nX-Forwarded-Proto: http\r\n")).toBe(301)
      expect(yield* status("X-Forwarded-Proto: http\r\nX-Forwarded-Proto: https\r\n")).toBe(200)
    }))
})
