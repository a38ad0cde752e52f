/**
 * Request latency under each fault, as a ratio to a healthy run, all in one run
 * (`npx tsx bench/faults.ts`, about a minute; needs `redis-server` on the PATH).
 *
 * Each scenario starts a guarded server (`serveGuarded` on a loopback `NodeHttpServer`) with Redis,
 * OpenTelemetry and the agent transport on, every backend a loopback stand-in of this process's own:
 * a `redis-server` on its own port (never the shared one), an OTLP/HTTP receiver and a guard-agent
 * backend that can be told to fail. The fault is applied, then GETs go out at a fixed rate (open
 * loop: a slow answer does not slow the sending) from distinct clients, and the latencies are
 * compared with the healthy scenario's (the median of three healthy runs, first, in the middle and
 * last, after a warm-up: the three show the noise). Then the guard is closed, and the time that took is printed next to
 * `telemetryShutdownTimeoutMs` (a close with Redis stopped also waits up to 1 s for `QUIT` and 1 s
 * for the disconnect).
 *
 * The client runs in the same process as the server: absolute figures include its share of the
 * event loop, the same in every scenario. On a shared machine read the ratios, not the milliseconds.
 */
import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Exit, Layer, Logger, LogLevel, Scope } from "effect"
import { Agent, createServer, request } from "node:http"
import { availableParallelism, loadavg } from "node:os"
import { GuardConfig, type GuardConfigInput, serveGuarded } from "../src/index.js"
import { type AgentBackend, makeAgentBackend } from "../test/support/agentBackend.js"
import { makeGarbageServer } from "../test/support/garbageServer.js"
import { makeOtlpReceiver, type OtlpReceiver } from "../test/support/otlpReceiver.js"
import { freePort, makeRedisServer, type RedisServer } from "../test/support/redisServer.js"

const RATE = 50 // requests per second
const SECONDS = 3
const COMMAND_TIMEOUT = 500
const SHUTDOWN_TIMEOUT = 2_000
const API_KEY = "bench-api-key-0123456789"

interface Backends {
  readonly redis: RedisServer
  readonly collector: OtlpReceiver
  readonly agent: AgentBackend
  readonly garbage: string
  readonly closed: string
}

interface Scenario {
  readonly name: string
  readonly failOpen?: boolean
  /** Where OpenTelemetry sends, when not the healthy collector. */
  readonly otelEndpoint?: (backends: Backends) => string
  readonly fault?: (backends: Backends) => Effect.Effect<void, never, Scope.Scope>
  /** Puts things back as they were, after the guard has closed. */
  readonly heal?: (backends: Backends) => Effect.Effect<void>
}

/** Keeps Redis busy: `DEBUG SLEEP 0.3` back to back, so each command waits up to 300 ms. */
const slowRedis = (backends: Backends) =>
  Effect.forkScoped(Effect.forever(Effect.zipRight(backends.redis.sleep(0.3), Effect.sleep("300 millis"))))

const scenarios: ReadonlyArray<Scenario> = [
  { name: "healthy" },
  { name: "Redis stopped (SIGSTOP), fail-closed", fault: (b) => b.redis.stop, heal: (b) => b.redis.resume },
  { name: "Redis stopped (SIGSTOP), fail-open", failOpen: true, fault: (b) => b.redis.stop, heal: (b) => b.redis.resume },
  { name: "Redis killed, fail-closed", fault: (b) => b.redis.kill, heal: (b) => b.redis.start },
  { name: "Redis killed, fail-open", failOpen: true, fault: (b) => b.redis.kill, heal: (b) => b.redis.start },
  { name: "Redis slow (busy 300 ms of every 600 ms), fail-closed", fault: slowRedis },
  { name: "Redis slow (busy 300 ms of every 600 ms), fail-open", failOpen: true, fault: slowRedis },
  { name: "healthy (middle)" },
  { name: "OTLP collector hangs", fault: (b) => b.collector.setMode({ _tag: "hang" }), heal: (b) => b.collector.setMode({ _tag: "ok" }) },
  { name: "OTLP collector answers 500", fault: (b) => b.collector.setMode({ _tag: "status", status: 500 }), heal: (b) => b.collector.setMode({ _tag: "ok" }) },
  { name: "OTLP collector closed", otelEndpoint: (b) => b.closed },
  { name: "OTLP collector answers garbage", otelEndpoint: (b) => b.garbage },
  { name: "agent backend hangs", fault: (b) => b.agent.hang(true), heal: (b) => b.agent.hang(false) },
  { name: "agent backend answers 500", fault: (b) => b.agent.always({ status: 500 }), heal: (b) => b.agent.always(undefined) },
  { name: "healthy (last)" }
]

const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("ok")))

const configOf = (scenario: Scenario, backends: Backends): GuardConfigInput => ({
  enableRedis: true,
  redisUrl: backends.redis.url,
  redisPrefix: "bench-faults:",
  redisCommandTimeoutMs: COMMAND_TIMEOUT,
  redisFailOpen: scenario.failOpen ?? false,
  enableRateLimiting: true,
  rateLimit: 100_000,
  trustedProxies: ["127.0.0.1"],
  enableOtel: true,
  otelExporterEndpoint: scenario.otelEndpoint?.(backends) ?? backends.collector.url,
  enableAgent: true,
  agentApiKey: API_KEY,
  agentEndpoint: backends.agent.url,
  agentFlushInterval: 1,
  telemetryExportTimeoutMs: 1_000,
  telemetryShutdownTimeoutMs: SHUTDOWN_TIMEOUT
})

interface Sample {
  readonly millis: number
  readonly status: number
}

/** `RATE` GETs a second for `SECONDS`, each from its own client address, without waiting for answers. */
const load = (port: number) =>
  Effect.promise(async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 256 })
    const samples: Array<Promise<Sample>> = []
    const total = RATE * SECONDS
    const started = performance.now()
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / RATE
      const wait = due - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      samples.push(
        new Promise<Sample>((resolve) => {
          const sent = performance.now()
          const req = request(
            { host: "127.0.0.1", port, path: "/", agent, headers: { "x-forwarded-for": `198.51.100.${i % 250}` } },
            (res) => {
              res.resume()
              res.on("end", () => resolve({ millis: performance.now() - sent, status: res.statusCode ?? 0 }))
            }
          )
          // bounded: a request that gets no answer in 10 s counts as 10 s
          req.setTimeout(10_000, () => req.destroy())
          req.on("error", () => resolve({ millis: performance.now() - sent, status: 0 }))
          req.end()
        })
      )
    }
    const all = await Promise.all(samples)
    agent.destroy()
    return all
  })

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!

interface Result {
  readonly name: string
  readonly p50: number
  readonly p99: number
  readonly max: number
  readonly statuses: string
  readonly closeMillis: number
}

/** Builds the guard, applies the fault, measures, closes the guard (timed), heals the fault. */
const run = (scenario: Scenario, backends: Backends) =>
  Effect.gen(function*() {
    const port = yield* freePort
    const guard = yield* Scope.make()
    yield* Layer.buildWithScope(
      serveGuarded(app, NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" })).pipe(
        Layer.provide(GuardConfig.layer(configOf(scenario, backends))),
        Layer.provide(Logger.minimumLogLevel(LogLevel.None))
      ),
      guard
    ).pipe(Effect.orDie)
    const fault = yield* Scope.make()
    if (scenario.fault !== undefined) yield* Scope.extend(scenario.fault(backends), fault)
    // let the fault take hold: a hung Redis is found out by the first requests, an exporter by its first export
    yield* Effect.sleep("200 millis")
    const samples = yield* load(port)
    const closing = performance.now()
    yield* Scope.close(guard, Exit.void)
    const closeMillis = performance.now() - closing
    yield* Scope.close(fault, Exit.void)
    if (scenario.heal !== undefined) yield* scenario.heal(backends)
    const sorted = samples.map((s) => s.millis).sort((a, b) => a - b)
    const counts = new Map<number, number>()
    for (const s of samples) counts.set(s.status, (counts.get(s.status) ?? 0) + 1)
    return {
      name: scenario.name,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1]!,
      statuses: [...counts].sort(([a], [b]) => a - b).map(([status, n]) => `${status === 0 ? "none" : status}×${n}`).join(" "),
      closeMillis
    } satisfies Result
  })

const fixed = (n: number, digits = 1) => n.toFixed(digits)

const main = Effect.gen(function*() {
  const backends: Backends = {
    redis: yield* makeRedisServer,
    collector: yield* makeOtlpReceiver,
    agent: yield* makeAgentBackend(),
    garbage: (yield* makeGarbageServer).url,
    closed: `http://127.0.0.1:${yield* freePort}`
  }
  const before = loadavg()[0]!
  console.log(`${RATE} GET/s for ${SECONDS} s per scenario; redisCommandTimeoutMs ${COMMAND_TIMEOUT} (bound 1.5x = ${COMMAND_TIMEOUT * 1.5} ms), telemetryShutdownTimeoutMs ${SHUTDOWN_TIMEOUT}`)
  // warm-up, not reported: the first server of a process pays for loading and compiling everything
  yield* run({ name: "warm-up" }, backends)
  const results: Array<Result> = []
  for (const scenario of scenarios) {
    const result = yield* run(scenario, backends)
    results.push(result)
    console.log(`  done: ${scenario.name}`)
  }
  // the baseline: the median of the healthy runs (first, middle, last), which also show the noise
  const healthyRuns = results.filter((r) => r.name.startsWith("healthy"))
  const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  const healthy = { p50: median(healthyRuns.map((r) => r.p50)), p99: median(healthyRuns.map((r) => r.p99)) }
  console.log("")
  console.log(`healthy baseline (median of ${healthyRuns.length} runs): p50 ${fixed(healthy.p50)} ms, p99 ${fixed(healthy.p99)} ms`)
  console.log("")
  console.log("| scenario | p50 ms | p99 ms | max ms | p50 / healthy | p99 / healthy | statuses | close ms |")
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
  for (const r of results) {
    console.log(
      `| ${r.name} | ${fixed(r.p50)} | ${fixed(r.p99)} | ${fixed(r.max)} | ${fixed(r.p50 / healthy.p50, 2)} | ${fixed(r.p99 / healthy.p99, 2)} | ${r.statuses} | ${fixed(r.closeMillis, 0)} |`
    )
  }
  console.log("")
  console.log(`load average (1 min) ${fixed(before, 2)} before, ${fixed(loadavg()[0]!, 2)} after, on ${availableParallelism()} cores`)
})

Effect.runPromise(Effect.scoped(main)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
