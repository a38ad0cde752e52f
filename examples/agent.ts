/**
 * The guard-agent transport end to end, in one process:
 *
 *   npx tsx examples/agent.ts [port]
 *
 * 1. A tiny guard-agent backend on 127.0.0.1 (random port) prints every batch it receives: it checks
 *    `X-Payload-Signature`, decrypts the AES-256-GCM envelope with the shared project key, and serves
 *    dynamic rules that blacklist loopback for the first 45 seconds.
 * 2. A guarded `@effect/platform` app on `port` (default 3000) reads the rules in force from
 *    `DynamicRuleManager`: while the rule holds, `/` answers 403 and emits `ip_blocked` (tagged by the
 *    enricher with `guard.rule.id` / `guard.rule.version`); once the rule expires it answers 200.
 * 3. A driver calls the app every 3 seconds.
 *
 * The agent batches events and metrics and flushes every 5 seconds. Ctrl-C (SIGINT) or SIGTERM closes
 * the layers in order: the driver and the server stop, the guard drains its queue, the agent flushes a
 * last time, and the backend stops last.
 */
import { FetchHttpClient, HttpClient, HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Clock, Duration, Effect, Layer, Option, Schedule } from "effect"
import { createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { gunzipSync } from "node:zlib"
import { DynamicRuleManager } from "../src/DynamicRuleManager.js"
import { DynamicRulePoller } from "../src/DynamicRulePoller.js"
import { EventBus } from "../src/EventBus.js"
import { GuardConfig } from "../src/GuardConfig.js"
import { GuardLive } from "../src/GuardLive.js"
import { MetricsCollector } from "../src/MetricsCollector.js"

const port = Number(process.argv[2] ?? 3000)

// shared between the backend and the guard, as the guard-agent dashboard would issue them
const API_KEY = "demo-api-key-0123456789"
const SIGNING_SECRET = randomBytes(16).toString("hex")
const PROJECT_KEY = randomBytes(32).toString("base64url")

// ---------------------------------------------------------------------------------------------
// 1. the backend

const decrypt = (blob: string): unknown => {
  const key = Buffer.from(PROJECT_KEY, "base64url")
  const bytes = Buffer.from(blob, "base64url")
  const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, 12))
  decipher.setAuthTag(bytes.subarray(bytes.length - 16))
  return JSON.parse(Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString("utf8"))
}

const signatureOk = (body: Buffer, header: string | undefined) => {
  const expected = Buffer.from(`v1=${createHmac("sha256", SIGNING_SECRET).update(body).digest("hex")}`)
  return header !== undefined && header.length === expected.length && timingSafeEqual(expected, Buffer.from(header))
}

type Item = Record<string, unknown>

const describeItem = (item: Item): string =>
  "event_type" in item
    ? `event ${String(item["event_type"])} ip=${String(item["ip_address"])} reason="${String(item["reason"])}"` +
      ` rule=${String((item["metadata"] as Item | undefined)?.["guard.rule.id"] ?? "-")}`
    : `metric ${String(item["metric_type"])}=${String(item["value"])} endpoint=${String(item["endpoint"])}`

const startBackend = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly close: (done: () => void) => void }>((resume) => {
    const startedAt = Date.now()
    const server = createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const wire = Buffer.concat(chunks)
        const body = req.headers["content-encoding"] === "gzip" ? gunzipSync(wire) : wire
        if (req.headers["x-api-key"] !== API_KEY) {
          res.writeHead(401).end()
          return
        }
        if (req.method === "GET" && req.url === "/api/v1/rules") {
          console.log("[backend] GET /api/v1/rules")
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
            rule_id: "demo-lockdown",
            version: 1,
            ip_blacklist: ["127.0.0.0/8", "::1"],
            expires_at: new Date(startedAt + 45_000).toISOString()
          }))
          return
        }
        if (!signatureOk(body, req.headers["x-payload-signature"] as string | undefined)) {
          console.log(`[backend] ${req.method} ${req.url}: bad signature, refused`)
          res.writeHead(401).end()
          return
        }
        const envelope = JSON.parse(body.toString("utf8")) as Item
        const batch = decrypt(String(envelope["encrypted_payload"])) as { events: Array<Item>; metrics: Array<Item> }
        console.log(`[backend] ${req.method} ${req.url} batch ${String(envelope["batch_id"])} (signature ok, decrypted):`)
        for (const item of [...batch.events, ...batch.metrics]) console.log(`[backend]   ${describeItem(item)}`)
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ success: true }))
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port: backendPort } = server.address() as AddressInfo
      console.log(`[backend] listening on http://127.0.0.1:${backendPort}`)
      resume(Effect.succeed({
        url: `http://127.0.0.1:${backendPort}`,
        close: (done) => {
          server.closeAllConnections()
          server.close(() => done())
        }
      }))
    })
  }),
  (backend) =>
    Effect.async<void>((resume) => backend.close(() => resume(Effect.sync(() => console.log("[backend] stopped")))))
)

// ---------------------------------------------------------------------------------------------
// 2. the guarded app

const hello = Effect.gen(function*() {
  const started = yield* Clock.currentTimeMillis
  const request = yield* HttpServerRequest.HttpServerRequest
  const rules = yield* DynamicRuleManager
  const bus = yield* EventBus
  const metrics = yield* MetricsCollector
  const ip = Option.getOrElse(request.remoteAddress, () => "unknown")
  const blocked = Option.exists(yield* rules.current, (active) => active.ipRules.matches(ip))
  if (blocked) {
    yield* bus.emit("ip_blocked", {
      actionTaken: "request_blocked",
      reason: `IP ${ip} blocked by dynamic rules`,
      metadata: { filter_type: "dynamic" }
    })
  }
  const status = blocked ? 403 : 200
  yield* metrics.collectRequest({
    endpoint: "/",
    method: request.method,
    status,
    responseTime: ((yield* Clock.currentTimeMillis) - started) / 1000
  })
  return HttpServerResponse.text(blocked ? "blocked by dynamic rules\n" : "hello\n", { status })
})

const App = HttpRouter.empty.pipe(HttpRouter.get("/", hello), HttpServer.serve(), HttpServer.withLogAddress)

// ---------------------------------------------------------------------------------------------
// 3. the driver

const Driver = Layer.scopedDiscard(
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const call = client.get(`http://127.0.0.1:${port}/`).pipe(
      Effect.flatMap((response) => Effect.log(`[driver] GET / -> ${response.status}`)),
      Effect.scoped,
      Effect.catchAll((error) => Effect.log(`[driver] GET / failed: ${error.message}`))
    )
    yield* Effect.forkScoped(Effect.repeat(call, Schedule.spaced(Duration.seconds(3))))
  })
).pipe(Layer.provide(FetchHttpClient.layer))

// ---------------------------------------------------------------------------------------------

const Main = Layer.unwrapScoped(
  Effect.map(startBackend, (backend) => {
    const Config = GuardConfig.layer({
      enableAgent: true,
      agentApiKey: API_KEY,
      agentEndpoint: backend.url,
      agentProjectId: "demo-project",
      agentSigningSecret: SIGNING_SECRET,
      agentEncryptionKey: PROJECT_KEY,
      agentFlushInterval: 5,
      enableDynamicRules: true,
      dynamicRuleInterval: 60,
      enableEnrichment: true
    })
    // the line GuardLive gains when enableDynamicRules is on
    const Guard = Layer.provideMerge(DynamicRulePoller.layerConfig, GuardLive)
    // the server is provided first, so built last: it listens once the guard is ready
    return Layer.merge(App, Driver).pipe(
      Layer.provide(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" })),
      Layer.provide(Guard),
      Layer.provide(Config)
    )
  })
)

NodeRuntime.runMain(Layer.launch(Main))
