/**
 * Patterns the ReDoS vetting is measured on, shared by test/detection/redos.test.ts and
 * bench/redos.ts.
 */

/**
 * Known catastrophic patterns, each with what the refusal must say. Sources: the OWASP page
 * "Regular expression Denial of Service - ReDoS" (its evil regexes and the Java class-name and
 * e-mail validators), the Stack Overflow outage of 2016-07-20 (a trim regex), Cloudflare's outage of
 * 2019-07-02 (its WAF rule), and bounded forms that an automaton-based checker (recheck) reports as
 * safe although V8 takes seconds on a few dozen characters.
 */
export const CATASTROPHIC: ReadonlyArray<readonly [pattern: string, why: string]> = [
  ["(a+)+$", "nested quantifier"],
  ["^([a-zA-Z]+)*$", "nested quantifier"],
  ["(a|aa)+$", "alternatives that can start with the same character"],
  ["^(a|a?)+$", "nested quantifier"],
  ["(.*a){20}", "nested quantifier"],
  ["^(\\w+\\s?)*$", "nested quantifier"],
  ["(\\d+)*x", "nested quantifier"],
  ["(a|a)*b", "alternatives that can start with the same character"],
  ["(x+x+)+y", "nested quantifier"],
  ["(a*)*b", "nested quantifier"],
  ["^(([a-z])+.)+[A-Z]([a-z])+$", "nested quantifier"],
  ["^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$", "nested quantifier"],
  ["^[\\s\\u200c]+|[\\s\\u200c]+$", "quadratic"],
  [
    "(?:(?:\\\"|'|\\]|\\}|\\\\|\\d|(?:nan|infinity|true|false|null|undefined|symbol|math)|`|\\-|\\+)+[)]*;?((?:\\s|-|~|!|{}|\\|\\||\\+)*.*(?:.*=.*)))",
    "catastrophic backtracking"
  ],
  ["(?:[a-z]|\\w){1,40}!", "alternatives that can start with the same character"],
  ["(a|a){1,25}b", "alternatives that can start with the same character"],
  ["(a{1,30}){1,30}b", "nested quantifier"],
  ["(?:\\w{1,64}\\s?){1,64}$", "nested quantifier"],
  ["\\s+$", "quadratic"],
  ["a.*b", "quadratic"],
  ["a.*b.*c", "quadratic"],
  ["\\w+\\d+x", "quadratic"],
  ["\\d+\\.\\d+\\.\\d+x", "quadratic"],
  ["^a.*b.*c", "quadratic"],
  ["(?=.*x)y", "quadratic"]
]

/** Patterns users write, which must pass: user agents first, then detection rules. */
export const HARMLESS: ReadonlyArray<string> = [
  "curl/.*",
  "scanner[0-9]+",
  "python-requests/[0-9.]+",
  "evilbot",
  "scanner[0-9]{1,8}",
  "bot|crawler|spider|scrapy|python-requests/[0-9.]+|go-http-client/.*",
  "^Mozilla/5\\.0 \\(compatible; Googlebot",
  "^Mozilla/.*Chrome",
  "(?:sqlmap|nikto)/[0-9.]+ \\(",
  "\\bunion\\b\\s+select\\b",
  "x\\s+y",
  "[^>]{0,200}>",
  "^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$"
]
