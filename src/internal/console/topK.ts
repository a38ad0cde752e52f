/**
 * Space-Saving (Metwally, Agrawal, El Abbadi, 2005): the heaviest keys of a stream in a fixed number
 * of counters. A new key, when every counter is taken, replaces the smallest one and inherits its
 * count (recorded as the key's possible overcount, `error`). Any key seen more than n / capacity
 * times is guaranteed to hold a counter, so the top talkers are right however many keys pass by.
 *
 * @internal
 */

export interface TopEntry<D> {
  readonly key: string
  /** An upper bound of the key's true count; `count - error` is a lower bound. */
  readonly count: number
  readonly error: number
  /** What the caller attached the last time the key was seen. */
  readonly detail: D
}

interface Counter<D> {
  count: number
  error: number
  detail: D
}

export interface TopK<D> {
  readonly add: (key: string, detail: D, weight?: number) => void
  /** The `limit` heaviest keys, heaviest first. */
  readonly top: (limit: number) => ReadonlyArray<TopEntry<D>>
  readonly size: () => number
}

export const makeTopK = <D = undefined>(capacity: number): TopK<D> => {
  const counters = new Map<string, Counter<D>>()
  const add = (key: string, detail: D, weight = 1) => {
    const own = counters.get(key)
    if (own !== undefined) {
      own.count += weight
      own.detail = detail
      return
    }
    if (counters.size < capacity) {
      counters.set(key, { count: weight, error: 0, detail })
      return
    }
    // the scan happens only for a new key with every counter taken: a few dozen comparisons
    let minKey: string | undefined
    let min: Counter<D> | undefined
    for (const [k, c] of counters) {
      if (min === undefined || c.count < min.count) {
        minKey = k
        min = c
      }
    }
    counters.delete(minKey!)
    counters.set(key, { count: min!.count + weight, error: min!.count, detail })
  }
  const top = (limit: number) =>
    [...counters].map(([key, c]) => ({ key, count: c.count, error: c.error, detail: c.detail }))
      .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1))
      .slice(0, limit)
  return { add, top, size: () => counters.size }
}
