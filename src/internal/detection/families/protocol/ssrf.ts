/**
 * Server-side request forgery: a parameter that makes the server fetch from itself, its cloud
 * metadata service, its private network, or through a scheme that speaks other protocols
 * (`gopher:` writes raw bytes to Redis or SMTP). Hosts are classified by address, so `2852039166`,
 * `0xa9fea9fe`, `0251.0376.0251.0376` and `[::ffff:a9fe:a9fe]` are all the metadata service.
 *
 * A value that is a URL is a parameter the server may fetch; a URL inside prose is somebody writing
 * about one, so prose only scores at level 2 (metadata endpoints and out-of-band services excepted).
 *
 * @internal
 */
import type { ScanContext } from "../contract.js"
import { classifyHost, OOB_DOMAINS } from "./hosts.js"
import { type Fire, RULES } from "./rules.js"
import { forEachUrl } from "./url.js"

const DANGEROUS_SCHEMES: ReadonlySet<string> = new Set(["gopher", "dict", "file", "tftp", "jar", "netdoc", "ldap", "ldaps", "smb", "telnet"])

/** One pass for all the helper domains: a search per domain costs fifteen passes over a large body. */
const OOB_SUBDOMAIN = new RegExp(`\\.(?:${OOB_DOMAINS.map((d) => d.replace(/\./g, "\\.")).join("|")})`)

const BARE_LOOPBACK = /^(?:localhost[\w.-]{0,32}|ip6-[a-z]{0,12}|ipv6-[a-z]{0,12}|[a-z]{1,12}\.(?:docker|containers)\.internal|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|0\.0\.0\.0|\[::1?\])(?::\d{1,5})?\/[\w./?=&%-]{0,256}$/

export const scanSsrf = (s: string, context: ScanContext, prose: boolean, fire: Fire): void => {
  // a known helper domain with a subdomain label before it (`abc123.oastify.com`) is a finding wherever it appears
  const oob = OOB_SUBDOMAIN.exec(s)
  if (oob !== null) fire(RULES.ssrfOob, oob[0].slice(1))
  if (context.location === "path") return
  forEachUrl(s, (url) => {
    // Referer and Origin name local pages during development: headers only score at level 2.
    const asValue = context.location !== "header" && (url.leading || url.assigned || !prose)
    if (DANGEROUS_SCHEMES.has(url.scheme)) fire(asValue ? RULES.ssrfScheme : RULES.ssrfProse, `${url.scheme}:`)
    for (const host of url.hosts) {
      const info = classifyHost(host)
      switch (info.kind) {
        case "metadata":
          fire(RULES.ssrfMetadata, host)
          break
        case "oob":
          fire(RULES.ssrfOob, host)
          break
        case "loopback":
          fire(asValue ? RULES.ssrfLoopback : RULES.ssrfProse, host)
          break
        case "private":
          fire(asValue ? RULES.ssrfPrivate : RULES.ssrfProse, host)
          break
      }
      if (info.obfuscated && info.kind !== "other") fire(asValue ? RULES.ssrfObfuscated : RULES.ssrfProse, host)
      else if (info.obfuscated && info.literal && asValue) fire(RULES.ssrfObfuscated, host)
    }
  })
  if (!prose && BARE_LOOPBACK.test(s.trim())) fire(RULES.ssrfBareHost, s.trim().slice(0, 40))
}
