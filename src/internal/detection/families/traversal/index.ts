/**
 * Path traversal: a value that walks out of the directory the application meant to serve, or that
 * names an absolute system location instead of a file the application owns.
 *
 * A single `../` is everyday in relative links and docs, so at the default level a value must climb
 * at least two directories, hide its climb from a naive filter, or start at a system root. Prose
 * (values with spaces) only scores a weak signal for a two-level climb: a markdown link to
 * `../../README.md` alone is not refused.
 *
 * @internal
 */
import type { DetectionFamily, FamilyFinding, RuleInfo, ScanContext } from "../contract.js"
import { collector } from "../protocol/rules.js"
import { isProse, type PathToken, pathTokens } from "./pathTokens.js"

const rule = (id: string, paranoia: 1 | 2 | 3 | 4, score: number, description: string): RuleInfo => ({
  id: `traversal-${id}`,
  category: "path_traversal",
  paranoia,
  score,
  description
})

export const RULES = {
  climb: rule("001", 1, 5, "Climbs two or more directories (`../../`, `..\\..\\`, after separator and `/./` folding)"),
  evasive: rule(
    "002",
    1,
    5,
    "Climbs with a form that slips past a naive `../` filter: dot runs (`..../`), Tomcat path parameters (`..;/`), `0x2e` notation, Unicode dots or slashes, a NUL byte, or mixed `/` and `\\`"
  ),
  systemRoot: rule(
    "003",
    1,
    5,
    "A parameter that is an absolute path into a system directory (`/etc/`, `/proc/`, `/sys/`, `/root/`, `/var/log/`, `C:\\Windows\\`, ...)"
  ),
  proseClimb: rule("004", 1, 3, "Climbs two or more directories inside prose (weak: relative links in docs do this)"),
  singleClimb: rule("005", 2, 5, "A single `../` climb in a token-shaped value or in the request path"),
  absolute: rule("006", 3, 3, "A parameter that is an absolute filesystem path")
} as const

/** Unix roots and Windows directories a web parameter has no business naming. */
const SYSTEM_ROOTS: ReadonlySet<string> = new Set([
  "etc",
  "proc",
  "sys",
  "root",
  "boot",
  "dev",
  "windows",
  "winnt",
  "inetpub",
  "system32",
  "boot.ini",
  "win.ini"
])

const SYSTEM_SUBDIRS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ["var", new Set(["log", "logs", "adm", "spool", "mail", "run", "lib", "backups"])],
  ["usr", new Set(["local", "etc", "spool"])],
  ["private", new Set(["etc", "var"])],
  ["home", new Set()],
  ["opt", new Set()]
])

const isSystemPath = (t: PathToken): boolean => {
  const segments = t.segments
  let first = segments[0]
  let index = 0
  // a drive letter (`c:`) is not the root directory's name
  if (first !== undefined && first.length === 2 && first.charCodeAt(1) === 58) {
    index = 1
    first = segments[1]
  }
  if (first === undefined) return false
  if (SYSTEM_ROOTS.has(first)) return segments.length > index + 1 || first.includes(".")
  const subdirs = SYSTEM_SUBDIRS.get(first)
  const second = segments[index + 1]
  if (subdirs === undefined || second === undefined) return false
  // `/home/<user>/.ssh`, `/opt/lampp/logs`: only with a dot-directory or a logs directory below
  if (subdirs.size === 0) return segments.some((s) => s.startsWith(".") && s.length > 1) || segments.includes("logs")
  return subdirs.has(second)
}

const describe = (t: PathToken): string =>
  `${t.absolute ? "/" : ""}${t.segments.slice(0, 12).join("/")}`

const scan = (value: string, context: ScanContext): ReadonlyArray<FamilyFinding> => {
  const tokens = pathTokens(value)
  if (tokens.length === 0) return []
  const collect = collector(context.paranoia)
  const fire = (r: RuleInfo, t: PathToken): void => collect.fire(r, describe(t))
  const inPath = context.location === "path"
  const proseValue = !inPath && isProse(value)
  for (const t of tokens) {
    if (!t.separated) continue
    const prose = proseValue && !t.assigned
    if (t.climbs >= 2) fire(prose ? RULES.proseClimb : RULES.climb, t)
    if (t.climbs >= 1 && t.evasive) fire(RULES.evasive, t)
    if (t.climbs >= 1 && !prose) fire(RULES.singleClimb, t)
    if (!inPath && t.absolute && !prose) {
      if (isSystemPath(t)) fire(RULES.systemRoot, t)
      else if (t.segments.length >= 2) fire(RULES.absolute, t)
    }
  }
  return collect.findings
}

const MAY_MATCH = /\.\.|0x2e|\u0000|%00|^\s*(?:[\\/]|[a-z]:[\\/])|[\u2024\uff0e\ufe52]/i

export const family: DetectionFamily = {
  name: "traversal",
  rules: Object.values(RULES),
  mayMatch: (value) => MAY_MATCH.test(value),
  scan
}
