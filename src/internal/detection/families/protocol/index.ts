/**
 * Protocol-level and structured-data injections: HTTP response splitting, session fixation, XML
 * entity injection, SSRF, MongoDB operator injection and prototype pollution. Each has its own
 * scanner; they share one lower-cased view of the value and one finding list. LDAP filters have
 * their own family (`../ldap`).
 *
 * @internal
 */
import type { DetectionFamily, FamilyFinding, ScanContext } from "../contract.js"
import { isProse } from "../traversal/pathTokens.js"
import { scanHeaders } from "./headers.js"
import { OOB_DOMAINS } from "./hosts.js"
import { scanXml } from "./markup.js"
import { scanObjects } from "./objects.js"
import { collector, RULES } from "./rules.js"
import { scanSsrf } from "./ssrf.js"

export { RULES }

const scan = (value: string, context: ScanContext): ReadonlyArray<FamilyFinding> => {
  const s = value.toLowerCase()
  const { findings, fire } = collector(context.paranoia)
  const prose = context.location !== "path" && isProse(s)
  scanHeaders(s, context, fire)
  scanObjects(s, context, prose, fire)
  if (context.location === "key") return findings
  scanXml(s, context.location, fire)
  scanSsrf(s, context, prose, fire)
  return findings
}

/**
 * What every rule needs one of: a line break or one of `:$()<`, a word (`proto`, `cookie`, `sess`,
 * `token`, `return`, `localhost`, `internal`...), a dotted name (`.sid`, `127.`, `0.0.0.0`, a helper
 * domain), or `==`, `%x`, `+AD`. The symbols are one search that stops only at them; the words are
 * tried with the dotted names only in a value with a dot, so prose without one, most of what reaches
 * here, is not tried for names it cannot hold.
 */
const MAY_MATCH_CHARS = /[\r\n\u560a\u560d\u2028\u2029\u0085:$()<]/
const WORDS = "proto|cookie|sess|cfid|token|return|localhost|loopback|internal"
const MAY_MATCH_WORDS = new RegExp(WORDS, "i")
const MAY_MATCH_WORDS_OR_DOTTED = new RegExp(`${WORDS}|\\.sid|127\\.|0\\.0\\.0\\.0|${OOB_DOMAINS.map((d) => d.replace(/\./g, "\\.")).join("|")}`, "i")
const PERCENT_NAME = /%[a-z_]/i
const UTF7_OPEN = /\+a[cdf]/i

const mayMatch = (value: string): boolean =>
  MAY_MATCH_CHARS.test(value) ||
  (value.includes(".") ? MAY_MATCH_WORDS_OR_DOTTED : MAY_MATCH_WORDS).test(value) ||
  value.includes("==") ||
  (value.includes("%") && PERCENT_NAME.test(value)) ||
  (value.includes("+") && UTF7_OPEN.test(value))

export const family: DetectionFamily = {
  name: "protocol",
  rules: Object.values(RULES),
  mayMatch,
  scan
}
