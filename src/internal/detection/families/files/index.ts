/**
 * Sensitive files and file inclusion: a request that names a file holding secrets or system state
 * (in its path or as a parameter), and a parameter that points an include at code elsewhere (a
 * remote URL, a PHP stream wrapper, a `data:` payload).
 *
 * Names are matched on whole path segments after the traversal family's path folding. Prose is
 * treated apart: `/etc/hosts file windows` typed in a search box is a question, `/etc/hosts` alone in
 * a `file` parameter is a probe, so in prose a name only scores at level 2 unless a climb leads to it.
 *
 * @internal
 */
import type { DetectionFamily, FamilyFinding, RuleInfo, ScanContext } from "../contract.js"
import { classifyHost } from "../protocol/hosts.js"
import { collector, type Fire } from "../protocol/rules.js"
import { forEachUrl } from "../protocol/url.js"
import { isProse, type PathToken, pathTokens } from "../traversal/pathTokens.js"
import { ACTUATOR_ENDPOINTS, BACKUP_EXTENSIONS, ETC_FILES, PROC_ENTRIES, SECRET_DIRS, SECRET_FILES, SYS_ENTRIES } from "./names.js"

const rule = (id: string, category: string, paranoia: 1 | 2 | 3 | 4, score: number, description: string): RuleInfo => ({
  id: `files-${id}`,
  category,
  paranoia,
  score,
  description
})

const SENSITIVE = "sensitive_file"
const INCLUSION = "file_inclusion"

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
  devServer: rule("006", SENSITIVE, 1, 5, "Reads the filesystem through a dev server's raw-file route (`/@fs/`)"),
  proseName: rule("007", SENSITIVE, 2, 5, "Names a sensitive file path inside prose or a header (`cat /root/.ssh/id_rsa`)"),
  nul: rule("009", SENSITIVE, 1, 5, "A NUL byte in the path or a parameter: cuts a file name short in C-based file APIs (`x.php%00.jpg`)"),
  absoluteConfig: rule("008", SENSITIVE, 1, 5, "A parameter that is an absolute path to a config, log or include file (`C:\\xampp\\php\\php.ini`, `/opt/app/logs/x.log`)"),
  wrapper: rule(
    "101",
    INCLUSION,
    1,
    5,
    "A PHP stream wrapper or filter chain (`php://filter`, `phar://`, `expect://`, `zip://`, `convert.iconv.*`, `convert.base64-encode`)"
  ),
  truncatedUrl: rule("102", INCLUSION, 1, 5, "A remote URL whose appended suffix is cut off by a trailing `?` or a NUL byte"),
  dataUri: rule("103", INCLUSION, 1, 5, "A `data:` URI carrying text or code (`data:text/plain;base64,...`), not an image"),
  ipScript: rule("104", INCLUSION, 1, 5, "A URL to a bare IP address that fetches a script or text file (`http://203.0.113.9/shell.php`)"),
  ipUrl: rule("105", INCLUSION, 1, 4, "A parameter that is a URL to a bare IP address"),
  pathUrl: rule("106", INCLUSION, 2, 5, "A URL or `file:` reference embedded in the request path"),
  userinfoUrl: rule("107", INCLUSION, 2, 5, "A parameter that is a URL with credentials in its authority (`http://trusted.example@evil.example/`)")
} as const

const isEnvFile = (s: string): boolean => s === ".env" || (s.startsWith(".env.") && s.length > 5)

const hasBackupExtension = (name: string): boolean =>
  name.endsWith("~") || BACKUP_EXTENSIONS.some((ext) => name.length > ext.length && name.endsWith(ext))

/** The first rule the segments of `t` hit, with the segment that hit it. */
const namedTarget = (t: PathToken): readonly [RuleInfo, string] | undefined => {
  const s = t.segments
  for (let i = 0; i < s.length; i++) {
    const seg = s[i] ?? ""
    const next = s[i + 1]
    if (next !== undefined) {
      if (seg === "etc" && (ETC_FILES.has(next) || next.startsWith("hostname") || next.startsWith("php"))) return [RULES.unixSystem, `etc/${next}`]
      if (seg === "proc" && (PROC_ENTRIES.has(next) || /^\d{1,7}$/.test(next))) return [RULES.unixSystem, `proc/${next}`]
      if (seg === "sys" && SYS_ENTRIES.has(next)) return [RULES.unixSystem, `sys/${next}`]
    }
    if (SECRET_FILES.has(seg) || SECRET_DIRS.has(seg) || isEnvFile(seg)) return [RULES.secret, seg]
  }
  return undefined
}

const CONFIG_EXTENSION = /(?:\.(?:ini|inc|conf|cnf|cfg|config|log|htpasswd)|[._]log)$/

const SCRIPT_EXTENSION = /\.(?:php\d?|phtml|txt|asp|aspx|jsp|pl|cgi|sh|py|inc|gif|jpg|png)$/

const WRAPPER = /\b(?:php|phar|expect|zip|glob|ogg|rar|zlib|ssh2\.[a-z]{1,8}|compress\.(?:zlib|bzip2)):\/\//
const FILTER_CHAIN = /\b(?:convert\.(?:iconv\.|base64-|quoted-printable-)|string\.(?:rot13|toupper|tolower|strip_tags)\b|zlib\.(?:de|in)flate\b)/

const DATA_URI = /^data:\/{0,2}\s?(?:text\/|application\/)/

const scanRemote = (value: string, prose: boolean, fire: Fire, inPath: boolean): void => {
  if (WRAPPER.test(value)) fire(RULES.wrapper, "stream wrapper")
  if (!prose && FILTER_CHAIN.test(value)) fire(RULES.wrapper, "filter chain")
  const trimmed = value.trim()
  if (DATA_URI.test(trimmed)) fire(RULES.dataUri, trimmed.slice(0, 40))
  if (!value.includes(":")) return
  const nul = value.includes("\u0000") || value.includes("%00")
  forEachUrl(value, (url) => {
    if (inPath) return fire(RULES.pathUrl, `${url.scheme}:`)
    if (!url.whole && !url.assigned) return
    const web = url.scheme === "http" || url.scheme === "https" || url.scheme === "ftp" || url.scheme === "ftps"
    if (!web) return
    if (url.endsWithQuestion || nul) fire(RULES.truncatedUrl, trimmed.slice(0, 60))
    if (url.authority.includes("@")) fire(RULES.userinfoUrl, url.authority)
    const host = url.hosts[url.hosts.length - 1] ?? ""
    if (classifyHost(host).literal) {
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

  if (context.location !== "body" && (value.includes("\u0000") || value.includes("%00"))) fire(RULES.nul, "NUL byte")
  if (!inPath && !prose) {
    // a bare file name as the whole value (`file=.htaccess`)
    const bare = value.trim().replace(/\u0000|%00/g, "")
    if (SECRET_FILES.has(bare) || isEnvFile(bare)) fire(RULES.secret, bare)
  }
  for (const t of pathTokens(value)) {
    const inProse = prose && !t.assigned
    const target = namedTarget(t)
    if (target !== undefined) {
      if (!inProse || t.climbs > 0) fire(target[0], target[1])
      else fire(RULES.proseName, target[1])
    }
    const s = t.segments
    const last = s[s.length - 1] ?? ""
    if (!inPath) {
      if (t.absolute && !inProse && CONFIG_EXTENSION.test(last)) fire(RULES.absoluteConfig, last)
      continue
    }
    if (hasBackupExtension(last)) fire(RULES.backup, last)
    if (last.endsWith(".log")) fire(RULES.logFile, last)
    if (s[0] === "@fs") fire(RULES.devServer, s.slice(0, 4).join("/"))
    const actuator = s.indexOf("actuator")
    if (actuator >= 0 && (actuator === s.length - 1 || ACTUATOR_ENDPOINTS.has(s[actuator + 1] ?? ""))) fire(RULES.actuator, s.slice(actuator, actuator + 3).join("/"))
  }
  scanRemote(value, prose, fire, inPath)
  return findings
}

const MAY_MATCH = /[/\\:\u0000]|\.[a-z_]{2}|%00|^\s*(?:id_|authorized_keys|known_hosts|lastlog|[wub]tmp)/i

export const family: DetectionFamily = {
  name: "files",
  rules: Object.values(RULES),
  mayMatch: (value) => MAY_MATCH.test(value),
  scan
}
