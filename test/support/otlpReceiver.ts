/**
 * A real OTLP/HTTP receiver for tests: a node:http server on 127.0.0.1 (port 0) that accepts
 * `/v1/traces` and `/v1/metrics` in JSON or protobuf, decodes them into plain spans and metrics, and
 * can be told to answer 500, to answer late or never. Scoped: closing the scope closes the server.
 */
import { Effect, Ref, Schedule } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import protobuf from "protobufjs"

export interface ReceivedSpan {
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string
  readonly traceState: string
  readonly startTimeUnixNano: bigint
  readonly attributes: Readonly<Record<string, unknown>>
  readonly resource: Readonly<Record<string, unknown>>
  readonly scope: string
}

export interface ReceivedPoint {
  readonly attributes: Readonly<Record<string, unknown>>
  /** Sum or gauge value. */
  readonly value?: number
  /** Histogram count and sum. */
  readonly count?: number
  readonly sum?: number
}

export interface ReceivedMetric {
  readonly name: string
  readonly unit: string
  readonly kind: "sum" | "histogram" | "gauge" | "other"
  readonly points: ReadonlyArray<ReceivedPoint>
  readonly resource: Readonly<Record<string, unknown>>
}

export interface ReceivedRequest {
  readonly path: string
  readonly contentType: string
}

/** `hang`: takes the request and never answers (until the scope closes). */
export type ReceiverMode = { readonly _tag: "ok" } | { readonly _tag: "status"; readonly status: number } | {
  readonly _tag: "slow"
  readonly delayMs: number
} | { readonly _tag: "hang" }

export interface OtlpReceiver {
  /** Base URL, e.g. `http://127.0.0.1:43123`. */
  readonly url: string
  readonly spans: Effect.Effect<ReadonlyArray<ReceivedSpan>>
  readonly metrics: Effect.Effect<ReadonlyArray<ReceivedMetric>>
  readonly requests: Effect.Effect<ReadonlyArray<ReceivedRequest>>
  readonly setMode: (mode: ReceiverMode) => Effect.Effect<void>
  /** Polls (every 50 ms, at most `timeoutMs`) until `predicate` holds for the spans received. */
  readonly awaitSpans: (
    predicate: (spans: ReadonlyArray<ReceivedSpan>) => boolean,
    timeoutMs?: number
  ) => Effect.Effect<ReadonlyArray<ReceivedSpan>>
  readonly awaitMetrics: (
    predicate: (metrics: ReadonlyArray<ReceivedMetric>) => boolean,
    timeoutMs?: number
  ) => Effect.Effect<ReadonlyArray<ReceivedMetric>>
}

// The subset of the OTLP protos (opentelemetry-proto v1) the assertions need.
const PROTO = `
syntax = "proto3";
package otlp;
message AnyValue {
  oneof value {
    string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; }
message Resource { repeated KeyValue attributes = 1; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
}
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message NumberDataPoint {
  repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
  oneof value { double as_double = 4; sfixed64 as_int = 6; }
}
message HistogramDataPoint {
  repeated KeyValue attributes = 9; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
  fixed64 count = 4; optional double sum = 5; repeated fixed64 bucket_counts = 6; repeated double explicit_bounds = 7;
}
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
message Histogram { repeated HistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message Metric {
  string name = 1; string description = 2; string unit = 3;
  oneof data { Gauge gauge = 5; Sum sum = 7; Histogram histogram = 9; }
}
message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; }
message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
`

const root = protobuf.parse(PROTO, { keepCase: false }).root
const TraceRequest = root.lookupType("otlp.ExportTraceServiceRequest")
const MetricsRequest = root.lookupType("otlp.ExportMetricsServiceRequest")

// ---- decoding into a plain, JSON-like tree (both encodings end up the same shape) ----

type Json = Record<string, unknown>

const asRecord = (u: unknown): Json => (typeof u === "object" && u !== null ? (u as Json) : {})
const asArray = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])

const fromProtobuf = (type: protobuf.Type, body: Buffer): Json =>
  asRecord(
    type.toObject(type.decode(body), { longs: String, bytes: String, defaults: false, arrays: true, oneofs: false })
  )

/** Ids: hex in OTLP/JSON, base64 from protobufjs' `bytes: String`. */
const hexId = (u: unknown, json: boolean): string => {
  if (typeof u !== "string" || u === "") return ""
  return json ? u.toLowerCase() : Buffer.from(u, "base64").toString("hex")
}

const anyValue = (u: unknown): unknown => {
  const v = asRecord(u)
  if ("stringValue" in v) return v["stringValue"]
  if ("boolValue" in v) return v["boolValue"]
  if ("intValue" in v) return Number(v["intValue"])
  if ("doubleValue" in v) return Number(v["doubleValue"])
  if ("arrayValue" in v) return asArray(asRecord(v["arrayValue"])["values"]).map(anyValue)
  if ("kvlistValue" in v) return keyValues(asRecord(v["kvlistValue"])["values"])
  return undefined
}

const keyValues = (u: unknown): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const kv of asArray(u)) {
    const r = asRecord(kv)
    if (typeof r["key"] === "string") out[r["key"]] = anyValue(r["value"])
  }
  return out
}

const decodeSpans = (body: Json, json: boolean): Array<ReceivedSpan> =>
  asArray(body["resourceSpans"]).flatMap((rs) => {
    const resource = keyValues(asRecord(asRecord(rs)["resource"])["attributes"])
    return asArray(asRecord(rs)["scopeSpans"]).flatMap((ss) => {
      const scope = String(asRecord(asRecord(ss)["scope"])["name"] ?? "")
      return asArray(asRecord(ss)["spans"]).map((s): ReceivedSpan => {
        const span = asRecord(s)
        return {
          name: String(span["name"] ?? ""),
          traceId: hexId(span["traceId"], json),
          spanId: hexId(span["spanId"], json),
          parentSpanId: hexId(span["parentSpanId"], json),
          traceState: String(span["traceState"] ?? ""),
          startTimeUnixNano: BigInt(String(span["startTimeUnixNano"] ?? "0")),
          attributes: keyValues(span["attributes"]),
          resource,
          scope
        }
      })
    })
  })

const numberPoint = (u: unknown): ReceivedPoint => {
  const p = asRecord(u)
  const raw = p["asDouble"] ?? p["asInt"]
  return { attributes: keyValues(p["attributes"]), ...(raw === undefined ? {} : { value: Number(raw) }) }
}

const histogramPoint = (u: unknown): ReceivedPoint => {
  const p = asRecord(u)
  return {
    attributes: keyValues(p["attributes"]),
    count: Number(p["count"] ?? 0),
    ...(p["sum"] === undefined ? {} : { sum: Number(p["sum"]) })
  }
}

const decodeMetrics = (body: Json): Array<ReceivedMetric> =>
  asArray(body["resourceMetrics"]).flatMap((rm) => {
    const resource = keyValues(asRecord(asRecord(rm)["resource"])["attributes"])
    return asArray(asRecord(rm)["scopeMetrics"]).flatMap((sm) =>
      asArray(asRecord(sm)["metrics"]).map((m): ReceivedMetric => {
        const metric = asRecord(m)
        const base = { name: String(metric["name"] ?? ""), unit: String(metric["unit"] ?? ""), resource }
        if (metric["sum"] !== undefined) {
          return { ...base, kind: "sum", points: asArray(asRecord(metric["sum"])["dataPoints"]).map(numberPoint) }
        }
        if (metric["histogram"] !== undefined) {
          return { ...base, kind: "histogram", points: asArray(asRecord(metric["histogram"])["dataPoints"]).map(histogramPoint) }
        }
        if (metric["gauge"] !== undefined) {
          return { ...base, kind: "gauge", points: asArray(asRecord(metric["gauge"])["dataPoints"]).map(numberPoint) }
        }
        return { ...base, kind: "other", points: [] }
      })
    )
  })

const readBody = (req: http.IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

/** Starts the receiver in the current scope. */
export const makeOtlpReceiver: Effect.Effect<OtlpReceiver, never, import("effect").Scope.Scope> = Effect.gen(function*() {
  const spans = yield* Ref.make<ReadonlyArray<ReceivedSpan>>([])
  const metrics = yield* Ref.make<ReadonlyArray<ReceivedMetric>>([])
  const requests = yield* Ref.make<ReadonlyArray<ReceivedRequest>>([])
  // read synchronously by the node:http callback
  let mode: ReceiverMode = { _tag: "ok" }
  const pendingTimers = new Set<NodeJS.Timeout>()

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const body = await readBody(req)
    const path = (req.url ?? "").split("?")[0] ?? ""
    const contentType = String(req.headers["content-type"] ?? "")
    Effect.runSync(Ref.update(requests, (rs) => [...rs, { path, contentType }]))
    const current = mode
    if (current._tag === "hang") return
    const answer = () => {
      if (current._tag === "status") {
        res.writeHead(current.status, { "content-type": "text/plain" }).end("receiver told to fail")
        return
      }
      const json = contentType.includes("json")
      try {
        if (path === "/v1/traces") {
          const decoded = json ? asRecord(JSON.parse(body.toString("utf8"))) : fromProtobuf(TraceRequest, body)
          Effect.runSync(Ref.update(spans, (s) => [...s, ...decodeSpans(decoded, json)]))
        } else if (path === "/v1/metrics") {
          const decoded = json ? asRecord(JSON.parse(body.toString("utf8"))) : fromProtobuf(MetricsRequest, body)
          Effect.runSync(Ref.update(metrics, (m) => [...m, ...decodeMetrics(decoded)]))
        }
        res.writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" }).end(json ? "{}" : "")
      } catch (error) {
        res.writeHead(400, { "content-type": "text/plain" }).end(String(error))
      }
    }
    if (current._tag === "slow") {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer)
        answer()
      }, current.delayMs)
      pendingTimers.add(timer)
    } else {
      answer()
    }
  }

  const server = yield* Effect.acquireRelease(
    Effect.async<http.Server>((resume) => {
      const s = http.createServer((req, res) => {
        handle(req, res).catch((error: unknown) => {
          if (!res.headersSent) res.writeHead(500).end(String(error))
        })
      })
      s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
    }),
    (s) =>
      Effect.async<void>((resume) => {
        for (const timer of pendingTimers) clearTimeout(timer)
        s.closeAllConnections()
        s.close(() => resume(Effect.void))
      })
  )
  const { port } = server.address() as AddressInfo

  const awaitRef = <A>(ref: Ref.Ref<ReadonlyArray<A>>) =>
  (predicate: (as: ReadonlyArray<A>) => boolean, timeoutMs = 10_000): Effect.Effect<ReadonlyArray<A>> =>
    Ref.get(ref).pipe(
      Effect.repeat({
        until: predicate,
        schedule: Schedule.spaced("50 millis").pipe(Schedule.upTo(`${timeoutMs} millis`))
      }),
      Effect.zipRight(Ref.get(ref))
    )

  return {
    url: `http://127.0.0.1:${port}`,
    spans: Ref.get(spans),
    metrics: Ref.get(metrics),
    requests: Ref.get(requests),
    setMode: (next) => Effect.sync(() => {
      mode = next
    }),
    awaitSpans: awaitRef(spans),
    awaitMetrics: awaitRef(metrics)
  }
})
