/**
 * What survives a request in the server: bytes promoted to V8's old generation per request, and
 * the young-generation collections' pause per request, for each server under autocannon's load
 * (bench/_server.ts modes, `node --trace-gc-nvp`).
 *
 * A request's garbage that dies young costs little to collect; what something still holds when a
 * collection runs is copied, and what survives two is promoted, copied again and later marked.
 * The in-process figures (bench/allocation.ts) cannot see this: requests there run one at a time
 * and nothing outlives them. The bare server promotes about 0.6 KB per GET; a guard that keeps a
 * request's facts where the request's fiber holds them promotes those facts with every request.
 *
 *   npx tsx bench/promotion.ts
 *   MODES=bare,guarded-minimal,guarded,guarded@/tmp/previous DURATION=6 npx tsx bench/promotion.ts
 *
 * Promotion depends on how long requests stay in flight, hence on the machine's load: compare
 * modes measured in one run, not runs.
 */
import { spawn } from "node:child_process"
import { load, serverSpec, spread, stop } from "./_load.js"

const MODES = (process.env["MODES"] ?? "bare,guarded-minimal,guarded").split(",")
const DURATION = Number(process.env["DURATION"] ?? 6)
const ROUNDS = Number(process.env["ROUNDS"] ?? 2)
const POST = process.env["POST"] === "1"

/** Sums a `--trace-gc-nvp` field over the scavenges in `lines`. */
const total = (lines: ReadonlyArray<string>, field: string) =>
  lines.reduce((sum, line) => sum + Number(new RegExp(`\\b${field.replace(".", "\\.")}=([\\d.]+)`).exec(line)?.[1] ?? 0), 0)

const measure = async (spec: string, port: number) => {
  const { mode, script } = serverSpec(spec)
  const child = spawn(process.execPath, ["--trace-gc-nvp", script, mode, String(port)], { stdio: ["ignore", "pipe", "inherit"] })
  let out = ""
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes("ready")) resolve()
    })
    child.on("exit", (code) => reject(new Error(`${spec} exited with ${code}`)))
  })
  const url = `http://127.0.0.1:${port}${POST ? "/items" : "/hello"}`
  await load(url, POST, 2) // warm-up
  const promoted: Array<number> = []
  const pause: Array<number> = []
  for (let round = 0; round < ROUNDS; round++) {
    const start = out.length
    const sample = await load(url, POST, DURATION)
    const scavenges = out.slice(start).split("\n").filter((line) => line.includes("gc=s"))
    promoted.push(total(scavenges, "promoted") / sample.total / 1024)
    pause.push((total(scavenges, "pause") * 1000) / sample.total)
  }
  await stop(child)
  return { promoted, pause }
}

const main = async () => {
  let port = 45_000 + Math.floor(Math.random() * 1000)
  console.log(`promotion: ${POST ? "POST 10 KB JSON" : "GET"}, ${ROUNDS} rounds of ${DURATION}s per server; median [range]`)
  for (const spec of MODES) {
    const { pause, promoted } = await measure(spec, ++port)
    console.log(`  ${spec}`.padEnd(28), `KB promoted per request ${spread(promoted)}   scavenge pause per request ${spread(pause)} µs`)
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
