/**
 * The protocol family's rule catalogue, shared by its scanners.
 *
 * @internal
 */
import { type FamilyFinding, findingOf, type Paranoia, type RuleInfo } from "../contract.js"

const rule = (id: string, category: string, paranoia: Paranoia, score: number, description: string): RuleInfo => ({
  id: `protocol-${id}`,
  category,
  paranoia,
  score,
  description
})

export const RULES = {
  splitHeader: rule("001", "http_split", 1, 5, "A CR or LF followed by a header line or a status line (`\\r\\nSet-Cookie:`, `\\nHTTP/1.1 200`)"),
  splitBody: rule(
    "002",
    "http_split",
    1,
    5,
    "In a body, a line break followed by a header that hijacks a response (`Set-Cookie`, `Content-Length`, `Transfer-Encoding`, a status line)"
  ),
  bareNewline: rule("003", "http_split", 2, 3, "A CR or LF in a query, path, header or cookie value"),
  sessionParam: rule(
    "010",
    "session_fixation",
    1,
    5,
    "A parameter named after a framework's session cookie (`JSESSIONID`, `PHPSESSID`, `ASP.NET_SessionId`, `connect.sid`, ...)"
  ),
  sessionValue: rule("011", "session_fixation", 1, 5, "A value that carries a session id for another URL (`;jsessionid=`, `PHPSESSID=`)"),
  cookieScript: rule(
    "012",
    "session_fixation",
    1,
    5,
    "Script or markup that sets a cookie with attributes or a session name (`document.cookie=\"sid=1; domain=...\"`, `<meta http-equiv=set-cookie>`)"
  ),
  // 020-023 were the LDAP rules, now the ldap family's (ldap-001...): never reuse those numbers
  xmlExternal: rule("030", "xml", 1, 5, "An XML external or parameter entity (`<!ENTITY x SYSTEM \"file:///...\">`, `<!ENTITY % x ...>`)"),
  xmlEntity: rule("031", "xml", 1, 5, "A document type that declares entities (entity expansion, `<!DOCTYPE x [<!ENTITY ...`)"),
  xmlExternalDtd: rule("032", "xml", 1, 5, "A document type that loads an external DTD by SYSTEM identifier"),
  xinclude: rule("033", "xml", 1, 5, "An XInclude (`<xi:include href=...>`)"),
  xslt: rule("034", "xml", 1, 5, "An XSLT stylesheet that reaches files or code (`document()`, `php:function`, `msxsl:script`, `unparsed-text`)"),
  xmlDoctype: rule("035", "xml", 2, 3, "An inline document type declaration"),
  xmlEncoding: rule(
    "037",
    "xml",
    1,
    5,
    "An XML declaration naming an encoding the readable text cannot be in, to hide markup from scanners (`encoding=\"UTF-7\"`, UTF-32, EBCDIC; UTF-16 outside a body)"
  ),
  soapDoctype: rule("038", "xml", 1, 5, "A document type in a SOAP envelope, which SOAP forbids (`<!DOCTYPE` with `soap/envelope`)"),
  parameterEntityRef: rule("039", "xml", 1, 5, "An XML parameter entity reference outside a DTD (`%xxe;`, `%dtd;%send;`)"),
  xpath: rule("036", "xml", 1, 5, "XPath injection: a quote, a boolean operator and an XPath node function (`' or name()='admin`, `\" and count(//user)`)"),
  ssrfMetadata: rule("040", "ssrf", 1, 5, "A URL to a cloud metadata endpoint (`169.254.169.254`, `metadata.google.internal`, `fd00:ec2::254`)"),
  ssrfLoopback: rule("041", "ssrf", 1, 5, "A parameter that is a URL to this host (`localhost`, `127.0.0.0/8`, `[::1]`, `0.0.0.0`, container host names)"),
  ssrfObfuscated: rule("042", "ssrf", 1, 5, "A URL host that is an address in disguise (decimal, hex, octal, short form, IPv6-mapped, wildcard DNS, a name ending in an internal address: `static.example.net.127.0.0.2`)"),
  ssrfScheme: rule("043", "ssrf", 1, 5, "A parameter that is a URL with a scheme servers should never fetch (`gopher:`, `dict:`, `file:`, `tftp:`, `jar:`, `netdoc:`)"),
  ssrfBareHost: rule("044", "ssrf", 1, 5, "A parameter that is a loopback host followed by a path, without a scheme (`localhost/admin`)"),
  ssrfOob: rule("045", "ssrf", 1, 5, "Names an out-of-band interaction or redirect service (`*.oastify.com`, `*.interact.sh`, `r3dir.me`)"),
  ssrfPrivate: rule("046", "ssrf", 2, 5, "A parameter that is a URL to a private network address (RFC 1918, link-local, `*.internal`)"),
  ssrfProse: rule("047", "ssrf", 2, 5, "A loopback, metadata or dangerous-scheme URL inside prose"),
  nosqlKey: rule("050", "nosql", 1, 5, "A parameter or JSON key that is a MongoDB query operator (`user[$ne]`, `{\"$gt\": \"\"}`, `$where`)"),
  nosqlValue: rule("051", "nosql", 1, 5, "A MongoDB operator written as syntax inside a value (`[$ne]=1`, `{$gt: ''}`, `, $where: '...'`)"),
  nosqlJs: rule("052", "nosql", 1, 5, "Server-side JavaScript for `$where`: collection calls, field probes, busy-wait timing (`db.users.find(`, `this.password.match(`, `';sleep(5000)`)"),
  nosqlReturn: rule("053", "nosql", 1, 5, "Breaks out of a quoted JavaScript string into `return true` (`';return true;`, `0;return 1`)"),
  nosqlTautology: rule("054", "nosql", 1, 5, "A JavaScript tautology after `||` or `&&` (`|| 1==1`, `&& 'a'=='a'`)"),
  protoKey: rule("060", "proto_pollution", 1, 5, "A parameter or JSON key that reaches an object prototype (`__proto__`, `constructor[prototype]`)"),
  protoValue: rule("061", "proto_pollution", 1, 5, "A prototype path inside a value (`obj.__proto__.x`, `constructor.prototype`, `[\"__proto__\"]`)"),
  protoWord: rule("062", "proto_pollution", 2, 3, "Mentions `__proto__`"),
  xmlBinding: rule(
    "070",
    "xml",
    1,
    5,
    "Markup that binds an XML data island as HTML or imports a behaviour (`datasrc=` with `dataformatas=html`, `<?import implementation=`, `<xml src=`)"
  ),
  xmlUtf16: rule("071", "xml", 2, 3, "An XML body that declares UTF-16 while its text is readable as UTF-8 (.NET serializers write such bodies too)"),
  xmlRpcPingback: rule(
    "072",
    "ssrf",
    1,
    5,
    "An XML-RPC call of `pingback.ping`, which makes the server fetch the URL it is handed (server-side request forgery, and the reflection floods run through blogs)"
  )
} as const

export type Fire = (rule: RuleInfo, what: string) => void

/** A finder that keeps one finding per rule and drops rules above the level. */
export const collector = (paranoia: Paranoia): { readonly fire: Fire; readonly findings: Array<FamilyFinding> } => {
  const findings: Array<FamilyFinding> = []
  return {
    findings,
    fire: (r, what) => {
      if (r.paranoia > paranoia) return
      // a value fires a handful of rules at most: a search of the list beats a set built for every value
      for (let i = 0; i < findings.length; i++) if (findings[i]!.ruleId === r.id) return
      findings.push(findingOf(r, `${r.description.split(" (")[0]}: ${what}`))
    }
  }
}
