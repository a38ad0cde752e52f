/**
 * Path traversal: a value that walks out of the directory the application meant to serve, or that
 * names an absolute system location instead of a file the application owns.
 *
 * A single `../` is everyday in relative links and docs, so at the default level a value must climb
 * at least two directories, hide its climb from a naive filter, climb with Windows separators,
 * climb above its own root, name an uploaded file that climbs, or start at a system root. Prose
 * (values with spaces) only scores a weak signal for a two-level climb: a markdown link to
 * `../../README.md` alone is not refused.
 *
 * @internal
 */
import type { DetectionFamily, FamilyFinding, RuleInfo, ScanContext } from "../contract.js"
import { collector } from "../protocol/rules.js"
import { forEachPathToken, isProse, type PathToken } from "./pathTokens.js"

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
    "A parameter that is an absolute path into a system directory (`/etc/`, `/proc/`, `/sys/`, `/root/`, `/var/log/`, `C:\\Windows\\`, macOS's `/Library/WebServer/`, `/System/Library/`, ...)"
  ),
  proseClimb: rule("004", 1, 3, "Climbs two or more directories inside prose (weak: relative links in docs do this)"),
  singleClimb: rule("005", 2, 5, "A single `../` climb in a token-shaped value or in the request path"),
  absolute: rule("006", 3, 3, "A parameter that is an absolute filesystem path"),
  windowsClimb: rule("007", 1, 5, "Climbs with a Windows separator (`..\\`): web parameters hold URLs and Unix-style paths, not Windows relative paths"),
  aboveRoot: rule("008", 1, 5, "An absolute path that climbs above its root (`/../x`, `/a/../../x`): no file a server names does"),
  uploadName: rule("009", 1, 5, "An uploaded file's name that climbs (`filename=\"../x\"`): it is written outside the upload directory"),
  serverInstall: rule(
    "010",
    1,
    5,
    "A parameter that is a Windows path to a web or database server's own files: its configuration, data or logs (`E:\\tomcat9\\conf`, `C:\\xampp\\mysql\\data`), or a server's folder in a stack (`C:\\AppServ\\Apache24`)"
  )
} as const

/** The names an upload's file name is given under (multipart `Content-Disposition`). */
const UPLOAD_NAMES: ReadonlySet<string> = new Set(["filename", "filename*"])

/** The path goes above the directory it starts from: more climbs than names before them. */
const escapesStart = (t: PathToken): boolean => {
  let depth = 0
  for (const s of t.segments) {
    if (s !== "..") depth++
    else if (--depth < 0) return true
  }
  return false
}

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
  ["var", new Set(["log", "logs", "adm", "spool", "mail", "run", "lib", "backups", "lp"])],
  ["usr", new Set(["local", "etc", "spool"])],
  ["private", new Set(["etc", "var"])],
  ["home", new Set()],
  ["opt", new Set()],
  // macOS: the system's library (Apache's root and CGI folder, keychains, daemons, logs) and homes
  ["library", new Set(["webserver", "keychains", "preferences", "launchdaemons", "launchagents", "logs"])],
  ["system", new Set(["library"])],
  ["users", new Set()]
])

/**
 * First directories of a Windows drive that web and database servers install into: the stacks
 * (`xampp`, `AppServ`, `wamp64`) and the servers' own folders (`inetpub` is a system root).
 */
const STACKS = "xampp|appserv|wamp(?:64|server)?|easyphp[\\w.-]{0,16}|uwamp"
const SERVER_STACK = new RegExp(`^(?:${STACKS})$`)
const SERVER_INSTALL_DIR = new RegExp(
  `^(?:${STACKS}|apache(?:\\d{1,2}|2\\.\\d)?|nginx[\\w.-]{0,16}|php\\d?|mysql|mariadb|tomcat[\\w.-]{0,16}|jboss[\\w.-]{0,16}|wildfly[\\w.-]{0,16}|coldfusion\\d{0,4}|cfusionmx\\d{0,2}|jrun\\d?)$`
)

/** A drive letter's segment (`c:`). */
const isDrive = (segment: string | undefined): boolean =>
  segment !== undefined && segment.length === 2 && segment.charCodeAt(1) === 58

/** A server's own configuration, data and log folders, and the files it keeps there. */
const SERVER_FOLDER: ReadonlySet<string> = new Set(["conf", "config", "data", "logs", "log", "tmp"])
const SERVER_FILE = /\.(?:ini|conf|cnf|log|err|pid|frm|myd|myi|ibd)$/

/**
 * A drive path into a server's install directory that names what only an attack reads: the server's
 * configuration, data or logs (`E:\tomcat9\conf`), or a server's folder in a stack and nothing below it
 * (`C:\AppServ\Apache24`). The programs and pages there (`C:\php\php.exe`,
 * `C:\xampp\htdocs\site\index.php`) are what a developer names in a form about a local install.
 */
const isServerInstallPath = (segments: ReadonlyArray<string>): boolean => {
  if (!isDrive(segments[0]) || !SERVER_INSTALL_DIR.test(segments[1] ?? "")) return false
  if (segments.length === 3 && SERVER_STACK.test(segments[1]!) && SERVER_INSTALL_DIR.test(segments[2]!)) return true
  for (let i = 2; i < segments.length; i++) {
    if (SERVER_FOLDER.has(segments[i]!) || SERVER_FILE.test(segments[i]!)) return true
  }
  return false
}

/** macOS writes its roots capitalised: `/library/logs/2024` is a site's own path, `/Library/Logs` the system's. */
const MACOS_ROOTS: ReadonlyMap<string, string> = new Map([["library", "/Library/"], ["system", "/System/"]])

const isSystemPath = (t: PathToken, value: string): boolean => {
  const segments = t.segments
  let first = segments[0]
  let index = 0
  // a drive letter (`c:`) is not the root directory's name
  if (isDrive(first)) {
    index = 1
    first = segments[1]
  }
  if (first === undefined) return false
  if (SYSTEM_ROOTS.has(first)) return segments.length > index + 1 || first.includes(".")
  const subdirs = SYSTEM_SUBDIRS.get(first)
  const macos = MACOS_ROOTS.get(first)
  if (macos !== undefined && !value.includes(macos)) return false
  const second = segments[index + 1]
  if (subdirs === undefined || second === undefined) return false
  // `/home/<user>/.ssh`, `/opt/lampp/logs`: only with a dot-directory or a logs directory below
  if (subdirs.size === 0) return segments.some((s) => s.startsWith(".") && s.length > 1) || segments.includes("logs")
  return subdirs.has(second)
}

const describe = (t: PathToken): string =>
  `${t.absolute ? "/" : ""}${t.segments.slice(0, 12).join("/")}`

const scan = (value: string, context: ScanContext): ReadonlyArray<FamilyFinding> => {
  const collect = collector(context.paranoia)
  // the description is built once per rule, not for every token of a long value
  const fired = new Set<RuleInfo>()
  const fire = (r: RuleInfo, t: PathToken): void => {
    if (fired.has(r)) return
    fired.add(r)
    collect.fire(r, describe(t))
  }
  const inPath = context.location === "path"
  const proseValue = !inPath && isProse(value)
  forEachPathToken(value, (t) => {
    if (!t.separated) return
    const prose = proseValue && !t.assigned
    if (t.climbs >= 2) fire(prose ? RULES.proseClimb : RULES.climb, t)
    if (t.climbs >= 1) {
      if (t.evasive) fire(RULES.evasive, t)
      if (!prose) {
        fire(RULES.singleClimb, t)
        if (t.backslash) fire(RULES.windowsClimb, t)
        if (t.absolute && escapesStart(t)) fire(RULES.aboveRoot, t)
      }
      if (UPLOAD_NAMES.has(t.name)) fire(RULES.uploadName, t)
    }
    if (!inPath && t.absolute && !prose) {
      if (isServerInstallPath(t.segments)) fire(RULES.serverInstall, t)
      if (isSystemPath(t, value)) fire(RULES.systemRoot, t)
      else if (t.segments.length >= 2) fire(RULES.absolute, t)
    }
  })
  return collect.findings
}

const MAY_MATCH = /\.\.|0x2e|\u0000|%00|^\s*(?:[\\/]|[a-z]:[\\/])|[\u2024\uff0e\ufe52\ufffd]|%[0-9a-z]{2}%[0-9a-z]{2}/i

export const family: DetectionFamily = {
  name: "traversal",
  rules: Object.values(RULES),
  mayMatch: (value) => MAY_MATCH.test(value),
  scan
}
