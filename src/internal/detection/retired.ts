/**
 * Ids of pattern-table rules that were retired: they caused false positives on real traffic, or a
 * rule family now covers what they found (measured with `bench/detection-corpus.ts --rules`). An id
 * here is never used again, so that an exclusion or a dashboard naming it cannot start matching
 * something else.
 *
 * @internal
 */
export const RETIRED_PATTERN_IDS: ReadonlyArray<string> = [
]
