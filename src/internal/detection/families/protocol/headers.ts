/**
 * Attacks on the HTTP exchange itself: response splitting (a line break smuggled into something a
 * server echoes in a header) and session fixation (handing the victim a session id the attacker
 * knows, through a parameter, a rewritten URL or a script that sets the cookie).
 *
 * @internal
 */
import type { ScanContext } from "../contract.js"
import { type Fire, RULES } from "./rules.js"

/** Line breaks, and the CJK characters whose low byte is CR or LF (`嘊`, `嘍`) that truncating servers turn into one. */
const LINE_BREAK = /[\r\n\u560a\u560d\u2028\u2029\u0085]/

/**
 * A header line is a name, a colon and a value on the same line: a line of prose that ends in a colon
 * (`an\nobject:`, `Options:`) or starts with a URL (`https://...`) is not one.
 */
const HEADER_LINE = /[\r\n\u560a\u560d\u2028\u2029\u0085][\t ]{0,8}(?:[a-z][a-z0-9-]{0,40}[\t ]{0,4}:(?!\/\/)[\t ]{0,8}[^\s]|http\/[12])/i

const LINE_BREAKS = /[\r\n\u560a\u560d\u2028\u2029\u0085]/
const HEADER_LINE_START = /^[\t ]{0,8}(?:[a-z][a-z0-9-]{0,40}[\t ]{0,4}:(?!\/\/)[\t ]{0,8}[^\s]|http\/[12])/i
/** A line of an object literal (`  host: 'example.com',`, `  headers: {`): it goes on past its end. */
const CODE_LINE_END = /[,{[(}\]]\s{0,4}$/
/**
 * A line of code whose value is one string literal (`  path: '/upload'`, the last property of an
 * object, with no comma after it) or opens an object literal with a quoted key (`chars: { 'top': ''`).
 * A header that takes over the response (`Set-Cookie`, `Content-Length`) counts however its value
 * is written.
 */
const LITERAL_VALUE = /:[\t ]{0,8}(?:'[^'\n]{0,200}'|"[^"\n]{0,200}")[\t ]{0,4}[,;]?[\t ]{0,4}$|:[\t ]{0,8}\{[\t ]{0,4}['"]/
/** A labelled sentence (`Warning: passing \`false\` is not supported.`): four words or more, then a full stop. */
const SENTENCE_AFTER_LABEL = /:\s{0,8}(?:[^\s:]{1,40}\s{1,4}){3,}[^\s:]{1,40}[.!?]$/

/** Line breaks other than `\n`: source code pasted into a value breaks its lines with `\n` alone. */
const OTHER_LINE_BREAK = /[\r\u560a\u560d\u2028\u2029\u0085]/

/**
 * Whether a line after the first is a header line, and not code or prose that has the same shape:
 * HTTP header values neither end in `,` or `{` nor run on as sentences of words. A quoted value is
 * code only inside an object literal or call an earlier line opened, in a value of `\n` breaks:
 * `en\r\nLocation: "http://..."` is a header line. Linear: one split.
 */
const hasHeaderLine = (value: string): boolean => {
  const lines = value.split(LINE_BREAKS)
  const source = !OTHER_LINE_BREAK.test(value)
  let opened = lines[0]!.includes("{") || lines[0]!.includes("(")
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    if (HEADER_LINE_START.test(line) && !CODE_LINE_END.test(line) && !SENTENCE_AFTER_LABEL.test(line.trimEnd())) {
      const literal = source && opened && LITERAL_VALUE.test(line)
      if (!literal || HIJACKING_HEADER.test(`\n${line}`)) return true
    }
    opened ||= line.includes("{") || line.includes("(")
  }
  return false
}

const HIJACKING_HEADER =
  /[\r\n\u560a\u560d][\t ]{0,8}(?:set-cookie|content-length|transfer-encoding|content-security-policy|x-xss-protection|access-control-allow-[a-z]{1,12})[\t ]{0,4}:|[\r\n][\t ]{0,8}http\/[12](?:\.\d)?[\t ]{1,4}\d{3}/i

/** Session cookie names of common frameworks; generic names like `session` or `sid` are left out. */
/** Not Rails' `_session_id`: APIs use that name for their own JSON fields. */
const SESSION_NAMES: ReadonlySet<string> = new Set([
  "jsessionid",
  "jsessionidsso",
  "phpsessid",
  "asp.net_sessionid",
  "aspsessionid",
  "cfid",
  "cftoken",
  "laravel_session",
  "ci_session",
  "connect.sid",
  "sails.sid",
  "koa.sess",
  "koa:sess",
  "express.sid",
  "express:sess",
  "rack.session",
  "_flask_session",
  "next-auth.session-token",
  "__secure-next-auth.session-token",
  "authjs.session-token",
  "meteor_login_token",
  "cakephp",
  "symfony",
  "zendsessionid",
  "xsessionid",
  "play_session",
  "_rails_session",
  "frontend_session",
  "wordpress_logged_in"
])

const SESSION_ASSIGNMENT =
  /(?:^|[;?&\s"'])(?:jsessionid|phpsessid|asp\.net_sessionid|aspsessionid[a-z]{0,8}|laravel_session|ci_session|connect\.sid|cfid|cftoken|_session_id|rack\.session|play_session|zendsessionid)=[\w.%:-]{4}/i

const COOKIE_SCRIPT = /\.cookie\s{0,4}[=;+]/i
const COOKIE_ATTRIBUTE = /(?:expires|domain|max-age|path|samesite)\s{0,4}=|(?:sess|sid|token)[\w.-]{0,24}\s{0,4}=/i
const META_SET_COOKIE = /<\s{0,4}meta\b[^>]{0,256}http-equiv\s{0,4}=\s{0,4}["']?\s{0,4}set-cookie/i

const isSessionName = (name: string): boolean => {
  const lower = name.trim().toLowerCase()
  return SESSION_NAMES.has(lower) || (lower.startsWith("aspsessionid") && lower.length <= 24)
}

export const scanHeaders = (value: string, context: ScanContext, fire: Fire): void => {
  const { location } = context
  if (location === "key") {
    if (isSessionName(value)) fire(RULES.sessionParam, value.slice(0, 40))
    return
  }
  if (LINE_BREAK.test(value)) {
    if (location === "body") {
      if (HIJACKING_HEADER.test(value)) fire(RULES.splitBody, "header line in a body value")
    } else {
      if (HEADER_LINE.test(value) && hasHeaderLine(value)) fire(RULES.splitHeader, "header line after a line break")
      fire(RULES.bareNewline, "line break")
    }
  }
  // A Cookie or Referer header legitimately carries session ids; only parameters and paths are suspicious.
  if (location !== "header" && location !== "cookie") {
    // every name in SESSION_ASSIGNMENT has one of these in it: most values skip the regex
    const named = value.includes("sess") || value.includes("cf") || value.includes(".sid")
    if (named && SESSION_ASSIGNMENT.test(value)) fire(RULES.sessionValue, "session id assignment")
  }
  const cookie = value.indexOf(".cookie")
  if (cookie >= 0 && COOKIE_SCRIPT.test(value.slice(cookie, cookie + 16)) && COOKIE_ATTRIBUTE.test(value.slice(cookie, cookie + 200))) {
    fire(RULES.cookieScript, "script sets a cookie")
  }
  if (value.includes("http-equiv") && META_SET_COOKIE.test(value)) fire(RULES.cookieScript, "meta set-cookie")
}
