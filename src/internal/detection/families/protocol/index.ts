/**
 * Protocol-level and structured-data injections: HTTP response splitting, session fixation, LDAP
 * filter and XML entity injection, SSRF, MongoDB operator injection and prototype pollution. Each
 * has its own scanner; they share one lower-cased view of the value and one finding list.
 *
 * @internal
 */
import type { DetectionFamily, FamilyFinding, ScanContext } from "../contract.js"
import { isProse } from "../traversal/pathTokens.js"
import { scanHeaders } from "./headers.js"
import { OOB_DOMAINS } from "./hosts.js"
import { scanLdap, scanXml } from "./markup.js"
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
  scanLdap(s, fire)
  scanXml(s, fire)
  scanSsrf(s, context, prose, fire)
  return findings
}

const MAY_MATCH = new RegExp(
  `[\\r\\n\\u560a\\u560d\\u2028\\u2029\\u0085:$()<]|proto|cookie|sess|\\.sid|cfid|cftoken|token|return|==|localhost|loopback|internal|127\\.|0\\.0\\.0\\.0|${OOB_DOMAINS.map((d) => d.replace(/\./g, "\\.")).join("|")}`,
  "i"
)

export const family: DetectionFamily = {
  name: "protocol",
  rules: Object.values(RULES),
  mayMatch: (value) => MAY_MATCH.test(value),
  scan
}
