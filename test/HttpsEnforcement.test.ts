import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { nodeGuarded, rawExchange } from "./support/transports.js"

/**
 * On Node the request target is what the client wrote: only the socket says whether it is TLS. The
 * absolute form (`GET https://host/path`, as requests to a proxy are written) names a scheme the
 * connection need not have.
 */
const router = HttpRouter.empty.pipe(HttpRouter.get("/account", HttpServerResponse.text("account")))

const statusAndLocation = (reply: string) => {
  const lines = reply.split("\r\n")
  const location = lines.find((l) => l.toLowerCase().startsWith("location:"))
  return { status: Number(lines[0]!.split(" ")[1]), location: location?.slice("location:".length).trim() }
}

describe("https_enforcement on Node", () => {
  it.scopedLive("a plain-HTTP request whose target is written https://... is redirected like any other", () =>
    Effect.gen(function*() {
      const guarded = yield* nodeGuarded({ _tag: "app", app: router }, { config: { enforceHttps: true } })
      const port = Number(guarded.address.split(":")[1])
      const exchange = (target: string) =>
        Effect.map(rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n`, { halfClose: false }), statusAndLocation)
      expect(yield* exchange("https://shop.example/account")).toEqual({ status: 301, location: "https://shop.example/account" })
      // the router reads no path from an upper-case scheme (it serves no route): the redirect goes to the root
      expect(yield* exchange("HTTPS://shop.example/account")).toEqual({ status: 301, location: "https://shop.example/" })
    }))

  it.scopedLive("the redirect of an absolute-form target goes to its path on the Host, never to the host it names", () =>
    Effect.gen(function*() {
      const guarded = yield* nodeGuarded({ _tag: "app", app: router }, { config: { enforceHttps: true } })
      const port = Number(guarded.address.split(":")[1])
      const reply = yield* rawExchange(port, "GET http://evil.example/account?x=1 HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n", { halfClose: false })
      expect(statusAndLocation(reply)).toEqual({ status: 301, location: "https://shop.example/account?x=1" })
    }))

  it.scopedLive("the redirect of `http://host?/path?q` keeps the served path and its own query", () =>
    Effect.gen(function*() {
      const guarded = yield* nodeGuarded({ _tag: "app", app: router }, { config: { enforceHttps: true } })
      const port = Number(guarded.address.split(":")[1])
      const location = (target: string) =>
        Effect.map(rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n`, { halfClose: false }), statusAndLocation)
      expect(yield* location("http://evil.example?/account?x=1")).toEqual({ status: 301, location: "https://shop.example/account?x=1" })
      expect(yield* location("http://evil.example?next=1/account")).toEqual({ status: 301, location: "https://shop.example/account" })
      expect(yield* location("/account?x=1")).toEqual({ status: 301, location: "https://shop.example/account?x=1" })
    }))
})
