/**
 * Where a guarded GET's throughput goes, measured as bench/middleware.ts measures it (a Node server
 * per case, autocannon on loopback), from the bare server up to the guard with its defaults:
 *
 *   bare            the router alone
 *   empty           a middleware that does nothing
 *   context         GuardLive's services in the request context (the router copies it per request)
 *   hook            a pre-response handler, the only way to reach the application's response
 *   context-hook    both: the least any guard built this way costs
 *   guarded-minimal guardMiddleware with every optional part off (headers, detection, rate limit, auto-ban)
 *   guarded         guardMiddleware, default configuration, detection on
 *   guarded-lean    the same guardMiddleware with GuardPipelineLive: its services out of the request context
 *   guarded-otel    the same exporting OpenTelemetry to a local receiver
 *
 * Each round measures every case once, bare first; a case's figure is the median over rounds of its
 * throughput divided by that round's bare throughput, so drift between rounds cancels.
 *
 * BASELINE=/path/to/another/checkout adds that checkout's guarded server to every round, for an A/B
 * run of two commits side by side (the checkout needs its node_modules). CASES=guarded,context
 * measures only those cases (and bare).
 *
 *   npx tsx bench/breakdown.ts            (about 3 minutes)
 *   ROUNDS=6 DURATION=4 BASELINE=/tmp/previous npx tsx bench/breakdown.ts
 */
import { CONNECTIONS, load, measure, median, serverOf, spread, startReceiver, startServer, stop } from "./_load.js"

const ROUNDS = Number(process.env["ROUNDS"] ?? 4)
const DURATION = Number(process.env["DURATION"] ?? 4)
const BASELINE = process.env["BASELINE"]

const only = process.env["CASES"]?.split(",")
const allCases: ReadonlyArray<{ readonly name: string; readonly mode: string; readonly script?: string }> = [
  { name: "bare", mode: "bare" },
  { name: "empty", mode: "empty" },
  { name: "context", mode: "context" },
  { name: "hook", mode: "hook" },
  { name: "context-hook", mode: "context-hook" },
  { name: "guarded-minimal", mode: "guarded-minimal" },
  { name: "guarded", mode: "guarded" },
  { name: "guarded-lean", mode: "guarded-lean" },
  { name: "guarded-otel", mode: "guarded-otel" },
  ...(BASELINE === undefined ? [] : [
    { name: "baseline guarded", mode: "guarded", script: serverOf(BASELINE) },
    { name: "baseline guarded-otel", mode: "guarded-otel", script: serverOf(BASELINE) }
  ])
]
const cases = only === undefined ? allCases : [allCases[0]!, ...allCases.filter((c) => c !== allCases[0] && only.includes(c.name))]

const main = async () => {
  const receiver = await startReceiver()
  const ratios = new Map<string, Array<number>>(cases.map((c) => [c.name, []]))
  const rps = new Map<string, Array<number>>(cases.map((c) => [c.name, []]))
  const cpu = new Map<string, Array<number>>(cases.map((c) => [c.name, []]))
  const cpuRatios = new Map<string, Array<number>>(cases.map((c) => [c.name, []]))
  let port = 41_000 + Math.floor(Math.random() * 1000)
  for (let round = 0; round < ROUNDS; round++) {
    let bare = NaN
    let bareCpu = NaN
    for (const c of cases) {
      port++
      const child = await startServer(c.mode, port, { OTLP_URL: receiver.url }, c.script)
      const url = `http://127.0.0.1:${port}/hello`
      await load(url, false, 1) // warm-up
      const sample = await measure(child, url, false, DURATION)
      await stop(child)
      // a case that refuses requests would look faster than it is
      if (sample.non2xx > 0) console.warn(`  ${c.name}: ${sample.non2xx} responses other than 2xx`)
      if (c.name === "bare") {
        bare = sample.rps
        bareCpu = sample.cpuPerRequest ?? NaN
      }
      rps.get(c.name)!.push(sample.rps)
      ratios.get(c.name)!.push(sample.rps / bare)
      if (sample.cpuPerRequest !== undefined) {
        cpu.get(c.name)!.push(sample.cpuPerRequest)
        cpuRatios.get(c.name)!.push(bareCpu / sample.cpuPerRequest)
      }
    }
  }
  receiver.server.close()
  console.log(`breakdown: GET, ${CONNECTIONS} connections, ${DURATION}s per run, ${ROUNDS} rounds; ratio to bare per round, median [range]`)
  console.log(`  ${"".padEnd(18)} ${"throughput".padStart(30)}   ${"server CPU per request".padStart(32)}`)
  for (const c of cases) {
    const cpuText = cpu.get(c.name)!.length === 0
      ? "n/a"
      : `${median(cpu.get(c.name)!).toFixed(0).padStart(5)} µs   ${spread(cpuRatios.get(c.name)!)}`
    console.log(`  ${c.name.padEnd(18)} ${median(rps.get(c.name)!).toFixed(0).padStart(7)} req/s   ${spread(ratios.get(c.name)!)}   ${cpuText}`)
  }
  console.log("  (CPU ratio: bare's server CPU per request over the case's; it leaves out the time a server waited for a core)")
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
