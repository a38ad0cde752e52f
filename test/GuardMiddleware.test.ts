import { HttpClient, HttpClientRequest, HttpIncomingMessage, HttpMiddleware, HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Stream, TestClock } from "effect"
import { EventBus, GeoIpLookup, GuardPipeline, GuardRoutes, RouteGuard } from "effect-guard"
import * as net from "node:net"
import { events, get, guardedServer, metrics, send, statusAndBody } from "./support/guarded.js"

const ok = HttpServerResponse.text("ok")
const app = HttpRouter.empty.pipe(
  HttpRouter.get("/", ok),
  HttpRouter.get("/search", ok),
  HttpRouter.post("/submit", ok),
  HttpRouter.get("/docs/index", ok)
)

/** Answers with the body it read: the guard's scan must leave it readable. */
const echo = HttpRouter.empty.pipe(
  HttpRouter.post("/echo", Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => Effect.map(request.text, (text) => HttpServerResponse.text(text))))
)

/** A handler that reports something itself, as an application does through `EventBus`. */
const report = Effect.as(
  Effect.flatMap(EventBus, (bus) => bus.emit("access_denied", { actionTaken: "logged", reason: "reported by the application" })),
  ok
)
const reporting = HttpRouter.empty.pipe(
  HttpRouter.get("/report", report),
  // behind the platform's X-Forwarded-For middleware, which believes any client
  HttpRouter.get("/report-forwarded", HttpMiddleware.xForwardedHeaders(report))
)

/** A POST whose body is streamed: sent chunked, without Content-Length. */
const sendChunked = (path: string, body: string) => sendChunks(path, [body], "application/json")

/** A POST sent chunked as `chunks`, a few milliseconds apart, as a slow upload arrives. */
const sendChunks = (path: string, chunks: ReadonlyArray<string>, contentType = "application/octet-stream") =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    client.execute(HttpClientRequest.post(path).pipe(
      HttpClientRequest.bodyStream(
        Stream.fromIterable(chunks).pipe(
          Stream.tap(() => chunks.length > 1 ? Effect.sleep("5 millis") : Effect.void),
          Stream.map((chunk) => new TextEncoder().encode(chunk))
        ),
        { contentType }
      )
    )))

/** Answers with the body it read as a stream. */
const echoStream = HttpRouter.post(
  "/echo-stream",
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    request.stream.pipe(
      Stream.decodeText(),
      Stream.runFold("", (all, part) => all + part),
      Effect.map((text) => HttpServerResponse.text(text))
    ))
)

/** An upload route that lifts the size limit by bypassing request_size_content. */
const uploads = echo.pipe(HttpRouter.post(
  "/upload",
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => Effect.map(request.text, (text) => HttpServerResponse.text(text))).pipe(
    RouteGuard.secure({ bypass: ["request_size_content"] })
  )
))

/** Behind a trusted proxy on loopback, `X-Forwarded-For` says who the client is. */
const viaProxy = { trustedProxies: ["127.0.0.1", "::1"] }
const from = (ip: string, headers: Record<string, string> = {}) => ({ "x-forwarded-for": ip, ...headers })

describe("guardMiddleware", () => {
  describe("ip_security", () => {
    it.scoped("a blacklisted client gets 403 and an ip_blocked event; others pass", () =>
      Effect.gen(function*() {
        expect((yield* get("/", from("198.51.100.7"))).status).toBe(200)
        const blocked = yield* statusAndBody(yield* get("/", from("203.0.113.9")))
        expect(blocked).toEqual({ status: 403, body: "Forbidden" })
        const [event] = yield* events
        expect(event).toMatchObject({ eventType: "ip_blocked", actionTaken: "request_blocked", ipAddress: "203.0.113.9", endpoint: "/", method: "GET" })
        expect(event!.metadata).toMatchObject({ filter_type: "global", ip_address: "203.0.113.9" })
      }).pipe(Effect.provide(guardedServer(app, { ...viaProxy, blacklist: ["203.0.113.0/24"] }))))

    it.scoped("IPv6 and IPv4-mapped addresses match their CIDR blocks", () =>
      Effect.gen(function*() {
        expect((yield* get("/", from("2001:db8::42"))).status).toBe(403)
        expect((yield* get("/", from("::ffff:192.0.2.5"))).status).toBe(403)
        expect((yield* get("/", from("2001:db9::1"))).status).toBe(200)
      }).pipe(Effect.provide(guardedServer(app, { ...viaProxy, blacklist: ["2001:db8::/32", "192.0.2.0/24"] }))))

    it.scoped("a whitelist is restrictive: only listed clients pass", () =>
      Effect.gen(function*() {
        expect((yield* get("/", from("10.1.2.3"))).status).toBe(200)
        expect((yield* get("/", from("198.51.100.1"))).status).toBe(403)
      }).pipe(Effect.provide(guardedServer(app, { ...viaProxy, whitelist: ["10.0.0.0/8", "127.0.0.1"] }))))

    it.scoped("a spoofed X-Forwarded-For from an untrusted peer is ignored and reported", () =>
      Effect.gen(function*() {
        // the loopback peer is not a trusted proxy: the header cannot escape the blacklist
        expect((yield* get("/", from("198.51.100.1"))).status).toBe(403)
        const all = yield* events
        expect(all.map((e) => e.eventType)).toContain("suspicious_request")
        expect(all.find((e) => e.eventType === "suspicious_request")?.actionTaken).toBe("spoofing_detected")
      }).pipe(Effect.provide(guardedServer(app, { trustedProxies: ["10.0.0.1"], blacklist: ["127.0.0.1", "::1"] }))))

    it.scoped("from a trusted proxy the right-most untrusted hop is the client", () =>
      Effect.gen(function*() {
        // client, then an internal proxy (trusted), then the loopback proxy (trusted)
        expect((yield* get("/", from("203.0.113.9, 10.0.0.5"))).status).toBe(403)
        expect((yield* get("/", from("203.0.113.9, 198.51.100.4"))).status).toBe(200)
      }).pipe(Effect.provide(guardedServer(app, {
        trustedProxies: ["127.0.0.1", "::1", "10.0.0.0/8"],
        trustedProxyDepth: 3,
        blacklist: ["203.0.113.9"]
      }))))

    it.scoped("an event the application emits names the client the checks saw, not the proxy", () =>
      Effect.gen(function*() {
        expect((yield* get("/report", from("198.51.100.23"))).status).toBe(200)
        const [reported] = (yield* events).filter((e) => e.eventType === "access_denied")
        expect(reported?.ipAddress).toBe("198.51.100.23")
      }).pipe(Effect.provide(guardedServer(reporting, viaProxy))))

    it.scoped("an event the application emits names the guard's client even when the request was rewritten inside the guard", () =>
      Effect.gen(function*() {
        // no trusted proxies: the header is a spoof, and the platform middleware on the route believes it
        expect((yield* get("/report-forwarded", from("203.0.113.66"))).status).toBe(200)
        const [reported] = (yield* events).filter((e) => e.eventType === "access_denied")
        expect(reported?.ipAddress).toBe("127.0.0.1")
      }).pipe(Effect.provide(guardedServer(reporting, {}))))

    it.scoped("country rules use the GeoIpLookup; an unknown country fails an allowlist", () =>
      Effect.gen(function*() {
        expect((yield* get("/", from("198.51.100.1"))).status).toBe(200)
        expect((yield* get("/", from("203.0.113.1"))).status).toBe(403)
        expect((yield* get("/", from("192.0.2.1"))).status).toBe(403)
        const blocked = (yield* events).filter((e) => e.eventType === "country_blocked")
        expect(blocked.map((e) => e.metadata["rule_type"])).toEqual(["country_whitelist", "country_whitelist"])
        expect(blocked[0]!.country).toBe("CN")
      }).pipe(Effect.provide(guardedServer(app, { ...viaProxy, whitelistCountries: ["us", "NL"] }, GeoIpLookup.layerTest({
        "198.51.100.0/24": "US",
        "203.0.113.0/24": "CN"
      })))))
  })

  describe("rate_limit", () => {
    it.scoped("the global limit answers 429 with Retry-After and RateLimit headers, and emits rate_limited", () =>
      Effect.gen(function*() {
        for (let i = 0; i < 3; i++) expect((yield* get("/")).status).toBe(200)
        const limited = yield* get("/")
        expect(limited.status).toBe(429)
        expect(yield* limited.text).toBe("Too many requests")
        expect(limited.headers["retry-after"]).toBeDefined()
        expect(limited.headers["ratelimit-policy"]).toContain("q=3")
        const [event] = (yield* events).filter((e) => e.eventType === "rate_limited")
        expect(event!.metadata).toMatchObject({ rate_limit: 3, window: 60 })
      }).pipe(Effect.provide(guardedServer(app, { enableRateLimiting: true, rateLimit: 3, rateLimitWindow: 60 }))))

    it.scoped("the window slides: after it passes the client is served again (TestClock)", () =>
      Effect.gen(function*() {
        expect((yield* get("/")).status).toBe(200)
        expect((yield* get("/")).status).toBe(200)
        expect((yield* get("/")).status).toBe(429)
        yield* TestClock.adjust("61 seconds")
        expect((yield* get("/")).status).toBe(200)
      }).pipe(Effect.provide(guardedServer(app, { enableRateLimiting: true, rateLimit: 2, rateLimitWindow: 60 }))))

    it.scoped("repeated violations feed the auto-ban when enableRateLimitAutoBan is on", () =>
      Effect.gen(function*() {
        // loopback can never be banned: the client comes through the proxy
        for (let i = 0; i < 3; i++) yield* get("/", from("198.51.100.23"))
        const banned = yield* statusAndBody(yield* get("/", from("198.51.100.23")))
        expect(banned).toEqual({ status: 403, body: "IP address banned" })
        expect((yield* events).map((e) => e.eventType)).toContain("ip_banned")
      }).pipe(Effect.provide(guardedServer(app, {
        ...viaProxy,
        enableRateLimiting: true,
        rateLimit: 1,
        enableRateLimitAutoBan: true,
        autoBanThreshold: 2
      }))))
  })

  describe("suspicious_activity", () => {
    it.scoped("an attack in the query is refused with 400 and a penetration_attempt event; a normal query passes", () =>
      Effect.gen(function*() {
        expect((yield* get("/search?q=effect+guard+docs")).status).toBe(200)
        const attack = yield* statusAndBody(yield* get("/search?q=1%27%20OR%20%271%27%3D%271%27%20--"))
        expect(attack).toEqual({ status: 400, body: "Suspicious activity detected" })
        const [event] = (yield* events).filter((e) => e.eventType === "penetration_attempt")
        expect(event!.actionTaken).toBe("request_blocked")
        expect(event!.metadata["categories"]).toContain("sqli")
        expect(event!.metadata["request_count"]).toBe(1)
      }).pipe(Effect.provide(guardedServer(app, {}))))

    it.scoped("a chunked body (no Content-Length) is scanned under maxRequestSize and still readable", () =>
      Effect.gen(function*() {
        const passed = yield* statusAndBody(yield* sendChunked("/echo", JSON.stringify({ note: "plain words" })))
        expect(passed).toEqual({ status: 200, body: JSON.stringify({ note: "plain words" }) })
        const attack = yield* statusAndBody(yield* sendChunked("/echo", JSON.stringify({ note: "<script>alert(1)</script>" })))
        expect(attack).toEqual({ status: 400, body: "Suspicious activity detected" })
      }).pipe(Effect.provide(guardedServer(echo, { maxRequestSize: 65_536 }))))

    it.scoped("without maxRequestSize a chunked body is scanned too (up to detectionMaxBodyBytes) and left whole for the handler", () =>
      Effect.gen(function*() {
        const refused = yield* statusAndBody(yield* sendChunked("/echo", JSON.stringify({ note: "<script>alert(1)</script>" })))
        expect(refused.status).toBe(400)
        const benign = JSON.stringify({ note: "x".repeat(50_000) })
        expect(yield* statusAndBody(yield* sendChunked("/echo", benign))).toEqual({ status: 200, body: benign })
      }).pipe(Effect.provide(guardedServer(echo, {}))))

    it.scopedLive("a body scanned by the guard is still readable under a router mounted at a prefix, which hands the handler a new request object", () =>
      Effect.gen(function*() {
        const body = JSON.stringify({ name: "Zoë", note: "x".repeat(20_000) })
        const read = yield* send("POST", "/api/echo", { headers: { "content-type": "application/json" }, body }).pipe(Effect.timeout("5 seconds"))
        expect(yield* statusAndBody(read)).toEqual({ status: 200, body })
        const attack = yield* send("POST", "/api/echo", {
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ comment: "<script>alert(document.cookie)</script>" })
        })
        expect(attack.status).toBe(400)
      }).pipe(Effect.provide(guardedServer(HttpRouter.empty.pipe(HttpRouter.mount("/api", echo)), {}))))

    it.scoped("a handler that caps its own read below the body's size still gets the platform's failure after the guard's scan", () =>
      Effect.gen(function*() {
        const small = yield* send("POST", "/capped", { headers: { "content-type": "application/json" }, body: JSON.stringify({ a: "b" }) })
        expect(yield* statusAndBody(small)).toEqual({ status: 200, body: "{\"a\":\"b\"}" })
        const big = yield* send("POST", "/capped", { headers: { "content-type": "application/json" }, body: JSON.stringify({ a: "b".repeat(100) }) })
        expect(big.status).toBe(400)
      }).pipe(Effect.provide(guardedServer(
        HttpRouter.empty.pipe(HttpRouter.post(
          "/capped",
          HttpIncomingMessage.withMaxBodySize(
            Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => Effect.map(request.text, (text) => HttpServerResponse.text(text))),
            Option.some(50)
          )
        )),
        {}
      ))))

    it.scoped("a JSON body is scanned and still readable by the handler", () =>
      Effect.gen(function*() {
        const echo = yield* send("POST", "/echo", { headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "Zoë" }) })
        expect(yield* statusAndBody(echo)).toEqual({ status: 200, body: "{\"name\":\"Zoë\"}" })
        const attack = yield* send("POST", "/echo", {
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ comment: "<script>alert(document.cookie)</script>" })
        })
        expect(attack.status).toBe(400)
      }).pipe(Effect.provide(guardedServer(echo, {}))))

    it.scoped("at the auto-ban threshold the client is banned (403) and stays banned", () =>
      Effect.gen(function*() {
        const attacker = from("198.51.100.66")
        expect((yield* get("/search?q=../../etc/passwd", attacker)).status).toBe(400)
        const second = yield* statusAndBody(yield* get("/search?q=../../etc/passwd", attacker))
        expect(second).toEqual({ status: 403, body: "IP has been banned" })
        expect((yield* get("/", attacker)).status).toBe(403)
        expect((yield* get("/", from("198.51.100.67"))).status).toBe(200)
        const types = (yield* events).map((e) => e.eventType)
        expect(types).toContain("ip_banned")
      }).pipe(Effect.provide(guardedServer(app, { ...viaProxy, autoBanThreshold: 2 }))))

    it.scoped("excluded paths skip detection but not the blacklist", () =>
      Effect.gen(function*() {
        expect((yield* get("/docs/index?q=%3Cscript%3Ealert(1)%3C/script%3E")).status).toBe(200)
        expect((yield* events).map((e) => e.eventType)).toContain("path_excluded")
      }).pipe(Effect.provide(guardedServer(app, {}))))
  })

  describe("passive mode", () => {
    it.scoped("every violation is logged and emitted as logged_only, never blocked", () =>
      Effect.gen(function*() {
        expect((yield* get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E")).status).toBe(200)
        expect((yield* get("/", from("203.0.113.9"))).status).toBe(200)
        const all = yield* events
        expect(all.map((e) => [e.eventType, e.actionTaken])).toEqual(
          expect.arrayContaining([["penetration_attempt", "logged_only"], ["ip_blocked", "logged_only"]])
        )
      }).pipe(Effect.provide(guardedServer(app, { ...viaProxy, passiveMode: true, blacklist: ["203.0.113.9"] }))))

    it.scopedLive("a body over maxRequestSize is reported, and the handler still reads all of it", () =>
      Effect.gen(function*() {
        const declared = yield* send("POST", "/echo", { body: "x".repeat(2_000) })
        expect(yield* statusAndBody(declared)).toEqual({ status: 200, body: "x".repeat(2_000) })
        const chunks = ["y".repeat(1_500), "z".repeat(1_500)]
        expect(yield* statusAndBody(yield* sendChunks("/echo", chunks))).toEqual({ status: 200, body: chunks.join("") })
        const reported = (yield* events).filter((e) => e.eventType === "content_filtered")
        expect(reported.map((e) => [e.actionTaken, e.metadata["violation_type"]])).toEqual([["logged_only", "max_request_size"]])
      }).pipe(Effect.provide(guardedServer(echo, { passiveMode: true, maxRequestSize: 1_000 }))))
  })

  describe("emergency_mode", () => {
    it.scoped("everyone outside the emergency whitelist gets 503", () =>
      Effect.gen(function*() {
        expect((yield* get("/", from("10.0.0.8"))).status).toBe(200)
        const blocked = yield* get("/", from("198.51.100.1"))
        expect(blocked.status).toBe(503)
        expect((yield* events).map((e) => e.eventType)).toContain("emergency_mode_block")
      }).pipe(Effect.provide(guardedServer(app, { ...viaProxy, emergencyMode: true, emergencyWhitelist: ["10.0.0.0/8"] }))))
  })

  describe("https_enforcement", () => {
    it.scoped("plain HTTP is redirected (301) to HTTPS and reported", () =>
      Effect.gen(function*() {
        const response = yield* get("/search?q=1")
        expect(response.status).toBe(301)
        expect(response.headers["location"]).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/search\?q=1$/)
        expect((yield* events).map((e) => e.eventType)).toContain("https_enforced")
      }).pipe(Effect.provide(guardedServer(app, { enforceHttps: true }))))

    it.scoped("X-Forwarded-Proto: https from a trusted proxy counts as HTTPS", () =>
      Effect.gen(function*() {
        expect((yield* get("/", { "x-forwarded-proto": "https" })).status).toBe(200)
      }).pipe(Effect.provide(guardedServer(app, { enforceHttps: true, trustXForwardedProto: true, ...viaProxy }))))
  })

  describe("user_agent", () => {
    it.scoped("a blocked user agent gets 403 and user_agent_blocked", () =>
      Effect.gen(function*() {
        expect((yield* get("/", { "user-agent": "Mozilla/5.0" })).status).toBe(200)
        expect((yield* get("/", { "user-agent": "sqlmap/1.7" })).status).toBe(403)
        const [event] = (yield* events).filter((e) => e.eventType === "user_agent_blocked")
        expect(event!.metadata["filter_type"]).toBe("global")
      }).pipe(Effect.provide(guardedServer(app, { blockedUserAgents: ["sqlmap", "nikto"] }))))
  })

  describe("request_size_content", () => {
    it.scoped("a declared body over maxRequestSize gets 413", () =>
      Effect.gen(function*() {
        expect((yield* send("POST", "/submit", { body: "x".repeat(10) })).status).toBe(200)
        const big = yield* send("POST", "/submit", { body: "x".repeat(2_000) })
        expect(big.status).toBe(413)
        expect((yield* events).find((e) => e.eventType === "content_filtered")?.metadata["violation_type"]).toBe("max_request_size")
      }).pipe(Effect.provide(guardedServer(app, { maxRequestSize: 1_000 }))))

    it.scopedLive("a chunked body over maxRequestSize gets 413 before the handler reads it, and the connection closes cleanly", () =>
      Effect.gen(function*() {
        // 160 KB sent in 10 chunks: the guard stops reading after the cap and discards the rest
        const big = yield* sendChunks("/echo", Array.from({ length: 10 }, () => "x".repeat(16_384)))
        expect(big.headers["connection"]).toBe("close")
        expect(yield* statusAndBody(big)).toEqual({ status: 413, body: "Request too large" })
        const event = (yield* events).find((e) => e.eventType === "content_filtered")
        expect(event?.actionTaken).toBe("request_blocked")
        expect(event?.metadata).toMatchObject({ violation_type: "max_request_size", transfer_encoding: "chunked", max_request_size: 1_000 })
        // the server goes on serving new connections
        expect(yield* statusAndBody(yield* sendChunks("/echo", ["small"]))).toEqual({ status: 200, body: "small" })
      }).pipe(Effect.provide(guardedServer(echo, { maxRequestSize: 1_000 }))))

    it.scopedLive("a chunked body within maxRequestSize reaches the handler whole, however it arrives", () =>
      Effect.gen(function*() {
        const parts = ["first part, ", "x".repeat(500), ", last part"]
        expect(yield* statusAndBody(yield* sendChunks("/echo", parts))).toEqual({ status: 200, body: parts.join("") })
        expect(yield* statusAndBody(yield* sendChunks("/echo-stream", parts))).toEqual({ status: 200, body: parts.join("") })
        const atTheCap = ["a".repeat(600), "b".repeat(400)]
        expect(yield* statusAndBody(yield* sendChunks("/echo", atTheCap))).toEqual({ status: 200, body: atTheCap.join("") })
        // an empty body too: measuring it must not end the stream before the handler listens
        expect(yield* statusAndBody(yield* sendChunks("/echo", []))).toEqual({ status: 200, body: "" })
        expect(yield* statusAndBody(yield* sendChunks("/echo-stream", [""]))).toEqual({ status: 200, body: "" })
        expect((yield* events).filter((e) => e.eventType === "content_filtered")).toEqual([])
      }).pipe(Effect.provide(guardedServer(echo.pipe(echoStream), { maxRequestSize: 1_000 }))))

    it.scopedLive("a route that bypasses request_size_content takes bodies of any size, chunked or declared", () =>
      Effect.gen(function*() {
        const big = ["x".repeat(16_384), "y".repeat(16_384)]
        expect(yield* statusAndBody(yield* sendChunks("/upload", big))).toEqual({ status: 200, body: big.join("") })
        expect(yield* statusAndBody(yield* send("POST", "/upload", { body: "z".repeat(5_000) }))).toEqual({ status: 200, body: "z".repeat(5_000) })
        expect((yield* events).filter((e) => e.eventType === "content_filtered")).toEqual([])
        // other routes keep the limit
        expect((yield* sendChunks("/echo", big)).status).toBe(413)
      }).pipe(Effect.provide(guardedServer(uploads, { maxRequestSize: 1_000 }, GuardRoutes.fromRouter(uploads)))))

    it.scopedLive("a client that goes away in the middle of a chunked body being measured: no crash, the server goes on serving", () =>
      Effect.gen(function*() {
        const address = yield* HttpServer.addressWith((a) => Effect.succeed(a as HttpServer.TcpAddress))
        yield* Effect.async<void>((resume) => {
          const socket = net.connect(address.port, "127.0.0.1", () => {
            socket.write("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
            setTimeout(() => socket.destroy(), 50)
          })
          socket.on("close", () => resume(Effect.void))
        })
        expect(yield* statusAndBody(yield* sendChunks("/echo", ["still", " serving"]))).toEqual({ status: 200, body: "still serving" })
      }).pipe(Effect.provide(guardedServer(echo, { maxRequestSize: 1_000 }))))
  })

  describe("custom_request", () => {
    it.scoped("a hook that throws instead of failing is a failed check: 500 under fail-secure", () =>
      Effect.gen(function*() {
        expect(yield* statusAndBody(yield* get("/"))).toEqual({ status: 500, body: "Security check failed" })
      }).pipe(Effect.provide(guardedServer(app, {
        customRequestCheck: () => {
          throw new Error("the hook threw instead of failing")
        }
      }))))

    it.scoped("the hook's response refuses the request and is reported", () =>
      Effect.gen(function*() {
        expect((yield* get("/")).status).toBe(200)
        const refused = yield* statusAndBody(yield* get("/", { "x-tenant": "blocked" }))
        expect(refused).toEqual({ status: 402, body: "pay first" })
        expect((yield* events).find((e) => e.eventType === "custom_request_check")?.metadata["response_status"]).toBe(402)
      }).pipe(Effect.provide(guardedServer(app, {
        customRequestCheck: (request) =>
          Effect.succeed(request.headers["x-tenant"] === "blocked" ? Option.some(HttpServerResponse.text("pay first", { status: 402 })) : Option.none())
      }))))
  })

  describe("every response", () => {
    it.scoped("carries the security headers, the application's and the guard's alike", () =>
      Effect.gen(function*() {
        const https = { "x-forwarded-proto": "https" }
        for (const response of [yield* get("/", https), yield* get("/missing", https), yield* get("/", from("203.0.113.9", https))]) {
          expect([response.status, response.headers["x-content-type-options"]]).toEqual([response.status, "nosniff"])
          expect(response.headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains")
          expect(response.headers["x-frame-options"]).toBe("SAMEORIGIN")
        }
      }).pipe(Effect.provide(guardedServer(app, { ...viaProxy, trustXForwardedProto: true, blacklist: ["203.0.113.9"] }))))

    it.scoped("keeps what the application set: its own headers win, and status, cookies and body are untouched", () =>
      Effect.gen(function*() {
        const framed = yield* get("/framed")
        expect(framed.status).toBe(201)
        expect(framed.headers["x-frame-options"]).toBe("DENY")
        expect(framed.headers["content-type"]).toBe("application/json")
        expect(framed.headers["set-cookie"]).toContain("session=abc")
        expect(framed.headers["x-content-type-options"]).toBe("nosniff")
        expect(yield* framed.json).toEqual({ framed: true })
        const empty = yield* get("/empty")
        expect([empty.status, empty.headers["content-length"], empty.headers["x-download-options"]]).toEqual([204, undefined, "noopen"])
      }).pipe(Effect.provide(guardedServer(
        HttpRouter.empty.pipe(
          HttpRouter.get("/framed", HttpServerResponse.unsafeJson({ framed: true }, { status: 201, headers: { "X-Frame-Options": "DENY" } }).pipe(
            HttpServerResponse.unsafeSetCookie("session", "abc")
          )),
          HttpRouter.get("/empty", HttpServerResponse.empty())
        ),
        {}
      ))))

    it.scoped("is recorded as response_time, request_count and, from 400 on, error_rate, by the route served", () =>
      Effect.gen(function*() {
        yield* get("/")
        yield* get("/missing")
        yield* get("/", from("203.0.113.9"))
        const recorded = (yield* metrics).map((m) => `${m.metricType} ${m.tags["endpoint"]} ${m.tags["status"] ?? ""}`.trim())
        expect(recorded).toEqual([
          "response_time / 200",
          "request_count /",
          "response_time unmatched 404",
          "request_count unmatched",
          "error_rate unmatched 404",
          "response_time / 403",
          "request_count /",
          "error_rate / 403"
        ])
      }).pipe(Effect.provide(guardedServer(app, { ...viaProxy, blacklist: ["203.0.113.9"] }, GuardRoutes.fromRouter(app)))))

    it.scoped("with the security headers off and every metric muted, reaches the client as the application made it", () =>
      Effect.gen(function*() {
        const response = yield* get("/missing")
        expect(response.status).toBe(404)
        expect(response.headers["x-frame-options"]).toBeUndefined()
        expect((yield* statusAndBody(yield* get("/"))).body).toBe("ok")
        expect(yield* metrics).toEqual([])
      }).pipe(Effect.provide(guardedServer(app, {
        securityHeaders: { enabled: false },
        mutedMetricTypes: ["response_time", "request_count", "error_rate"]
      }))))

    it.scoped("is recorded with the security headers off too, and only the muted metrics are left out", () =>
      Effect.gen(function*() {
        const response = yield* get("/missing")
        expect(response.headers["x-frame-options"]).toBeUndefined()
        const recorded = (yield* metrics).map((m) => m.metricType)
        expect(recorded).toEqual(["response_time", "error_rate"])
      }).pipe(Effect.provide(guardedServer(app, { securityHeaders: { enabled: false }, mutedMetricTypes: ["request_count"] }))))
  })

  describe("the pipeline", () => {
    it.effect("builds only the checks the configuration can trigger", () =>
      Effect.gen(function*() {
        const pipeline = yield* GuardPipeline
        expect(pipeline.checks).toEqual(["ip_security", "rate_limit", "suspicious_activity"])
      }).pipe(Effect.provide(guardedServer(app, { enableRateLimiting: true }))))

    it.effect("routes with settings add the checks they need", () =>
      Effect.gen(function*() {
        const pipeline = yield* GuardPipeline
        expect(pipeline.checks).toEqual(["authentication", "ip_security", "suspicious_activity"])
      }).pipe(Effect.provide(guardedServer(app, {}, GuardRoutes.layer([{ method: "GET", path: "/admin", settings: { requireAuth: { type: "bearer" } } }])))))
  })
})
