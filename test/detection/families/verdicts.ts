/**
 * One assertion for a class of values: its attack variants reach the family's threshold and the
 * benign values next to them stay below it.
 */
import { expect } from "@effect/vitest"

/** Each of `passing` scores below 5 and each of `refused` 5 or more, by `score`. */
export const expectVerdicts = (score: (value: string) => number, passing: ReadonlyArray<string>, refused: ReadonlyArray<string>): void => {
  for (const value of passing) expect(score(value), value).toBeLessThan(5)
  for (const value of refused) expect(score(value), value).toBeGreaterThanOrEqual(5)
}
