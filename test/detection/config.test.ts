import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { decodeGuardConfig, loadGuardConfig } from "../../src/GuardConfig.js"
import { DETECTION_CATEGORIES, ThreatDetector } from "../../src/ThreatDetector.js"

describe("detection config", () => {
  it.effect("defaults to all categories, detection on and bounded budgets", () =>
    Effect.gen(function*() {
      const config = yield* decodeGuardConfig({})
      expect(config.enablePenetrationDetection).toBe(true)
      expect([...config.detectionCategories]).toEqual([...DETECTION_CATEGORIES])
      expect(config).toMatchObject({ detectionMaxBytes: 262_144, detectionMaxValues: 65_536, detectionMaxBase64Attempts: 16 })
    }))

  it.effect("rejects a custom pattern that is not linear-time, naming the pattern and the reason", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(decodeGuardConfig({ detectionCustomPatterns: ["ok-pattern", { pattern: "(x+x+)+y" }] }))
      expect(error._tag).toBe("ConfigError")
      expect(error.message).toContain("detectionCustomPatterns[1]")
      expect(error.message).toContain("(x+x+)+y")
      expect(error.message).toContain("nested quantifier")
    }))

  it.effect("rejects a custom pattern that is not a valid regex", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(decodeGuardConfig({ detectionCustomPatterns: ["(unclosed"] }))
      expect(error.message).toContain("not a valid regular expression")
    }))

  it.effect("names every category a rule reports: session fixation and ORM lookups too", () =>
    Effect.gen(function*() {
      const config = yield* decodeGuardConfig({ detectionCategories: ["session_fixation", "orm_injection"] })
      expect([...config.detectionCategories]).toEqual(["session_fixation", "orm_injection"])
      const families = yield* ThreatDetector.make({ categories: ["xss"] })
      // a category left out is not reported, whichever rule family finds it
      const fixation = yield* families.detect({ path: "/login", query: "PHPSESSID=attackerchosen" })
      expect(fixation.isThreat).toBe(false)
      const orm = yield* families.detect({ path: "/api/users", query: "password__startswith=a" })
      expect(orm.isThreat).toBe(false)
      const all = yield* ThreatDetector.make({})
      expect((yield* all.detect({ path: "/login", query: "PHPSESSID=attackerchosen" })).categories).toEqual(["session_fixation"])
      expect((yield* all.detect({ path: "/api/users", query: "password__startswith=a" })).categories).toEqual(["orm_injection"])
    }))

  it.effect("rejects an unknown category with the list of valid ones", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(decodeGuardConfig({ detectionCategories: ["sql"] }))
      expect(error.message).toContain("unknown detection category \"sql\"")
    }))

  it.effect("reads categories, thresholds and custom patterns from GUARD_* variables", () =>
    Effect.gen(function*() {
      const config = yield* loadGuardConfig().pipe(
        Effect.withConfigProvider(
          ConfigProvider.fromMap(
            new Map([
              ["GUARD_DETECTION_CATEGORIES", "xss,sqli"],
              ["GUARD_DETECTION_THRESHOLDS", "{\"sqli\": 2}"],
              ["GUARD_DETECTION_CUSTOM_PATTERNS", "[{\"id\":\"x\",\"pattern\":\"evil{1,3}\"}]"]
            ])
          )
        )
      )
      expect([...config.detectionCategories]).toEqual(["xss", "sqli"])
      expect(config.detectionThresholds).toEqual({ sqli: 2 })
      expect(config.detectionCustomPatterns).toEqual([{ id: "x", pattern: "evil{1,3}" }])
    }))

  it.effect("turns the decoded fields into a working detector with fromConfig", () =>
    Effect.gen(function*() {
      const config = yield* decodeGuardConfig({ detectionCategories: ["xss"], detectionCustomPatterns: [{ id: "canary", pattern: "canary-[0-9]{4}" }] })
      const detector = yield* ThreatDetector.make(ThreatDetector.fromConfig(config))
      const sqli = yield* detector.detect({ path: "/", query: "q=' OR 1=1--" })
      const canary = yield* detector.detect({ path: "/", query: "q=canary-1234" })
      expect(sqli.isThreat).toBe(false)
      expect(canary.patternIds).toEqual(["canary"])
    }))

  it.effect("defaults to paranoia level 1, threshold 5 and no exclusions", () =>
    Effect.gen(function*() {
      const config = yield* decodeGuardConfig({})
      expect(config).toMatchObject({ detectionParanoia: 1, detectionThreshold: 5, detectionExclusions: [] })
    }))

  it.effect("rejects a paranoia level, exclusion location or rule id that does not exist, saying what is valid", () =>
    Effect.gen(function*() {
      const level = yield* Effect.flip(decodeGuardConfig({ detectionParanoia: 5 }))
      expect(level.message).toContain("unknown paranoia level 5; valid values: 1, 2, 3, 4")
      const location = yield* Effect.flip(decodeGuardConfig({ detectionExclusions: [{ ruleId: "sql-101", location: "params" }] }))
      expect(location.message).toContain("unknown detection location \"params\"; valid values: body, cookie, header, key, path, query")
      const rule = yield* Effect.flip(decodeGuardConfig({ detectionExclusions: [{ ruleId: "sql 101" }] }))
      expect(rule.message).toContain("detectionExclusions[0].ruleId")
      const route = yield* Effect.flip(decodeGuardConfig({ detectionExclusions: [{ ruleId: "sql-101", route: "search" }] }))
      expect(route.message).toContain("detectionExclusions[0].route")
    }))

  it.effect("reads paranoia, threshold and exclusions (JSON) from GUARD_* variables, and they reach the detector", () =>
    Effect.gen(function*() {
      const config = yield* loadGuardConfig().pipe(
        Effect.withConfigProvider(
          ConfigProvider.fromMap(
            new Map([
              ["GUARD_DETECTION_PARANOIA", "2"],
              ["GUARD_DETECTION_THRESHOLD", "10"],
              ["GUARD_DETECTION_EXCLUSIONS", "[{\"ruleId\":\"xss.script_tag\",\"route\":\"/cms/*\",\"parameter\":\"html\"}]"]
            ])
          )
        )
      )
      expect(config).toMatchObject({
        detectionParanoia: 2,
        detectionThreshold: 10,
        detectionExclusions: [{ ruleId: "xss.script_tag", route: "/cms/*", parameter: "html" }]
      })
      const options = ThreatDetector.fromConfig(config)
      expect(options).toMatchObject({ paranoia: 2, threshold: 10, exclusions: config.detectionExclusions })
    }))
})
