/**
 * The detector's data model: a request as plain data, the options, the result. Apart from
 * `ThreatDetector.ts` (which re-exports all of it) so that the engine modules, which the detector
 * imports, read these shapes without an import back up.
 *
 * @internal
 */
import type { DetectionCategory, WhereName } from "./patterns.js"

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
export type DetectionLocationKind = WhereName

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
