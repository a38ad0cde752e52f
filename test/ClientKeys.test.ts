import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { IpBans } from "effect-guard"
import { clientKeyOf } from "effect-guard/internal/ip"
import { TRANSPORTS } from "./support/transports.js"

const router = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("ok")), HttpRouter.get("/search", HttpServerResponse.text("ok")))
const attack = "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"

describe("clients are keyed by IPv6 network (ipv6Subnet)", () => {
  it("an IPv6 address is keyed by its /64 by default, IPv4 by its address", () => {
    expect(clientKeyOf("2001:db8:2::1", 64)).toBe("2001:db8:2::/64")
    expect(clientKeyOf("2001:db8:2:0:ffff::9", 64)).toBe("2001:db8:2::/64")
    expect(clientKeyOf("2001:db8:2::1", 56)).toBe("2001:db8:2::/56")
    expect(clientKeyOf("2001:db8:2::1", 128)).toBe("2001:db8:2::1")
    expect(clientKeyOf("198.51.100.7", 64)).toBe("198.51.100.7")
    expect(clientKeyOf("unknown", 64)).toBe("unknown")
  })

  for (const transport of TRANSPORTS) {
    it.scopedLive(`${transport.name}: the global rate limit counts a /64 as one client`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, { config: { enableRateLimiting: true, rateLimit: 3 } })
        for (const host of ["1", "2", "3"]) expect((yield* guarded.send({ method: "GET", path: "/", from: `2001:db8:2::${host}` })).status).toBe(200)
        for (const host of ["4", "ffff:1:2:3"]) expect((yield* guarded.send({ method: "GET", path: "/", from: `2001:db8:2::${host}` })).status).toBe(429)
        // the next /64 is another client; IPv4 clients are unchanged
        expect((yield* guarded.send({ method: "GET", path: "/", from: "2001:db8:3::1" })).status).toBe(200)
        expect((yield* guarded.send({ method: "GET", path: "/", from: "198.51.100.1" })).status).toBe(200)
      }))

    it.scopedLive(`${transport.name}: with ipv6Subnet 128 each IPv6 address is its own client`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, { config: { enableRateLimiting: true, rateLimit: 1, ipv6Subnet: 128 } })
        expect((yield* guarded.send({ method: "GET", path: "/", from: "2001:db8:2::1" })).status).toBe(200)
        expect((yield* guarded.send({ method: "GET", path: "/", from: "2001:db8:2::2" })).status).toBe(200)
        expect((yield* guarded.send({ method: "GET", path: "/", from: "2001:db8:2::1" })).status).toBe(429)
      }))

    it.scopedLive(`${transport.name}: auto-ban counts violations per /64 and bans the whole /64`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, { config: { autoBanThreshold: 2 } })
        expect((yield* guarded.send({ method: "GET", path: attack, from: "2001:db8:2::1" })).status).toBe(400)
        expect(yield* guarded.send({ method: "GET", path: attack, from: "2001:db8:2::2" })).toMatchObject({ status: 403, body: "IP has been banned" })
        expect((yield* guarded.send({ method: "GET", path: "/", from: "2001:db8:2::3" })).status).toBe(403)
        expect((yield* guarded.send({ method: "GET", path: "/", from: "2001:db8:3::1" })).status).toBe(200)
        const banned = (yield* guarded.events).find((e) => e.eventType === "ip_banned")
        expect(banned!.metadata["banned_network"]).toBe("2001:db8:2::/64")
        const bans = yield* Effect.provide(IpBans, guarded.context)
        expect((yield* bans.isBanned("2001:db8:2::abcd")).pipe((o) => o._tag)).toBe("Some")
      }))

    it.scopedLive(`${transport.name}: an IPv4 client is banned alone`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, { config: { autoBanThreshold: 1 } })
        expect((yield* guarded.send({ method: "GET", path: attack, from: "198.51.100.1" })).status).toBe(403)
        expect((yield* guarded.send({ method: "GET", path: "/", from: "198.51.100.1" })).status).toBe(403)
        expect((yield* guarded.send({ method: "GET", path: "/", from: "198.51.100.2" })).status).toBe(200)
      }))
  }
})
