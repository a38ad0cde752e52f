/**
 * How the guard's security headers reach a Node response: handed to Node's `writeHead` with the
 * response's own headers, on a plain `node:http` server on loopback. A header the response already
 * has, however it got it, wins.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { headersOnWrite, type NodeResponse } from "../src/internal/nodeResponse.js"

const addHeaders = headersOnWrite([["x-frame-options", "SAMEORIGIN"], ["x-content-type-options", "nosniff"]])

/** One response written by `respond` on a fresh server, with `install` run on it first; its status and headers. */
const served = (respond: (response: ServerResponse) => void, install: ((response: NodeResponse) => boolean) | false = addHeaders) =>
  Effect.acquireUseRelease(
    Effect.async<ReturnType<typeof createServer>>((resume) => {
      const server = createServer((_, response) => {
        if (install !== false) install(response as unknown as NodeResponse)
        respond(response)
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.promise(async () => {
        const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
        await response.text()
        return {
          status: response.status,
          statusText: response.statusText,
          headers: Object.fromEntries(response.headers) as IncomingHttpHeaders,
          cookies: response.headers.getSetCookie()
        }
      }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  )

describe("headersOnWrite", () => {
  it.live("adds the headers to those given to writeHead", () =>
    Effect.gen(function*() {
      const { headers, status } = yield* served((response) => response.writeHead(201, { "content-type": "text/plain" }).end("ok"))
      expect(status).toBe(201)
      expect(headers).toMatchObject({ "content-type": "text/plain", "x-frame-options": "SAMEORIGIN", "x-content-type-options": "nosniff" })
    }))

  it.live("leaves a header the response sets itself alone, in writeHead (any case) or with setHeader before", () =>
    Effect.gen(function*() {
      const { headers } = yield* served((response) => {
        response.setHeader("X-Content-Type-Options", "from-setHeader")
        response.writeHead(200, { "X-Frame-Options": "DENY" }).end()
      })
      expect(headers["x-frame-options"]).toBe("DENY")
      expect(headers["x-content-type-options"]).toBe("from-setHeader")
    }))

  it.live("takes a reason phrase, and headers as pairs or as names and values", () =>
    Effect.gen(function*() {
      const withReason = yield* served((response) => response.writeHead(200, "Fine", [["X-Frame-Options", "DENY"]]).end())
      expect(withReason.statusText).toBe("Fine")
      expect(withReason.headers).toMatchObject({ "x-frame-options": "DENY", "x-content-type-options": "nosniff" })
      const flat = yield* served((response) => response.writeHead(200, ["set-cookie", ["a=1", "b=2"]]).end())
      expect(flat.cookies).toEqual(["a=1", "b=2"])
      expect(flat.headers["x-frame-options"]).toBe("SAMEORIGIN")
    }))

  it.live("adds them when Node writes the head itself (end without writeHead)", () =>
    Effect.gen(function*() {
      const { headers } = yield* served((response) => response.end("implicit"))
      expect(headers["x-frame-options"]).toBe("SAMEORIGIN")
    }))

  it.live("sends each header once, next to those Node writes itself", () =>
    Effect.gen(function*() {
      const { headers } = yield* served((response) => response.writeHead(200, { "content-type": "text/plain" }).end("ok"))
      expect(headers["x-frame-options"]).toBe("SAMEORIGIN")
      expect(headers["date"]).toBeDefined()
      expect(headers["keep-alive"]).toBeDefined()
    }))

  it.live("hands a header Node reads itself (here Connection) to writeHead, so that Node acts on it", () =>
    Effect.gen(function*() {
      const closes = headersOnWrite([["connection", "close"], ["x-frame-options", "SAMEORIGIN"]])
      const { headers } = yield* served((response) => response.writeHead(200).end(), closes)
      expect(headers["connection"]).toBe("close")
      expect(headers["keep-alive"]).toBeUndefined()
      expect(headers["x-frame-options"]).toBe("SAMEORIGIN")
    }))

  it("hands the headers to writeHead every time to a response class whose writeHead does not build the head (as Bun's)", () => {
    const handed: Array<ReadonlyArray<unknown>> = []
    class PlaceholderHead {
      headersSent = false
      _header: string | null = null
      setHeader() {}
      getHeaderNames() {
        return []
      }
      writeHead(_status: number, headers: ReadonlyArray<unknown>) {
        handed.push(headers)
        this._header = " "
        return this
      }
    }
    for (let i = 0; i < 3; i++) {
      const response = new PlaceholderHead()
      expect(addHeaders(response as unknown as NodeResponse)).toBe(true)
      ;(response as unknown as NodeResponse).writeHead(200, { "content-type": "text/plain" })
      expect(response._header).toBe(" ")
    }
    expect(handed).toEqual(Array.from({ length: 3 }, () => ["content-type", "text/plain", "x-frame-options", "SAMEORIGIN", "x-content-type-options", "nosniff"]))
  })

  it.live("does not take over a writeHead someone else already replaced: the caller sets the headers then", () =>
    Effect.gen(function*() {
      let installed: boolean | undefined
      const { headers } = yield* served((response) => {
        const original = response.writeHead
        response.writeHead = function(this: ServerResponse, ...args: Parameters<ServerResponse["writeHead"]>) {
          this.setHeader("x-wrapped", "yes")
          return original.apply(this, args)
        } as ServerResponse["writeHead"]
        installed = addHeaders(response as unknown as NodeResponse)
        response.writeHead(200).end()
      }, false)
      expect(installed).toBe(false)
      expect(headers["x-wrapped"]).toBe("yes")
      expect(headers["x-frame-options"]).toBeUndefined()
    }))
})
