/**
 * The family runner and the per-request budget.
 *
 * Every family sees every value in its decoded form, after its `mayMatch` pre-filter said it may
 * hold something (ordinary values are rejected there in well under a microsecond). Families are
 * linear in the value's length, so the work per request is bounded by the characters it holds:
 * the budget counts characters (`maxBytes`) and values (`maxValues`) in request order. No position
 * is privileged: every value up to the budget is scanned, whatever precedes it; a request holding
 * more than the budget is reported as truncated, and the `suspicious_activity` check then refuses
 * it or lets it through as `detectionOversizedBody` says (`refuse` by default).
 *
 * @internal
 */
import type { SkipReason } from "./model.js"
import type { DetectionFamily, FamilyFinding, Paranoia, ValueLocation } from "./families/contract.js"

/** What was taken into the budget and what was left out. */
export class Budget {
  bytes = 0
  values = 0
  skippedBytes = 0
  skippedValues = 0

  constructor(readonly maxBytes: number, readonly maxValues: number, readonly sink: FamilySink) {}

  /** Takes a value into the budget; returns the part that may be scanned, or undefined. */
  admit(raw: string): string | undefined {
    if (this.values >= this.maxValues) {
      this.skippedValues++
      this.skippedBytes += raw.length
      this.sink.reason("values")
      return undefined
    }
    const remaining = this.maxBytes - this.bytes
    if (remaining <= 0) {
      this.skippedValues++
      this.skippedBytes += raw.length
      this.sink.reason("bytes")
      return undefined
    }
    this.values++
    if (raw.length > remaining) {
      this.skippedBytes += raw.length - remaining
      this.sink.reason("bytes")
      this.bytes += remaining
      return raw.slice(0, remaining)
    }
    this.bytes += raw.length
    return raw
  }

  /** Whether `length` more characters fit. */
  fits(length: number): boolean {
    return length <= this.maxBytes - this.bytes
  }
}

/** Receives the findings of the families and the reasons something was not scanned. */
export interface FamilySink {
  readonly familyHit: (finding: FamilyFinding) => void
  readonly reason: (r: SkipReason) => void
}

/**
 * Runs `families` on one decoded value. A family that throws (a bug) is reported as an `error`
 * skip reason, never as a clean value, and the other families still run.
 */
export const runFamilies = (
  families: ReadonlyArray<DetectionFamily>,
  text: string,
  location: ValueLocation,
  paranoia: Paranoia,
  sink: FamilySink,
  raw: string = text,
  parameter?: string,
  named = false
): void => {
  for (let i = 0; i < families.length; i++) {
    const family = families[i]!
    try {
      // a value whose name a family reads may hold nothing its pre-filter looks for (`sess_<id>`)
      if (!family.mayMatch(text) && !(named && family.readsName?.(parameter!, text) === true)) continue
      const findings = family.scan(text, { location, paranoia, raw, parameter })
      for (let k = 0; k < findings.length; k++) {
        const finding = findings[k]!
        if (finding.paranoia <= paranoia) sink.familyHit(finding)
      }
    } catch {
      sink.reason("error")
    }
  }
}
