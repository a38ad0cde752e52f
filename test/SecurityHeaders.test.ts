/**
 * The security headers follow helmet 8's defaults: what every response carries, HSTS only on
 * HTTPS requests, a CSP on documents, and every header set to another value or left out.
 */
import { HttpApp, HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import {
  ClientIp,
  contentSecurityPolicy,
  decodeGuardConfig,
  GuardConfig,
  type GuardConfigInput,
  GuardLive,
  guardMiddleware
} from "effect-guard"
import { get, guardedServer } from "./support/guarded.js"

const app = HttpRouter.empty.pipe(
  HttpRouter.get("/", HttpServerResponse.text("ok")),
  HttpRouter.get("/page", HttpServerResponse.html("<p>hello</p>")),
  HttpRouter.get("/page-upper", HttpServerResponse.text("<p>hello</p>", { contentType: "TEXT/HTML; Charset=UTF-8" })),
  HttpRouter.get("/drawing", HttpServerResponse.text("<svg xmlns='http://www.w3.org/2000/svg'/>", { contentType: "image/svg+xml" })),
  HttpRouter.get("/feed", HttpServerResponse.text("<x:script xmlns:x='http://www.w3.org/1999/xhtml'/>", { contentType: "text/xml" })),
  HttpRouter.get("/untyped", HttpServerResponse.raw("<script>1</script>")),
  HttpRouter.get("/data", HttpServerResponse.unsafeJson({ ok: true })),
  HttpRouter.get("/own-policy", HttpServerResponse.text("<p>hello</p>", { contentType: "text/html", headers: { "Content-Security-Policy": "default-src 'none'" } }))
)

/** helmet 8.3's headers on a response to `GET /` over plain HTTP, with its defaults. */
const HELMET_PLAIN_HTTP = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "origin-agent-cluster": "?1",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-dns-prefetch-control": "off",
  "x-download-options": "noopen",
  "x-frame-options": "SAMEORIGIN",
  "x-permitted-cross-domain-policies": "none",
  "x-xss-protection": "0"
}

/** helmet 8.3's default `Content-Security-Policy`. */
const HELMET_CSP =
  "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;" +
  "object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests"

const SECURITY_NAMES = [
  ...Object.keys(HELMET_PLAIN_HTTP),
  "content-security-policy",
  "cross-origin-embedder-policy",
  "permissions-policy",
  "strict-transport-security"
]

/** The security headers among `headers`. */
const securityHeadersOf = (headers: Readonly<Record<string, string | undefined>>) =>
  Object.fromEntries(SECURITY_NAMES.flatMap((name) => (headers[name] === undefined ? [] : [[name, headers[name]]])))

/**
 * The guarded app as a web handler (`HttpApp.toWebHandler`): its requests carry a full URL, so
 * `https://` ones arrived over HTTPS. The host names the peer with `ClientIp`.
 */
const webHandler = (config: GuardConfigInput) =>
  Effect.acquireRelease(
    Effect.sync(() =>
      HttpApp.toWebHandlerLayer(app, GuardLive.pipe(Layer.provide(GuardConfig.layer({ enableRateLimiting: false, ...config }))), {
        middleware: guardMiddleware
      })
    ),
    ({ dispose }) => Effect.promise(dispose)
  ).pipe(Effect.map(({ handler }) => (url: string, init?: RequestInit) =>
    Effect.promise(async () => {
      const response = await handler(new Request(url, init), Context.make(ClientIp, "198.51.100.20"))
      return { status: response.status, headers: Object.fromEntries(response.headers) }
    })
  ))

describe("security headers", () => {
  describe("by default", () => {
    it.scoped("a plain-HTTP response carries helmet's headers: no HSTS, no COEP, no CSP on text, X-XSS-Protection 0", () =>
      Effect.gen(function*() {
        const response = yield* get("/")
        expect(securityHeadersOf(response.headers)).toEqual(HELMET_PLAIN_HTTP)
      }).pipe(Effect.provide(guardedServer(app, {}))))

    it.scoped("the guard's own refusals carry them too", () =>
      Effect.gen(function*() {
        const response = yield* get("/", { "x-forwarded-for": "203.0.113.9" })
        expect(response.status).toBe(403)
        expect(securityHeadersOf(response.headers)).toEqual(HELMET_PLAIN_HTTP)
      }).pipe(Effect.provide(guardedServer(app, { trustedProxies: ["127.0.0.1", "::1"], blacklist: ["203.0.113.9"] }))))

    it.scoped("a response a browser can render as a document gets helmet's default Content-Security-Policy", () =>
      Effect.gen(function*() {
        // HTML in any case, SVG, XML (scripts through the XHTML namespace), and no type (sniffed)
        expect((yield* get("/untyped")).headers["content-type"]).toBeUndefined()
        for (const path of ["/page", "/page-upper", "/drawing", "/feed", "/untyped"]) {
          expect([path, (yield* get(path)).headers["content-security-policy"]]).toEqual([path, HELMET_CSP])
        }
        for (const path of ["/", "/data"]) expect([path, (yield* get(path)).headers["content-security-policy"]]).toEqual([path, undefined])
      }).pipe(Effect.provide(guardedServer(app, {}))))

    it.scoped("a policy the application set itself wins", () =>
      Effect.gen(function*() {
        expect((yield* get("/own-policy")).headers["content-security-policy"]).toBe("default-src 'none'")
      }).pipe(Effect.provide(guardedServer(app, {}))))
  })

  describe("Strict-Transport-Security", () => {
    it.scoped("is sent on a request a trusted proxy says arrived over HTTPS (trustXForwardedProto)", () =>
      Effect.gen(function*() {
        expect((yield* get("/", { "x-forwarded-proto": "https" })).headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains")
        expect((yield* get("/", { "x-forwarded-proto": "http, HTTPS" })).headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains")
        expect((yield* get("/", { "x-forwarded-proto": "http" })).headers["strict-transport-security"]).toBeUndefined()
        // read from the right: a client's https ahead of what the proxy appended does not count
        expect((yield* get("/", { "x-forwarded-proto": "https, http" })).headers["strict-transport-security"]).toBeUndefined()
      }).pipe(Effect.provide(guardedServer(app, { trustedProxies: ["127.0.0.1", "::1"], trustXForwardedProto: true }))))

    it.scoped("is not sent when X-Forwarded-Proto comes from a client that is not a trusted proxy", () =>
      Effect.gen(function*() {
        expect((yield* get("/", { "x-forwarded-proto": "https" })).headers["strict-transport-security"]).toBeUndefined()
      }).pipe(Effect.provide(guardedServer(app, { trustedProxies: ["10.0.0.1"], trustXForwardedProto: true }))))

    it.scoped("is not sent on X-Forwarded-Proto from a trusted proxy unless trustXForwardedProto is on", () =>
      Effect.gen(function*() {
        expect((yield* get("/", { "x-forwarded-proto": "https" })).headers["strict-transport-security"]).toBeUndefined()
      }).pipe(Effect.provide(guardedServer(app, { trustedProxies: ["127.0.0.1", "::1"] }))))

    it.scoped("is sent on an https:// request to a web handler, not on an http:// one", () =>
      Effect.gen(function*() {
        const handle = yield* webHandler({})
        expect((yield* handle("https://guarded.test/")).headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains")
        expect((yield* handle("http://guarded.test/")).headers["strict-transport-security"]).toBeUndefined()
      }))

    it.scoped("follows hstsMaxAge, hstsIncludeSubdomains and hstsPreload, and hstsMaxAge 0 leaves it out", () =>
      Effect.gen(function*() {
        const preload = yield* webHandler({ securityHeaders: { hstsPreload: true } })
        expect((yield* preload("https://guarded.test/")).headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains; preload")
        const short = yield* webHandler({ securityHeaders: { hstsMaxAge: 300, hstsIncludeSubdomains: false } })
        expect((yield* short("https://guarded.test/")).headers["strict-transport-security"]).toBe("max-age=300")
        const off = yield* webHandler({ securityHeaders: { hstsMaxAge: 0 } })
        expect((yield* off("https://guarded.test/")).headers["strict-transport-security"]).toBeUndefined()
      }))
  })

  describe("each header", () => {
    it.scoped("can be given another value or left out with false", () =>
      Effect.gen(function*() {
        const handle = yield* webHandler({
          securityHeaders: {
            frameOptions: "DENY",
            referrerPolicy: "strict-origin-when-cross-origin",
            crossOriginEmbedderPolicy: "require-corp",
            permissionsPolicy: "camera=()",
            xssProtection: false,
            originAgentCluster: false,
            dnsPrefetchControl: false,
            downloadOptions: false,
            permittedCrossDomainPolicies: false,
            contentTypeOptions: false,
            crossOriginOpenerPolicy: false,
            crossOriginResourcePolicy: "cross-origin"
          }
        })
        expect(securityHeadersOf((yield* handle("http://guarded.test/")).headers)).toEqual({
          "x-frame-options": "DENY",
          "referrer-policy": "strict-origin-when-cross-origin",
          "cross-origin-embedder-policy": "require-corp",
          "cross-origin-resource-policy": "cross-origin",
          "permissions-policy": "camera=()"
        })
      }))

    it.scoped("the Content-Security-Policy takes directives over helmet's, a policy as text, or false", () =>
      Effect.gen(function*() {
        const directives = yield* webHandler({
          securityHeaders: { contentSecurityPolicy: { directives: { scriptSrc: ["'self'", "https://cdn.example"], upgradeInsecureRequests: false } } }
        })
        expect((yield* directives("http://guarded.test/page")).headers["content-security-policy"]).toBe(
          HELMET_CSP.replace("script-src 'self'", "script-src 'self' https://cdn.example").replace(";upgrade-insecure-requests", "")
        )
        const text = yield* webHandler({ securityHeaders: { contentSecurityPolicy: "default-src 'none'" } })
        expect((yield* text("http://guarded.test/page")).headers["content-security-policy"]).toBe("default-src 'none'")
        expect((yield* text("http://guarded.test/")).headers["content-security-policy"]).toBeUndefined()
        const off = yield* webHandler({ securityHeaders: { contentSecurityPolicy: false } })
        expect((yield* off("http://guarded.test/page")).headers["content-security-policy"]).toBeUndefined()
      }))

    it.scoped("custom headers go on every response and replace the guard's own of that name", () =>
      Effect.gen(function*() {
        const handle = yield* webHandler({
          securityHeaders: { custom: { "X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'", "X-Team": "blue" } }
        })
        const headers = (yield* handle("http://guarded.test/")).headers
        expect([headers["x-frame-options"], headers["content-security-policy"], headers["x-team"]]).toEqual(["DENY", "frame-ancestors 'none'", "blue"])
        expect((yield* handle("http://guarded.test/page")).headers["content-security-policy"]).toBe("frame-ancestors 'none'")
      }))

    it.scoped("enabled: false leaves every one out, on HTTPS too", () =>
      Effect.gen(function*() {
        const handle = yield* webHandler({ securityHeaders: { enabled: false } })
        expect(securityHeadersOf((yield* handle("https://guarded.test/page")).headers)).toEqual({})
      }))
  })

  describe("configuration", () => {
    it.effect("refuses a header value that could split the response head", () =>
      Effect.gen(function*() {
        for (const securityHeaders of [{ frameOptions: "DENY\r\nX-Evil: 1" }, { custom: { "x-a": "b\nc" } }, { contentSecurityPolicy: "default-src 'self'\r\n" }]) {
          const error = yield* Effect.flip(decodeGuardConfig({ securityHeaders }))
          expect(error.message).toContain("control characters")
        }
      }))

    it.effect("refuses a CSP source that would start another directive or policy, and a directive name that is not one", () =>
      Effect.gen(function*() {
        for (const directives of [{ scriptSrc: ["'self'; script-src *"] }, { scriptSrc: ["a, b"] }, { scriptSrc: ["a b"] }, { "script src": ["'self'"] }]) {
          expect((yield* Effect.flip(decodeGuardConfig({ securityHeaders: { contentSecurityPolicy: { directives } } })))._tag).toBe("ConfigError")
        }
      }))
  })

  describe("contentSecurityPolicy", () => {
    it("builds helmet's default policy", () => {
      expect(contentSecurityPolicy()).toBe(HELMET_CSP)
    })

    it("takes directives in either spelling over the defaults, drops one with false, or starts from nothing", () => {
      expect(contentSecurityPolicy({ "img-src": ["*"], objectSrc: false })).toBe(HELMET_CSP.replace("img-src 'self' data:", "img-src *").replace("object-src 'none';", ""))
      expect(contentSecurityPolicy({ defaultSrc: ["'none'"], sandbox: true }, { useDefaults: false })).toBe("default-src 'none';sandbox")
    })
  })
})
