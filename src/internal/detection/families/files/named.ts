/**
 * Values the name they are sent under makes into file names: an upload's file name and a parameter
 * named for an include.
 *
 * - An upload's file name (the multipart `filename` and `filename*` parameters, the `X-Filename`
 *   headers of upload scripts) is a single name: browsers send no directory, so a climb or an
 *   absolute path is an attempt to write outside the upload directory, and a name the server or the
 *   application reads as configuration (`.htaccess`, `.user.ini`, `wp-config.php`, `config.yml`)
 *   replaces it. (Names the server runs, `shell.php` or `sess_<id>`, are the code family's `code-016`.)
 * - A parameter named for an include (`include`, `inc`, `path`, `_CONF[path]`,
 *   `mosConfig_absolute_path`) holding a remote URL is a remote file inclusion, the shape PHP
 *   applications with `register_globals` or `extract($_GET)` were attacked with.
 *
 * @internal
 */

/** Headers upload scripts take the file's name from. */
const UPLOAD_HEADERS: ReadonlySet<string> = new Set(["x-filename", "x_filename", "x.filename", "x-file-name", "x-upload-filename"])

/** Whether a value sent under `name` is an upload's file name. Called for every named value: the last character first. */
export const isUploadName = (name: string): boolean => {
  const last = name.charCodeAt(name.length - 1) | 0x20
  if (last === 42) return name.endsWith(".filename*")
  if (last !== 101) return false
  return name.endsWith(".filename") || (name.length <= 18 && (name.charCodeAt(0) | 0x20) === 120 && UPLOAD_HEADERS.has(name.toLowerCase()))
}

/** Names that only ever hold a path to include: a URL in them is an inclusion at once. */
const INCLUDE_NAMES: ReadonlySet<string> = new Set([
  "include", "inc", "require", "include_path", "includepath", "path", "basedir", "base_dir", "basepath", "base_path", "rootdir",
  "root_dir", "root_path", "docroot", "doc_root", "document_root", "absolute_path", "abspath", "appserv_root", "gallery_basedir",
  "config", "conf", "cfg", "module", "mod", "template", "tpl", "layout"
])

/** Names that often hold a file or page to show: a URL in them is an inclusion when it names a script or text file. */
const FILE_NAMES: ReadonlySet<string> = new Set(["file", "filename", "page", "pg", "doc", "document", "view", "content", "load", "show", "lang", "language", "skin", "theme", "dir"])

/** Names repeat from request to request: their tiers, remembered (at most `TIERS_KEPT`). */
const tiers = new Map<string, 0 | 1 | 2>()
const TIERS_KEPT = 1024

/** How an include parameter's name reads: 2 an include path, 1 a file or page, 0 neither. */
export const includeTier = (name: string): 0 | 1 | 2 => {
  let tier = tiers.get(name)
  if (tier === undefined) {
    if (tiers.size >= TIERS_KEPT) tiers.clear()
    tiers.set(name, tier = tierOf(name))
  }
  return tier
}

const tierOf = (name: string): 0 | 1 | 2 => {
  if (name.length > 64) return 0
  let lower = name.toLowerCase()
  // `_CONF[path]`, `config[root_dir]`: the innermost key says what the value is
  const open = lower.lastIndexOf("[")
  if (open >= 0) {
    const inner = lower.slice(open + 1, lower.endsWith("]") ? -1 : undefined)
    lower = inner === "" ? lower.slice(0, open) : inner
  }
  if (INCLUDE_NAMES.has(lower) || lower.endsWith("_absolute_path") || lower.endsWith("_basedir") || lower.endsWith("_root_dir")) return 2
  return FILE_NAMES.has(lower) ? 1 : 0
}

/**
 * Names of a profile's or a sign-up form's own web address (`website`, `homepage`, `blog_url`): a site's
 * root there is the person's or company's site, not a page an include fetches. Compared lower-case with
 * `_` and `-` dropped, the innermost key of a bracketed name (`user[website]`).
 */
const SITE_NAMES: ReadonlySet<string> = new Set(["website", "websiteurl", "homepage", "homepageurl", "webpage", "blog", "blogurl", "personalsite"])

/** Whether `name` is a field for the sender's own web address. */
export const isSiteName = (name: string): boolean => {
  if (name.length > 64) return false
  let lower = name.toLowerCase()
  const open = lower.lastIndexOf("[")
  if (open >= 0) lower = lower.slice(open + 1, lower.endsWith("]") ? -1 : undefined)
  return SITE_NAMES.has(lower.replace(/[-_]/g, ""))
}

/** A value that starts as a web or file URL: the only ones an include parameter's name changes. */
const startsAsUrl = (value: string): boolean => {
  const first = value.charCodeAt(0) | 0x20
  return (first === 104 || first === 102) && value.includes("://") && LEADING_URL.test(value)
}
const LEADING_URL = /^(?:https?|ftps?|file):\/\//i

/** Whether the files family reads the name `value` is sent under. */
export const readsName = (name: string, value: string): boolean =>
  isUploadName(name) || (startsAsUrl(value) && (includeTier(name) > 0 || isSiteName(name)))

/**
 * Names the server or the application reads as configuration: an upload under one replaces it.
 * Matched on the name's start, so the copies an upload filter misses (`wp-config-php.bak`) count.
 */
const CONFIG_STEMS: ReadonlyArray<string> = [
  ".htaccess", ".htpasswd", ".htdigest", ".user.ini", "php.ini", "web.config", "wp-config", "configuration.php", "localsettings.php",
  "settings.php", "config.php", "config.inc", "config.yml", "config.yaml", "config_dev.yml", "config_prod.yml", "parameters.yml",
  "database.yml", "secrets.yml", "local.xml", "env.php", ".env", "application.properties", "application.yml", "appsettings.json",
  "global.asa", "authorized_keys", ".bashrc", ".profile", ".ssh", ".git"
]

export type UploadProblem = "climb" | "config"

/** What is wrong with an upload's file name (already lower-cased), or undefined. */
export const uploadProblem = (lowered: string): readonly [UploadProblem, string] | undefined => {
  // `filename*=UTF-8''name`: the charset and language before the name
  const quoted = lowered.indexOf("''")
  let name = quoted >= 0 && quoted < 32 ? lowered.slice(quoted + 2) : lowered
  name = name.replace(/\u0000|%00/g, "")
  const segments = name.split(/[/\\]/)
  if (segments.some((s) => s.trim() === "..") || name.startsWith("/") || name.startsWith("~/")) return ["climb", name.slice(0, 60)]
  // what a file system drops: trailing dots and spaces, spaces around dots (`shell. jspx`)
  const base = (segments[segments.length - 1] ?? "").replace(/[\s.]+$/, "").replace(/\s*\.\s*/g, ".").trim()
  if (base === "") return undefined
  return CONFIG_STEMS.some((stem) => base.startsWith(stem)) ? ["config", base.slice(0, 60)] : undefined
}
