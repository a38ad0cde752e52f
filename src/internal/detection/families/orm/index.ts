/**
 * ORM lookup injection ("ORM leak"): filter frameworks that turn request parameters into query
 * filters (Django's `filter(**request.GET)`, django-filter, DRF, Ransack-like helpers) let a name
 * such as `user__password__startswith` walk relations and compare a hidden field one character at
 * a time. A parameter or JSON key is read as `field__field__lookup`: the lookup must be one of the
 * ORM's operators, and the rules grade by how far the name reaches.
 *
 * Only names are scanned (values never are), so prose that mentions `name__startswith` passes.
 *
 * @internal
 */
import { type DetectionFamily, type FamilyFinding, findingOf, type Paranoia, type RuleInfo, type ScanContext } from "../contract.js"

const rule = (id: string, paranoia: Paranoia, score: number, description: string): RuleInfo => ({
  id: `orm-${id}`,
  category: "orm_injection",
  paranoia,
  score,
  description
})

export const RULES = {
  secretLookup: rule(
    "001",
    1,
    5,
    "A filter lookup on a secret field, which leaks it character by character (`password__startswith`, `user__api_key__regex`)"
  ),
  relationLookup: rule("002", 2, 5, "A filter lookup that walks two or more relations (`user__profile__email__icontains`, `a__b__has_key`)"),
  lookup: rule("003", 3, 5, "A filter lookup in a parameter name (`username__startswith`, `balance__gte`)")
} as const

/** Django's lookups and transforms (core, PostgreSQL fields); `exact` and `in` are too common to grade alone. */
const LOOKUPS: ReadonlySet<string> = new Set([
  "exact",
  "iexact",
  "contains",
  "icontains",
  "in",
  "gt",
  "gte",
  "lt",
  "lte",
  "startswith",
  "istartswith",
  "endswith",
  "iendswith",
  "range",
  "isnull",
  "regex",
  "iregex",
  "has_key",
  "has_keys",
  "has_any_keys",
  "contained_by",
  "overlap",
  "search",
  "trigram_similar",
  "unaccent",
  "len",
  "keys",
  "values"
])

/** Lookups that compare part of a value: the ones that leak a secret a character at a time. */
const LEAKING: ReadonlySet<string> = new Set([
  "contains",
  "icontains",
  "startswith",
  "istartswith",
  "endswith",
  "iendswith",
  "regex",
  "iregex",
  "gt",
  "gte",
  "lt",
  "lte",
  "range",
  "in"
])

const SECRET = /^(?:password|passwd|pwd|password_hash|pass_hash|hash|salt|secret|[a-z]{0,16}_secret|api_key|apikey|[a-z]{0,16}_token|token|otp|totp_secret|mfa_secret|private_key|reset_code)$/

const NAME = /[a-z0-9_]{3,256}/g

const scan = (value: string, context: ScanContext): ReadonlyArray<FamilyFinding> => {
  if (context.location !== "key") return []
  const findings: Array<FamilyFinding> = []
  const fire = (r: RuleInfo, what: string) => {
    if (r.paranoia <= context.paranoia && !findings.some((f) => f.ruleId === r.id)) findings.push(findingOf(r, `${r.description.split(" (")[0]}: ${what}`))
  }
  const lower = value.toLowerCase()
  NAME.lastIndex = 0
  for (let m = NAME.exec(lower); m !== null; m = NAME.exec(lower)) {
    const name = m[0]
    if (!name.includes("__")) continue
    const parts = name.split("__")
    const lookup = parts[parts.length - 1]!
    const fields = parts.slice(0, -1)
    if (!LOOKUPS.has(lookup) || fields.some((f) => f === "" || f.startsWith("_") || f.endsWith("_"))) continue
    if (LEAKING.has(lookup) && fields.some((f) => SECRET.test(f))) fire(RULES.secretLookup, name)
    if (fields.length >= 2) fire(RULES.relationLookup, name)
    else if (lookup !== "exact" && lookup !== "in") fire(RULES.lookup, name)
  }
  return findings
}

export const family: DetectionFamily = {
  name: "orm",
  rules: Object.values(RULES),
  mayMatch: (value) => value.includes("__"),
  scan
}
