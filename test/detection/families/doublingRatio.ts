/**
 * The time ratio of scanning `large` over `small` (twice its size), the best of seven runs each,
 * alternated so a loaded machine slows both alike. Runs under half a millisecond count as half one.
 */
const ratioBy = (clock: () => number) => (scan: (value: string) => void, small: string, large: string): number => {
  const time = (value: string) => {
    const start = clock()
    scan(value)
    return clock() - start
  }
  let bestSmall = Infinity
  let bestLarge = Infinity
  for (let run = 0; run < 7; run++) {
    bestSmall = Math.min(bestSmall, time(small))
    bestLarge = Math.min(bestLarge, time(large))
  }
  return bestLarge / Math.max(bestSmall, 0.5)
}

/**
 * Wall-clock milliseconds: for the benches (`bench/family-html.ts`), which run on a quiet machine.
 * Tests use {@link cpuDoublingRatio}: a ratio of wall times also counts the time another process held
 * the core, more for one size than the other.
 */
export const doublingRatio = ratioBy(() => performance.now())

/** This process's CPU milliseconds: on a machine shared with other work, waiting for a core is no cost. */
export const cpuDoublingRatio = ratioBy(() => {
  const used = process.cpuUsage()
  return (used.user + used.system) / 1000
})
