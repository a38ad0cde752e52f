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
  /** Per-category score needed to report a category (1 by default; weak patterns weigh 0.5). */
  detectionThresholds: withDefault(Schema.Record({ key: Category, value: ThresholdValue }).pipe(Schema.partialWith({ exact: true })), () => ({})),
  /** `false` scans path, query, headers and cookies only. */
  detectionScanBody: withDefault(Schema.Boolean, () => true),
  /** Characters scanned per request, over all values; the rest is reported as skipped. */
  detectionMaxBytes: withDefault(PositiveInt.pipe(Schema.greaterThanOrEqualTo(1024)), () => 262_144),
  /** Values (parameters, headers, JSON leaves, names) scanned per request. */
  detectionMaxValues: withDefault(PositiveInt, () => 1024),
  /** Base64-looking values decoded and scanned per request. */
  detectionMaxBase64Attempts: withDefault(NonNegativeInt, () => 16),
  /** JSON nesting scanned structurally; deeper parts are scanned as text. */
  detectionMaxJsonDepth: withDefault(PositiveInt, () => 32),
  /** Rounds of URL / HTML entity / escape decoding per value. */
  detectionMaxDecodeRounds: withDefault(PositiveInt.pipe(Schema.lessThanOrEqualTo(8)), () => 4)
} as const

/** The decoded detection fields. */
export type DetectionConfig = Schema.Struct.Type<typeof detectionFields>
