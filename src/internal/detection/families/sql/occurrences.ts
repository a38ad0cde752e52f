/**
 * Where a marker (a quote, a backslash, `*\/`, a newline, `]`) occurs in one value, shared by every
 * tokenizer that reads the value. A long value is read in many windows, each by its own tokenizer;
 * a search from a window to the next marker runs to the end of the value when there is none (no
 * backslash, no newline in a JSON text), so searching again per window costs the value's length per
 * window: quadratic. Here a marker is searched for with `indexOf` until the searches have passed
 * over twice the value's length (dense quotes never get there), then its positions are listed in one
 * pass and each question is a binary search: at most four passes per marker, however many windows.
 *
 * @internal
 */
export class Occurrences {
  /** By the marker's first character: the markers the tokenizer asks for all start differently. */
  private readonly markers: Array<Marker | undefined> = []
  /** Characters the searches passed over (for the linearity tests). */
  examined = 0

  constructor(private readonly value: string) {}

  /** Where `marker` next occurs at or after `from`, or -1: what `value.indexOf(marker, from)` answers. */
  indexOf(marker: string, from: number): number {
    const key = marker.charCodeAt(0)
    let state = this.markers[key]
    if (state === undefined) {
      state = { marker, searched: 0, positions: undefined }
      this.markers[key] = state
    } else if (state.marker !== marker) {
      return this.value.indexOf(marker, from)
    }
    const positions = state.positions
    if (positions !== undefined) return firstFrom(positions, from)
    const value = this.value
    const at = value.indexOf(marker, from)
    const passed = (at < 0 ? value.length : at) - from
    state.searched += passed
    this.examined += passed
    if (state.searched > 2 * value.length) state.positions = this.list(marker)
    return at
  }

  /** Every position of `marker`, overlapping ones included (`*\/*\/`), as `indexOf` would find them. */
  private list(marker: string): ReadonlyArray<number> {
    const value = this.value
    const at: Array<number> = []
    for (let i = value.indexOf(marker); i >= 0; i = value.indexOf(marker, i + 1)) at.push(i)
    this.examined += value.length
    return at
  }
}

/** `value.indexOf(marker, from)`, answered from the shared `occurrences` when a value has them. */
export const indexIn = (value: string, occurrences: Occurrences | undefined, marker: string, from: number): number =>
  occurrences === undefined ? value.indexOf(marker, from) : occurrences.indexOf(marker, from)

interface Marker {
  readonly marker: string
  /** Characters the `indexOf` searches for the marker passed over. */
  searched: number
  positions: ReadonlyArray<number> | undefined
}

/** The first of the sorted `positions` at or after `from`, or -1. */
const firstFrom = (positions: ReadonlyArray<number>, from: number): number => {
  let low = 0
  let high = positions.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (positions[middle]! < from) low = middle + 1
    else high = middle
  }
  return low < positions.length ? positions[low]! : -1
}
