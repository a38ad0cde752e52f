/**
 * Building blocks for config fields: defaults, closed vocabularies with readable errors.
 *
 * @internal
 */
import { Schema } from "effect"

/** A field with a default; the input side may omit it but never sets it to `undefined`. */
export const withDefault = <S extends Schema.Schema.Any>(schema: S, value: () => Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { default: value, exact: true })

/** An optional field without a default. */
export const optional = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { exact: true })

/**
 * One value of a closed vocabulary. An unknown value fails with a message naming it and listing every
 * valid value, sorted (so a typo like `suspicious` shows `suspicious_activity`).
 */
export const vocabulary = <const A extends ReadonlyArray<string>>(values: A, what: string) => {
  const sorted = [...values].sort()
  return Schema.Literal(...values).annotations({
    message: (issue) => ({
      message: `unknown ${what} ${JSON.stringify(issue.actual)}; valid values: ${sorted.join(", ")}`,
      override: true
    })
  }) as unknown as Schema.Schema<A[number], A[number]>
}

/** A set of vocabulary values: an array (or Set) on input, a `ReadonlySet` once decoded. */
export const vocabularySet = <const A extends ReadonlyArray<string>>(values: A, what: string) =>
  withDefault(Schema.ReadonlySet(vocabulary(values, what)), () => new Set<A[number]>())

/** A set of free strings. */
export const stringSet = withDefault(Schema.ReadonlySet(Schema.String), () => new Set<string>())

/** A positive integer. */
export const PositiveInt = Schema.Int.pipe(Schema.positive())

/** A non-negative integer. */
export const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative())

/** A non-empty string. */
export const NonEmptyString = Schema.String.pipe(Schema.minLength(1))

/** An absolute http(s) URL. */
export const HttpUrl = Schema.String.pipe(
  Schema.filter((s) => {
    try {
      const u = new URL(s)
      return u.protocol === "http:" || u.protocol === "https:" ? undefined : `expected an http(s) URL, got ${JSON.stringify(s)}`
    } catch {
      return `expected an absolute http(s) URL, got ${JSON.stringify(s)}`
    }
  })
)
