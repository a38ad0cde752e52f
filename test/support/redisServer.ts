/**
 * A `redis-server` of the test's own, on a loopback port nobody else uses, that the test can stop
 * (SIGSTOP: the socket stays open and nothing answers, a hung server), resume, kill and start again
 * on the same port. Never the shared server on 6379. Scoped: closing the scope kills it.
 */
import { Effect, type Scope } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as net from "node:net"

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** SIGSTOP: connections stay open, nothing is answered. */
  readonly stop: Effect.Effect<void>
  /** SIGCONT after `stop`. */
  readonly resume: Effect.Effect<void>
  /** SIGKILL: connections reset, new ones refused. */
  readonly kill: Effect.Effect<void>
  /** Starts a fresh server on the same port (after `kill`); completes once it answers. */
  readonly start: Effect.Effect<void>
  /** Runs `DEBUG SLEEP seconds` on a connection of its own: the server answers nobody meanwhile. */
  readonly sleep: (seconds: number) => Effect.Effect<void>
}

/** A free loopback port, as the OS hands one out. */
export const freePort: Effect.Effect<number> = Effect.async<number>((resume) => {
  const probe = net.createServer()
  probe.listen(0, "127.0.0.1", () => {
    const address = probe.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    probe.close(() => resume(Effect.succeed(port)))
  })
})

/** Sends one inline command and resolves with the first reply line (bounded: 2 s). */
const command = (port: number, line: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1")
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`redis on ${port}: no answer to ${line}`))
    }, 2000)
    socket.on("connect", () => socket.write(`${line}\r\n`))
    socket.on("data", (data) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(data.toString("utf8").trim())
    })
    socket.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })

const spawnServer = (port: number): ChildProcess =>
  spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--enable-debug-command", "local"], {
    stdio: "ignore"
  })

/** Waits until the server on `port` answers PING (bounded: 5 s). */
const awaitUp = (port: number) =>
  Effect.promise(async () => {
    for (let i = 0; i < 100; i++) {
      const reply = await command(port, "PING").catch(() => "")
      if (reply === "+PONG") return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`redis-server on ${port} did not start`)
  })

export const makeRedisServer: Effect.Effect<RedisServer, never, Scope.Scope> = Effect.gen(function*() {
  const port = yield* freePort
  let child = spawnServer(port)
  yield* awaitUp(port)
  const signal = (name: NodeJS.Signals) => Effect.sync(() => void child.kill(name))
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      child.kill("SIGCONT")
      child.kill("SIGKILL")
    })
  )
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: signal("SIGSTOP"),
    resume: signal("SIGCONT"),
    kill: Effect.zipRight(
      signal("SIGKILL"),
      Effect.async<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) resume(Effect.void)
        else child.once("exit", () => resume(Effect.void))
      })
    ),
    start: Effect.suspend(() => {
      child = spawnServer(port)
      return awaitUp(port)
    }),
    sleep: (seconds) => Effect.sync(() => void command(port, `DEBUG SLEEP ${seconds}`).catch(() => undefined))
  }
})
