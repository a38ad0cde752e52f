/**
 * The detector remembers short values that scanned clean, so the header values, paths and
 * parameters that every request repeats are not scanned again. Remembering must never change an
 * answer: these tests ask the same detector in the orders that could go wrong.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { type DetectionContext, type DetectionInput, ThreatDetector } from "../../src/ThreatDetector.js"
import { ATTACKS } from "./attacks.js"
import { BENIGN } from "./benign.js"
import { toInput } from "./harness.js"

const detect = (...args: Parameters<ThreatDetector["Type"]["detect"]>) =>
  Effect.flatMap(ThreatDetector, (d) => d.detect(...args))

const summary = (input: DetectionInput, context?: Parameters<ThreatDetector["Type"]["detect"]>[1]) =>
  Effect.map(detect(input, context), (r) => ({ isThreat: r.isThreat, categories: r.categories, reasons: r.skipped.reasons }))

describe("ThreatDetector clean-value memo", () => {
  it.effect("a value clean in one place is still scanned in a place where it is an attack", () =>
    Effect.gen(function*() {
      // a NUL byte is a probe in a parameter, not in a header
      const asHeader = yield* summary({ path: "/", headers: { "x-file": "report%00.txt" } })
      const asQuery = yield* summary({ path: "/", query: "file=report%00.txt" })
      expect(asHeader.isThreat).toBe(false)
      expect(asQuery.categories).toEqual(["path_traversal"])
    }).pipe(Effect.provide(ThreatDetector.layer())))

  it.effect("a value whose matches a request's disabled categories hid is not remembered as clean", () =>
    Effect.gen(function*() {
      const input: DetectionInput = { path: "/", headers: { "x-note": "' OR 1=1 --" } }
      const hidden = yield* summary(input, { disabledCategories: ["sqli"] })
      const seen = yield* summary(input)
      expect(hidden.isThreat).toBe(false)
      expect(seen.categories).toEqual(["sqli"])
    }).pipe(Effect.provide(ThreatDetector.layer())))

  it.effect("excluded headers, scanned only by the always-on patterns, keep their own answer", () =>
    Effect.gen(function*() {
      const value = "<script>alert(1)</script>"
      const excluded = yield* summary({ path: "/", headers: { "x-raw": value } }, { excludedHeaders: ["x-raw"] })
      const scanned = yield* summary({ path: "/", headers: { "x-other": value } })
      const again = yield* summary({ path: "/", headers: { "x-raw": value } }, { excludedHeaders: ["x-raw"] })
      expect(scanned.categories).toEqual(["xss"])
      expect(again).toEqual(excluded)
    }).pipe(Effect.provide(ThreatDetector.layer())))

  it.effect("a user agent clean in another header is still read by the user agent's own patterns, in either order", () =>
    Effect.gen(function*() {
      const text = "gobuster/3.6"
      const inAcceptLanguage = yield* summary({ path: "/", headers: { "accept-language": text } })
      const asAgent = yield* summary({ path: "/", headers: { "user-agent": text } })
      const inReferer = yield* summary({ path: "/", headers: { referer: text } })
      expect(inAcceptLanguage.isThreat).toBe(false)
      expect(asAgent.categories).toEqual(["recon"])
      expect(inReferer.isThreat).toBe(false)
    }).pipe(Effect.provide(ThreatDetector.layer())))

  it.effect("a clean user agent, remembered for its header, passes again and stays apart from a scanner's", () =>
    Effect.gen(function*() {
      const browser = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
      const first = yield* summary({ path: "/", headers: { "user-agent": browser } })
      const again = yield* summary({ path: "/", headers: { "user-agent": browser } })
      const scanner = yield* summary({ path: "/", headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) (Nikto/2.5.0)" } })
      // excluded for one request, the user agent is read by the patterns alone: a remembered answer
      // of the families' reading must not stand for it, nor the other way round
      const excluded = yield* summary({ path: "/", headers: { "user-agent": browser } }, { excludedHeaders: ["user-agent"] })
      expect(first.isThreat).toBe(false)
      expect(again).toEqual(first)
      expect(scanner.categories).toEqual(["recon"])
      expect(excluded.isThreat).toBe(false)
    }).pipe(Effect.provide(ThreatDetector.layer())))

  it.effect("the per-request base64 budget runs out the same way on every request", () =>
    Effect.gen(function*() {
      const headers = Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [`x-token-${i}`, Buffer.from(`hello world number ${i} padding`).toString("base64")])
      )
      const first = yield* summary({ path: "/", headers })
      const second = yield* summary({ path: "/", headers })
      expect(first.reasons).toEqual(["base64"])
      expect(second).toEqual(first)
    }).pipe(Effect.provide(ThreatDetector.layer({ maxBase64Attempts: 16 }))))

  it.effect("a repeated request gets the same answer, clean or not, and a flood of new values changes nothing", () =>
    Effect.gen(function*() {
      const clean: DetectionInput = { path: "/api/items", query: "page=2", headers: { "user-agent": "Mozilla/5.0", accept: "*/*" } }
      const attack: DetectionInput = { ...clean, query: "page=2%20UNION%20SELECT%20password%20FROM%20users" }
      const before = [yield* summary(clean), yield* summary(attack)]
      for (let i = 0; i < 10_000; i++) yield* detect({ path: `/flood/${i}`, headers: { "x-id": `value-${i}` } })
      const after = [yield* summary(clean), yield* summary(attack)]
      expect(before[0]!.isThreat).toBe(false)
      expect(before[1]!.categories).toEqual(["sqli"])
      expect(after).toEqual(before)
    }).pipe(Effect.provide(ThreatDetector.layer())))

  it("a remembered value does not keep the body it was cut from alive", () => {
    const script = fileURLToPath(new URL("../support/memoRetention.ts", import.meta.url))
    const output = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", script], { encoding: "utf8", timeout: 60_000 })
    // a thousand 100 KB bodies: about 100 MB if each remembered field held on to its body
    expect(JSON.parse(output).retainedMb).toBeLessThan(10)
  }, 70_000)

  it.effect("a detector that has seen the whole corpus answers every request as one that has seen it in another order", () =>
    Effect.gen(function*() {
      const deliveries = ["query", "rawquery", "path", "header", "cookie", "json", "form", "text"] as const
      // every attack in every place, the benign corpus, and some requests with categories disabled
      const requests: Array<readonly [DetectionInput, DetectionContext | undefined]> = [
        ...ATTACKS.flatMap((a) => deliveries.map((delivery) => [toInput({ ...a, delivery }), undefined] as const)),
        ...BENIGN.map((b) => [b.input, undefined] as const),
        ...ATTACKS.map((a) => [toInput({ ...a, delivery: "header" }), { disabledCategories: [a.category] }] as const)
      ]
      const answersOf = (detector: ThreatDetector["Type"], order: ReadonlyArray<number>) =>
        Effect.forEach(order, (i) => Effect.map(detector.detect(requests[i]![0], requests[i]![1]), (result) => [i, result] as const))
      const forward = requests.map((_, i) => i)
      const first = yield* Effect.flatMap(ThreatDetector, (d) => answersOf(d, forward)).pipe(Effect.provide(ThreatDetector.layer()))
      const warmed = yield* Effect.flatMap(ThreatDetector, (d) =>
        Effect.zipRight(answersOf(d, forward), answersOf(d, [...forward].reverse()))).pipe(Effect.provide(ThreatDetector.layer()))
      const byIndex = new Map(warmed)
      for (const [i, result] of first) expect(byIndex.get(i), `request ${i}`).toEqual(result)
    }), 60_000)
})
