/**
 * What reading a web request's body twice costs, in process: the guard reads a clone of it
 * (`Request.clone` tees the stream) and the application the original (`src/internal/bodyPeek.ts`),
 * against reading it once, and against the alternative without a clone: read the bytes once, then
 * hand the application a new `Request` built from them.
 *
 * Allocation by V8's sampling heap profiler (collected objects included), CPU time in alternating
 * rounds: both hardly move with the machine's load.
 *
 *   npx tsx bench/web-body-clone.ts
 */
import { Session } from "node:inspector/promises"
import { postBody } from "./_load.js"

const N = Number(process.env["N"] ?? 5_000)
const headers = { "content-type": "application/json", "content-length": String(Buffer.byteLength(postBody)) }
const fresh = () => new Request("http://127.0.0.1:3000/items", { method: "POST", body: postBody, headers })

/** Reads `stream` to its end; the byte count. */
const drain = async (stream: ReadableStream<Uint8Array>) => {
  const reader = stream.getReader()
  let bytes = 0
  for (;;) {
    const chunk = await reader.read()
    if (chunk.done) return bytes
    bytes += chunk.value.byteLength
  }
}

const modes: Record<string, () => Promise<unknown>> = {
  "read once (the application alone)": () => fresh().text(),
  "clone: the guard reads the clone, the application the original (today)": async () => {
    const request = fresh()
    await drain(request.clone().body!)
    return request.text()
  },
  "no clone: read once, the application gets a new Request of the bytes": async () => {
    const request = fresh()
    const bytes = new Uint8Array(await request.arrayBuffer())
    return new Request(request.url, { method: request.method, headers: request.headers, body: bytes }).text()
  }
}

const session = new Session()
session.connect()
interface SamplingNode {
  readonly selfSize: number
  readonly children: ReadonlyArray<SamplingNode>
}
const totalBytes = (node: SamplingNode): number => node.children.reduce((sum, child) => sum + totalBytes(child), node.selfSize)

const run = async (f: () => Promise<unknown>, n: number) => {
  for (let i = 0; i < n; i++) await f()
}
const cpuMicros = async (f: () => Promise<unknown>, n: number) => {
  const start = process.cpuUsage()
  await run(f, n)
  const used = process.cpuUsage(start)
  return (used.user + used.system) / n
}

const kb: Record<string, number> = {}
for (const [name, f] of Object.entries(modes)) {
  await run(f, N / 5)
  await session.post("HeapProfiler.startSampling", { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  await run(f, N)
  const { profile } = await session.post("HeapProfiler.stopSampling")
  kb[name] = totalBytes(profile.head as SamplingNode) / N / 1024
}
const cpu: Record<string, Array<number>> = Object.fromEntries(Object.keys(modes).map((name) => [name, []]))
for (let round = 0; round < 5; round++) {
  for (const [name, f] of Object.entries(modes)) cpu[name]!.push(await cpuMicros(f, N / 5))
}
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
console.log(`${Buffer.byteLength(postBody)}-byte body, ${N} requests per mode`)
for (const name of Object.keys(modes)) {
  console.log(`${name.padEnd(72)} ${kb[name]!.toFixed(1).padStart(6)} KB  ${median(cpu[name]!).toFixed(1).padStart(6)} µs CPU (median of 5 rounds)`)
}
