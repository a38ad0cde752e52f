/**
 * The contract between the detection engine and a rule family (SQL, HTML, code, paths, ...).
 *
 * The engine owns decoding (URL, `%u`, entities, escapes, overlong UTF-8), walking the request's
 * values, scoring and exclusions; a family owns how one kind of attack is recognised in one already
 * decoded value. Families are pure and synchronous, so the engine can run them in any order and
 * bound their total work.
 *
 * @internal
 */

/** How sure a rule must be before it fires: 1 is the default, 4 the most suspicious. */
export type Paranoia = 1 | 2 | 3 | 4

/** Where a value was found in the request. */
export type ValueLocation = "path" | "query" | "header" | "cookie" | "body" | "key"

export interface ScanContext {
  readonly location: ValueLocation
  /** Rules above this level stay silent. */
  readonly paranoia: Paranoia
  /**
   * The name the value was sent under: the query, form or JSON parameter, the header (lower-case),
   * the multipart part's parameter (`<part>.filename`); `undefined` for the path and a whole body.
   * A family reads it only for names some family's `readsName` marks (the clean memo ignores names).
   */
  readonly parameter?: string | undefined
  /**
   * The value before the engine decoded it (the scanned view itself when decoding changed nothing);
   * for rules that judge how a value was encoded, not what it says (`&#060;` for `<`).
   */
  readonly raw?: string
}

/** One entry of the documented rule catalogue. Ids are stable: never reuse or renumber one. */
export interface RuleInfo {
  /** `<family>-<number>`, e.g. `sql-101`. */
  readonly id: string
  readonly category: string
  readonly paranoia: Paranoia
  /** Anomaly score added when the rule fires; the engine refuses at its threshold (5 by default). */
  readonly score: number
  readonly description: string
}

export interface FamilyFinding {
  readonly ruleId: string
  readonly category: string
  readonly paranoia: Paranoia
  readonly score: number
  /** What was seen, for the event's reason; never more than 120 characters of the value. */
  readonly message: string
}

export interface DetectionFamily {
  readonly name: string
  readonly rules: ReadonlyArray<RuleInfo>
  /** A cheap test on the raw value; `false` means `scan` cannot find anything in it. */
  readonly mayMatch: (value: string) => boolean
  /** Linear in the value's length; never throws. */
  readonly scan: (value: string, context: ScanContext) => ReadonlyArray<FamilyFinding>
  /**
   * Whether what `scan` finds in `value` sent under `parameter` may differ from what it finds in the
   * same value under another name (an upload's file name, a URL in an include parameter). The engine
   * does not answer such values from its memo of clean ones, and runs `scan` even when `mayMatch`
   * says no. Cheap: called for every named value.
   */
  readonly readsName?: (parameter: string, value: string) => boolean
}

/** A finding for `rule`, with the rule's own category, level and score. */
export const findingOf = (rule: RuleInfo, message: string): FamilyFinding => ({
  ruleId: rule.id,
  category: rule.category,
  paranoia: rule.paranoia,
  score: rule.score,
  message: message.length > 120 ? `${message.slice(0, 117)}...` : message
})
