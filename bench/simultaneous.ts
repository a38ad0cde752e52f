/**
 * Bare and guarded servers under load at the same time, each with its own load generator: the
 * machine's drift (a neighbour, frequency changes) then hits both alike, and the ratio of their
 * throughputs is the ratio of their CPU cost per request, as long as the scheduler shares the
 * cores evenly between the two servers. On this project's noisy 2-core machines the sequential
 * benchmarks (bench/middleware.ts, bench/breakdown.ts) move by ±10 % and more between rounds; this
 * one is a cross-check for their medians, not a replacement (four busy processes on two cores is
 * not how a server runs).
 *
 *   npx tsx bench/simultaneous.ts                    (GET: bare vs guarded, about 1 minute)
 *   PAIRS=bare:guarded-minimal,bare:guarded ROUNDS=8 npx tsx bench/simultaneous.ts
 *   POST=1 npx tsx bench/simultaneous.ts             (10 KB JSON POST)
 *   POST=gzip npx tsx bench/simultaneous.ts          (the same POST gzip-encoded)
 *   PAIRS=guarded@/tmp/previous:guarded npx tsx bench/simultaneous.ts   (A/B: another checkout's
 *   guarded server first; the checkout needs its node_modules)
 *
 * Report the server CPU ratio: with four busy processes on two cores the load generators, not the
 * servers, often set the pace, which pulls the throughput ratio toward 1.
 */
import { load, measure, serverSpec, spread, startReceiver, startServer, stop } from "./_load.js"

const ROUNDS = Number(process.env["ROUNDS"] ?? 6)
const DURATION = Number(process.env["DURATION"] ?? 4)
const POST = process.env["POST"] === "gzip" ? "gzip" : process.env["POST"] === "1"
const PAIRS = (process.env["PAIRS"] ?? "bare:guarded").split(",").map((pair) => pair.split(":") as [string, string])

/** `mode`, `mode@checkout` or `mode@path/_server.js` (see `serverSpec`). */
const start = (server: string, port: number, otlp: string) => {
  const { mode, script } = serverSpec(server)
  return startServer(mode, port, { OTLP_URL: otlp }, script)
}

const main = async () => {
  const receiver = await startReceiver()
  let port = 43_000 + Math.floor(Math.random() * 1000)
  const path = POST === "gzip" ? "/items-gz" : POST ? "/items" : "/hello"
  console.log(`simultaneous: ${POST === "gzip" ? "POST 10 KB gzip JSON" : POST ? "POST 10 KB JSON" : "GET"}, ${DURATION}s per round, ${ROUNDS} rounds; ratio second/first, median [range]`)
  for (const [first, second] of PAIRS) {
    const servers = [await start(first, ++port, receiver.url), await start(second, ++port, receiver.url)]
    const urls = [`http://127.0.0.1:${port - 1}${path}`, `http://127.0.0.1:${port}${path}`]
    await Promise.all(urls.map((url) => load(url, POST, 2))) // warm-up
    const ratios: Array<number> = []
    const cpuRatios: Array<number> = []
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b] = await Promise.all(urls.map((url, i) => measure(servers[i]!, url, POST, DURATION)))
      if (a!.non2xx + b!.non2xx > 0) console.warn(`  ${a!.non2xx + b!.non2xx} responses other than 2xx`)
      ratios.push(b!.rps / a!.rps)
      if (a!.cpuPerRequest !== undefined && b!.cpuPerRequest !== undefined) cpuRatios.push(a!.cpuPerRequest / b!.cpuPerRequest)
    }
    await Promise.all(servers.map(stop))
    console.log(`  ${second}/${first}`.padEnd(28), `throughput ${spread(ratios)}   server CPU per request ${spread(cpuRatios)}`)
  }
  receiver.server.close()
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
