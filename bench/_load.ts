/**
 * What the server benchmarks share: servers in their own processes (bench/_server.ts), autocannon on
 * loopback, a do-nothing OTLP/HTTP receiver, and the request bodies.
 */
import autocannon from "autocannon"
import { type ChildProcess, spawn } from "node:child_process"
import { cpSync, existsSync, readFileSync, rmSync } from "node:fs"
import { createServer, type Server } from "node:http"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { compile } from "./_compile.js"

const here = dirname(fileURLToPath(import.meta.url))

export const CONNECTIONS = 10

const json10k = JSON.stringify({
  items: Array.from({ length: 90 }, (_, i) => ({ id: i, name: `item number ${i}`, tags: ["alpha", "beta"], note: "an ordinary description" }))
}).slice(0, 10_240)
/** The JSON POST body: a 10 KB JSON document as one field. */
export const postBody = JSON.stringify({ payload: json10k })
/** The same body gzip-encoded (`Content-Encoding: gzip`), for the decompression path. */
export const postBodyGzip = gzipSync(postBody)

/** A GET (`false`), the 10 KB JSON POST (`true`), or that POST gzip-encoded. */
export type Body = boolean | "gzip"

/** A do-nothing OTLP/HTTP receiver: answers 200 to every export. */
export const startReceiver = () =>
  new Promise<{ server: Server; url: string }>((resolve) => {
    const server = createServer((req, res) => {
      req.resume()
      req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"))
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resolve({ server, url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}` })
    })
  })

const built = new Set<string>()

/**
 * The benchmark server of another checkout (for A/B runs), or this one's, compiled with tsc the
 * first time it is asked for in a run, into the checkout's `.bench-build/`.
 *
 * Compiled because that is what the package ships (`dist/` is tsc's output). Under tsx every
 * closure the guard creates per request also goes through esbuild's `keepNames` wrapper
 * (`__name`, an `Object.defineProperty` per closure), while the bare server's code, the platform's,
 * is already JavaScript and runs as is: a CPU profile of the guarded server under tsx showed that
 * wrapper and its property writes where the compiled build has neither.
 */
export const serverOf = (checkout: string | undefined) => {
  const root = checkout ?? join(here, "..")
  const out = join(root, ".bench-build")
  if (!built.has(root)) {
    rmSync(out, { recursive: true, force: true })
    compile(root, "bench/_server.ts", out)
    // the console reads its page next to its module, as in dist/ (npm run build copies it there)
    const assets = join(root, "src/internal/console/assets")
    if (existsSync(assets)) cpSync(assets, join(out, "src/internal/console/assets"), { recursive: true })
    built.add(root)
  }
  return join(out, "bench", "_server.js")
}

/**
 * A server named on a benchmark's command line: `mode`, `mode@checkout` (that checkout's
 * `bench/_server.ts`, compiled; the checkout needs its node_modules), or `mode@path/_server.js` (a
 * compiled server as it is, e.g. a copy of `.bench-build` edited by hand for an experiment).
 */
export const serverSpec = (spec: string): { readonly mode: string; readonly script: string } => {
  const [mode, where] = spec.split("@") as [string, string | undefined]
  return { mode, script: where?.endsWith(".js") === true ? where : serverOf(where) }
}

/**
 * Starts the compiled `bench/_server.ts` (or `serverScript`, e.g. another checkout's) in `mode` on
 * `port`; resolves once it serves.
 */
export const startServer = (mode: string, port: number, env: Record<string, string> = {}, serverScript = serverOf(undefined)) =>
  spawnServer(process.execPath, [serverScript, mode, String(port)], env)

/** Runs `command` (a benchmark server, or one under a tool); resolves once it prints "ready". */
export const spawnServer = (command: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] })
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) resolve(child)
    })
    child.on("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}`)))
  })

export const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.removeAllListeners("exit")
    child.on("exit", () => resolve())
    child.kill("SIGTERM")
  })

export interface Sample {
  readonly rps: number
  readonly p99: number
  readonly non2xx: number
  /** Requests answered. */
  readonly total: number
}

/**
 * CPU seconds a process has used so far (all its threads: the garbage collector's too), from
 * /proc; undefined where there is none. Clock ticks are 1/100 s on Linux.
 */
export const cpuSeconds = (child: ChildProcess): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8")
    // the fields after the command name, which is in parentheses and may hold spaces
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return undefined
  }
}

/**
 * Runs the measured load against `child`'s server and adds the server's CPU time per request (µs):
 * unlike throughput, it does not count the time the server waited for a core (on these machines it
 * still moves with the machine's own speed).
 */
export const measure = async (child: ChildProcess, url: string, post: Body, duration: number) => {
  const before = cpuSeconds(child)
  const sample = await load(url, post, duration)
  const after = cpuSeconds(child)
  const cpuPerRequest = before === undefined || after === undefined || sample.total === 0
    ? undefined
    : ((after - before) * 1e6) / sample.total
  return { ...sample, cpuPerRequest }
}

export const load = (url: string, post: Body, duration: number) =>
  new Promise<Sample>((resolve, reject) => {
    autocannon({
      url,
      connections: CONNECTIONS,
      duration,
      ...(post === "gzip"
        ? { method: "POST", body: postBodyGzip, headers: { "content-type": "application/json", "content-encoding": "gzip" } }
        : post
        ? { method: "POST", body: postBody, headers: { "content-type": "application/json" } }
        : {})
    }, (error, result) => {
      if (error) reject(error)
      else resolve({ rps: result.requests.average, p99: result.latency.p99, non2xx: result.non2xx, total: result.requests.total })
    })
  })

/**
 * A console client, as the page is: reads the event stream of the console at `base`/__guard to its
 * end and polls the state every 5 s. `close` stops it and tells how many bytes the stream brought.
 */
export const connectConsoleClient = (base: string, token: string) => {
  const controller = new AbortController()
  const headers = { authorization: `Bearer ${token}` }
  let received = 0
  const reading = (async () => {
    const response = await fetch(`${base}/__guard/api/stream`, { headers, signal: controller.signal })
    if (response.status !== 200 || response.body === null) throw new Error(`stream answered ${response.status}`)
    for await (const chunk of response.body) received += (chunk as Uint8Array).length
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) console.error("console client:", error)
  })
  const poll = setInterval(() => {
    fetch(`${base}/__guard/api/state`, { headers, signal: controller.signal }).then((r) => r.arrayBuffer()).catch(() => {})
  }, 5000)
  return {
    close: async () => {
      clearInterval(poll)
      controller.abort()
      await reading
      return received
    }
  }
}

export const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Ratios as `median [min..max]`, or `n/a` when there are none. */
export const spread = (xs: ReadonlyArray<number>) =>
  xs.length === 0 ? "n/a" : `${median(xs).toFixed(2)} [${Math.min(...xs).toFixed(2)}..${Math.max(...xs).toFixed(2)}]`
