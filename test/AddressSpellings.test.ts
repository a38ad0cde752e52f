import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect } from "effect"
import { IpBans } from "effect-guard"
import { type Transport, TRANSPORTS } from "./support/transports.js"

/**
 * One client, many spellings: an address in `X-Forwarded-For` (Node, from the trusted loopback
 * proxy) or handed over by a web host (`ClientIp`) may carry brackets, a port, a zone id, upper
 * case, leading zeros or the IPv4-mapped IPv6 form. Every spelling is the same client to the
 * blacklist, the whitelist and a ban, written in any of those spellings too.
 */
const router = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("ok")))

const statusFrom = (guarded: Transport) => (from: string) =>
  Effect.map(guarded.send({ method: "GET", path: "/", headers: { host: "guarded.test" }, from }), (r) => r.status)

const v6 = ["2001:db8::7", "2001:DB8::7", "2001:db8:0:0:0:0:0:7", "2001:0db8:0000::0007", "[2001:db8::7]", "[2001:db8::7]:443", "2001:db8::7%eth0"]
const v4 = ["192.0.2.7", "::ffff:192.0.2.7", "::FFFF:192.0.2.7", "::ffff:c000:207", "[::ffff:192.0.2.7]", "[::ffff:192.0.2.7]:8080", "192.0.2.7:8080"]

describe("address spellings", () => {
  for (const transport of TRANSPORTS) {
    // a web host hands over an address, never with a port
    const spellings = (list: ReadonlyArray<string>) => transport.name === "web" ? list.filter((s) => !/\]:\d|^[\d.]+:\d+$/.test(s)) : list

    it.scopedLive(`${transport.name}: a blacklisted client is refused in every spelling of its address`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, { config: { blacklist: ["2001:db8::7", "::ffff:192.0.2.7"] } })
        const status = statusFrom(guarded)
        for (const from of spellings([...v6, ...v4])) expect({ from, status: yield* status(from) }).toEqual({ from, status: 403 })
        expect(yield* status("2001:db8::8")).toBe(200)
        expect(yield* status("192.0.2.8")).toBe(200)
      }))

    it.scopedLive(`${transport.name}: a list entry in brackets or with a zone names the same client`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, { config: { blacklist: ["[2001:db8::7]", "2001:DB8::8%eth0", "::ffff:c000:207"] } })
        const status = statusFrom(guarded)
        expect(yield* status("2001:db8::7")).toBe(403)
        expect(yield* status("2001:db8::8")).toBe(403)
        expect(yield* status("192.0.2.7")).toBe(403)
      }))

    it.scopedLive(`${transport.name}: a whitelist admits every spelling of its client and no other`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router }, { config: { whitelist: ["192.0.2.7", "2001:db8::/64"] } })
        const status = statusFrom(guarded)
        for (const from of spellings(v4)) expect({ from, status: yield* status(from) }).toEqual({ from, status: 200 })
        expect(yield* status("2001:db8::1234%eth0")).toBe(200)
        // IPv4-compatible and NAT64 forms are other addresses
        expect(yield* status("::192.0.2.7")).toBe(403)
        expect(yield* status("64:ff9b::192.0.2.7")).toBe(403)
        expect(yield* status("192.0.2.70")).toBe(403)
      }))

    it.scopedLive(`${transport.name}: a ban written in one spelling holds for all`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "app", app: router })
        const bans = Context.get(guarded.context, IpBans)
        yield* bans.ban("::ffff:192.0.2.7", "1 hour", "test")
        yield* bans.ban("[2001:DB8::7]", "1 hour", "test")
        const status = statusFrom(guarded)
        for (const from of spellings([...v6, ...v4])) expect({ from, status: yield* status(from) }).toEqual({ from, status: 403 })
      }))
  }
})
