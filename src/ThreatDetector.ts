/**
 * The detection engine behind the `suspicious_activity` check: finds attacks (21 categories: XSS,
 * SQL injection, traversal, command injection, SSRF, ...) in a request given as plain data, and says
 * which categories and patterns matched, with a score and safe-to-log excerpts.
 *
 * Every value is decoded (repeated URL decoding, `%u`, overlong UTF-8, HTML entities, JavaScript and
 * CSS escapes, Unicode lookalikes, NUL bytes), then read by rule families (SQL and HTML tokenizers,
 * shell, code, paths, ...) and a table of vetted patterns; each rule that fires adds its anomaly
 * score, and the request is a threat at the threshold (5 by default). Paranoia levels 1 to 4 trade
 * recall for false positives; exclusions turn a rule off per route, parameter or location. Every
 * rule runs in linear time and a budget caps the work per request; what it cuts is reported.
 * A detector remembers up to 4,096 short values (256 characters at most) that scanned clean, by
 * where they were seen, so the header values and paths requests repeat are not searched again; a
 * value with any finding is never remembered, so no answer depends on what was scanned before.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ThreatDetector } from "effect-guard/ThreatDetector"
 *
 * const program = Effect.gen(function* () {
 *   const detector = yield* ThreatDetector
 *   const result = yield* detector.detect({ path: "/search", query: "q=1' OR '1'='1" })
 *   // result.categories: ["sqli"]
 * }).pipe(Effect.provide(ThreatDetector.layer()))
 * ```
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import { ConfigError } from "./ConfigError.js"
import type { DetectionConfig } from "./internal/config/detection.js"
import { compileCustom, emptyResult, engineSettings, makeEngine } from "./internal/detection/engine.js"
import type { CustomPattern, DetectionContext, DetectionInput, DetectionResult, ThreatDetectorOptions } from "./internal/detection/model.js"
import * as patterns from "./internal/detection/patterns.js"

/**
 * The 19 built-in categories.
 *
 * @since 0.1.0
 * @category constants
 */
export const DETECTION_CATEGORIES: ReadonlyArray<DetectionCategory> = patterns.DETECTION_CATEGORIES

/**
 * A built-in category.
 *
 * @since 0.1.0
 * @category models
 */
export type DetectionCategory = patterns.DetectionCategory

export type {
  MatchCategory,
  DetectionLocationKind,
  DetectionPairs,
  DetectionBody,
  DetectionInput,
  DetectionContext,
  DetectionParanoia,
  DetectionFinding,
  DetectionMatch,
  DetectionExclusion,
  SkipReason,
  DetectionResult,
  CustomPattern,
  ThreatDetectorOptions
} from "./internal/detection/model.js"

/**
 * The service: `detect` never fails and never throws.
 *
 * @since 0.1.0
 * @category models
 */
export interface ThreatDetectorService {
  readonly detect: (input: DetectionInput, context?: DetectionContext) => Effect.Effect<DetectionResult>
}

/**
 * Builds a detector. Fails with a {@link ConfigError} naming every custom pattern that is not a
 * valid regex or not provably linear-time.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: ThreatDetectorOptions = {}): Effect.Effect<ThreatDetectorService, ConfigError> =>
  Effect.suspend(() => {
    const customPatterns = (options.customPatterns ?? []).map((p): CustomPattern => (typeof p === "string" ? { pattern: p } : p))
    const issues = customPatterns.flatMap((p, i) => {
      const compiled = compileCustom(p, i)
      return compiled._tag === "rejected"
        ? [{ path: `customPatterns[${i}]`, message: `custom pattern ${JSON.stringify(p.pattern)} is rejected: ${compiled.reason}` }]
        : []
    })
    if (issues.length > 0) return Effect.fail(ConfigError.fromIssues(issues))
    const engine = makeEngine(engineSettings(options, customPatterns))
    return Effect.succeed({ detect: (input, context) => Effect.sync(() => engine(input, context)) })
  })

/**
 * The detection fields of a decoded `GuardConfig` as detector options. The detector is on whatever
 * `enablePenetrationDetection` says: a route's `suspiciousDetection` and the dynamic rule
 * `enable_penetration_detection` can turn detection on where the global setting is off, so the
 * `suspicious_activity` check decides per request whether to ask it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromConfig = (config: DetectionConfig): ThreatDetectorOptions => ({
  categories: config.detectionCategories,
  customPatterns: config.detectionCustomPatterns.map((p): CustomPattern | string => {
    if (typeof p === "string") return p
    return {
      pattern: p.pattern,
      ...(p.id === undefined ? {} : { id: p.id }),
      ...(p.flags === undefined ? {} : { flags: p.flags }),
      ...(p.category === undefined ? {} : { category: p.category }),
      ...(p.weight === undefined ? {} : { weight: p.weight }),
      ...(p.locations === undefined ? {} : { locations: p.locations })
    }
  }),
  excludedHeaders: config.detectionExcludedHeaders,
  excludedParameters: config.detectionExcludedParameters,
  thresholds: config.detectionThresholds,
  paranoia: config.detectionParanoia,
  threshold: config.detectionThreshold,
  exclusions: config.detectionExclusions,
  maxBytes: config.detectionMaxBytes,
  maxValues: config.detectionMaxValues,
  maxBase64Attempts: config.detectionMaxBase64Attempts,
  maxJsonDepth: config.detectionMaxJsonDepth,
  maxDecodeRounds: config.detectionMaxDecodeRounds,
  scanBody: config.detectionScanBody
})

const noop: ThreatDetectorService = { detect: () => Effect.succeed(emptyResult) }

/**
 * Finds attacks in a request given as plain data.
 *
 * @since 0.1.0
 * @category tags
 */
export class ThreatDetector extends Context.Tag("effect-guard/ThreatDetector")<ThreatDetector, ThreatDetectorService>() {
  /**
   * A detector from plain options (see {@link make}).
   *
   * @since 0.1.0
   */
  static layer(options: ThreatDetectorOptions = {}): Layer.Layer<ThreatDetector, ConfigError> {
    return Layer.effect(ThreatDetector, make(options))
  }

  /**
   * A detector that finds nothing: the benchmark baseline, or a way to switch detection off.
   *
   * @since 0.1.0
   */
  static readonly layerNoop: Layer.Layer<ThreatDetector> = Layer.succeed(ThreatDetector, noop)

  /**
   * See {@link make}.
   *
   * @since 0.1.0
   */
  static readonly make = make

  /**
   * See {@link fromConfig}.
   *
   * @since 0.1.0
   */
  static readonly fromConfig = fromConfig
}
