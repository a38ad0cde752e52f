/**
 * What the guard console costs:
 *
 * 1. Throughput: the guarded GET with the console enabled and a live client connected (reading the
 *    event stream and polling the state every 5 s, as the page does) against the same guard without
 *    the console. Each server runs in its own process (the compiled bench/_server.ts, the console
 *    turned on through BENCH_GUARD_CONFIG); autocannon drives it on loopback; the two alternate over
 *    several rounds and each round's ratio is taken between two runs a few seconds apart. Target:
 *    the ratio moves by no more than 0.02 (>= 0.98).
 * 2. The same in process (bench/overhead.ts's driver: no sockets, no load generator), which a loaded
 *    2-core machine disturbs less: µs per guarded GET with and without the console.
 * 3. Memory: 1,000,000 events pushed through the console's exporter (varied IPs, routes, rules and
 *    metadata; a stream subscriber that never reads attached), the heap measured after a full
 *    collection at 10,000, 100,000 and 1,000,000 events: bounded means flat after the buffer fills.
 *
 *   npx tsx bench/console.ts               (about 2 minutes)
 *   ROUNDS=1 DURATION=3 npx tsx bench/console.ts
 *   PARTS=inprocess,memory npx tsx bench/console.ts   (a subset: network, inprocess, memory)
 */
import { Effect } from "effect"
import { cpSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { makeFeed } from "../src/internal/console/feed.js"
import { SecurityEvent } from "../src/SecurityEvent.js"
import { guardMiddleware } from "../src/index.js"
import { driver, guardLayer } from "./_inProcess.js"
import { load, measure, serverOf, spread, startServer, stop } from "./_load.js"

const ROUNDS = Number(process.env["ROUNDS"] ?? 3)
const PARTS = new Set((process.env["PARTS"] ?? "network,inprocess,memory").split(","))
const DURATION = Number(process.env["DURATION"] ?? 5)
const TOKEN = "bench-console-token-0123456789"
const CONSOLE = JSON.stringify({ consolePath: "/__guard", consoleToken: TOKEN })

/** A console client: reads the stream to its end and polls the state, as the page does. */
const connectClient = (base: string) => {
  const controller = new AbortController()
  const headers = { authorization: `Bearer ${TOKEN}` }
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

const throughput = async () => {
  // the compiled server reads the console's page next to its module, as dist/ does (npm run build copies it)
  const script = serverOf(undefined)
  const root = join(dirname(fileURLToPath(import.meta.url)), "..")
  cpSync(join(root, "src/internal/console/assets"), join(dirname(script), "../src/internal/console/assets"), { recursive: true })
  const ratios: Array<number> = []
  const cpu: Array<number> = []
  let port = 41_000 + Math.floor(Math.random() * 1000)
  for (let round = 0; round < ROUNDS; round++) {
    const results: Record<string, Awaited<ReturnType<typeof measure>>> = {}
    for (const withConsole of [false, true]) {
      port++
      const child = await startServer("guarded", port, withConsole ? { BENCH_GUARD_CONFIG: CONSOLE } : {}, script)
      const base = `http://127.0.0.1:${port}`
      const url = `${base}/hello`
      await load(url, false, 1) // warm-up
      const client = withConsole ? connectClient(base) : undefined
      results[String(withConsole)] = await measure(child, url, false, DURATION)
      const bytes = await client?.close()
      if (client !== undefined && bytes === 0) console.error("the console client received nothing")
      await stop(child)
    }
    const off = results["false"]!
    const on = results["true"]!
    ratios.push(on.rps / off.rps)
    if (on.cpuPerRequest !== undefined && off.cpuPerRequest !== undefined) cpu.push(off.cpuPerRequest / on.cpuPerRequest)
    console.log(`  round ${round + 1}: without ${off.rps.toFixed(0)} req/s, with console + client ${on.rps.toFixed(0)} req/s`)
  }
  console.log(`  console+client/without GET = ${spread(ratios)} (target >= 0.98); by server CPU per request ${spread(cpu)}`)
}

const inProcess = async () => {
  const N = Number(process.env["N"] ?? 10_000)
  const cases = {
    without: await driver(guardLayer(), guardMiddleware),
    console: await driver(guardLayer({ consolePath: "/__guard", consoleToken: TOKEN }), guardMiddleware)
  }
  for (const c of Object.values(cases)) await c.run(false, N / 5) // warm-up
  const ratios: Array<number> = []
  const micros: Record<string, Array<number>> = { without: [], console: [] }
  for (let round = 0; round < Math.max(3, ROUNDS); round++) {
    const without = await cases.without.run(false, N)
    const withConsole = await cases.console.run(false, N)
    micros["without"]!.push(without)
    micros["console"]!.push(withConsole)
    ratios.push(without / withConsole)
  }
  const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  console.log(
    `  in process, ${N} GETs per run: without ${median(micros["without"]!).toFixed(1)} µs, with console ${median(micros["console"]!).toFixed(1)} µs; without/with = ${spread(ratios)} (target >= 0.98)`
  )
  for (const c of Object.values(cases)) await c.dispose()
}

const memory = async () => {
  setFlagsFromString("--expose-gc")
  const gc = runInNewContext("gc") as () => void
  const heapMb = () => {
    gc()
    gc()
    return process.memoryUsage().heapUsed / 1024 / 1024
  }
  const baseline = heapMb()
  const marks: Array<string> = []
  await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const feed = yield* makeFeed({ capacity: 10_000 })
    const exporter = yield* feed.exporter.acquire
    // a live view that never reads: the stream's buffer must stay bounded too
    yield* feed.subscribe(200)
    const types = ["penetration_attempt", "rate_limited", "ip_blocked", "user_agent_blocked"] as const
    for (let i = 1; i <= 1_000_000; i++) {
      yield* exporter.exportEvent(new SecurityEvent({
        idempotencyKey: String(i),
        timestamp: new Date(1_700_000_000_000 + i * 10),
        eventType: types[i % types.length]!,
        ipAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        actionTaken: i % 3 === 0 ? "logged_only" : "request_blocked",
        reason: `Suspicious pattern ${i}: ${"x".repeat(i % 200)}`,
        endpoint: `/route/${i % 5000}`,
        method: "GET",
        metadata: { pattern_ids: [`rule.${i % 300}`], trigger_info: "q".repeat(i % 500), request_count: i }
      }))
      if (i === 10_000 || i === 100_000 || i === 1_000_000) marks.push(`${i.toLocaleString("en")}: ${(heapMb() - baseline).toFixed(1)} MB`)
    }
    const totals = feed.totals()
    console.log(`  heap above baseline after ${marks.join(", ")} (events kept ${totals.stored}, seen ${totals.events})`)
  })))
}

const main = async () => {
  console.log(`console: ${DURATION}s per run, ${ROUNDS} interleaved rounds (ratios: median [range] of the rounds' own)`)
  if (PARTS.has("network")) await throughput()
  if (PARTS.has("inprocess")) await inProcess()
  if (PARTS.has("memory")) {
    console.log("console memory, 1,000,000 events through the console's exporter (capacity 10,000):")
    await memory()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
