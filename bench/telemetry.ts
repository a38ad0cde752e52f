/**
 * Telemetry hot path: what one emission costs the request fiber, measured side by side in one run.
 *
 * - throughput: events per second through EventBus -> composite -> TestExporter (emit + flush);
 * - stalled / healthy: cost of one emission when the only exporter never answers, against a healthy one;
 * - muted / none: cost of emitting a muted type, against not emitting at all.
 *
 * Rounds of the cases are interleaved and the median round is reported, so drift of the machine
 * affects every case alike.
 */
import { Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { CompositeHandler, EventBus, GuardConfig, GuardLive, TestExporter } from "../src/index.js"

const N = 20_000
const ROUNDS = 9

const runtimeFor = (behavior: "record" | "hang") =>
  ManagedRuntime.make(
    GuardLive.pipe(
      Layer.provideMerge(TestExporter.layer({ behavior })),
      Layer.provide(GuardConfig.layer({
        mutedEventTypes: ["rate_limited"],
        telemetryQueueCapacity: 4096,
        telemetryExportTimeoutMs: 50,
        telemetryShutdownTimeoutMs: 200
      })),
      // the stalled exporter is expected to time out; its warnings are not what is measured
      Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
    )
  )

const emitMany = (eventType: "ip_blocked" | "rate_limited", n: number) =>
  Effect.flatMap(EventBus, (bus) =>
    Effect.forEach(
      Array.from({ length: n }),
      () => bus.emit(eventType, { actionTaken: "request_blocked", reason: "bench", ipAddress: "198.51.100.7" }),
      { discard: true }
    ))

const nothing = (n: number) => Effect.forEach(Array.from({ length: n }), () => Effect.void, { discard: true })

const timed = async (run: () => Promise<unknown>): Promise<number> => {
  const start = performance.now()
  await run()
  return performance.now() - start
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const main = async () => {
  const healthy = runtimeFor("record")
  const stalled = runtimeFor("hang")
  const flushAndClear = Effect.zipRight(
    Effect.flatMap(CompositeHandler, (c) => c.flush),
    Effect.flatMap(TestExporter, (t) => t.clear)
  )
  // warm-up
  await healthy.runPromise(Effect.zipRight(emitMany("ip_blocked", N), flushAndClear))
  await stalled.runPromise(emitMany("ip_blocked", N))

  const samples = { throughput: [] as Array<number>, healthy: [] as Array<number>, stalled: [] as Array<number>, muted: [] as Array<number>, none: [] as Array<number> }
  for (let round = 0; round < ROUNDS; round++) {
    samples.throughput.push(await timed(() => healthy.runPromise(Effect.zipRight(emitMany("ip_blocked", N), flushAndClear))))
    samples.healthy.push(await timed(() => healthy.runPromise(emitMany("ip_blocked", N))))
    await healthy.runPromise(flushAndClear)
    samples.stalled.push(await timed(() => stalled.runPromise(emitMany("ip_blocked", N))))
  }
  // the stalled runtime keeps timing out its backlog in the background: stop it before timing
  // sub-microsecond work, and let the healthy one go idle
  await stalled.dispose()
  await healthy.runPromise(flushAndClear)
  for (let round = 0; round < ROUNDS; round++) {
    samples.muted.push(await timed(() => healthy.runPromise(emitMany("rate_limited", N * 10))))
    samples.none.push(await timed(() => healthy.runPromise(nothing(N * 10))))
  }
  const perOp = (ms: number) => (ms * 1000) / N

  const throughput = N / (median(samples.throughput) / 1000)
  const rows = [
    ["end-to-end throughput (emit + deliver)", `${Math.round(throughput).toLocaleString("en")} events/s`, ""],
    ["emission, healthy exporter", `${perOp(median(samples.healthy)).toFixed(2)} us`, ""],
    ["emission, stalled exporter", `${perOp(median(samples.stalled)).toFixed(2)} us`, `stalled/healthy = ${(median(samples.stalled) / median(samples.healthy)).toFixed(2)} (target <= 1.10)`],
    ["loop without emitting", `${(perOp(median(samples.none)) / 10).toFixed(3)} us`, ""],
    ["emission of a muted type", `${(perOp(median(samples.muted)) / 10).toFixed(3)} us`, `muted/none = ${(median(samples.muted) / median(samples.none)).toFixed(2)} (target <= 1.10)`]
  ]
  console.log(`telemetry: ${N} emissions per round, median of ${ROUNDS} interleaved rounds`)
  for (const [name, value, ratio] of rows) console.log(`  ${name!.padEnd(42)} ${value!.padStart(18)}  ${ratio}`)
  await healthy.dispose()
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
