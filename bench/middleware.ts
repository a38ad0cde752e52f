/**
 * Guarded against bare: throughput and p99 of an @effect/platform Node server with and without
 * `guardMiddleware` (default config, detection on), for a small GET and a 10 KB JSON POST, and the
 * guarded GET with OpenTelemetry exporting to a local receiver. Each server runs in its own process;
 * autocannon drives it on loopback; scenarios alternate over several rounds and medians are reported.
 *
 *   npx tsx bench/middleware.ts            (about 2 minutes)
 *   ROUNDS=1 DURATION=3 npx tsx bench/middleware.ts
 */
import autocannon from "autocannon"
import { type ChildProcess, spawn } from "node:child_process"
import { createServer, type Server } from "node:http"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const ROUNDS = Number(process.env["ROUNDS"] ?? 3)
const DURATION = Number(process.env["DURATION"] ?? 5)
const CONNECTIONS = 10

const json10k = JSON.stringify({
  items: Array.from({ length: 90 }, (_, i) => ({ id: i, name: `item number ${i}`, tags: ["alpha", "beta"], note: "an ordinary description" }))
}).slice(0, 10_240)
const body = JSON.stringify({ payload: json10k })

/** A do-nothing OTLP/HTTP receiver: answers 200 to every export. */
const startReceiver = () =>
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

const startServer = (mode: string, port: number, otlpUrl: string) =>
  new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(here, "_server.ts"), mode, String(port)], {
      env: { ...process.env, OTLP_URL: otlpUrl },
      stdio: ["ignore", "pipe", "inherit"]
    })
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) resolve(child)
    })
    child.on("exit", (code) => reject(new Error(`server ${mode} exited with ${code}`)))
  })

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.removeAllListeners("exit")
    child.on("exit", () => resolve())
    child.kill("SIGTERM")
  })

interface Sample { readonly rps: number; readonly p99: number; readonly non2xx: number }

const load = (url: string, post: boolean, duration: number) =>
  new Promise<Sample>((resolve, reject) => {
    autocannon({
      url,
      connections: CONNECTIONS,
      duration,
      ...(post ? { method: "POST", body, headers: { "content-type": "application/json" } } : {})
    }, (error, result) => {
      if (error) reject(error)
      else resolve({ rps: result.requests.average, p99: result.latency.p99, non2xx: result.non2xx })
    })
  })

const scenarios = [
  { name: "GET  bare", mode: "bare", post: false },
  { name: "GET  guarded", mode: "guarded", post: false },
  { name: "POST bare (10 KB JSON)", mode: "bare", post: true },
  { name: "POST guarded (10 KB JSON)", mode: "guarded", post: true },
  { name: "GET  guarded + OTel", mode: "guarded-otel", post: false }
] as const

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const main = async () => {
  const receiver = await startReceiver()
  const samples = new Map<string, Array<Sample>>(scenarios.map((s) => [s.name, []]))
  let port = 39_000 + Math.floor(Math.random() * 1000)
  for (let round = 0; round < ROUNDS; round++) {
    for (const scenario of scenarios) {
      port++
      const child = await startServer(scenario.mode, port, receiver.url)
      const url = `http://127.0.0.1:${port}${scenario.post ? "/items" : "/hello"}`
      await load(url, scenario.post, 1) // warm-up
      samples.get(scenario.name)!.push(await load(url, scenario.post, DURATION))
      await stop(child)
    }
  }
  receiver.server.close()
  const stat = (name: string) => {
    const s = samples.get(name)!
    return { rps: median(s.map((x) => x.rps)), p99: median(s.map((x) => x.p99)), non2xx: s.reduce((a, x) => a + x.non2xx, 0) }
  }
  console.log(`middleware: ${CONNECTIONS} connections, ${DURATION}s per run, median of ${ROUNDS} interleaved rounds`)
  for (const { name } of scenarios) {
    const s = stat(name)
    console.log(`  ${name.padEnd(28)} ${s.rps.toFixed(0).padStart(8)} req/s   p99 ${String(s.p99).padStart(4)} ms   non-2xx ${s.non2xx}`)
  }
  const ratio = (a: string, b: string) => stat(a).rps / stat(b).rps
  console.log(`  guarded/bare GET          = ${ratio("GET  guarded", "GET  bare").toFixed(2)} (target >= 0.85)`)
  console.log(`  guarded/bare POST 10 KB   = ${ratio("POST guarded (10 KB JSON)", "POST bare (10 KB JSON)").toFixed(2)} (target >= 0.70)`)
  console.log(`  with OTel/without GET     = ${ratio("GET  guarded + OTel", "GET  guarded").toFixed(2)} (target >= 0.95)`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
