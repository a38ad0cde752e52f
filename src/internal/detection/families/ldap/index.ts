/**
 * LDAP filter injection: a value that, pasted into an application's search filter such as
 * `(&(uid=VALUE)(userPassword=...))`, closes the application's assertion and adds its own, or
 * truncates the rest of the filter.
 *
 * The value is tokenized as filter syntax (see `tokenizer.ts`) and the token stream is matched
 * against the shapes of those attacks: a close followed by an open and an operator or assertion
 * (`*)(uid=*`, `admin)(|(cn=`), a complete boolean filter (`(|(uid=*)`), a close followed by NUL,
 * and a value made of nothing but filter metacharacters, a wildcard and an operator among them
 * (`*|`, `*)(|&`). Parentheses in prose (`(a)(b)`,
 * `f(x)`), e-mail filters (`(from:alice)`) and wildcard searches (`jo*`) pass at level 1.
 *
 * @internal
 */
import { type DetectionFamily, type FamilyFinding, findingOf, type Paranoia, type RuleInfo, type ScanContext } from "../contract.js"
import { Token, tokenize } from "./tokenizer.js"

const rule = (id: string, paranoia: Paranoia, score: number, description: string): RuleInfo => ({
  id: `ldap-${id}`,
  category: "ldap",
  paranoia,
  score,
  description
})

export const RULES = {
  breakout: rule("001", 1, 5, "Closes an LDAP filter and opens another (`*)(`, `)(|(`, `)(&(uid=`, also written with RFC 4515 escapes `\\29\\28`)"),
  filter: rule("002", 1, 5, "An LDAP filter with a boolean operator and an assertion (`(|(uid=*)`, `(&(objectClass=*)`, `(!(cn=x))`)"),
  truncation: rule("003", 1, 5, "Closes an LDAP filter and truncates the rest with a NUL byte (`*))%00`, `admin)\\00`)"),
  probe: rule("004", 1, 5, "A value made only of LDAP filter metacharacters, with a boolean operator and a wildcard (`*|`, `*)(|&`, `*()|&'`); one metacharacter alone (`*`, `(`, `!`) is ordinary"),
  presence: rule("005", 2, 4, "An LDAP presence or wildcard assertion that closes the filter (`(objectClass=*)`, `cn=*)`, `admin*)`)"),
  extensible: rule(
    "007",
    1,
    5,
    "An LDAP extensible match filter, with `:dn` or a matching rule before `:=` (`(cn:dn:=admin)`, `(uid:caseExactMatch:=x)`, `(:1.2.840.113556.1.4.803:=2)`)"
  ),
  lone: rule(
    "008",
    2,
    5,
    "A parameter that is one LDAP filter parenthesis (`(`, `)`), how a fuzzer probes a filter for an error; at level 1 it is an ordinary search"
  ),
  wildcardClose: rule(
    "006",
    1,
    5,
    "A value made only of LDAP filter metacharacters whose wildcard closes a parenthesis it did not open (`**)`, `*))`): it ends the application's assertion"
  )
} as const

/** An attribute description or a numeric object identifier: `cn`, `2.5.4.3`. */
const NAME = "(?:[a-z][a-z0-9-]{0,63}|\\d{1,9}(?:\\.\\d{1,9}){1,31})"
/**
 * What stands before an extensible match's `:=`: the `dn` flag, or a matching rule, which is an object
 * identifier or a name that ends in `Match` (RFC 4517's `caseExactMatch`, `integerMatch`). A type
 * (`X:Integer:=0`, Pascal's default) or a chat face (`(:P:=`) names no rule.
 */
const MATCHING_RULE = "(?:dn|\\d{1,9}(?:\\.\\d{1,9}){1,31}|[a-z][a-z0-9-]{0,59}match)"
/**
 * RFC 4515's extensible match, opened as a filter component (`(` or its escape `\28`, which an
 * application unescapes, as ldap-001 reads): an attribute, `:dn`, a matching rule, then `:=`. Every
 * form has a `:` before the one of `:=` (`cn:dn:=`, `:dn:2.5.13.5:=`), which an assignment in code
 * (`(err:=f())`, Go and Python's `:=`) does not.
 */
const EXTENSIBLE = new RegExp(`(?:\\(|\\\\28)\\s{0,4}${NAME}?\\s{0,4}(?::dn)?:${MATCHING_RULE}\\s{0,4}:=`, "i")

/**
 * A filter parenthesis alone, which no field holds. A wildcard (`q=*`) is a search, a lone `!` an
 * exclamation (CRS's tests send `var=!` as a value no rule may refuse), and `|` and `&` alone are
 * what separator and option fields hold in real forms.
 */
const LONE_METACHARACTER = /^\s{0,4}[()]\s{0,4}$/

const isOperator = (t: number | undefined): boolean => t === Token.And || t === Token.Or || t === Token.Not

/** Opens skipped after a close before the operator or assertion (`)((uid=`). */
const MAX_OPENS = 3

const scan = (value: string, context: ScanContext): ReadonlyArray<FamilyFinding> => {
  if (context.location === "key") return []
  const t = tokenize(value.toLowerCase())
  const findings: Array<FamilyFinding> = []
  const fire = (r: RuleInfo, what: string) => {
    if (r.paranoia <= context.paranoia && !findings.some((f) => f.ruleId === r.id)) findings.push(findingOf(r, `${r.description.split(" (")[0]}: ${what}`))
  }
  const extensible = value.includes(":=") ? EXTENSIBLE.exec(value) : null
  if (extensible !== null) fire(RULES.extensible, extensible[0])
  // a header holds these alone by right (`If-Match: *`, `&`), a path segment is no filter
  if (context.paranoia >= 2 && context.location !== "header" && context.location !== "path" && LONE_METACHARACTER.test(value)) {
    fire(RULES.lone, value.trim())
  }
  let operators = false
  let stars = false
  let other = false
  // parentheses opened by the value itself, and whether a wildcard closed one it did not open
  let depth = 0
  let closesOuter = false
  for (let k = 0; k < t.length; k++) {
    const token = t[k]!
    switch (token) {
      case Token.Close: {
        if (depth > 0) depth--
        else if (t[k - 1] === Token.Star) closesOuter = true
        const next = t[k + 1]
        if (next === Token.Nul) fire(RULES.truncation, "close then NUL")
        if (next !== Token.Open) break
        if (t[k - 1] === Token.Star) {
          fire(RULES.breakout, "*)(")
          break
        }
        let j = k + 1
        while (j - k <= MAX_OPENS && t[j] === Token.Open) j++
        if (isOperator(t[j]) || t[j] === Token.Assertion) fire(RULES.breakout, ")( then an operator or assertion")
        break
      }
      case Token.Open:
        depth++
        if (isOperator(t[k + 1]) && t[k + 2] === Token.Open && t[k + 3] === Token.Assertion) fire(RULES.filter, "boolean filter")
        break
      case Token.And:
      case Token.Or:
      case Token.Not:
        operators = true
        break
      case Token.Star:
        stars = true
        if (t[k + 1] === Token.Close && (t[k - 1] === Token.Assertion || (t[k - 1] === Token.Text && k + 2 === t.length))) {
          fire(RULES.presence, "wildcard then close")
        }
        break
      case Token.Quote:
        break
      default:
        other = true
    }
  }
  // a wildcard and a boolean operator with nothing else: `*|` ORs the application's assertion with
  // everything; a wildcard alone is an ordinary search
  if (!other && operators && stars && t.length >= 2) fire(RULES.probe, "filter metacharacters only")
  // `*)` alone is what a wildcard search and a smiley share; with one more metacharacter after it
  // the value goes on past the assertion it closed
  if (!other && closesOuter && t.length >= 3) fire(RULES.wildcardClose, "wildcard then an unopened close")
  return findings
}

/**
 * The adjacent pairs every rule needs (`)(`, `(|`, `*)`, a close then NUL, an escaped parenthesis)
 * or a short value of metacharacters only: text with ordinary parentheses is never tokenized.
 */
const MAY_MATCH = /\)\s{0,8}(?:\(|\u0000|%00|\\00)|\(\s{0,8}[&|!]|\*\s{0,8}\)|\\2[89]|^[\s()*|&!'"]{2,64}$|^\s{0,4}[()]\s{0,4}$/

export const family: DetectionFamily = {
  name: "ldap",
  rules: Object.values(RULES),
  mayMatch: (value) => MAY_MATCH.test(value) || (value.includes(":=") && EXTENSIBLE.test(value)),
  scan
}
