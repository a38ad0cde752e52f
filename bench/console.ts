/**
 * What the guard console costs:
 *
 * 1. Throughput: the guarded GET with the console enabled and a live client connected (reading the
 *    event stream and polling the state every 5 s, as the page does) against the same guard without
 *    the console. The two servers (the compiled bench/_server.ts, modes `guarded` and
 *    `guarded-console`) run side by side, each in its own process under its own autocannon, as in
 *    bench/simultaneous.ts: the machine's drift hits both alike. Each round gives a ratio; the median
 *    of the rounds' ratios (with their range) is reported, by throughput and by server CPU per
 *    request. Target: the ratio moves by no more than 0.02 (>= 0.98).
 * 2. The same in process (bench/overhead.ts's driver: no sockets, no load generator), which a loaded
 *    2-core machine disturbs less: many short runs, the two cases alternating in ABBA order (so that
 *    neither always runs first), the median of the pairs' ratios. No stream is connected there: the
 *    console's per-request cost is the exporter's request sink and the mount's test of the path,
 *    which a connected stream does not change (a clean GET publishes no event).
 * 3. Memory: 1,000,000 events pushed through the console's exporter (varied IPs, routes, rules and
 *    metadata; a stream subscriber that never reads attached), the heap measured after a full
 *    collection at 10,000, 100,000 and 1,000,000 events: bounded means flat after the buffer fills.
 *
 *   npx tsx bench/console.ts               (about 3 minutes)
 *   ROUNDS=4 DURATION=3 npx tsx bench/console.ts
 *   PARTS=inprocess,memory npx tsx bench/console.ts   (a subset: network, inprocess, memory)
 */
import { Effect } from "effect"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { makeFeed } from "../src/internal/console/feed.js"
import { SecurityEvent } from "../src/SecurityEvent.js"
import { guardMiddleware } from "../src/index.js"
import { CONSOLE_TOKEN, consoleConfig, driver, guardLayer } from "./_inProcess.js"
import { connectConsoleClient, load, measure, spread, startServer, stop } from "./_load.js"

const ROUNDS = Number(process.env["ROUNDS"] ?? 8)
const PARTS = new Set((process.env["PARTS"] ?? "network,inprocess,memory").split(","))
const DURATION = Number(process.env["DURATION"] ?? 4)

const throughput = async () => {
  const port = 41_000 + Math.floor(Math.random() * 1000)
  const servers = [
    await startServer("guarded", port),
    await startServer("guarded-console", port + 1)
  ]
  const urls = [`http://127.0.0.1:${port}/hello`, `http://127.0.0.1:${port + 1}/hello`]
  await Promise.all(urls.map((url) => load(url, false, 2))) // warm-up
  const client = connectConsoleClient(`http://127.0.0.1:${port + 1}`, CONSOLE_TOKEN)
  const ratios: Array<number> = []
  const cpu: Array<number> = []
  for (let round = 0; round < ROUNDS; round++) {
    const [off, on] = await Promise.all(urls.map((url, i) => measure(servers[i]!, url, false, DURATION)))
    ratios.push(on!.rps / off!.rps)
    if (on!.cpuPerRequest !== undefined && off!.cpuPerRequest !== undefined) cpu.push(off!.cpuPerRequest / on!.cpuPerRequest)
  }
  const bytes = await client.close()
  if (bytes === 0) console.error("the console client received nothing")
  await Promise.all(servers.map(stop))
  console.log(`  side by side, ${ROUNDS} rounds: console+client/without GET = ${spread(ratios)} (target >= 0.98); by server CPU per request ${spread(cpu)}`)
}

const inProcess = async () => {
  const N = Number(process.env["N"] ?? 2_000)
  const RUNS = Number(process.env["RUNS"] ?? 40)
  const cases = {
    without: await driver(guardLayer(), guardMiddleware),
    console: await driver(guardLayer(consoleConfig), guardMiddleware)
  }
  for (const c of Object.values(cases)) await c.run(false, N) // warm-up
  const ratios: Array<number> = []
  const micros: Record<string, Array<number>> = { without: [], console: [] }
  for (let pair = 0; pair < RUNS; pair++) {
    // ABBA: each case runs first in half of the pairs
    const order = pair % 2 === 0 ? (["without", "console"] as const) : (["console", "without"] as const)
    const took: Record<string, number> = {}
    for (const name of order) took[name] = await cases[name].run(false, N)
    micros["without"]!.push(took["without"]!)
    micros["console"]!.push(took["console"]!)
    ratios.push(took["without"]! / took["console"]!)
  }
  const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  console.log(
    `  in process, ${RUNS} pairs of ${N} GETs: without ${median(micros["without"]!).toFixed(1)} µs, with console ${median(micros["console"]!).toFixed(1)} µs; without/with = ${spread(ratios)} (target >= 0.98)`
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
  console.log(`console: ${DURATION}s per round (ratios: median [range] of the rounds' own)`)
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
