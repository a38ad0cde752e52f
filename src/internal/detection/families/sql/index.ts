/**
 * The SQL injection family: each value is tokenized as the tail of a query it may have been pasted
 * into (bare, inside a `'` string, inside a `"` string) and the token streams are matched against
 * the shapes injections take. Prose with quotes, dashes and SQL words stays prose: a rule needs the
 * stream to continue as SQL, not just to contain SQL words.
 *
 * @internal
 */
import { type DetectionFamily, type FamilyFinding, findingOf, type RuleInfo, type ScanContext } from "../contract.js"
import { fingerprint } from "./fingerprint.js"
import { SQL_RULES } from "./rules.js"
import { type QuoteContext, tokenize } from "./tokenizer.js"

/**
 * Every SQL injection the rules find needs a quote, a parenthesis, a comment, an operator, a `;`, an
 * `@` or one of a few words; values without any of them are rejected without tokenizing.
 */
const MAY_MATCH = /['"`;()#=<>@|&]|--|\/\*|union|select|exec|declare|information_schema|pg_|sys|xp_|waitfor|\bby\s/i

const CONTEXTS: ReadonlyArray<QuoteContext> = ["", "'", '"']

/** The rules that fire on `value`, and the work it took (for the linearity tests). */
export const analyse = (value: string): { readonly hits: ReadonlySet<RuleInfo>; readonly work: number } => {
  const hits = new Set<RuleInfo>()
  let work = 0
  for (const quote of CONTEXTS) {
    if (quote !== "" && !value.includes(quote)) continue
    work += fingerprint(tokenize(value, quote), quote, hits)
  }
  return { hits, work }
}

const scan = (value: string, context: ScanContext): ReadonlyArray<FamilyFinding> => {
  const { hits } = analyse(value)
  const findings: Array<FamilyFinding> = []
  for (const rule of hits) {
    if (rule.paranoia <= context.paranoia) findings.push(findingOf(rule, `${rule.description.split(":")[0]}: ${value}`))
  }
  return findings
}

export const family: DetectionFamily = {
  name: "sql",
  rules: SQL_RULES,
  mayMatch: (value) => MAY_MATCH.test(value),
  scan
}
