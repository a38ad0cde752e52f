/**
 * Config fields of the detection engine used by the `suspicious_activity` check. A custom pattern
 * that is not a valid regex, or whose search is not provably linear-time, fails decoding with a
 * message naming the pattern and the reason.
 *
 * @internal
 */
import { Schema } from "effect"
import { DETECTION_CATEGORIES, WHERE_NAMES } from "../detection/patterns.js"
import { vetPattern } from "../detection/redos.js"
import { NonEmptyString, NonNegativeInt, PositiveInt, optional, stringSet, vocabulary, withDefault } from "./fields.js"

const Category = vocabulary(DETECTION_CATEGORIES, "detection category")

const PositiveNumber = Schema.Number.pipe(Schema.greaterThan(0))

const CustomPatternStruct = Schema.Struct({
  /** Reported as `patternId`; defaults to `custom.<index>`. */
  id: optional(NonEmptyString),
  /** A JavaScript regex source, matched against the normalised (decoded, lower-case) value. */
  pattern: NonEmptyString,
  /** Extra flags among `imsu` (`i` is always added). */
  flags: optional(Schema.String),
  /** The category a match counts toward; `custom` when absent. */
  category: optional(Category),
  /** Weight toward the category threshold (1 by default). */
  weight: optional(PositiveNumber),
  /** Where the pattern applies; everywhere when absent. */
  locations: optional(Schema.Array(vocabulary(WHERE_NAMES, "detection location")))
})

const patternOf = (p: string | Schema.Schema.Type<typeof CustomPatternStruct>) =>
  typeof p === "string" ? { pattern: p, flags: "" } : { pattern: p.pattern, flags: p.flags ?? "" }

/** A custom pattern: a bare regex source or an object; vetted for linear-time matching. */
export const CustomPatternSchema = Schema.Union(NonEmptyString, CustomPatternStruct).pipe(
  Schema.filter((p) => {
    const { flags, pattern } = patternOf(p)
    const verdict = vetPattern(pattern, [...new Set(`${flags}i`)].join(""))
    return verdict.safe ? undefined : `custom pattern ${JSON.stringify(pattern)} is rejected: ${verdict.reason}`
  })
)

const ThresholdValue = Schema.Union(PositiveNumber, Schema.NumberFromString.pipe(Schema.greaterThan(0)))

const PARANOIA_LEVELS = [1, 2, 3, 4] as const
const Paranoia = Schema.Literal(...PARANOIA_LEVELS).annotations({
  message: (issue) => ({ message: `unknown paranoia level ${JSON.stringify(issue.actual)}; valid values: 1, 2, 3, 4`, override: true })
})

const LOCATIONS = ["path", "query", "header", "cookie", "body", "key"] as const

const RuleId = NonEmptyString.pipe(Schema.pattern(/^[\w.-]{1,64}\*?$/)).annotations({
  message: (issue) => ({
    message: `rule id ${JSON.stringify(issue.actual)} is not a rule id (letters, digits, '.', '_', '-', e.g. "sql-101") or a prefix ending in '*' (e.g. "sql-*")`,
    override: true
  })
})

/** `{ ruleId: "sql-101", route: "/search", parameter: "q" }`: rule sql-101 does not apply to `q` on `/search`. */
const ExclusionStruct = Schema.Struct({
  /** A rule id (see docs/detection.md for the catalogue), or a prefix ending in `*`. */
  ruleId: RuleId,
  /** A request path, or a prefix ending in `*`; every route when absent. */
  route: optional(NonEmptyString.pipe(Schema.startsWith("/"))),
  /** A query parameter, form field, cookie, header or JSON key (case-insensitive); all when absent. */
  parameter: optional(NonEmptyString),
  /** Where the value is; everywhere when absent. */
  location: optional(vocabulary(LOCATIONS, "detection location"))
})

export const detectionFields = {
  /** Master switch of the `suspicious_activity` check. */
  enablePenetrationDetection: withDefault(Schema.Boolean, () => true),
  /** Categories scanned by the built-in patterns (all 19 by default). Custom patterns always run. */
  detectionCategories: withDefault(
    Schema.ReadonlySet(Category),
    () => new Set<(typeof DETECTION_CATEGORIES)[number]>(DETECTION_CATEGORIES)
  ),
  /** Extra regexes, vetted for linear-time matching when the config is decoded. */
  detectionCustomPatterns: withDefault(Schema.Array(CustomPatternSchema), () => []),
  /** Headers skipped by detection, on top of the built-in list of browser and proxy headers. */
  detectionExcludedHeaders: stringSet,
  /** Query parameters, form fields, cookies and JSON keys (any depth) whose values are not scanned. */
  detectionExcludedParameters: stringSet,
  /**
   * Paranoia level, 1 to 4: rules above it stay silent. 1 runs only rules nearly free of false
   * positives on real traffic; each level adds more aggressive ones (see docs/detection.md).
   */
  detectionParanoia: withDefault(Paranoia, () => 1 as const),
  /** Anomaly score at which a request is refused: 5 is one critical rule, or weaker ones together. */
  detectionThreshold: withDefault(PositiveNumber, () => 5),
  /** Rules that do not apply on some routes, parameters or locations. */
  detectionExclusions: withDefault(Schema.Array(ExclusionStruct), () => []),
  /** Score a category needs on its own, instead of counting toward `detectionThreshold`. */
  detectionThresholds: withDefault(Schema.Record({ key: Category, value: ThresholdValue }).pipe(Schema.partialWith({ exact: true })), () => ({})),
  /** `false` scans path, query, headers and cookies only. */
  detectionScanBody: withDefault(Schema.Boolean, () => true),
  /** Characters scanned per request, over all values; the rest is reported as skipped. */
  detectionMaxBytes: withDefault(PositiveInt.pipe(Schema.greaterThanOrEqualTo(1024)), () => 262_144),
  /** Values (parameters, headers, JSON leaves, names) scanned per request. */
  detectionMaxValues: withDefault(PositiveInt, () => 65_536),
  /** Base64-looking values decoded and scanned per request. */
  detectionMaxBase64Attempts: withDefault(NonNegativeInt, () => 16),
  /** JSON nesting scanned structurally; deeper parts are scanned as text. */
  detectionMaxJsonDepth: withDefault(PositiveInt, () => 32),
  /** Rounds of URL / HTML entity / escape decoding per value. */
  detectionMaxDecodeRounds: withDefault(PositiveInt.pipe(Schema.lessThanOrEqualTo(8)), () => 4)
} as const

/** The decoded detection fields. */
export type DetectionConfig = Schema.Struct.Type<typeof detectionFields>
