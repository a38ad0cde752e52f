/**
 * A CPU profile of a benchmark server (the compiled bench/_server.ts, as bench/simultaneous.ts runs
 * it) answering the 10 KB JSON POST: Node's own request path, the body read the guard shares with
 * the application's `req.json`, and the detector. Prints the server's CPU per request and the
 * functions with the most self time; open the profile in Chrome DevTools for the call tree.
 *
 *   npx tsx bench/_profilePost.ts                  (guarded, 8 s of load)
 *   MODE=bare POST=gzip DURATION=4 npx tsx bench/_profilePost.ts
 */
import { readdirSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { load, measure, serverOf, spawnServer, stop } from "./_load.js"

const MODE = process.env["MODE"] ?? "guarded"
const POST = process.env["POST"] === "gzip" ? "gzip" : true
const DURATION = Number(process.env["DURATION"] ?? 8)
const dir = join(process.env["PROFILE_DIR"] ?? "/tmp", `profile-post-${MODE}`)

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}
interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

rmSync(dir, { recursive: true, force: true })
const port = 45_000 + Math.floor(Math.random() * 1000)
const url = `http://127.0.0.1:${port}${POST === "gzip" ? "/items-gz" : "/items"}`
const server = await spawnServer(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, serverOf(undefined), MODE, String(port)])
await load(url, POST, 2)
const sample = await measure(server, url, POST, DURATION)
await stop(server)
console.log(`${MODE}: ${sample.rps.toFixed(0)} requests/s, server CPU ${sample.cpuPerRequest?.toFixed(0) ?? "n/a"} µs per request`)

// self time by function, over the whole run (start-up included: it is small against the load)
const file = join(dir, readdirSync(dir)[0]!)
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile
const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
const self = new Map<string, number>()
let total = 0
profile.samples.forEach((id, i) => {
  const frame = nodes.get(id)!.callFrame
  const name = `${frame.functionName || "(anonymous)"} ${frame.url.replace(/^.*\//, "")}:${frame.lineNumber + 1}`
  const delta = profile.timeDeltas[i] ?? 0
  self.set(name, (self.get(name) ?? 0) + delta)
  total += delta
})
for (const [name, time] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`  ${((100 * time) / total).toFixed(1).padStart(5)} %  ${name}`)
}
console.log(`profile: ${file}`)
