/**
 * Run by test/detection/cleanMemo.test.ts in a child process with `--expose-gc`: scans form bodies
 * of 100 KB whose one short field is new each time, and prints how much heap is still in use after
 * a full collection (MB). A remembered field must not keep its body alive.
 */
import { engineSettings, makeEngine } from "../../src/internal/detection/engine.js"

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with --expose-gc")

const engine = makeEngine(engineSettings({}, []))
const padding = "x".repeat(100_000)
const scan = (i: number) =>
  engine({ path: "/form", body: { kind: "form", text: `id=order.${i}.of.many.requests&notes=${padding}${i}` } })

scan(0)
gc()
const before = process.memoryUsage().heapUsed
for (let i = 1; i <= 1_000; i++) scan(i)
gc()
console.log(JSON.stringify({ retainedMb: (process.memoryUsage().heapUsed - before) / 1_048_576 }))
