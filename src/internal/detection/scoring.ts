/**
 * Anomaly scoring, as CRS does it: every rule that fires adds its score once per request (a rule
 * firing in ten parameters is still one signal), and the request is a threat when the sum reaches
 * the threshold (5 by default: one critical rule, or two weaker ones together). A per-category
 * threshold makes one category stricter or looser: its rules then count only when their own sum
 * reaches it.
 *
 * @internal
 */
import type { DetectionMatch, DetectionResult, MatchCategory, SkipReason } from "./model.js"
import type { Paranoia } from "./families/contract.js"
import { preview } from "./decode.js"
import type { Part } from "./walk.js"

/** A rule as findings carry it: families' rules and the pattern table's alike. */
export interface ScoredRule {
  readonly id: string
  readonly category: string
  readonly paranoia: Paranoia
  readonly score: number
}

const UNSAFE_LOCATION = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g

/** A location safe to log: control characters escaped. */
export const safeLocation = (s: string): string =>
  UNSAFE_LOCATION.test(s) ? s.replace(UNSAFE_LOCATION, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`) : s

export interface ScoreSettings {
  readonly threshold: number
  readonly thresholds: Readonly<Partial<Record<MatchCategory, number>>>
  readonly maxMatches: number
}

const EMPTY_ARRAY: ReadonlyArray<never> = Object.freeze([])
const EMPTY_SCORES: Readonly<Partial<Record<MatchCategory, number>>> = Object.freeze({})
const CLEAN_SKIPPED: DetectionResult["skipped"] = Object.freeze({ values: 0, bytes: 0, reasons: EMPTY_ARRAY })

/** The findings of one request, deduplicated by location and rule. */
export class Findings {
  /** The first finding of each rule, in the order found. */
  hits: Map<string, DetectionMatch> | undefined = undefined
  matches: Array<DetectionMatch> | undefined = undefined
  seen: Set<string> | undefined = undefined
  reasons: Set<SkipReason> | undefined = undefined

  constructor(readonly settings: ScoreSettings) {}

  reason(r: SkipReason): void {
    ;(this.reasons ??= new Set()).add(r)
  }

  /** Records a finding; `text`, `index` and `length` locate it for the preview. */
  record(rule: ScoredRule, location: string, part: Part | "decoded", message: string, text: string, index: number, length: number): void {
    const key = `${location}\u0000${rule.id}`
    const seen = (this.seen ??= new Set())
    if (seen.has(key)) return
    seen.add(key)
    const match: DetectionMatch = {
      ruleId: rule.id,
      patternId: rule.id,
      category: rule.category as MatchCategory,
      location: safeLocation(location),
      part,
      paranoia: rule.paranoia,
      score: rule.score,
      weight: rule.score / 5,
      message,
      preview: preview(text, index, length)
    }
    const hits = (this.hits ??= new Map())
    if (!hits.has(rule.id)) hits.set(rule.id, match)
    const matches = (this.matches ??= [])
    if (matches.length >= this.settings.maxMatches) this.reason("matches")
    else matches.push(match)
  }

  result(scanned: DetectionResult["scanned"], skipped: { readonly values: number; readonly bytes: number }): DetectionResult {
    const hits = this.hits
    const reasons = this.reasons
    if (hits === undefined && reasons === undefined) {
      return {
        isThreat: false,
        categories: EMPTY_ARRAY,
        patternIds: EMPTY_ARRAY,
        ruleIds: EMPTY_ARRAY,
        score: 0,
        categoryScores: EMPTY_SCORES,
        matches: EMPTY_ARRAY,
        findings: EMPTY_ARRAY,
        truncated: false,
        skipped: CLEAN_SKIPPED,
        scanned
      }
    }
    const { threshold, thresholds } = this.settings
    const categoryScores: Partial<Record<MatchCategory, number>> = {}
    if (hits !== undefined) {
      for (const hit of hits.values()) categoryScores[hit.category] = (categoryScores[hit.category] ?? 0) + hit.score
    }
    const present = Object.keys(categoryScores) as Array<MatchCategory>
    // categories with their own threshold count only when they reach it; the others are summed
    let score = 0
    const reached: Array<MatchCategory> = []
    const pooled: Array<MatchCategory> = []
    for (const c of present) {
      const own = thresholds[c]
      const s = categoryScores[c] ?? 0
      if (own === undefined) {
        score += s
        pooled.push(c)
        if (s >= threshold) reached.push(c)
      } else if (s >= own) {
        score += s
        reached.push(c)
      }
    }
    const isThreat = reached.length > 0 || score >= threshold
    // a threat made of weaker signals in several categories names all of them
    const categories = reached.length > 0 || !isThreat ? reached : pooled
    const ruleIds = hits === undefined ? [] : [...hits.keys()]
    const matches = this.matches ?? []
    return {
      isThreat,
      categories,
      patternIds: ruleIds,
      ruleIds,
      score,
      categoryScores,
      matches,
      findings: matches,
      truncated: skipped.bytes > 0 || skipped.values > 0 || (reasons?.has("base64") ?? false) || (reasons?.has("json_depth") ?? false),
      skipped: { values: skipped.values, bytes: skipped.bytes, reasons: reasons === undefined ? [] : [...reasons] },
      scanned
    }
  }
}
