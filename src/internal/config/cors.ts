/**
 * Config fields of the CORS headers the guard adds (reference §1.11), and the rule that a wildcard
 * origin cannot go with credentials.
 *
 * @internal
 */
import { Schema } from "effect"
import { NonNegativeInt, withDefault } from "./fields.js"

/** `*` or a serialised origin (`scheme://host[:port]`, no path), decoded lower case. */
const Origin = Schema.transform(
  Schema.String.pipe(
    Schema.filter((s) => {
      if (s === "*") return undefined
      const problem = `${JSON.stringify(s)} is not an origin; expected "*" or scheme://host[:port] with no path, e.g. "https://app.example.com"`
      if (!URL.canParse(s)) return problem
      const url = new URL(s)
      // URL accepts "*" in a host name; browsers never send one, so such an entry would never match
      if (url.hostname.includes("*")) return `${JSON.stringify(s)}: origins cannot hold wildcards; list each origin, or use "*" alone`
      const bare = url.pathname === "/" && url.search === "" && url.hash === "" && url.username === "" && url.password === ""
      return (url.protocol === "http:" || url.protocol === "https:") && bare ? undefined : problem
    })
  ),
  Schema.String,
  { strict: true, decode: (s) => (s === "*" ? s : new URL(s).origin), encode: (s) => s }
)

const token = (what: string) =>
  Schema.String.pipe(Schema.filter((s) => (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(s) ? undefined : `${JSON.stringify(s)} is not ${what}`)))

export const corsFields = {
  /** Adds CORS headers to responses for requests with an `Origin`, and answers preflights. */
  enableCors: withDefault(Schema.Boolean, () => false),
  corsAllowOrigins: withDefault(Schema.Array(Origin), () => ["*"]),
  corsAllowMethods: withDefault(
    Schema.Array(Schema.transform(token("an HTTP method"), Schema.String, { strict: true, decode: (s) => s.toUpperCase(), encode: (s) => s })),
    () => ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
  ),
  /** `*` allows whatever headers a preflight asks for. */
  corsAllowHeaders: withDefault(Schema.Array(token("a header name or \"*\"")), () => ["*"]),
  corsAllowCredentials: withDefault(Schema.Boolean, () => false),
  corsExposeHeaders: withDefault(Schema.Array(token("a header name")), () => []),
  /** Seconds a browser may cache a preflight's answer. */
  corsMaxAge: withDefault(NonNegativeInt, () => 600)
} as const

type CorsConfig = Schema.Struct.Type<typeof corsFields>

export const corsRules: ReadonlyArray<(c: CorsConfig) => Schema.FilterIssue | undefined> = [
  (c) =>
    c.corsAllowCredentials && c.corsAllowOrigins.includes("*")
      ? {
        path: ["corsAllowCredentials"],
        message: "corsAllowCredentials cannot go with corsAllowOrigins \"*\": browsers refuse credentials for a wildcard origin; list the origins instead"
      }
      : undefined
]
