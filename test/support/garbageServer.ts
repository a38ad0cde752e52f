/**
 * A loopback TCP server that answers every connection with bytes that are not HTTP, then closes it:
 * a collector or backend answering garbage. Scoped.
 */
import { Effect, type Scope } from "effect"
import * as net from "node:net"

export const makeGarbageServer: Effect.Effect<{ readonly url: string }, never, Scope.Scope> = Effect.map(
  Effect.acquireRelease(
    Effect.async<{ readonly server: net.Server; readonly sockets: Set<net.Socket> }>((resume) => {
      const sockets = new Set<net.Socket>()
      const server = net.createServer((socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        socket.on("error", () => socket.destroy())
        socket.once("data", () => socket.end("\u0000\u00ffnot http at all\r\n\r\n"))
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, sockets })))
    }),
    ({ server, sockets }) =>
      Effect.async<void>((resume) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resume(Effect.void))
      })
  ),
  ({ server }) => {
    const address = server.address()
    return { url: `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}` }
  }
)
