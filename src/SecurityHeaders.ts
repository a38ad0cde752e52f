/**
 * The security headers added to every response (the guard's own and the application's): the
 * reference's ten defaults, HSTS, an optional CSP and custom headers. A header the application set
 * itself is left alone.
 *
 * @since 0.1.0
 */
import type { SecurityHeadersConfig } from "./internal/config/security.js"

/**
 * The headers `securityHeaders` asks for (lower-case names); none when disabled.
 *
 * @since 0.1.0
 * @category constructors
 */
export const securityHeadersFor = (config: SecurityHeadersConfig): Readonly<Record<string, string>> => {
  if (!config.enabled) return {}
  const headers: Record<string, string> = {
    "x-content-type-options": "nosniff",
    "x-frame-options": config.frameOptions,
    "x-xss-protection": "1; mode=block",
    "referrer-policy": config.referrerPolicy,
    "x-permitted-cross-domain-policies": "none",
    "x-download-options": "noopen",
    "cross-origin-embedder-policy": "require-corp",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin"
  }
  if (config.permissionsPolicy !== "") headers["permissions-policy"] = config.permissionsPolicy
  if (config.hstsMaxAge > 0) {
    // preload is only honoured by browsers with a year-long max-age and includeSubDomains
    const preload = config.hstsPreload && config.hstsMaxAge >= 31_536_000
    const includeSubdomains = config.hstsIncludeSubdomains || preload
    headers["strict-transport-security"] = `max-age=${config.hstsMaxAge}${includeSubdomains ? "; includeSubDomains" : ""}${preload ? "; preload" : ""}`
  }
  if (config.contentSecurityPolicy !== undefined) headers["content-security-policy"] = config.contentSecurityPolicy
  for (const [name, value] of Object.entries(config.custom)) headers[name.toLowerCase()] = value.replace(/[\u0000-\u001f\u007f]/g, "")
  return headers
}
