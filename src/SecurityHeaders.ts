/**
 * The security headers the guard adds to every response (its own refusals and the application's
 * responses alike), following helmet 8's defaults: `X-XSS-Protection: 0`, no
 * `Cross-Origin-Embedder-Policy`, `Strict-Transport-Security` on HTTPS requests only, and a
 * `Content-Security-Policy` (helmet's default directives) on responses a browser can render as a
 * document (HTML, XHTML, SVG, XML, or no type). Every header can be set to another value or left out (`false`); a header the application
 * set itself is left alone. docs/configuration.md compares the defaults with helmet's.
 *
 * @example
 * ```ts
 * import { contentSecurityPolicy } from "effect-guard/SecurityHeaders"
 *
 * // helmet's defaults, with scripts also from a CDN and no upgrade of insecure requests
 * const policy = contentSecurityPolicy({
 *   scriptSrc: ["'self'", "https://cdn.example"],
 *   upgradeInsecureRequests: false
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { ContentSecurityPolicySetting, SecurityHeadersConfig } from "./internal/config/security.js"

/**
 * A CSP's directives: sources per directive (`script-src` or `scriptSrc`); `true` or `[]` sends a
 * directive without sources (`upgrade-insecure-requests`), `false` leaves it out.
 *
 * @since 0.1.0
 * @category models
 */
export type CspDirectives = Readonly<Record<string, ReadonlyArray<string> | boolean>>

/**
 * helmet 8's default policy: everything from the page's own origin, no plugins, no inline
 * scripts, styles and fonts also over HTTPS, framing by the same origin only.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CSP_DIRECTIVES: CspDirectives = {
  "default-src": ["'self'"],
  "base-uri": ["'self'"],
  "font-src": ["'self'", "https:", "data:"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'self'"],
  "img-src": ["'self'", "data:"],
  "object-src": ["'none'"],
  "script-src": ["'self'"],
  "script-src-attr": ["'none'"],
  "style-src": ["'self'", "https:", "'unsafe-inline'"],
  "upgrade-insecure-requests": true
}

/** `scriptSrc` -> `script-src`. */
const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).toLowerCase()

/**
 * A `Content-Security-Policy` value: `directives` over {@link DEFAULT_CSP_DIRECTIVES} (unless
 * `useDefaults` is `false`). The configuration checks directive names and sources when it is
 * decoded (no `;`, `,` or whitespace inside a source); this builder takes them as given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const contentSecurityPolicy = (directives: CspDirectives = {}, options?: { readonly useDefaults?: boolean }): string => {
  const merged = new Map<string, ReadonlyArray<string> | boolean>()
  if (options?.useDefaults !== false) for (const [name, value] of Object.entries(DEFAULT_CSP_DIRECTIVES)) merged.set(name, value)
  for (const [name, value] of Object.entries(directives)) merged.set(kebab(name), value)
  const parts: Array<string> = []
  for (const [name, value] of merged) {
    if (value === false) continue
    parts.push(value === true || value.length === 0 ? name : `${name} ${value.join(" ")}`)
  }
  return parts.join(";")
}

/** The policy text a `contentSecurityPolicy` setting asks for; none for `false` or an empty policy. */
const policyOf = (setting: ContentSecurityPolicySetting): string | undefined => {
  if (setting === false) return undefined
  const text = typeof setting === "string" ? setting : contentSecurityPolicy(setting.directives, { useDefaults: setting.useDefaults })
  return text.trim() === "" ? undefined : text
}

/**
 * The headers `securityHeaders` asks for (lower-case names), by the kind of request and response
 * they go on: `common` on every response, `https` only on responses to HTTPS requests (HSTS),
 * `documents` only on document responses (CSP). All empty when disabled.
 *
 * @since 0.1.0
 * @category models
 */
export interface SecurityHeaderSet {
  readonly common: Readonly<Record<string, string>>
  readonly https: Readonly<Record<string, string>>
  readonly documents: Readonly<Record<string, string>>
}

/**
 * The security headers of a configuration, sorted by where they go (see {@link SecurityHeaderSet}).
 *
 * @since 0.1.0
 * @category constructors
 */
export const securityHeaderSet = (config: SecurityHeadersConfig): SecurityHeaderSet => {
  if (!config.enabled) return { common: {}, https: {}, documents: {} }
  const common: Record<string, string> = {}
  const named: ReadonlyArray<readonly [string, string | false]> = [
    ["cross-origin-embedder-policy", config.crossOriginEmbedderPolicy],
    ["cross-origin-opener-policy", config.crossOriginOpenerPolicy],
    ["cross-origin-resource-policy", config.crossOriginResourcePolicy],
    ["origin-agent-cluster", config.originAgentCluster],
    ["referrer-policy", config.referrerPolicy],
    ["x-content-type-options", config.contentTypeOptions],
    ["x-dns-prefetch-control", config.dnsPrefetchControl],
    ["x-download-options", config.downloadOptions],
    ["x-frame-options", config.frameOptions],
    ["x-permitted-cross-domain-policies", config.permittedCrossDomainPolicies],
    ["x-xss-protection", config.xssProtection],
    ["permissions-policy", config.permissionsPolicy]
  ]
  for (const [name, value] of named) if (value !== false && value !== "") common[name] = value
  const custom = Object.entries(config.custom).map(([name, value]) => [name.toLowerCase(), value] as const)
  for (const [name, value] of custom) common[name] = value
  const customized = new Set(custom.map(([name]) => name))

  const https: Record<string, string> = {}
  if (config.hstsMaxAge > 0 && !customized.has("strict-transport-security")) {
    // preload is only honoured by browsers with a year-long max-age and includeSubDomains
    const preload = config.hstsPreload && config.hstsMaxAge >= 31_536_000
    const includeSubdomains = config.hstsIncludeSubdomains || preload
    https["strict-transport-security"] = `max-age=${config.hstsMaxAge}${includeSubdomains ? "; includeSubDomains" : ""}${preload ? "; preload" : ""}`
  }
  const documents: Record<string, string> = {}
  const policy = policyOf(config.contentSecurityPolicy)
  if (policy !== undefined && !customized.has("content-security-policy")) documents["content-security-policy"] = policy
  return { common, https, documents }
}

/** Media types a browser renders as a document that can run scripts (XML through the XHTML namespace). */
const DOCUMENT_TYPES: ReadonlySet<string> = new Set(["text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml"])

/**
 * Whether a response with this `Content-Type` can be rendered as a document that runs scripts,
 * the responses a `Content-Security-Policy` governs: HTML, XHTML, SVG and XML, and a response
 * without a type, which a browser may sniff as HTML.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isDocument = (contentType: string | undefined): boolean => {
  if (contentType === undefined) return true
  const type = contentType.split(";", 1)[0]!.trim().toLowerCase()
  return type === "" || DOCUMENT_TYPES.has(type)
}

/**
 * The headers on a response to a request over HTTPS (`secure`) or not, of a document or not: the
 * parts of `set` that apply, as one record.
 *
 * @since 0.1.0
 * @category constructors
 */
export const securityHeadersFor = (set: SecurityHeaderSet, secure: boolean, document: boolean): Readonly<Record<string, string>> => ({
  ...set.common,
  ...(secure ? set.https : {}),
  ...(document ? set.documents : {})
})
