/**
 * A loopback TCP proxy to a real server that a test can cut (every connection dropped, new ones
 * dropped at once) and restore, to simulate a network failure without stopping the shared server.
 * Also `stall`: connections stay open but nothing is forwarded (a hung server).
 */
import { Effect } from "effect"
import * as net from "node:net"

export interface TcpProxy {
  readonly port: number
  readonly url: string
  /** Drops every open connection and every new one until `restore`. */
  readonly cut: Effect.Effect<void>
  /** Keeps connections open but forwards nothing until `restore` (which then drops them). */
  readonly stall: Effect.Effect<void>
  readonly restore: Effect.Effect<void>
}

/** A proxy on 127.0.0.1, port chosen by the OS, closed with the scope. */
export const tcpProxy = (targetPort: number, targetHost = "127.0.0.1") =>
  Effect.acquireRelease(
    Effect.async<{ readonly proxy: TcpProxy; readonly server: net.Server; readonly sockets: Set<net.Socket> }>((resume) => {
      let mode: "open" | "cut" | "stall" = "open"
      const sockets = new Set<net.Socket>()
      const track = (socket: net.Socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        socket.on("error", () => socket.destroy())
      }
      const server = net.createServer((client) => {
        track(client)
        if (mode === "cut") {
          client.destroy()
          return
        }
        const upstream = net.connect(targetPort, targetHost)
        track(upstream)
        client.on("data", (chunk) => {
          if (mode === "open") upstream.write(chunk)
        })
        upstream.on("data", (chunk) => {
          if (mode === "open") client.write(chunk)
        })
        client.on("close", () => upstream.destroy())
        upstream.on("close", () => client.destroy())
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        const proxy: TcpProxy = {
          port,
          url: `redis://127.0.0.1:${port}`,
          cut: Effect.sync(() => {
            mode = "cut"
            for (const socket of sockets) socket.destroy()
          }),
          stall: Effect.sync(() => {
            mode = "stall"
          }),
          // after a stall the streams have lost bytes: drop them so clients reconnect cleanly
          restore: Effect.sync(() => {
            if (mode === "stall") for (const socket of sockets) socket.destroy()
            mode = "open"
          })
        }
        resume(Effect.succeed({ proxy, server, sockets }))
      })
    }),
    ({ server, sockets }) =>
      Effect.async<void>((resume) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ proxy }) => proxy))
