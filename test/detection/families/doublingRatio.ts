/**
 * The time ratio of scanning `large` over `small` (twice its size), the best of seven runs each,
 * alternated so a loaded machine slows both alike. Runs under half a millisecond count as half one.
 */
export const doublingRatio = (scan: (value: string) => void, small: string, large: string): number => {
  const time = (value: string) => {
    const start = performance.now()
    scan(value)
    return performance.now() - start
  }
  let bestSmall = Infinity
  let bestLarge = Infinity
  for (let run = 0; run < 7; run++) {
    bestSmall = Math.min(bestSmall, time(small))
    bestLarge = Math.min(bestLarge, time(large))
  }
  return bestLarge / Math.max(bestSmall, 0.5)
}
