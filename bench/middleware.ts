/**
 * Guarded against bare: throughput and p99 of an @effect/platform Node server with and without
 * `guardMiddleware` (default config, detection on), for a small GET, a 10 KB JSON POST and the same
 * POST gzip-encoded (decoded by the guard to scan it, and by the application), and the guarded GET
 * with OpenTelemetry exporting to a local receiver. The guarded servers provide
 * `GuardLive` (every guard service in the request context); the GET is also measured with
 * `GuardPipelineLive` (the same guard, only its pipeline in the context: "lean context"). Each
 * server runs in its own process; autocannon drives it on loopback; scenarios alternate over
 * several rounds. Each ratio is taken within a round, between two runs a few seconds apart, and the
 * median over the rounds (with its range) is reported: on these machines the speed drifts between
 * rounds, and a ratio of medians taken from different rounds would carry that drift.
 *
 *   npx tsx bench/middleware.ts            (about 5 minutes)
 *   ROUNDS=1 DURATION=3 npx tsx bench/middleware.ts
 */
import { CONNECTIONS, load, measure, median, spread, startReceiver, startServer, stop } from "./_load.js"

const ROUNDS = Number(process.env["ROUNDS"] ?? 5)
const DURATION = Number(process.env["DURATION"] ?? 5)

const scenarios = [
  { name: "GET  bare", mode: "bare", post: false },
  { name: "GET  guarded", mode: "guarded", post: false },
  { name: "GET  guarded + OTel", mode: "guarded-otel", post: false },
  { name: "GET  guarded, lean context", mode: "guarded-lean", post: false },
  { name: "POST bare (10 KB JSON)", mode: "bare", post: true },
  { name: "POST guarded (10 KB JSON)", mode: "guarded", post: true },
  { name: "POST bare (10 KB gzip JSON)", mode: "bare", post: "gzip" },
  { name: "POST guarded (10 KB gzip JSON)", mode: "guarded", post: "gzip" }
] as const

const main = async () => {
  const receiver = await startReceiver()
  const samples = new Map<string, Array<Awaited<ReturnType<typeof measure>>>>(scenarios.map((s) => [s.name, []]))
  let port = 39_000 + Math.floor(Math.random() * 1000)
  for (let round = 0; round < ROUNDS; round++) {
    for (const scenario of scenarios) {
      port++
      const child = await startServer(scenario.mode, port, { OTLP_URL: receiver.url })
      const url = `http://127.0.0.1:${port}${scenario.post === "gzip" ? "/items-gz" : scenario.post ? "/items" : "/hello"}`
      await load(url, scenario.post, 1) // warm-up
      samples.get(scenario.name)!.push(await measure(child, url, scenario.post, DURATION))
      await stop(child)
    }
  }
  receiver.server.close()
  const stat = (name: string) => {
    const s = samples.get(name)!
    const cpu = s.flatMap((x) => (x.cpuPerRequest === undefined ? [] : [x.cpuPerRequest]))
    return {
      rps: median(s.map((x) => x.rps)),
      p99: median(s.map((x) => x.p99)),
      non2xx: s.reduce((a, x) => a + x.non2xx, 0),
      cpu: cpu.length === 0 ? NaN : median(cpu)
    }
  }
  console.log(`middleware: ${CONNECTIONS} connections, ${DURATION}s per run, ${ROUNDS} interleaved rounds (medians; ratios: median [range] of the rounds' own)`)
  for (const { name } of scenarios) {
    const s = stat(name)
    console.log(
      `  ${name.padEnd(31)} ${s.rps.toFixed(0).padStart(8)} req/s   p99 ${String(s.p99).padStart(4)} ms   non-2xx ${s.non2xx}   server CPU ${s.cpu.toFixed(0).padStart(4)} µs/request`
    )
  }
  /** Per round: a's throughput over b's, and b's server CPU per request over a's. */
  const perRound = (a: string, b: string) => {
    const [sa, sb] = [samples.get(a)!, samples.get(b)!]
    return {
      rps: sa.map((x, i) => x.rps / sb[i]!.rps),
      cpu: sa.flatMap((x, i) => x.cpuPerRequest === undefined || sb[i]!.cpuPerRequest === undefined ? [] : [sb[i]!.cpuPerRequest! / x.cpuPerRequest])
    }
  }
  const line = (label: string, a: string, b: string, target: string) => {
    const r = perRound(a, b)
    console.log(`  ${label.padEnd(24)}= ${spread(r.rps)} (target ${target}); by server CPU per request ${spread(r.cpu)}`)
  }
  line("guarded/bare GET", "GET  guarded", "GET  bare", ">= 0.80")
  line("lean/bare GET", "GET  guarded, lean context", "GET  bare", ">= 0.80")
  line("guarded/bare POST 10 KB", "POST guarded (10 KB JSON)", "POST bare (10 KB JSON)", ">= 0.85")
  line("guarded/bare POST gzip", "POST guarded (10 KB gzip JSON)", "POST bare (10 KB gzip JSON)", "reported")
  line("with OTel/without GET", "GET  guarded + OTel", "GET  guarded", ">= 0.95")
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
