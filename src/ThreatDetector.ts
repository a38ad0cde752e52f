/**
 * The detection engine behind the `suspicious_activity` check: finds attacks (19 categories: XSS,
 * SQL injection, traversal, command injection, SSRF, ...) in a request given as plain data, and says
 * which categories and patterns matched, with a score and safe-to-log excerpts.
 *
 * Every value is decoded once (URL, double URL, HTML entities, escapes, Unicode lookalikes, SQL
 * comments, NUL bytes, case, whitespace), then searched by one combined regex chosen by where the
 * value comes from. Every built-in pattern, and every custom pattern, is proven linear-time by a
 * static check, and budgets cap the work per request; what they cut is reported, not passed silently.
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
 * One match: where (`query.q`, `header.x-api-version`, `body.user.name`, `path`), in which part of
 * it (`value`, `name`, or `decoded` for a base64-decoded value), and an excerpt of the normalised
 * value around the match, at most 80 characters with control characters escaped.
 *
 * @since 0.1.0
 * @category models
 */
export interface DetectionMatch {
  readonly location: string
  readonly part: "value" | "name" | "decoded"
  readonly category: MatchCategory
  readonly patternId: string
  readonly weight: number
  readonly preview: string
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
 * The outcome of a scan. `categories` are the categories whose summed pattern weights reach their
 * threshold; `patternIds` and `matches` also list weaker hits that did not. `truncated` says that
 * some input was not scanned (see `skipped`).
 *
 * @since 0.1.0
 * @category models
 */
export interface DetectionResult {
  readonly isThreat: boolean
  readonly categories: ReadonlyArray<MatchCategory>
  readonly patternIds: ReadonlyArray<string>
  readonly score: number
  readonly categoryScores: Readonly<Partial<Record<MatchCategory, number>>>
  readonly matches: ReadonlyArray<DetectionMatch>
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
  /** Score needed per category. Default 1. */
  readonly thresholds?: Readonly<Partial<Record<MatchCategory, number>>>
  /** Characters scanned per request. Default 262144. */
  readonly maxBytes?: number
  /** Values scanned per request. Default 1024. */
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
