/**
 * Config fields of the security pipeline (IP filtering, rate limits, headers, ...), with the
 * cross-field rules that apply to them.
 *
 * @internal
 */
import type { Schema } from "effect"

export const securityFields = {} as const

type SecurityConfig = Schema.Struct.Type<typeof securityFields>

export const securityRules: ReadonlyArray<(c: SecurityConfig) => Schema.FilterIssue | undefined> = []
