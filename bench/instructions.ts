/**
 * Instructions per request: the bench servers (bench/_server.ts) run under valgrind's callgrind,
 * which counts the instructions a process executes instead of timing it. The count does not move
 * with the machine's speed, a neighbour or the other core, which on this project's 2-core machines
 * throw the timed benchmarks by ±10 % and more.
 *
 * Each server answers a short run of requests, then a long one; the difference between the two
 * totals, divided by the difference in requests, leaves out start-up (6 to 10 billion
 * instructions) and is the cost of a request once the server is warm, its garbage collection and
 * JIT compilation included. Start-up itself varies by a few percent between runs (JIT compilation
 * runs on background threads), some 100 million instructions, and that variation is spread over
 * the requests between the two runs: the bare server measured 1.65 million per request with 1,000
 * of them and 1.53 million with 2,000. Take a figure to about ±10 %, and lengthen the long run
 * (`LONG`) for tighter ones. Unlike the timed benchmarks, that error does not depend on what else
 * the machine is doing.
 *
 * An instruction is not a nanosecond: cache misses, memory traffic and the wait for a core are not
 * counted, so this complements bench/middleware.ts (throughput) and bench/allocation.ts (bytes)
 * rather than replacing them. The load generator runs natively, outside valgrind, one request at
 * a time per connection (4 connections), so it never shares the count.
 *
 *   npx tsx bench/instructions.ts                       (about 17 minutes: bare and guarded, GET)
 *   MODES=guarded,guarded-otel POST=1 npx tsx bench/instructions.ts
 *   LONG=4100 npx tsx bench/instructions.ts             (longer runs, tighter figures)
 *
 * Needs valgrind (`apt-get install valgrind`). The servers are compiled with tsc into
 * node_modules/.cache first: under valgrind, tsx's on-the-fly compilation would take minutes.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import http from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { postBody, spawnServer, startReceiver, stop } from "./_load.js"

const MODES = (process.env["MODES"] ?? "bare,guarded").split(",")
const POST = process.env["POST"] === "1"
const SHORT = Number(process.env["SHORT"] ?? 100)
const LONG = Number(process.env["LONG"] ?? 2100)
const BUILD = "node_modules/.cache/effect-guard-bench"

const build = () => {
  rmSync(BUILD, { recursive: true, force: true })
  execFileSync(process.execPath, [
    "node_modules/typescript/bin/tsc",
    "bench/_server.ts",
    ...["--outDir", BUILD, "--rootDir", ".", "--target", "ES2022", "--module", "NodeNext", "--moduleResolution", "NodeNext"],
    ...["--types", "node", "--skipLibCheck", "--esModuleInterop", "--resolveJsonModule", "--strict"]
  ], { stdio: "inherit" })
}

/** `n` requests, 4 at a time on keep-alive connections. */
const drive = (port: number, n: number) =>
  new Promise<void>((resolve, reject) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })
    let sent = 0
    let done = 0
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
      request.on("error", reject)
      request.end(POST ? postBody : undefined)
    }
    for (let i = 0; i < 4; i++) next()
  })

/** Instructions the server executed from start to exit, having answered `n` requests. */
const count = async (mode: string, n: number, port: number, otlp: string): Promise<number> => {
  const dir = mkdtempSync(join(tmpdir(), "instructions-"))
  const log = join(dir, "valgrind.log")
  const child = await spawnServer("valgrind", [
    "--tool=callgrind",
    `--callgrind-out-file=${join(dir, "callgrind.out")}`,
    `--log-file=${log}`,
    process.execPath,
    join(BUILD, "bench/_server.js"),
    mode,
    String(port)
  ], { OTLP_URL: otlp })
  // "ready" comes on a timer; the server may still be binding under valgrind
  for (let attempt = 0;; attempt++) {
    try {
      await drive(port, 1)
      break
    } catch (error) {
      if (attempt > 600) throw error
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
  await drive(port, n - 1)
  await stop(child)
  const collected = /Collected : (\d+)/.exec(readFileSync(log, "utf8"))
  rmSync(dir, { recursive: true, force: true })
  if (collected === null) throw new Error(`no instruction count for ${mode}`)
  return Number(collected[1])
}

const main = async () => {
  try {
    execFileSync("valgrind", ["--version"], { stdio: "ignore" })
  } catch {
    console.log("instructions: skipped, valgrind is not installed (apt-get install valgrind)")
    return
  }
  build()
  const receiver = await startReceiver()
  let port = 44_000 + Math.floor(Math.random() * 1000)
  console.log(`instructions: ${POST ? "POST 10 KB JSON" : "GET"}, runs of ${SHORT} and ${LONG} requests per server, under callgrind`)
  const perRequest = new Map<string, number>()
  // two servers at a time: valgrind runs a process on one core, and the counts do not depend on timing
  for (const mode of MODES) {
    const [short, long] = await Promise.all([count(mode, SHORT, ++port, receiver.url), count(mode, LONG, ++port, receiver.url)])
    const per = (long - short) / (LONG - SHORT)
    perRequest.set(mode, per)
    console.log(`  ${mode.padEnd(16)} ${(per / 1e6).toFixed(3)} M instructions per request (start-up and ${SHORT} requests: ${(short / 1e9).toFixed(2)} G)`)
  }
  receiver.server.close()
  const [first, ...rest] = MODES
  for (const mode of rest) {
    // inverted, so that it reads like the throughput ratios of the other benchmarks
    console.log(`  ${mode}/${first} = ${(perRequest.get(first!)! / perRequest.get(mode)!).toFixed(2)}`)
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
