/**
 * Instructions per GET in process, under valgrind's callgrind: the benchmarks' router driven through
 * the platform's request handling (bench/_inProcess.ts), bare or behind the default guard, compiled
 * with tsc. Each worker is warmed with `WARM` GETs; callgrind's counters are zeroed, the worker
 * answers `N` more, and they are dumped. Unlike bench/instructions.ts there is no server, socket or
 * load generator, so it finishes on a loaded machine, and the count is the guard's and the
 * platform's work alone. Own instructions leave out garbage collection and JIT compilation
 * (bench/_callgrind.ts).
 *
 * With `FUNCTIONS=1` the worker runs with `--perf-basic-prof` and the JavaScript code callgrind cannot
 * name is attributed to V8's functions by the perf map V8 writes: the most costly functions of each
 * case, own instructions per GET. With `CALLERS=<regex>`, the callers of the functions it matches,
 * each with the inclusive cost of its calls to them per GET.
 *
 *   npx tsx bench/get-instructions.ts                         (bare and guarded)
 *   CASES='guarded,guarded:{"enablePenetrationDetection":false}' npx tsx bench/get-instructions.ts
 *   FUNCTIONS=1 CASES=guarded npx tsx bench/get-instructions.ts
 *   CALLERS='^Builtins_ArrayPrototypePush$' CASES=guarded npx tsx bench/get-instructions.ts
 *
 * A case is `bare`, `guarded`, `guarded-lean` (`GuardPipelineLive`: the guard's services out of the
 * request context), or `guarded:<JSON>` (the JSON as `BENCH_GUARD_CONFIG`).
 */
import { execFileSync, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { callerCosts, countOf, functionCosts } from "./_callgrind.js"
import { compile } from "./_compile.js"

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, "..")
const CASES = (process.env["CASES"] ?? "bare,guarded").split(/,(?![^{]*})/)
const N = Number(process.env["N"] ?? 1000)
const FUNCTIONS = process.env["FUNCTIONS"] === "1"
const TOP = Number(process.env["TOP"] ?? 40)
/** With `CALLERS=<regex>`, who calls the functions it matches, and what those calls cost inclusively. */
const CALLERS = process.env["CALLERS"] === undefined ? undefined : new RegExp(process.env["CALLERS"])

const build = (): string => {
  // one build per run, so that runs of several cases at once do not replace each other's
  const out = join(root, ".bench-build-get", String(process.pid))
  rmSync(out, { recursive: true, force: true })
  compile(root, "bench/_getWorker.ts", out)
  return join(out, "bench", "_getWorker.js")
}

interface PerfEntry {
  readonly start: number
  readonly end: number
  readonly name: string
}

/** V8's perf map: `start size name` per line, hex; sorted by start for a binary search. */
const perfMap = (pid: number): ReadonlyArray<PerfEntry> => {
  const file = `/tmp/perf-${pid}.map`
  if (!existsSync(file)) return []
  const entries = readFileSync(file, "utf8").split("\n").flatMap((line) => {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line)
    if (m === null) return []
    const start = parseInt(m[1]!, 16)
    return [{ start, end: start + parseInt(m[2]!, 16), name: m[3]! }]
  })
  rmSync(file, { force: true })
  return entries.sort((a, b) => a.start - b.start)
}

const lookup = (map: ReadonlyArray<PerfEntry>, address: number): string | undefined => {
  let lo = 0
  let hi = map.length - 1
  let found: PerfEntry | undefined
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (map[mid]!.start <= address) {
      found = map[mid]
      lo = mid + 1
    } else hi = mid - 1
  }
  return found !== undefined && address < found.end ? found.name : undefined
}

/** Own cost per function name in a dump; unnamed code (`0x...`) named by the perf map. */
const named = (map: ReadonlyArray<PerfEntry>) => (name: string): string => {
  const address = /^0x([0-9a-f]+)$/.exec(name)
  return address === null ? name : lookup(map, parseInt(address[1]!, 16)) ?? "(unknown code)"
}

const count = (script: string, spec: string) =>
  new Promise<{ readonly total: number; readonly own: number; readonly functions: Map<string, number>; readonly callers: Map<string, number> }>((done, fail) => {
    const [mode, config] = spec.startsWith("guarded:") ? ["guarded", spec.slice("guarded:".length)] : [spec, undefined]
    const dir = mkdtempSync(join(tmpdir(), "get-instructions-"))
    const child = spawn("valgrind", [
      "--tool=callgrind",
      `--callgrind-out-file=${join(dir, "out")}`,
      `--log-file=${join(dir, "log")}`,
      process.execPath,
      ...(FUNCTIONS || CALLERS !== undefined ? ["--perf-basic-prof", "--interpreted-frames-native-stack"] : []),
      script,
      mode
    ], {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, ...(config === undefined ? {} : { BENCH_GUARD_CONFIG: config }), N: String(N) }
    })
    child.on("error", fail)
    child.on("exit", (code) => {
      if (code !== null && code !== 0) fail(new Error(`${spec}: worker exited with ${code}`))
    })
    child.stdout!.on("data", (chunk: Buffer) => {
      const text = chunk.toString()
      if (text.includes("ready")) {
        execFileSync("callgrind_control", ["--zero", String(child.pid)], { stdio: "ignore" })
        child.stdin!.write("go\n")
      }
      const finished = /done ?(.*)/.exec(text)
      if (finished !== null) {
        if (finished[1] !== undefined && finished[1].trim() !== "") console.log(`  ${spec}: responses other than 200: ${finished[1]}`)
        execFileSync("callgrind_control", ["--dump", String(child.pid)], { stdio: "ignore" })
        const dump = readFileSync(join(dir, readdirSync(dir).find((name) => name.startsWith("out."))!), "utf8")
        const total = Number(/^(?:totals|summary): (\d+)/m.exec(dump)![1])
        // the valgrind process's pid is the worker's: V8 names its perf map after it
        const rename = named(FUNCTIONS || CALLERS !== undefined ? perfMap(child.pid!) : [])
        const functions = FUNCTIONS ? functionCosts(dump, rename) : new Map<string, number>()
        const callers = CALLERS === undefined ? new Map<string, number>() : callerCosts(dump, CALLERS, rename)
        child.kill("SIGKILL")
        rmSync(dir, { recursive: true, force: true })
        const split = countOf(dump, total)
        done({ total: total / N, own: (total - split.gc - split.jit) / N, functions, callers })
      }
    })
  })

const script = build()
process.on("exit", () => rmSync(join(script, "../.."), { recursive: true, force: true }))
console.log(`get-instructions: K instructions per GET in process (${N} GETs per case, after a warm-up)`)
for (const spec of CASES) {
  const { callers, functions, own, total } = await count(script, spec)
  console.log(`  ${spec.padEnd(40)} all ${(total / 1000).toFixed(1).padStart(7)}  own ${(own / 1000).toFixed(1).padStart(7)}`)
  if (FUNCTIONS) {
    for (const [name, cost] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
      console.log(`    ${(cost / N / 1000).toFixed(2).padStart(7)}  ${name.slice(0, 150)}`)
    }
  }
  if (CALLERS !== undefined) {
    console.log(`    callers of ${CALLERS.source}, inclusive K per GET:`)
    for (const [name, cost] of [...callers].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
      console.log(`    ${(cost / N / 1000).toFixed(2).padStart(7)}  ${name.slice(0, 150)}`)
    }
  }
}
