/**
 * The detection engine behind the `suspicious_activity` check: finds attacks (19 categories: XSS,
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

/**
 * A category a match can count toward: a built-in one, or `custom` for custom patterns without one.
 *
 * @since 0.1.0
 * @category models
 */
export type MatchCategory = DetectionCategory | "custom"

/**
 * Where a value comes from. `key` is a parameter name, cookie name or JSON key.
 *
 * @since 0.1.0
 * @category models
 */
export type DetectionLocationKind = patterns.WhereName

/**
 * Name-value pairs, in order (repeated names allowed).
 *
 * @since 0.1.0
 * @category models
 */
export type DetectionPairs = ReadonlyArray<readonly [string, string]>

/**
 * A request body as the detector sees it. `json` is parsed and walked (keys and string leaves),
 * `form` is `application/x-www-form-urlencoded` text, `fields` are pre-parsed fields (e.g. the text
 * parts of a multipart body), `text` is scanned as one value.
 *
 * @since 0.1.0
 * @category models
 */
export type DetectionBody =
  | { readonly kind: "json"; readonly text: string }
  | { readonly kind: "form"; readonly text: string }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "fields"; readonly fields: DetectionPairs }

/**
 * A request as plain data. `query` is the raw query string (with or without `?`, still
 * percent-encoded) or decoded pairs; a `?` left in `path` is read as the query when `query` is
 * absent. A `cookie` header is parsed when `cookies` is absent. Header names are case-insensitive.
 *
 * @since 0.1.0
 * @category models
 */
export interface DetectionInput {
  readonly path: string
  readonly query?: string | DetectionPairs
  readonly headers?: Readonly<Record<string, string>> | DetectionPairs
  readonly cookies?: Readonly<Record<string, string>> | DetectionPairs
  readonly body?: DetectionBody
}

/**
 * Per-call adjustments, e.g. from a route's configuration.
 *
 * @since 0.1.0
 * @category models
 */
export interface DetectionContext {
  /** Categories whose matches are ignored for this call. */
  readonly disabledCategories?: Iterable<MatchCategory>
  /** More headers to skip (only the shellshock / JNDI checks run on skipped headers). */
  readonly excludedHeaders?: Iterable<string>
  /** More parameters, form fields, cookies and JSON keys to skip. */
  readonly excludedParameters?: Iterable<string>
  /** `false` skips the body for this call. */
  readonly scanBody?: boolean
}

/**
 * A paranoia level: 1 (the default) runs only the rules that are nearly free of false positives on
 * real traffic; 2 to 4 add more aggressive ones, as CRS's levels do.
 *
 * @since 0.2.0
 * @category models
 */
export type DetectionParanoia = 1 | 2 | 3 | 4

/**
 * One rule that fired: its stable id (`sql-101`, `xss.script_tag`), category, paranoia level and
 * anomaly score, where it fired (`query.q`, `header.x-api-version`, `body.user.name`, `path`) and
 * what it saw (at most 120 characters).
 *
 * @since 0.2.0
 * @category models
 */
export interface DetectionFinding {
  readonly ruleId: string
  readonly category: MatchCategory
  readonly location: string
  readonly paranoia: DetectionParanoia
  readonly score: number
  readonly message: string
}

/**
 * A finding with the fields of earlier versions: in which part of the value it fired (`value`,
 * `name`, or `decoded` for a base64-decoded value), `patternId` (the rule id), `weight` (the score
 * over 5) and an excerpt of the decoded value, at most 80 characters with control characters escaped.
 *
 * @since 0.1.0
 * @category models
 */
export interface DetectionMatch extends DetectionFinding {
  readonly part: "value" | "name" | "decoded"
  readonly patternId: string
  readonly weight: number
  readonly preview: string
}

/**
 * A rule that does not apply somewhere: `ruleId` is a rule id or a prefix ending in `*` (`sql-*`);
 * `route` a request path or a prefix ending in `*`; `parameter` a query parameter, form field,
 * cookie, header or JSON key (case-insensitive); `location` where the value is. Absent fields match
 * everything.
 *
 * @since 0.2.0
 * @category models
 */
export interface DetectionExclusion {
  readonly ruleId: string
  readonly route?: string | undefined
  readonly parameter?: string | undefined
  readonly location?: DetectionLocationKind | undefined
}

/**
 * Why part of a request was not fully scanned: the character (`bytes`) or value budget, the base64
 * attempt budget, JSON nested deeper than the depth budget (scanned as text), more decoding layers
 * than the round budget (the value is still scanned after the last round), the match list cap, or an
 * internal error (the request is then reported as truncated, never as clean-and-complete).
 *
 * @since 0.1.0
 * @category models
 */
export type SkipReason = "bytes" | "values" | "base64" | "json_depth" | "decode_rounds" | "matches" | "error"

/**
 * The outcome of a scan. Each rule that fired adds its score once; the request is a threat when the
 * sum (`score`) reaches the threshold (5 by default), or a category with its own threshold reaches
 * it. `categories` are the categories that made it a threat; `ruleIds` (also `patternIds`) and
 * `findings` (also `matches`) list every rule that fired, weaker ones included. `truncated` says that
 * some input was not scanned (see `skipped`).
 *
 * @since 0.1.0
 * @category models
 */
export interface DetectionResult {
  readonly isThreat: boolean
  readonly categories: ReadonlyArray<MatchCategory>
  readonly patternIds: ReadonlyArray<string>
  readonly ruleIds: ReadonlyArray<string>
  readonly score: number
  readonly categoryScores: Readonly<Partial<Record<MatchCategory, number>>>
  readonly matches: ReadonlyArray<DetectionMatch>
  readonly findings: ReadonlyArray<DetectionMatch>
  readonly truncated: boolean
  readonly skipped: {
    readonly values: number
    readonly bytes: number
    readonly reasons: ReadonlyArray<SkipReason>
  }
  readonly scanned: { readonly values: number; readonly bytes: number }
  /** Set only when the scan failed internally. */
  readonly error?: string
}

/**
 * A custom pattern. Its source is matched, with the `i` flag, against the normalised value (decoded,
 * lower case, whitespace collapsed) and must pass the same linear-time check as the built-ins.
 *
 * @since 0.1.0
 * @category models
 */
export interface CustomPattern {
  readonly id?: string
  readonly pattern: string
  readonly flags?: string
  readonly category?: DetectionCategory
  readonly weight?: number
  readonly locations?: ReadonlyArray<DetectionLocationKind>
}

/**
 * Options of {@link ThreatDetector.layer}; every field has a default.
 *
 * @since 0.1.0
 * @category models
 */
export interface ThreatDetectorOptions {
  /** `false` makes `detect` answer "nothing found" without scanning. Default `true`. */
  readonly enabled?: boolean
  /** Built-in categories scanned. Default: all 19. */
  readonly categories?: Iterable<DetectionCategory>
  readonly customPatterns?: ReadonlyArray<CustomPattern | string>
  /** Added to the built-in list of browser and proxy headers. */
  readonly excludedHeaders?: Iterable<string>
  readonly excludedParameters?: Iterable<string>
  /** Rules above this level stay silent. Default 1. */
  readonly paranoia?: DetectionParanoia
  /** Anomaly score at which a request is a threat. Default 5 (one critical rule). */
  readonly threshold?: number
  /** Score a category needs on its own, instead of counting toward `threshold`. */
  readonly thresholds?: Readonly<Partial<Record<MatchCategory, number>>>
  /** Rules that do not apply on some routes, parameters or locations. */
  readonly exclusions?: ReadonlyArray<DetectionExclusion>
  /** Characters scanned per request. Default 262144. */
  readonly maxBytes?: number
  /** Values scanned per request. Default 65536. */
  readonly maxValues?: number
  /** Base64 decoding attempts per request. Default 16. */
  readonly maxBase64Attempts?: number
  /** JSON depth walked structurally. Default 32. */
  readonly maxJsonDepth?: number
  /** Decoding rounds per value. Default 4. */
  readonly maxDecodeRounds?: number
  /** Matches kept in the result. Default 32. */
  readonly maxMatches?: number
  /** Default `true`. */
  readonly scanBody?: boolean
}

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
 * The detection fields of a decoded `GuardConfig` as detector options.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromConfig = (config: DetectionConfig): ThreatDetectorOptions => ({
  enabled: config.enablePenetrationDetection,
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
