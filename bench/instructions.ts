/**
 * Instructions per request: the bench servers (bench/_server.ts) run under valgrind's callgrind,
 * which counts the instructions a process executes instead of timing it. The count does not move
 * with the machine's speed, a neighbour or the other core, which on this project's 2-core machines
 * throw the timed benchmarks by ±10 % and more.
 *
 * Each server is warmed with `WARM` requests; then callgrind's counters are zeroed
 * (`callgrind_control --zero`), the server answers `N` more, and the counters are dumped. Start-up
 * (6 to 10 billion instructions, varying by some 100 million between runs) stays out of the
 * figure; garbage collection and the compiler threads' work during the measured requests are in
 * it. V8 is still compiling long after the first requests (a third of a bare GET's instructions
 * after 500 requests, a fifth after 4,000), so figures are comparable only at the same `WARM`.
 * Collection and compilation come in lumps (a major collection costs some 300 million
 * instructions, 300,000 per request over 1,000 of them), so each count is also given without them,
 * split off by function name in callgrind's dump: the request's own work, the steadiest figure
 * (the collection a request's allocations cause is what bench/allocation.ts measures). Until
 * session 7 the figure was the difference between a short and a long run from start-up, which
 * carried the start-up variation and the early compilation (more of it for the guard, which has
 * more code to compile): it put the default guard's GET at 0.70 to 0.79 of bare.
 *
 * An instruction is not a nanosecond: cache misses, memory traffic and the wait for a core are not
 * counted, so this complements bench/middleware.ts (throughput) and bench/allocation.ts (bytes)
 * rather than replacing them. The load generator runs natively, outside valgrind, one request at
 * a time per connection (4 connections), so it never shares the count.
 *
 *   npx tsx bench/instructions.ts                       (about 5 minutes: bare and guarded, GET)
 *   MODES=bare,guarded POST=1 npx tsx bench/instructions.ts
 *   MODES=guarded,guarded-otel WARM=2000 npx tsx bench/instructions.ts
 *   MODES=guarded,guarded-console npx tsx bench/instructions.ts   (the console, its stream connected)
 *   MODES=guarded@/tmp/previous,guarded npx tsx bench/instructions.ts   (A/B against another checkout)
 *   KEEP=1 MODES=guarded npx tsx bench/instructions.ts   (the dumps kept, for callgrind_annotate)
 *
 * Modes are counted two at a time (valgrind runs a process on one core); `BENCH_GUARD_CONFIG`
 * (see bench/_inProcess.ts) reaches the servers, for variants of the guard's configuration.
 *
 * Needs valgrind (`apt-get install valgrind`). The servers run compiled with tsc, as in every
 * server benchmark (bench/_load.ts).
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import http from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Count, countOf } from "./_callgrind.js"
import { CONSOLE_TOKEN } from "./_inProcess.js"
import { connectConsoleClient, postBody, serverSpec, spawnServer, startReceiver, stop } from "./_load.js"

const MODES = (process.env["MODES"] ?? "bare,guarded").split(",")
const POST = process.env["POST"] === "1"
const WARM = Number(process.env["WARM"] ?? 4000)
const N = Number(process.env["N"] ?? 1000)
/** Keeps each server's callgrind dump (its path is printed), for `callgrind_annotate`. */
const KEEP = process.env["KEEP"] === "1"

/** `n` requests, 4 at a time on keep-alive connections. */
const drive = (port: number, n: number) =>
  new Promise<void>((resolve, reject) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })
    let sent = 0
    let done = 0
    let retries = 0
    const next = () => {
      if (sent >= n) return
      sent++
      const request = http.request({
        host: "127.0.0.1",
        port,
        agent,
        method: POST ? "POST" : "GET",
        path: POST ? "/items" : "/hello",
        headers: POST ? { "content-type": "application/json", "content-length": Buffer.byteLength(postBody) } : {}
      }, (response) => {
        if (response.statusCode !== 200) reject(new Error(`status ${response.statusCode}`))
        response.resume()
        response.on("end", () => {
          if (++done === n) {
            agent.destroy()
            resolve()
          } else next()
        })
      })
      // a request that gets no answer fails, so that the wait for the server tries again
      request.setTimeout(60_000, () => request.destroy(new Error("no answer within 60 s")))
      // a connection the server reset is sent again: a server starved under valgrind on a loaded
      // machine lets its keep-alive timeout (5 s) pass between two requests, or its headers timeout
      // (60 s) pass on a new connection
      request.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code === "ECONNRESET" && retries++ < 100) {
          sent--
          next()
        } else reject(error)
      })
      request.end(POST ? postBody : undefined)
    }
    for (let i = 0; i < 4; i++) next()
  })

/** Instructions the server executes for `n` requests once warm: counted between two callgrind commands. */
const count = async (server: string, n: number, port: number, otlp: string): Promise<Count> => {
  const { mode, script } = serverSpec(server)
  const dir = mkdtempSync(join(tmpdir(), "instructions-"))
  const out = join(dir, "callgrind.out")
  const child = await spawnServer("valgrind", [
    "--tool=callgrind",
    `--callgrind-out-file=${out}`,
    `--log-file=${join(dir, "valgrind.log")}`,
    process.execPath,
    script,
    mode,
    String(port)
  ], { OTLP_URL: otlp })
  try {
    // "ready" comes once the handler is installed; a first request that fails anyway is retried
    for (let attempt = 0;; attempt++) {
      try {
        await drive(port, 1)
        break
      } catch (error) {
        if (attempt > 600) throw error
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    }
    await drive(port, WARM)
    // the console's cost with its page open: a client on the stream through the measured requests
    const client = mode === "guarded-console" ? connectConsoleClient(`http://127.0.0.1:${port}`, CONSOLE_TOKEN) : undefined
    if (client !== undefined) await new Promise((resolve) => setTimeout(resolve, 2000)) // the stream open before counting
    // zeroed once warm and dumped after the measured requests: start-up and JIT warm-up stay out
    execFileSync("callgrind_control", ["--zero", String(child.pid)], { stdio: "ignore" })
    await drive(port, n)
    execFileSync("callgrind_control", ["--dump", String(child.pid)], { stdio: "ignore" })
    await client?.close()
    const dump = readdirSync(dir).find((name) => name.startsWith("callgrind.out") && name !== "callgrind.out")
    const text = dump === undefined ? "" : readFileSync(join(dir, dump), "utf8")
    const totals = /^(?:totals|summary): (\d+)/m.exec(text)
    if (totals === null) throw new Error(`no instruction count for ${mode}`)
    return countOf(text, Number(totals[1]))
  } finally {
    await stop(child)
    if (KEEP) console.log(`  ${server}: callgrind dumps kept in ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

const main = async () => {
  try {
    execFileSync("valgrind", ["--version"], { stdio: "ignore" })
  } catch {
    console.log("instructions: skipped, valgrind is not installed (apt-get install valgrind)")
    return
  }
  for (const server of MODES) serverSpec(server) // compiled before valgrind starts
  const receiver = await startReceiver()
  let port = 44_000 + Math.floor(Math.random() * 1000)
  console.log(`instructions: ${POST ? "POST 10 KB JSON" : "GET"}, ${N} requests per server after ${WARM} to warm it, under callgrind`)
  const perRequest = new Map<string, Count>()
  const k = (x: number) => `${(x / N / 1000).toFixed(0)} K`.padStart(7)
  // two servers at a time: valgrind runs a process on one core, and the counts do not depend on timing
  for (let i = 0; i < MODES.length; i += 2) {
    const pair = MODES.slice(i, i + 2)
    const counts = await Promise.all(pair.map((mode) => count(mode, N, ++port, receiver.url)))
    pair.forEach((mode, j) => {
      const c = counts[j]!
      perRequest.set(mode, c)
      console.log(
        `  ${mode.padEnd(16)} ${k(c.total)} instructions per request: ${k(c.total - c.gc - c.jit)} without${k(c.gc)} of garbage collection and${k(c.jit)} of JIT compilation`
      )
    })
  }
  receiver.server.close()
  const [first, ...rest] = MODES
  const work = (c: Count) => c.total - c.gc - c.jit
  for (const mode of rest) {
    const [a, b] = [perRequest.get(first!)!, perRequest.get(mode)!]
    // inverted, so that it reads like the throughput ratios of the other benchmarks
    console.log(`  ${mode}/${first} = ${(a.total / b.total).toFixed(2)}; without garbage collection and JIT compilation ${(work(a) / work(b)).toFixed(2)}`)
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
