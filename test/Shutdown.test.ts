import { HttpApp, HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Fiber, Layer, Scope } from "effect"
import { ClientIp, GuardConfig, GuardLive, guardMiddleware, TestExporter } from "effect-guard"
import * as net from "node:net"
import { nodeGuarded } from "./support/transports.js"

/**
 * Shutting down does not open the guard: a request in flight when the server's scope starts to
 * close (its body still arriving) is scanned and refused or served as at any other time, with the
 * guard's headers. On Node the server stops listening first, so no request starts after that.
 */
const router = HttpRouter.empty.pipe(
  HttpRouter.post("/comment", Effect.map(HttpServerRequest.HttpServerRequest, () => HttpServerResponse.text("thanks")))
)

const attack = JSON.stringify({ comment: "<script>alert(document.cookie)</script>" })
const clean = JSON.stringify({ comment: "nice shoes" })

/**
 * Sends the head of a POST, calls `afterHead` 100 ms later and sends the body 100 ms after that;
 * resolves with the status of the answer (0 when the connection is refused or closes unanswered).
 */
const slowPost = (port: number, body: string, afterHead: () => void) =>
  Effect.async<number>((resume) => {
    let reply = ""
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(`POST /comment HTTP/1.1\r\nHost: guarded.test\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`)
      setTimeout(() => {
        afterHead()
        setTimeout(() => socket.write(body), 100)
      }, 100)
    })
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString("latin1")
      if (reply.includes("\r\n\r\n")) socket.destroy()
    })
    socket.on("close", () => resume(Effect.succeed(Number(reply.split(" ")[1] ?? 0))))
    socket.on("error", () => undefined)
    return Effect.sync(() => socket.destroy())
  })

describe("requests during shutdown", () => {
  for (const [body, expected] of [[attack, 400], [clean, 200]] as const) {
    it.live(`node: a body that arrives after the close began is still judged (${expected})`, () =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const guarded = yield* nodeGuarded({ _tag: "app", app: router }).pipe(Scope.extend(scope))
        const port = Number(guarded.address.split(":")[1])
        let closing: Fiber.RuntimeFiber<void> | undefined
        const status = yield* slowPost(port, body, () => {
          closing = Effect.runFork(Scope.close(scope, Exit.void))
        })
        expect(status).toBe(expected)
        yield* Fiber.join(closing!)
        // closed: nothing listens any more
        expect(yield* slowPost(port, clean, () => undefined)).toBe(0)
      }))
  }

  it.live("web: a request whose body is still arriving when dispose is called is still judged", () =>
    Effect.gen(function*() {
      const layer = GuardLive.pipe(Layer.provideMerge(TestExporter.layer()), Layer.provideMerge(GuardConfig.layer({ enableRateLimiting: false })))
      const { dispose, handler } = HttpApp.toWebHandlerLayer(router, layer, { middleware: guardMiddleware })
      const statuses = yield* Effect.promise(async () => {
        const send = (text: string) => {
          let push: (() => void) | undefined
          const body = new ReadableStream<Uint8Array>({
            start: (controller) => {
              push = () => {
                controller.enqueue(new TextEncoder().encode(text))
                controller.close()
              }
            }
          })
          const init: RequestInit & { duplex: "half" } = { method: "POST", body, headers: { "content-type": "application/json" }, duplex: "half" }
          const answer = handler(new Request("http://guarded.test/comment", init), Context.make(ClientIp, "198.51.100.1"))
          return { answer, push: () => push?.() }
        }
        const refused = send(attack)
        const served = send(clean)
        const disposing = dispose()
        refused.push()
        served.push()
        const statuses = [(await refused.answer).status, (await served.answer).status]
        await disposing
        return statuses
      })
      expect(statuses).toEqual([400, 200])
    }))
})
