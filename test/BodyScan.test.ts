import {
  HttpApi,
  HttpApiBuilder,
  HttpApiEndpoint,
  HttpApiGroup,
  type HttpApp,
  HttpMiddleware,
  HttpRouter,
  HttpServer,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import { NodeHttpServer, NodeHttpServerRequest } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Schema } from "effect"
import { GuardConfig, GuardLive, guardMiddleware, TestExporter } from "effect-guard"
import * as http from "node:http"
import * as zlib from "node:zlib"
import { rawExchange, rawRequest, type Served, TRANSPORTS } from "./support/transports.js"

/** Echoes the body as the application reads it: JSON, text, form or multipart fields. */
const echo = HttpRouter.empty.pipe(
  HttpRouter.post("/json", Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => Effect.map(r.json, (j) => HttpServerResponse.text(JSON.stringify(j))))),
  HttpRouter.post("/text", Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => Effect.map(r.text, (t) => HttpServerResponse.text(`${t.length}`)))),
  HttpRouter.post("/form", Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => Effect.map(r.urlParamsBody, (p) => HttpServerResponse.text(JSON.stringify(p))))),
  HttpRouter.post("/upload", Effect.flatMap(HttpServerRequest.schemaBodyForm(Schema.Struct({ note: Schema.String })), (f) => HttpServerResponse.text(f.note)))
)

const Api = HttpApi.make("bodies").add(
  HttpApiGroup.make("g").add(HttpApiEndpoint.post("json", "/json").setPayload(Schema.Struct({ c: Schema.String })).addSuccess(Schema.String))
)
const ApiLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide(HttpApiBuilder.group(Api, "g", (h) => h.handle("json", ({ payload }) => Effect.succeed(payload.c))))
) as Layer.Layer<HttpApi.Api>

const SQLI = "1' UNION SELECT password FROM users--"
const XSS = "<script>alert(document.cookie)</script>"
const json = (value: unknown) => JSON.stringify(value)

const multipart = (parts: ReadonlyArray<{ readonly name: string; readonly value: string; readonly filename?: string; readonly type?: string }>) => {
  const boundary = "----guardboundary7"
  const body = parts.map((p) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename === undefined ? "" : `; filename="${p.filename}"`}\r\n` +
    `${p.type === undefined ? "" : `Content-Type: ${p.type}\r\n`}\r\n${p.value}\r\n`
  ).join("") + `--${boundary}--\r\n`
  return { body, type: `multipart/form-data; boundary=${boundary}` }
}

const APPS: ReadonlyArray<{ readonly kind: string; readonly served: Served }> = [
  { kind: "HttpRouter", served: { _tag: "app", app: echo } },
  { kind: "mounted router", served: { _tag: "app", app: HttpRouter.empty.pipe(HttpRouter.mount("/v1", echo)) } }
]

describe("bodies: whatever the application can parse is scanned", () => {
  for (const transport of TRANSPORTS) {
    for (const { kind, served } of APPS) {
      const at = (path: string) => (kind === "HttpRouter" ? path : `/v1${path}`)
      describe(`${transport.name}, ${kind}`, () => {
        it.scopedLive("a JSON body without Content-Type, or with JSON named only in a parameter, is scanned as JSON", () =>
          Effect.gen(function*() {
            const guarded = yield* transport.make(served)
            for (const headers of [{}, { "content-type": "application/octet-stream; x=application/json" }, { "content-type": "text/plain" }]) {
              const reply = yield* guarded.send({ method: "POST", path: at("/json"), headers, body: json({ c: SQLI }) })
              expect({ headers, status: reply.status }).toEqual({ headers, status: 400 })
            }
            const benign = yield* guarded.send({ method: "POST", path: at("/json"), body: json({ c: "a cup of tea" }) })
            expect([benign.status, benign.body]).toEqual([200, json({ c: "a cup of tea" })])
          }))

        it.scopedLive("a form body is scanned whatever type names the form, even in a parameter", () =>
          Effect.gen(function*() {
            const guarded = yield* transport.make(served)
            const body = `name=${encodeURIComponent(XSS)}`
            for (const type of ["application/x-www-form-urlencoded", "text/plain; x=application/x-www-form-urlencoded", "application/octet-stream"]) {
              expect({ type, status: (yield* guarded.send({ method: "POST", path: at("/form"), headers: { "content-type": type }, body })).status })
                .toEqual({ type, status: 400 })
            }
            expect((yield* guarded.send({ method: "POST", path: at("/form"), headers: { "content-type": "application/x-www-form-urlencoded" }, body: "name=tea" })).status).toBe(200)
          }))

        it.scopedLive("a body of any other type (or none) is also scanned as the form urlParamsBody reads from it, '+' a space", () =>
          Effect.gen(function*() {
            const guarded = yield* transport.make(served)
            // the platform parses any body as a form (urlParamsBody, schemaBodyForm); there '+' is a space
            const plus = (value: string) => encodeURIComponent(value).replace(/%20/g, "+")
            const send = (headers: Record<string, string>, body: string) => guarded.send({ method: "POST", path: at("/form"), headers, body })
            for (const headers of [{}, { "content-type": "text/plain" }, { "content-type": "application/octet-stream" }]) {
              expect({ headers, status: (yield* send(headers, `page=2&q=${plus(SQLI)}`)).status }).toEqual({ headers, status: 400 })
            }
            // a body that starts as JSON but is none is a form to urlParamsBody as well
            expect((yield* send({}, `{"page=2&q=${plus(SQLI)}`)).status).toBe(400)
            const benign = yield* send({ "content-type": "text/plain" }, "note=see+you+at+5&sum=3+4")
            expect([benign.status, benign.body]).toEqual([200, JSON.stringify([["note", "see you at 5"], ["sum", "3 4"]])])
          }))

        it.scopedLive("multipart text fields are scanned, file parts by name and file name; file contents are the application's", () =>
          Effect.gen(function*() {
            const guarded = yield* transport.make(served)
            const field = multipart([{ name: "note", value: SQLI }])
            expect((yield* guarded.send({ method: "POST", path: at("/upload"), headers: { "content-type": field.type }, body: field.body })).status).toBe(400)
            const filename = multipart([{ name: "note", value: "hi" }, { name: "doc", filename: "../../etc/passwd", type: "text/plain", value: "plain" }])
            expect((yield* guarded.send({ method: "POST", path: at("/upload"), headers: { "content-type": filename.type }, body: filename.body })).status).toBe(400)
            // a script in a file's contents is data the application stores, not a parameter
            const file = multipart([{ name: "note", value: "hello" }, { name: "doc", filename: "page.html", type: "text/html", value: XSS }])
            const stored = yield* guarded.send({ method: "POST", path: at("/upload"), headers: { "content-type": file.type }, body: file.body })
            expect([stored.status, stored.body]).toEqual([200, "hello"])
          }))

        it.scopedLive("a malformed multipart body gets 400 and a decoding_error event", () =>
          Effect.gen(function*() {
            const guarded = yield* transport.make(served)
            const broken = "--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nunterminated"
            const reply = yield* guarded.send({ method: "POST", path: at("/upload"), headers: { "content-type": "multipart/form-data; boundary=b" }, body: broken })
            expect(reply.status).toBe(400)
            expect((yield* guarded.events).find((e) => e.eventType === "decoding_error")?.metadata["violation_type"]).toBe("multipart_malformed")
          }))

        it.scopedLive("gzip, deflate and br bodies are decoded before they are scanned: benign passes, an attack is refused", () =>
          Effect.gen(function*() {
            const guarded = yield* transport.make(served)
            const benign = json({ path: "/home/user/docs", note: "a cup of tea" })
            const codings = [["gzip", zlib.gzipSync], ["deflate", zlib.deflateSync], ["br", zlib.brotliCompressSync]] as const
            for (const [coding, compress] of codings) {
              const headers = { "content-type": "application/json", "content-encoding": coding }
              const ok = yield* guarded.send({ method: "POST", path: at("/text"), headers, body: compress(benign) })
              expect({ coding, status: ok.status }).toEqual({ coding, status: 200 })
              const attack = yield* guarded.send({ method: "POST", path: at("/text"), headers, body: compress(json({ c: SQLI })) })
              expect({ coding, status: attack.status }).toEqual({ coding, status: 400 })
            }
            // raw deflate, as some clients send it
            const raw = yield* guarded.send({ method: "POST", path: at("/text"), headers: { "content-encoding": "deflate" }, body: zlib.deflateRawSync(json({ c: XSS })) })
            expect(raw.status).toBe(400)
          }))

        it.scopedLive("a corrupt or truncated gzip body gets 400, an unknown coding 415, each with an event", () =>
          Effect.gen(function*() {
            const guarded = yield* transport.make(served)
            const gzipped = zlib.gzipSync(json({ note: "x".repeat(5_000) }))
            const truncated = yield* guarded.send({ method: "POST", path: at("/text"), headers: { "content-encoding": "gzip" }, body: gzipped.subarray(0, gzipped.length - 20) })
            expect(truncated.status).toBe(400)
            const garbage = yield* guarded.send({ method: "POST", path: at("/text"), headers: { "content-encoding": "gzip" }, body: "not gzip at all" })
            expect(garbage.status).toBe(400)
            const unknown = yield* guarded.send({ method: "POST", path: at("/text"), headers: { "content-encoding": "compress" }, body: "abc" })
            expect(unknown.status).toBe(415)
            const types = (yield* guarded.events).map((e) => e.eventType)
            expect(types.filter((t) => t === "decoding_error")).toHaveLength(2)
            expect(types).toContain("content_filtered")
          }))

        it.scopedLive("a gzip bomb gets 413 without inflating past the bound", () =>
          Effect.gen(function*() {
            const guarded = yield* transport.make(served)
            // 100 MB of zeros in about 100 KB
            const bomb = zlib.gzipSync(Buffer.alloc(100 * 1024 * 1024), { level: 9 })
            const before = process.memoryUsage().rss
            const reply = yield* guarded.send({ method: "POST", path: at("/text"), headers: { "content-encoding": "gzip", "content-type": "application/json" }, body: bomb })
            expect(reply.status).toBe(413)
            expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024)
            // 2 MB in about 2 KB: past the ratio before the limit
            const small = zlib.gzipSync(Buffer.alloc(2 * 1024 * 1024), { level: 9 })
            expect((yield* guarded.send({ method: "POST", path: at("/text"), headers: { "content-encoding": "gzip" }, body: small })).status).toBe(413)
            const filtered = (yield* guarded.events).filter((e) => e.eventType === "content_filtered")
            expect(filtered.map((e) => e.metadata["violation_type"])).toEqual(["decompression_bomb", "decompression_bomb"])
          }))

        it.scopedLive("a body over detectionMaxBodyBytes is refused by default, wherever the payload sits", () =>
          Effect.gen(function*() {
            const guarded = yield* transport.make(served, { config: { detectionMaxBodyBytes: 4096 } })
            const big = json({ c: "a".repeat(5000) })
            expect((yield* guarded.send({ method: "POST", path: at("/text"), body: big })).status).toBe(413)
            expect((yield* guarded.send({ method: "POST", path: at("/text"), body: json({ c: "a".repeat(1000) }) })).status).toBe(200)
          }))

        it.scopedLive("with detectionOversizedBody scanPrefix, a longer body is scanned up to the limit and passes whole", () =>
          Effect.gen(function*() {
            const guarded = yield* transport.make(served, { config: { detectionMaxBodyBytes: 4096, detectionOversizedBody: "scanPrefix" } })
            const attackFirst = `${SQLI} ${"a".repeat(8000)}`
            expect((yield* guarded.send({ method: "POST", path: at("/text"), body: attackFirst })).status).toBe(400)
            const benign = "a".repeat(8000)
            expect(yield* guarded.send({ method: "POST", path: at("/text"), body: benign })).toMatchObject({ status: 200, body: "8000" })
          }))

        it.scopedLive("a NUL inside a JSON string value is refused as a null-byte injection (decided: no text field needs U+0000)", () =>
          Effect.gen(function*() {
            const guarded = yield* transport.make(served)
            expect((yield* guarded.send({ method: "POST", path: at("/json"), headers: { "content-type": "application/json" }, body: "{\"c\":\"a\\u0000b\"}" })).status).toBe(400)
            const [event] = (yield* guarded.events).filter((e) => e.eventType === "penetration_attempt")
            expect(event!.metadata["pattern_ids"]).toContain("path_traversal.null_byte")
          }))

        it.scopedLive("a payload nested thousands of levels deep in JSON is found; the nesting alone passes", () =>
          Effect.gen(function*() {
            const guarded = yield* transport.make(served)
            const arrays = (n: number, leaf: string) => "[".repeat(n) + json(leaf) + "]".repeat(n)
            const objects = (n: number, leaf: string) => "{\"a\":".repeat(n) + json(leaf) + "}".repeat(n)
            const post = (body: string) =>
              Effect.map(guarded.send({ method: "POST", path: at("/text"), headers: { "content-type": "application/json" }, body }), (r) => r.status)
            for (const nest of [arrays, objects]) {
              expect(yield* post(nest(20_000, SQLI))).toBe(400)
              expect(yield* post(nest(20_000, "a cup of tea"))).toBe(200)
            }
          }))

        it.scopedLive("binary data of a binary type is left to the application", () =>
          Effect.gen(function*() {
            const guarded = yield* transport.make(served)
            const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0xff, 0xfe, 0x2e, 0x2e, 0x2f])
            expect((yield* guarded.send({ method: "POST", path: at("/text"), headers: { "content-type": "image/png" }, body: png })).status).toBe(200)
          }))
      })
    }

    it.scopedLive(`${transport.name}, HttpApi: a body without Content-Type, parsed as JSON by HttpApi, is scanned`, () =>
      Effect.gen(function*() {
        const guarded = yield* transport.make({ _tag: "api", api: ApiLive })
        expect((yield* guarded.send({ method: "POST", path: "/json", body: json({ c: SQLI }) })).status).toBe(400)
        expect((yield* guarded.send({ method: "POST", path: "/json", headers: { "content-type": "application/octet-stream; x=application/json" }, body: json({ c: XSS }) })).status).toBe(400)
        const ok = yield* guarded.send({ method: "POST", path: "/json", body: json({ c: "tea" }) })
        expect([ok.status, ok.body]).toEqual([200, "\"tea\""])
      }))
  }

  // The value budget inside the engine belongs to the detection engine's rework (branch detect):
  // today the scan stops after detectionMaxValues values and the request passes. Enable when merged.
  it.scopedLive("a payload after 1,100 harmless query parameters or JSON keys is still found (engine value budget)", () =>
    Effect.gen(function*() {
      const guarded = yield* TRANSPORTS[0].make({ _tag: "app", app: echo })
      const padding = Array.from({ length: 1_100 }, (_, i) => `p${i}=${i}`).join("&")
      expect((yield* guarded.send({ method: "POST", path: `/json?${padding}&q=${encodeURIComponent(SQLI)}`, body: "{}" })).status).toBe(400)
      const keys = Object.fromEntries(Array.from({ length: 1_100 }, (_, i) => [`k${i}`, i]))
      expect((yield* guarded.send({ method: "POST", path: "/json", body: json({ ...keys, c: SQLI }) })).status).toBe(400)
    }))

  it.scopedLive("node: a truncated chunked body gets 400 and a decoding_error event, without a hang", () =>
    Effect.gen(function*() {
      const guarded = yield* TRANSPORTS[0].make({ _tag: "app", app: echo })
      const port = Number(guarded.address.split(":").at(-1))
      const head = "POST /json HTTP/1.1\r\nHost: guarded.test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
      const answer = yield* rawExchange(port, `${head}6\r\n{"c":"\r\n`, { halfClose: true })
      expect(answer.startsWith("HTTP/1.1 400")).toBe(true)
      const malformed = yield* rawExchange(port, `${head}zz\r\n{"c":"\r\n`, { halfClose: false })
      expect(malformed.startsWith("HTTP/1.1 400")).toBe(true)
      expect((yield* guarded.events).find((e) => e.eventType === "decoding_error")?.metadata["violation_type"]).toBe("body_unreadable")
    }))

  for (const transport of TRANSPORTS) {
    it.scopedLive(`${transport.name}: parameters after ';' reach the handler as search parameters, and are scanned as such`, () =>
      Effect.gen(function*() {
        const search = HttpRouter.empty.pipe(HttpRouter.get("/search", Effect.map(HttpServerRequest.ParsedSearchParams, (p) => HttpServerResponse.text(JSON.stringify(p)))))
        const guarded = yield* transport.make({ _tag: "app", app: search })
        const ok = yield* guarded.send({ method: "GET", path: "/search;q=tea" })
        expect([ok.status, ok.body]).toEqual([200, json({ q: "tea" })])
        expect((yield* guarded.send({ method: "GET", path: `/search;q=${encodeURIComponent(SQLI)}` })).status).toBe(400)
        expect((yield* guarded.send({ method: "GET", path: `/search;q=${encodeURIComponent(XSS)}` })).status).toBe(400)
      }))
  }

  it.scopedLive("node: a chunked body without maxRequestSize is scanned", () =>
    Effect.gen(function*() {
      const guarded = yield* TRANSPORTS[0].make({ _tag: "app", app: echo })
      expect((yield* guarded.send({ method: "POST", path: "/json", chunked: true, body: json({ c: SQLI }) })).status).toBe(400)
      const benign = json({ c: "x".repeat(40_000) })
      expect(yield* guarded.send({ method: "POST", path: "/json", chunked: true, body: benign })).toMatchObject({ status: 200, body: benign })
    }))
})

/** A middleware that reads the body before the guard: through the platform's `request.text`, or as a raw Node stream. */
const readFirst = (how: "text" | "stream") =>
  HttpMiddleware.make((app) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      Effect.zipRight(
        how === "text"
          ? Effect.ignore(request.text)
          : Effect.async<void>((resume) => {
            const source = NodeHttpServerRequest.toIncomingMessage(request)
            source.on("end", () => resume(Effect.void))
            source.resume()
          }),
        app
      ))
  )

const servedAfter = (how: "text" | "stream", app: HttpApp.Default<unknown, HttpRouter.HttpRouter.DefaultServices>) =>
  Effect.gen(function*() {
    const layer = HttpServer.serve(app, (inner) => readFirst(how)(guardMiddleware(inner))).pipe(
      Layer.provide(GuardLive),
      Layer.provide(Layer.merge(TestExporter.layer(), GuardConfig.layer({ enableRateLimiting: false }))),
      Layer.provideMerge(NodeHttpServer.layer(http.createServer, { port: 0 }))
    )
    const context = yield* Layer.build(layer)
    return (Context.get(context, HttpServer.HttpServer).address as HttpServer.TcpAddress).port
  })

describe("node: a body read before the guard", () => {
  it.scopedLive("through request.text is scanned from the platform's text, and the handler reads that text", () =>
    Effect.gen(function*() {
      const port = yield* servedAfter("text", echo)
      const attack = yield* rawRequest(port, { method: "POST", path: "/json", headers: { "content-type": "application/json" }, body: json({ c: SQLI }) })
      expect(attack.status).toBe(400)
      const benign = json({ c: "tea" })
      expect(yield* rawRequest(port, { method: "POST", path: "/json", headers: { "content-type": "application/json" }, body: benign })).toMatchObject({ status: 200, body: benign })
    }))

  it.scopedLive("as a raw stream is not scanned, and the request is answered without waiting for a text nobody holds", () =>
    Effect.gen(function*() {
      const app = HttpRouter.empty.pipe(HttpRouter.post("/json", HttpServerResponse.text("handled")))
      const port = yield* servedAfter("stream", app)
      const reply = yield* rawRequest(port, { method: "POST", path: "/json", headers: { "content-type": "application/json" }, body: json({ c: SQLI }) })
      expect([reply.status, reply.body]).toEqual([200, "handled"])
    }))
})
