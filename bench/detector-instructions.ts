/**
 * Instructions per detector call on the server benchmarks' 10 KB JSON POST body, in process: the
 * engine of each checkout compiled with tsc, warmed with `WARM` calls, then counted under callgrind
 * over `N` more (zeroed before and dumped after them, as bench/instructions.ts does for a server).
 * Steadier than a timing on a loaded machine: two builds of one commit agree within 0.1 % in all
 * and about 1 % in own instructions (garbage collection and JIT compilation left out).
 *
 *   npx tsx bench/detector-instructions.ts /tmp/base .      (A/B: a base checkout and this one)
 *   WARM=3000 N=1500 npx tsx bench/detector-instructions.ts .
 *
 * Needs valgrind. Each checkout needs its node_modules; its build goes to `.bench-detector/`.
 */
import { execFileSync, spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { countOf } from "./_callgrind.js"
import { buildEngine } from "./_detectorBuild.js"
import { postBody } from "./_load.js"

const WARM = Number(process.env["WARM"] ?? 3000)
const N = Number(process.env["N"] ?? 1500)

/** The worker: warms the engine, then answers `N` calls for each line on stdin. */
const worker = (engine: string) => `
import { createInterface } from "node:readline"
const { makeEngine, engineSettings } = await import(${JSON.stringify(engine)})
const engine = makeEngine(engineSettings({}, []))
const body = ${JSON.stringify(postBody)}
const input = () => ({
  path: "/items",
  headers: { host: "127.0.0.1", "content-type": "application/json", "content-length": String(body.length), connection: "keep-alive" },
  body: { kind: "json", text: Buffer.from(body).toString("utf8") }
})
for (let i = 0; i < ${WARM}; i++) engine(input())
const inputs = Array.from({ length: ${N} }, input)
console.log("ready")
createInterface({ input: process.stdin }).on("line", () => {
  let findings = 0
  for (let i = 0; i < ${N}; i++) findings += engine(inputs[i]).findings.length
  console.log("done " + findings)
})
`

const build = (checkout: string): string => {
  const { engine, out } = buildEngine(checkout)
  const script = join(out, "worker.mjs")
  writeFileSync(script, worker(engine))
  return script
}

const count = (script: string) =>
  new Promise<{ readonly total: number; readonly own: number }>((done, fail) => {
    const dir = mkdtempSync(join(tmpdir(), "detector-instructions-"))
    const child = spawn("valgrind", ["--tool=callgrind", `--callgrind-out-file=${join(dir, "out")}`, `--log-file=${join(dir, "log")}`, process.execPath, script], {
      stdio: ["pipe", "pipe", "inherit"]
    })
    child.on("error", fail)
    child.stdout!.on("data", (chunk: Buffer) => {
      const text = chunk.toString()
      if (text.includes("ready")) {
        execFileSync("callgrind_control", ["--zero", String(child.pid)], { stdio: "ignore" })
        child.stdin!.write("go\n")
      }
      if (text.includes("done")) {
        execFileSync("callgrind_control", ["--dump", String(child.pid)], { stdio: "ignore" })
        const dump = readFileSync(join(dir, readdirSync(dir).find((name) => name.startsWith("out."))!), "utf8")
        const total = Number(/^(?:totals|summary): (\d+)/m.exec(dump)![1])
        child.kill("SIGKILL")
        rmSync(dir, { recursive: true, force: true })
        const split = countOf(dump, total)
        done({ total: total / N, own: (total - split.gc - split.jit) / N })
      }
    })
  })

const checkouts = process.argv.slice(2).map((path) => resolve(path))
const scripts = checkouts.map(build)
console.log(`detector: 10 KB JSON POST body, ${N} calls after ${WARM} to warm it, under callgrind`)
const counts = await Promise.all(scripts.map(count))
checkouts.forEach((checkout, i) => {
  const c = counts[i]!
  console.log(`  ${checkout}: ${(c.own / 1000).toFixed(1)} K own, ${(c.total / 1000).toFixed(1)} K in all per call`)
})
