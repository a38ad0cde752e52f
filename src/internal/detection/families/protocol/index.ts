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

const MAY_MATCH = new RegExp(
  `[\\r\\n\\u560a\\u560d\\u2028\\u2029\\u0085:$()<]|proto|cookie|sess|\\.sid|cfid|cftoken|token|return|==|%[a-z_]|\\+a[cdf]|localhost|loopback|internal|127\\.|0\\.0\\.0\\.0|${OOB_DOMAINS.map((d) => d.replace(/\./g, "\\.")).join("|")}`,
  "i"
)

export const family: DetectionFamily = {
  name: "protocol",
  rules: Object.values(RULES),
  mayMatch: (value) => MAY_MATCH.test(value),
  scan
}
