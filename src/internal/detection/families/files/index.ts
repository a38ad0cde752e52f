/**
 * Sensitive files and file inclusion: a request that names a file holding secrets or system state
 * (in its path or as a parameter), and a parameter that points an include at code elsewhere (a
 * remote URL, a PHP stream wrapper, a `data:` payload).
 *
 * Names are matched on whole path segments after the traversal family's path folding. Prose is
 * treated apart: `/etc/hosts file windows` typed in a search box is a question, `/etc/hosts` alone in
 * a `file` parameter is a probe, so in prose a name only scores at level 2 unless a climb leads to it
 * or a command that reads files (`cat`, `type`, `curl -d @`) comes right before it.
 *
 * @internal
 */
import type { DetectionFamily, FamilyFinding, RuleInfo, ScanContext } from "../contract.js"
import { isIpLiteral } from "../protocol/hosts.js"
import { collector, type Fire } from "../protocol/rules.js"
import { forEachUrl } from "../protocol/url.js"
import { forEachPathToken, isProse, type PathToken } from "../traversal/pathTokens.js"
import { includeTier, isSiteName, isUploadName, readsName, uploadProblem } from "./named.js"
import { ACTUATOR_ENDPOINTS, BACKUP_EXTENSIONS, ETC_FILES, PROC_ENTRIES, SECRET_DIRS, SECRET_FILES, STARTUP_FILES, SYS_ENTRIES } from "./names.js"

const rule = (id: string, category: string, paranoia: 1 | 2 | 3 | 4, score: number, description: string): RuleInfo => ({
  id: `files-${id}`,
  category,
  paranoia,
  score,
  description
})

const SENSITIVE = "sensitive_file"
const INCLUSION = "file_inclusion"
const UPLOAD = "file_upload"

export const RULES = {
  unixSystem: rule("001", SENSITIVE, 1, 5, "Names a Unix system file (`etc/passwd`, `etc/shadow`, `/proc/self/environ`, `/sys/class`, ...)"),
  secret: rule(
    "002",
    SENSITIVE,
    1,
    5,
    "Names a secret or system file or directory (`.env`, `.git/`, `.htaccess`, `wp-config.php`, `id_rsa`, `win.ini`, `web.config`, server configs and logs, ...)"
  ),
  backup: rule("003", SENSITIVE, 1, 5, "Requests a backup, swap, include or database copy (`index.php.bak`, `db.sql.gz`, `config.inc`, `site.old`)"),
  actuator: rule("004", SENSITIVE, 1, 5, "Requests a Spring Boot actuator endpoint (`/actuator/env`, `/actuator/heapdump`)"),
  logFile: rule("005", SENSITIVE, 1, 4, "Requests a `.log` file by its path"),
  devServer: rule("006", SENSITIVE, 1, 5, "Reads the filesystem or a virtual module through a dev server's raw route (`/@fs/`, `/@id/__x00__`)"),
  proseName: rule("007", SENSITIVE, 2, 5, "Names a sensitive file path inside prose or a header (`cat /root/.ssh/id_rsa`)"),
  nul: rule("009", SENSITIVE, 1, 5, "A NUL byte in the path or a parameter: cuts a file name short in C-based file APIs (`x.php%00.jpg`)"),
  commandRead: rule(
    "010",
    SENSITIVE,
    1,
    5,
    "A command that reads, copies or sends a sensitive file, even in prose or a header (`cat /etc/passwd`, `type C:\\boot.ini`, `curl -F @/root/.ssh/id_rsa`)"
  ),
  absoluteConfig: rule(
    "008",
    SENSITIVE,
    1,
    5,
    "A parameter that is an absolute path to a config, log, include or database server file, blanks in its names or not (`C:\\xampp\\php\\php.ini`, `/opt/app/logs/x.log`, `C:/Program Files/MySQL/data/mysql.err`)"
  ),
  wrapper: rule(
    "101",
    INCLUSION,
    1,
    5,
    "A PHP stream wrapper or filter chain (`php://filter`, `phar://`, `expect://`, `zip://`, `convert.iconv.*`, `convert.base64-encode`)"
  ),
  truncatedUrl: rule(
    "102",
    INCLUSION,
    1,
    5,
    "A remote URL whose appended suffix is cut off by a NUL byte, or by a trailing `?` or `#` when it names a host's root or a script, text or image file (`http://evil.example/x.txt?`), is sent under a file or include name, or is to an IP address"
  ),
  dataUri: rule("103", INCLUSION, 1, 5, "A `data:` URI carrying text or code (`data:text/plain;base64,...`), not an image"),
  ipScript: rule("104", INCLUSION, 1, 5, "A URL to a bare IP address that fetches a script or text file (`http://203.0.113.9/shell.php`)"),
  ipUrl: rule("105", INCLUSION, 1, 4, "A parameter that is a URL to a bare IP address"),
  pathUrl: rule("106", INCLUSION, 2, 5, "A URL or `file:` reference embedded in the request path"),
  userinfoUrl: rule("107", INCLUSION, 2, 5, "A parameter that is a URL with credentials in its authority (`http://trusted.example@evil.example/`)"),
  remoteUrl: rule(
    "108",
    INCLUSION,
    2,
    5,
    "A parameter that is a whole remote URL to a host's root or to a script or text file (`https://host/`, `ftp://host:21/x.txt`): what an include fetches; a site's root under a field for the sender's own site (`website`, `homepage`) is not"
  ),
  namedInclude: rule(
    "109",
    INCLUSION,
    1,
    5,
    "A parameter named for an include (`include`, `path`, `_CONF[path]`, `mosConfig_absolute_path`) holding a remote URL to a host's root or a script, or one named for a file or page (`file`, `page`) holding a URL to a script or text file"
  ),
  uploadClimb: rule("201", UPLOAD, 1, 5, "An upload's file name (multipart `filename`, `X-Filename`) with a climb or an absolute path (`../x.7z`, `/tmp/sess_x`)"),
  uploadConfig: rule(
    "202",
    UPLOAD,
    1,
    5,
    "An upload's file name, trailing dots and spaces dropped, that replaces configuration the server or the application reads (`.htaccess`, `.user.ini`, `wp-config-php.bak`, `config.yml `)"
  )
} as const

const isEnvFile = (s: string): boolean => s === ".env" || (s.startsWith(".env.") && s.length > 5)

const hasBackupExtension = (name: string): boolean =>
  name.endsWith("~") || BACKUP_EXTENSIONS.some((ext) => name.length > ext.length && name.endsWith(ext))

/** Secret files and directories in one set: one lookup per segment. */
const SECRET_NAMES: ReadonlySet<string> = new Set([...SECRET_FILES, ...SECRET_DIRS, ...STARTUP_FILES])

/** The first rule the segments of `t` hit, with the segment that hit it. */
const namedTarget = (t: PathToken): readonly [RuleInfo, string] | undefined => {
  const s = t.segments
  for (let i = 0; i < s.length; i++) {
    const seg = s[i] ?? ""
    const next = s[i + 1]
    if (next !== undefined && seg.length <= 4) {
      // `passwd-`, `shadow~`: the copies tools leave beside the file hold the same secrets
      const copy = next.length > 1 && (next.endsWith("-") || next.endsWith("~")) ? next.slice(0, -1) : next
      if (seg === "etc" && (ETC_FILES.has(copy) || next.startsWith("hostname") || next.startsWith("php"))) return [RULES.unixSystem, `etc/${next}`]
      if (seg === "proc" && (PROC_ENTRIES.has(next) || /^\d{1,7}$/.test(next))) return [RULES.unixSystem, `proc/${next}`]
      if (seg === "sys" && SYS_ENTRIES.has(next)) return [RULES.unixSystem, `sys/${next}`]
    }
    if (SECRET_NAMES.has(seg) || isEnvFile(seg)) return [RULES.secret, seg]
  }
  return undefined
}

/**
 * Commands (Unix and Windows) whose argument is a file they print, copy or send. Before a named
 * sensitive file they make a question about `/etc/hosts` into a read of it.
 */
const READ_COMMANDS: ReadonlySet<string> = new Set([
  "cat", "tac", "nl", "more", "less", "head", "tail", "strings", "od", "xxd", "hexdump", "base64", "base32",
  "type", "copy", "xcopy", "cp", "scp", "rsync", "mv", "vi", "vim", "nano", "grep", "egrep", "awk", "sed",
  "source", "get-content", "curl", "wget", "nc", "ncat", "tftp", "openssl"
])

const CONFIG_EXTENSION = /(?:\.(?:ini|inc|conf|cnf|cfg|config|log|htpasswd)|[._]log)$/

/** SQL Server's data and transaction log files (`master.mdf`, `x_log.ldf`): no other program writes them. */
const DATABASE_FILE = /\.(?:mdf|ldf)$/

/**
 * MySQL's error log (`<host>.err`) and binary logs (`mysql-bin.index`, `mysql-bin.000001`), and the
 * files that mark a PostgreSQL data directory (`PG_VERSION`, `postmaster.pid`, `postmaster.opts`): a
 * probe reads them to learn the server's version and where its data lives. Build and job logs end in
 * `.err` too (`/tmp/job-1234.err`), so these count only under a folder that names a database server
 * or its data folder (`/var/lib/mysql/`, `C:/ProgramData/MySQL/MySQL Server 8.0/Data/`, `/pgsql/data/`).
 */
const SERVER_LOG = /(?:\.err|-bin\.(?:index|\d{6}))$|^(?:pg_version|postmaster\.(?:pid|opts))$/
const DATABASE_FOLDER = /mysql|mariadb|mssql|sql ?server|percona|postgres|pgsql/i

const isDatabaseFile = (segments: ReadonlyArray<string>, last: string): boolean =>
  DATABASE_FILE.test(last) || (SERVER_LOG.test(last) && segments.slice(0, -1).some((s) => DATABASE_FOLDER.test(s)))

/**
 * A drive or rooted path with blanks in its names (`C:/Program Files/MySQL/data/mysql.log`) is one
 * path to a file API, but the token walk ends a token at a blank: such a value is walked with its
 * blanks held inside the names by a no-break space, given back to the segments before they are read.
 */
const HELD_BLANK = "\u00a0"
const BLANK = /[ \t]/
const BLANKS = /[ \t]/g
const withBlanks = (t: PathToken): PathToken => ({ ...t, segments: t.segments.map((s) => s.replaceAll(HELD_BLANK, " ")) })

const SCRIPT_EXTENSION = /\.(?:php\d?|phtml|txt|asp|aspx|jsp|pl|cgi|sh|py|inc|gif|jpg|png)$/

/** Stream wrappers that read files, archives or command output for an include. */
const WRAPPERS: ReadonlySet<string> = new Set(["php", "phar", "expect", "zip", "glob", "ogg", "rar", "zlib", "compress.zlib", "compress.bzip2"])

const isSchemeChar = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46

/** The value names a stream wrapper (`php://`, `ssh2.exec://`): each `://` with the scheme before it. */
const hasWrapper = (value: string): boolean => {
  let at = value.indexOf("://")
  for (; at >= 0; at = value.indexOf("://", at + 3)) {
    // web URLs are most of what a value holds: no slice for them
    const last = value.charCodeAt(at - 1)
    if ((last === 112 || last === 115) && (value.startsWith("http", at - 4) || value.startsWith("http", at - 5))) continue
    let start = at
    while (start > 0 && at - start < 16 && isSchemeChar(value.charCodeAt(start - 1))) start--
    // the scheme is the word before `://`, not the tail of a longer word (`myphp://`)
    const scheme = value.slice(start, at)
    if (WRAPPERS.has(scheme) || (scheme.startsWith("ssh2.") && scheme.length > 5)) {
      const before = value.charCodeAt(start - 1)
      if (!(before >= 97 && before <= 122)) return true
    }
  }
  return false
}
const FILTER_CHAIN = /\b(?:convert\.(?:iconv\.|base64-|quoted-printable-)|string\.(?:rot13|toupper|tolower|strip_tags)\b|zlib\.(?:de|in)flate\b)/

const DATA_URI = /^data:\/{0,2}\s?(?:text\/|application\/)/

/** A web or file scheme alone that a `?` at the value's end truncates (`http?`, `https:?`); whole URLs are read by `forEachUrl`. */
const TRUNCATED_SCHEME = /^(?:https?|ftps?|file)[:\\/]*\?+$/

/** A web URL assigned to a name (`src=http:`, `x='ftp:`): the only URLs of prose or markup looked at. */
const ASSIGNED_WEB_URL = /=["']?(?:https?|ftps?|file):/

const LEADING_URL = /^(?:https?|ftps?|file):/

/** Text an include would run: scripts and plain text, not pages or images. */
const INCLUDE_EXTENSION = /\.(?:php\d?|phtml|inc|txt|sh|pl|py|cgi|jsp|asp|aspx)$/

/** A URL path to the host's root (its default document) or to a file whose extension `extension` names. */
const isRootOr = (path: string, extension: RegExp): boolean => path === "" || path === "/" || extension.test(path.slice(-8))

/**
 * Whether a `?` or `#` that ends a URL cuts off what an include appends: under a file or include
 * name or to an IP address any path, otherwise only the host's root or a script, text or image file
 * (`http://evil.example/shell.txt?`). An avatar or page URL with an empty query under another name
 * (`https://avatars.example/u/6?`) names no file an include would run.
 */
const cutsInclude = (path: string, include: number, ip: boolean): boolean => include > 0 || ip || isRootOr(path, SCRIPT_EXTENSION)

const scanRemote = (value: string, prose: boolean, nul: boolean, fire: Fire, location: ScanContext["location"], name: string | undefined): void => {
  const inPath = location === "path"
  // a `Referer` or `Origin` is a URL by definition: only parameters are include targets
  const parameter = location === "query" || location === "body"
  if (value.includes("://") && hasWrapper(value)) fire(RULES.wrapper, "stream wrapper")
  if (!prose && FILTER_CHAIN.test(value)) fire(RULES.wrapper, "filter chain")
  const trimmed = value.trim()
  if (DATA_URI.test(trimmed)) fire(RULES.dataUri, trimmed.slice(0, 40))
  if (!inPath && !prose && TRUNCATED_SCHEME.test(trimmed)) fire(RULES.truncatedUrl, trimmed.slice(0, 60))
  if (!value.includes(":")) return
  // outside the path only a whole or assigned URL counts: skip the walk when there is none
  if (!inPath && !LEADING_URL.test(trimmed) && !ASSIGNED_WEB_URL.test(value)) return
  const include = name === undefined ? 0 : includeTier(name)
  forEachUrl(value, (url) => {
    if (inPath) return fire(RULES.pathUrl, `${url.scheme}:`)
    if (!url.whole && !url.assigned) return
    const web = url.scheme === "http" || url.scheme === "https" || url.scheme === "ftp" || url.scheme === "ftps"
    if (!web && url.scheme !== "file") return
    // a site's root under a field for the sender's own site (`website`) is that site; a script still counts
    const ownSite = name !== undefined && (url.path === "" || url.path === "/") && isSiteName(name)
    if (parameter && url.whole && url.authority !== "" && isRootOr(url.path, INCLUDE_EXTENSION) && !ownSite) {
      fire(RULES.remoteUrl, `${url.scheme}://${url.authority.slice(0, 60)}`)
      if (include === 2 || (include === 1 && url.path.length > 1)) fire(RULES.namedInclude, `${url.scheme}://${url.authority.slice(0, 60)}`)
    }
    const host = url.hosts[url.hosts.length - 1] ?? ""
    const ip = isIpLiteral(host)
    const cut = url.endsWithQuestion || (url.whole && trimmed.endsWith("#"))
    if (nul || (cut && cutsInclude(url.path, include, ip))) fire(RULES.truncatedUrl, trimmed.slice(0, 60))
    if (!web) return
    if (url.authority.includes("@")) fire(RULES.userinfoUrl, url.authority)
    if (ip) {
      const path = url.path
      // the extension only: a long path is not re-read for every URL nested in it
      fire(SCRIPT_EXTENSION.test(path.slice(-8)) ? RULES.ipScript : RULES.ipUrl, `${url.scheme}://${host}${path.slice(0, 40)}`)
    }
  })
}

const scan = (raw: string, context: ScanContext): ReadonlyArray<FamilyFinding> => {
  const value = raw.toLowerCase()
  const { findings, fire } = collector(context.paranoia)
  const inPath = context.location === "path"
  const prose = !inPath && isProse(value)

  const name = context.parameter
  if (name !== undefined && context.location !== "key" && context.location !== "path" && isUploadName(name)) {
    const problem = uploadProblem(value)
    if (problem !== undefined) fire(problem[0] === "climb" ? RULES.uploadClimb : RULES.uploadConfig, problem[1])
  }
  const nul = value.includes("\u0000") || value.includes("%00")
  if (context.location !== "body" && nul) fire(RULES.nul, "NUL byte")
  if (!inPath && !prose) {
    // a bare file name as the whole value (`file=.htaccess`)
    const bare = nul ? value.trim().replace(/\u0000|%00/g, "") : value.trim()
    if (SECRET_FILES.has(bare) || STARTUP_FILES.has(bare) || isEnvFile(bare)) fire(RULES.secret, bare)
  }
  const trimmed = value.trim()
  const blankPath = !inPath && !prose && BLANK.test(trimmed)
  forEachPathToken(blankPath ? trimmed.replace(BLANKS, HELD_BLANK) : value, (token) => {
    const t = blankPath ? withBlanks(token) : token
    const inProse = prose && !t.assigned
    const target = namedTarget(t)
    // `source ~/.bashrc`, `add it to ~/.zshrc`: what install guides tell a reader to do
    const startup = target !== undefined && STARTUP_FILES.has(target[1])
    if (target !== undefined && !(startup && t.previousWord === "source")) {
      if (READ_COMMANDS.has(t.previousWord)) fire(RULES.commandRead, `${t.previousWord} ${target[1]}`)
      else if (!inProse || t.climbs > 0) fire(target[0], target[1])
      else if (!startup) fire(RULES.proseName, target[1])
    }
    const s = t.segments
    const last = s[s.length - 1] ?? ""
    if (!inPath) {
      if (t.absolute && !inProse && (CONFIG_EXTENSION.test(last) || isDatabaseFile(s, last))) fire(RULES.absoluteConfig, last)
      return
    }
    if (hasBackupExtension(last)) fire(RULES.backup, last)
    if (last.endsWith(".log")) fire(RULES.logFile, last)
    // Vite serves files by `/@fs/<absolute path>` and virtual modules by `/@id/__x00__<id>`
    if (s[0] === "@fs" || (s[0] === "@id" && (s[1] ?? "").startsWith("__x00__"))) fire(RULES.devServer, s.slice(0, 4).join("/"))
    const actuator = s.indexOf("actuator")
    if (actuator >= 0 && (actuator === s.length - 1 || ACTUATOR_ENDPOINTS.has(s[actuator + 1] ?? ""))) fire(RULES.actuator, s.slice(actuator, actuator + 3).join("/"))
  })
  scanRemote(value, prose, nul, fire, context.location, context.location === "key" ? undefined : name)
  return findings
}

/**
 * What every rule needs one of: a separator, `:`, a NUL (or what is left of an overlong one), an
 * extension or a dot pair, `%00`, a hex `.`, `/` or `\\`, a trailing `?`, or a bare secret file's
 * name. Split so that each search stops only at the characters it starts with.
 */
const MAY_MATCH_CHARS = /[/\\:\u0000\ufffd]/
const MAY_MATCH_DOTTED = /\.[a-z_]{2}|\.\.[25][fc]/i
const MAY_MATCH_HEX = /0x[25][fc]/i
const MAY_MATCH_START = /^\s*(?:id_|authorized_keys|known_hosts|lastlog|[wub]tmp)/i

const mayMatch = (value: string): boolean =>
  MAY_MATCH_CHARS.test(value) ||
  (value.includes(".") && MAY_MATCH_DOTTED.test(value)) ||
  value.includes("%00") ||
  MAY_MATCH_HEX.test(value) ||
  value.endsWith("?") ||
  MAY_MATCH_START.test(value)

export const family: DetectionFamily = {
  name: "files",
  rules: Object.values(RULES),
  mayMatch,
  scan,
  readsName
}
