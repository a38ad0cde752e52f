import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Logger } from "effect"
import { loadGuardConfig } from "../src/GuardConfig.js"
import { closestName, splitList } from "../src/internal/config/env.js"

const fromEnv = (entries: Record<string, string>, pathDelim?: string) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries)), pathDelim === undefined ? {} : { pathDelim }))

const load = (entries: Record<string, string>) => loadGuardConfig().pipe(fromEnv(entries))

const loadError = (entries: Record<string, string>) =>
  load(entries).pipe(
    Effect.flip,
    Effect.orElse(() => Effect.dieMessage("expected a ConfigError"))
  )

/** Runs `effect` and returns what it logged at warning level, one string per line. */
const warnings = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") lines.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
    })
    const result = yield* effect.pipe(Effect.either, Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
    return { result, lines }
  })

describe("GUARD_* lists", () => {
  it.effect("a regex with {m,n} survives: evilbot,scanner[0-9]{1,8} is two patterns", () =>
    Effect.gen(function*() {
      const config = yield* load({ GUARD_BLOCKED_USER_AGENTS: "evilbot,scanner[0-9]{1,8}" })
      expect(config.blockedUserAgents).toEqual(["evilbot", "scanner[0-9]{1,8}"])
    }))

  it.effect("commas inside [...] and (...) and escaped commas stay in their item", () =>
    Effect.gen(function*() {
      const config = yield* load({ GUARD_BLOCKED_USER_AGENTS: "(?:bot|spider,x)/1, [,;]agent ,curl\\,x" })
      expect(config.blockedUserAgents).toEqual(["(?:bot|spider,x)/1", "[,;]agent", "curl\\,x"])
      expect(new RegExp(config.blockedUserAgents[2]!).test("curl,x")).toBe(true)
    }))

  it.effect("a JSON array is read as one", () =>
    Effect.gen(function*() {
      const config = yield* load({ GUARD_BLOCKED_USER_AGENTS: "[\"evilbot\", \"scanner[0-9]{1,8}\", \"a,b\"]" })
      expect(config.blockedUserAgents).toEqual(["evilbot", "scanner[0-9]{1,8}", "a,b"])
    }))

  it.effect("a list starting with a character class is not taken for JSON", () =>
    Effect.gen(function*() {
      const config = yield* load({ GUARD_BLOCKED_USER_AGENTS: "[a-z]{2,4}bot,curl/.*" })
      expect(config.blockedUserAgents).toEqual(["[a-z]{2,4}bot", "curl/.*"])
    }))

  it.effect("custom detection patterns and address lists split the same way", () =>
    Effect.gen(function*() {
      const config = yield* load({
        GUARD_DETECTION_CUSTOM_PATTERNS: "union\\s{1,64}select,x{2,3}y",
        GUARD_BLACKLIST: "203.0.113.0/24, 198.51.100.7,"
      })
      expect(config.detectionCustomPatterns).toEqual(["union\\s{1,64}select", "x{2,3}y"])
      expect(config.blacklist).toEqual(["203.0.113.0/24", "198.51.100.7"])
    }))

  it.effect("a refused list item names the variable and the forms a list accepts", () =>
    Effect.gen(function*() {
      const error = yield* loadError({ GUARD_BLOCKED_USER_AGENTS: "evilbot,\\s+;x" })
      expect(error.message).toContain("blockedUserAgents[1]")
      expect(error.message).toContain("GUARD_BLOCKED_USER_AGENTS")
      expect(error.message).toContain("JSON array")
      expect(error.message).toContain("written \\, stays in the item")
    }))

  it.effect("the bound a refusal advises can be written in the variable as it is", () =>
    Effect.gen(function*() {
      const error = yield* loadError({ GUARD_BLOCKED_USER_AGENTS: "evilbot,\\s+;x" })
      const advice = /e\.g\. `([^`]*)`/.exec(error.message)?.[1]
      expect(advice).toBe("\\s{1,64}")
      const config = yield* load({ GUARD_BLOCKED_USER_AGENTS: `evilbot,${advice};x` })
      expect(config.blockedUserAgents).toEqual(["evilbot", "\\s{1,64};x"])
    }))

  it.effect("the examples of docs/configuration.md decode as they say", () =>
    Effect.gen(function*() {
      const config = yield* load({
        GUARD_BLOCKED_USER_AGENTS: "evilbot,scanner[0-9]{1,8},(?:sqlmap|nikto)/[0-9.]+",
        GUARD_DETECTION_CUSTOM_PATTERNS: "union\\s{1,64}select,[,;]\\s{0,8}drop",
        GUARD_BLACKLIST: "203.0.113.0/24,198.51.100.7"
      })
      expect(config.blockedUserAgents).toHaveLength(3)
      expect(config.detectionCustomPatterns).toEqual(["union\\s{1,64}select", "[,;]\\s{0,8}drop"])
      expect(config.blacklist).toHaveLength(2)
    }))

  it("splitList trims items, drops empty ones and leaves unbalanced brackets to the regex check", () => {
    expect(splitList(" a , ,b,")).toEqual(["a", "b"])
    expect(splitList("a{1,2},(b,c),[d,e]")).toEqual(["a{1,2}", "(b,c)", "[d,e]"])
    expect(splitList("[\\],x],y")).toEqual(["[\\],x]", "y"])
    expect(splitList("a(b,c")).toEqual(["a(b,c"])
  })
})

describe("GUARD_* numbers", () => {
  it.effect.each(["0x10", "1e3", " 12 ", "+5", "12.0", "012", "1_000", "Infinity", "12abc", ""])(
    "GUARD_RATE_LIMIT=%j is refused with the form an integer takes",
    (text) =>
      Effect.gen(function*() {
        const error = yield* loadError({ GUARD_RATE_LIMIT: text })
        expect(error._tag).toBe("ConfigError")
        expect(error.message).toContain(`GUARD_RATE_LIMIT=${JSON.stringify(text)} is not a decimal integer`)
        expect(error.message).toContain("digits only, e.g. 10")
      })
  )

  it.effect("plain decimal integers are read", () =>
    Effect.gen(function*() {
      const config = yield* load({ GUARD_RATE_LIMIT: "12", GUARD_AUTO_BAN_DURATION: "600" })
      expect(config.rateLimit).toBe(12)
      expect(config.autoBanDuration).toBe(600)
    }))

  it.effect("fractional fields take a decimal fraction and refuse exponents", () =>
    Effect.gen(function*() {
      const config = yield* load({ GUARD_AGENT_FLUSH_INTERVAL: "0.5" })
      expect(config.agentFlushInterval).toBe(0.5)
      const error = yield* loadError({ GUARD_AGENT_FLUSH_INTERVAL: "5e-1" })
      expect(error.message).toContain("is not a decimal number; write digits with an optional fraction, e.g. 30 or 0.5")
      const bare = yield* loadError({ GUARD_AGENT_FLUSH_INTERVAL: ".5" })
      expect(bare.message).toContain("GUARD_AGENT_FLUSH_INTERVAL")
    }))

  it.effect("a refused number is reported with every other problem at once", () =>
    Effect.gen(function*() {
      const error = yield* loadError({ GUARD_RATE_LIMIT: "0x10", GUARD_MUTED_METRIC_TYPES: "latency" })
      expect(error.issues.map((i) => i.path).sort()).toEqual(["mutedMetricTypes[0]", "rateLimit"])
    }))

  it.effect("a decimal that the field's range refuses gets the field's own message", () =>
    Effect.gen(function*() {
      const error = yield* loadError({ GUARD_RATE_LIMIT: "-5" })
      expect(error.message).toContain("rateLimit")
      expect(error.message).toContain("(GUARD_RATE_LIMIT)")
    }))
})

describe("unknown GUARD_* variables", () => {
  it.effect("a misspelt variable is ignored with a warning naming the closest known one", () =>
    Effect.gen(function*() {
      const { lines, result } = yield* warnings(load({ GUARD_BLACKLST: "1.2.3.4" }))
      expect(Either.isRight(result) && result.right.blacklist).toEqual([])
      expect(lines).toEqual(["GUARD_BLACKLST is not an effect-guard variable and is ignored; did you mean GUARD_BLACKLIST?"])
    }))

  it.effect("the environment's own delimiter does not matter: names split on _ are found too", () =>
    Effect.gen(function*() {
      const { lines } = yield* warnings(
        loadGuardConfig().pipe(fromEnv({ GUARD_RATE_LIMITS: "5", GUARD_RATE_LIMIT: "5", PATH: "/bin" }, "_"))
      )
      expect(lines).toEqual(["GUARD_RATE_LIMITS is not an effect-guard variable and is ignored; did you mean GUARD_RATE_LIMIT?"])
    }))

  it.effect("a name far from every known one is warned about without a guess", () =>
    Effect.gen(function*() {
      const { lines } = yield* warnings(load({ GUARD_COLOUR_SCHEME: "dark" }))
      expect(lines).toEqual(["GUARD_COLOUR_SCHEME is not an effect-guard variable and is ignored"])
    }))

  it.effect("known variables and other prefixes are not warned about", () =>
    Effect.gen(function*() {
      const { lines } = yield* warnings(load({ GUARD_RATE_LIMIT: "5", GUARDIAN_MODE: "on", MY_GUARD_X: "1" }))
      expect(lines).toEqual([])
    }))

  it.effect("each unknown variable is warned about once, even when loading fails", () =>
    Effect.gen(function*() {
      const { lines, result } = yield* warnings(load({ GUARD_BLACKLST: "x", GUARD_ENABLE_OTL: "true", GUARD_RATE_LIMIT: "0x10" }))
      expect(Either.isLeft(result)).toBe(true)
      expect(lines).toEqual([
        "GUARD_BLACKLST is not an effect-guard variable and is ignored; did you mean GUARD_BLACKLIST?",
        "GUARD_ENABLE_OTL is not an effect-guard variable and is ignored; did you mean GUARD_ENABLE_OTEL?"
      ])
    }))

  it("guesses a swap of two letters as one typo", () => {
    expect(closestName("GUARD_BALCKLIST", ["GUARD_BLACKLIST", "GUARD_WHITELIST"])).toBe("GUARD_BLACKLIST")
    expect(closestName("GUARD_X", ["GUARD_BLACKLIST"])).toBeUndefined()
  })
})
