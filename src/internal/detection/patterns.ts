/**
 * The built-in pattern table: one entry per attack shape, tagged with its category, the locations
 * it makes sense in, and its weight.
 *
 * Every pattern is written against the normalised view of a value (decoded, lower case, whitespace
 * runs collapsed to one space or one `\n`), uses only non-capturing groups (the scanner combines
 * them into one regex per location and finds the pattern by its group index) and bounded
 * repetitions, and is accepted by the static checker in `redos.ts` (a test enforces it).
 *
 * @internal
 */

/** The 21 detection categories: every category a rule family or the pattern table reports. */
export const DETECTION_CATEGORIES = [
  "xss",
  "sqli",
  "dir_traversal",
  "path_traversal",
  "cmd_injection",
  "file_inclusion",
  "ldap",
  "xml",
  "ssrf",
  "nosql",
  "file_upload",
  "template",
  "http_split",
  "sensitive_file",
  "cms_probing",
  "recon",
  "proto_pollution",
  "code_injection",
  "deserialization",
  "session_fixation",
  "orm_injection"
] as const

export type DetectionCategory = (typeof DETECTION_CATEGORIES)[number]

/** Where a value comes from; a bit each so a pattern can name several. */
export const Where = {
  path: 1,
  query: 2,
  header: 4,
  cookie: 8,
  body: 16,
  key: 32
} as const

export type WhereName = keyof typeof Where

export const WHERE_NAMES: ReadonlyArray<WhereName> = ["path", "query", "header", "cookie", "body", "key"]

const { body, cookie, header, key, path, query } = Where
const ALL = path | query | header | cookie | body | key
const VALUES = path | query | header | cookie | body
const URLISH = path | query

export interface PatternDef {
  readonly id: string
  readonly category: DetectionCategory
  readonly source: string
  /** Bitmask of {@link Where}. */
  readonly where: number
  /** Summed per category; a category is reported when its sum reaches its threshold (1 by default). */
  readonly weight: number
  /**
   * In header, cookie and body values the pattern only applies to token-shaped values (no spaces),
   * so a path probe is not looked for in prose.
   */
  readonly tokenOnly: boolean
  /** Also scanned in excluded headers (shellshock, JNDI lookups). */
  readonly always: boolean
  /** Scanned in this header alone, excluded or not, and nowhere else (a scanner's own user agent). */
  readonly onlyHeader: string | undefined
}

interface Opts {
  readonly weight?: number
  readonly tokenOnly?: boolean
  readonly always?: boolean
  readonly onlyHeader?: string
}

const def =
  (category: DetectionCategory) =>
  (name: string, source: string, where: number, opts: Opts = {}): PatternDef => ({
    id: `${category}.${name}`,
    category,
    source,
    where,
    weight: opts.weight ?? 1,
    tokenOnly: opts.tokenOnly ?? false,
    always: opts.always ?? false,
    onlyHeader: opts.onlyHeader
  })

const alt = (words: ReadonlyArray<string>): string => `(?:${words.join("|")})`

// ---------------------------------------------------------------------------------------------- xss
const xss = def("xss")
const XSS: ReadonlyArray<PatternDef> = [
  xss("script_tag", "<\\s?/?\\s?script\\b", ALL),
  // a loading tag without an attribute loads nothing: `Promise<object>`, `Map<object, V>` in code; `<svg>` and
  // `<math>` are the HTML family's (`html-118`), which passes a closed picture or formula
  xss("dangerous_tag", "<\\s?(?:(?:iframe|frame|object|embed|applet|base|portal)\\b(?!\\s?[>,|\\]])|frameset\\b|xss\\b|isindex\\b|template\\b|meta\\s[^>]{0,128}http-equiv\\b)", ALL),
  xss("dom_sink", "\\b(?:document\\.(?:cookie|domain|write(?:ln)?)|window\\.location|location\\.(?:href|hash|replace)|\\.innerhtml\\s?=|\\.outerhtml\\s?=|document\\.location)\\b", ALL, { weight: 0.5 }),
  xss("alert_call", "\\b(?:alert|prompt|confirm)\\s?(?:\\(|`|&#)\\s?(?:\\d|['\"`]|document|window|this|string\\.fromcharcode|/)", ALL)
]

// --------------------------------------------------------------------------------------------- sqli
const sqli = def("sqli")
const SQLI: ReadonlyArray<PatternDef> = [
  sqli("union_select", "\\bunion[\\s(](?:all\\s|distinct\\s)?\\s?\\(?\\s?select\\b", VALUES),
  sqli("numeric_tautology", "\\b(?:or|and|xor)\\s\\(?\\s?\\d{1,10}\\s?(?:=|<>|!=|>|<|like)\\s?\\(?\\s?\\d{1,10}\\b", VALUES | key),
  sqli("true_tautology", "['\"`)]\\s?(?:or|and)\\s(?:true|not\\sfalse|1|'1'|\"1\")\\s?(?:--|#|/\\*|;|$)", VALUES),
  sqli("oracle_time", "\\bdbms_(?:pipe\\.receive_message|lock\\.sleep|session\\.sleep|xmlgen|java)\\b", VALUES),
  sqli(
    "dangerous_function",
    "\\b(?:load_file|xp_cmdshell|xp_dirtree|xp_regread|sp_executesql|sp_oacreate|sp_makewebtask|utl_http\\.request|utl_inaddr|openrowset|opendatasource|dbms_xmlquery|lo_import|lo_export|pg_read_file|pg_ls_dir|into\\s(?:out|dump)file)\\b",
    VALUES
  ),
  sqli("having_probe", "\\bhaving\\s\\(?\\s?\\d{1,6}\\s?=\\s?\\d{1,6}", VALUES),
  // SQL Server leaves a statement out of its trace when its text holds `sp_password`: a comment that
  // names it hides the injected statement from the log, whatever the statement is
  sqli("log_hiding", "--\\s?sp_password\\b", VALUES)
]

// ------------------------------------------------------------------------------------ traversal
const dir = def("dir_traversal")
const DIR_TRAVERSAL: ReadonlyArray<PatternDef> = [
  dir("dotdot_semicolon", "\\.\\.;[/\\\\]", VALUES)
]

const abs = def("path_traversal")
const PATH_TRAVERSAL: ReadonlyArray<PatternDef> = [
  abs("windows_file", "\\b(?:win\\.ini|boot\\.ini|system\\.ini|sam\\.(?:log|sav)|ntuser\\.dat|system32[/\\\\](?:config|drivers|cmd)|repair[/\\\\]sam|unattend\\.xml|sysprep\\.inf)\\b", VALUES),
  abs("unc_path", "^(?:\\\\\\\\|//)(?:[\\d.]{7,15}|[\\w-]{1,64}\\.[\\w.-]{1,128})[/\\\\][\\w$.-]{1,64}", query | cookie | body | header, { tokenOnly: true }),
  abs("encoded_separator_left", "(?:%(?:2e|2f|5c|c0|c1|e0|f0|25)|\\\\x2e|\\\\u002e)[/\\\\.]", path | query, { weight: 0.5 })
]

// ----------------------------------------------------------------------------------- cmd injection
const cmd = def("cmd_injection")
const STRONG_CMDS = alt([
  "whoami",
  "uname",
  "wget",
  "curl",
  "nc",
  "ncat",
  "netcat",
  "bash",
  "sh",
  "zsh",
  "ksh",
  "dash",
  "csh",
  "tcsh",
  "powershell(?:\\.exe)?",
  "pwsh",
  "cmd(?:\\.exe)?",
  "nslookup",
  "ifconfig",
  "ipconfig",
  "certutil",
  "bitsadmin",
  "busybox",
  "chmod",
  "chown",
  "python[23]?",
  "perl",
  "ruby",
  "php",
  "node",
  "tftp",
  "telnet",
  "printenv",
  "systeminfo",
  "tasklist",
  "taskkill",
  "netstat",
  "xterm",
  "socat",
  "base64",
  "useradd",
  "passwd",
  "crontab",
  "nohup",
  "mkfifo",
  "wmic",
  "reg(?:\\.exe)?\\squery",
  "net(?:\\.exe)?\\s(?:user|localgroup|view|share)",
  "sudo",
  "dig",
  "host",
  "traceroute",
  "tracert"
])
const CMD_INJECTION: ReadonlyArray<PatternDef> = [
  // a command word that goes on as a longer name (`node-gyp`, `node:fs`, `base64-js`, `host.name`) is
  // that name, as Markdown writes it in backticks, not the command; a word with a colon after it is a
  // key (`host: 'example.com'` on a line of code), which no shell runs. A backtick substitution is left
  // to the shell family, which tells it from inline Markdown code (`` Run `node app.js` ``)
  cmd(
    "chain_strong",
    `(?:[;&|\\n]|\\$\\()\\s?(?:/(?:usr/)?(?:s?bin)/)?${STRONG_CMDS}\\b(?!:|-[a-z0-9]|\\.(?!exe\\b)[a-z])`,
    path | query | header | cookie | key
  ),
  cmd("shellshock", "\\(\\s?\\)\\s?\\{\\s?[:\\w]{0,8}\\s?;?\\s?\\}\\s?;", VALUES, { always: true }),
  cmd("jndi_lookup", "\\$\\{\\s?(?:jndi|\\$\\{|lower:|upper:|env:|sys:|::-|date:|java:|base64:|main:|bundle:|ctx:|spring:|k8s:|docker:|log4j:|web:|sd:|marker:|event:)", VALUES | key, { always: true }),
  cmd("jndi_scheme", "\\bjndi\\s?:\\s?(?:ldaps?|rmi|dns|iiop|corba|nds|nis|http)\\s?:", VALUES | key, { always: true }),
  cmd("redirect_pipe", "(?:\\|\\s?(?:ba|z)?sh\\b|>\\s?/(?:tmp|dev|var/www|etc)/|2>&1|>\\s?&\\s?/dev/)", VALUES),
  cmd("download_exec", "\\b(?:wget|curl)\\s[^;&|]{1,128}(?:\\|\\s?(?:ba|z)?sh|-o\\s?/tmp|-o-|&&\\s?chmod|;\\s?chmod)", VALUES)
]

// -------------------------------------------------------------------------------- file inclusion
const fi = def("file_inclusion")
const FILE_INCLUSION: ReadonlyArray<PatternDef> = [
  fi("remote_include", "^(?:https?|ftps?|smb|webdav)://[^\\s]{1,256}\\.(?:txt|inc|sh|pl|py|jpg|gif|png)\\?{1,2}$", query | cookie | body, { tokenOnly: true }),
  fi("shell_payload", "\\b(?:c99|r57|c100|b374k|wso|alfa|indoxploit|webshell|shell|cmd|backdoor|bypass)\\.(?:txt|php\\d?|phtml|jsp|aspx?)\\b", VALUES),
  fi("include_call", "\\b(?:include|require)(?:_once)?\\s?\\(?\\s?['\"]?\\s?(?:https?|ftp|php|data|expect|zip|phar)://", VALUES),
  fi("smb_include", "^(?:smb|cifs|nfs)://[\\w.-]{1,128}/", query | body | cookie, { tokenOnly: true })
]

// ------------------------------------------------------------------------------------------ ldap
const ldap = def("ldap")
const LDAP_ATTR = "[a-z][\\w-]{0,31}"
const LDAP: ReadonlyArray<PatternDef> = [
  ldap("wildcard_close_open", `\\*\\s?\\)\\s?\\(\\s?[|&!]?\\s?\\(?\\s?${LDAP_ATTR}\\s?[~<>]?=`, ALL),
  ldap("close_open_operator", `\\)\\s?\\(\\s?[|&!]\\s?\\(\\s?${LDAP_ATTR}\\s?[~<>]?=`, ALL),
  ldap("operator_filter", `^\\s?\\(?\\s?[|&!]\\s?\\(\\s?${LDAP_ATTR}\\s?[~<>]?=`, VALUES),
  ldap("attr_wildcard", `\\(\\s?${LDAP_ATTR}\\s?=\\s?\\*\\s?\\)`, ALL),
  ldap("close_attr", `[\\w*]\\s?\\)\\s?\\(\\s?${LDAP_ATTR}\\s?[~<>]?=`, path | query | header | cookie | key),
  ldap("always_true", "\\(\\s?&\\s?\\)|\\(\\s?\\|\\s?\\)|\\(\\s?!\\s?\\(\\s?&\\s?\\)", ALL),
  ldap("admin_close", `^[\\w.@-]{1,64}\\s?\\)\\s?\\(\\s?[|&!]`, VALUES),
  ldap("sensitive_attr", `\\(\\s?(?:userpassword|unicodepwd|ms-mcs-admpwd|samaccountname|memberof|useraccountcontrol)\\s?[~<>]?=\\s?[\\w*]`, ALL, { weight: 0.5 })
]

// ------------------------------------------------------------------------------------------- xml
const xml = def("xml")
const XML: ReadonlyArray<PatternDef> = [
  xml("xpath_injection", "(?:['\"]\\s?\\]\\s?\\|\\s?//|\\bor\\s\\d{1,6}\\s?=\\s?\\d{1,6}\\s?\\]|['\"]\\s?or\\s['\"]?\\w{0,16}['\"]?\\s?=\\s?['\"]?\\w{0,16}['\"]?\\s?(?:\\]|and\\b)|\\b(?:count|name|string-length|substring)\\s?\\(\\s?/{1,2}[\\w*@]|\\b(?:name|local-name|position|last)\\s?\\(\\s?\\)\\s?(?:=|!=|<|>)|//\\s?\\*\\s?\\[|/\\s?child::|/\\s?descendant::)", ALL),
  xml("svg_entity", "<\\s?svg\\b[^>]{0,256}&[a-z_][\\w]{0,31};", ALL, { weight: 0.5 }),
  xml("soap_billion_laughs", "&lol\\d{0,2};|\\blol\\d\\s[\"']&lol", ALL)
]

// ------------------------------------------------------------------------------------------ ssrf
const ssrf = def("ssrf")
const INTERNAL_HOST = alt([
  "localhost",
  "localhost\\.localdomain",
  "127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}",
  "127\\.1",
  "0\\.0\\.0\\.0",
  "0(?=[:/]|$)",
  "\\[?::1?\\]?",
  "\\[::ffff:[\\w.:]{1,32}\\]",
  "\\[0:0:0:0:0:(?:0|ffff):[\\w.:]{1,32}\\]",
  "169\\.254\\.\\d{1,3}\\.\\d{1,3}",
  "metadata\\.google\\.internal",
  "metadata\\.azure\\.com",
  "metadata(?=[:/]|$)",
  "100\\.100\\.100\\.200",
  "instance-data",
  "10\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}",
  "192\\.168\\.\\d{1,3}\\.\\d{1,3}",
  "172\\.(?:1[6-9]|2\\d|3[01])\\.\\d{1,3}\\.\\d{1,3}",
  "2130706433",
  "3232235521",
  "0x7f[0-9a-f.]{0,12}",
  "0177\\.[0-7.]{1,16}",
  "017700000001",
  "[\\w.-]{0,64}\\.(?:nip\\.io|xip\\.io|sslip\\.io|localtest\\.me|lvh\\.me|burpcollaborator\\.net|oastify\\.com|interact\\.sh|oast\\.(?:pro|live|site|online|fun|me)|requestbin\\.net|ngrok\\.io|localhost)",
  "kubernetes\\.default(?:\\.svc)?",
  "[\\w-]{1,64}\\.(?:internal|local|localdomain|corp|intranet)(?=[:/]|$)"
])
// A body value with spaces or lines that holds an internal URL is a code snippet or prose naming one
// (`url: 'http://localhost:3000',`): the protocol family judges a URL that is the value, or assigned, there.
const SSRF: ReadonlyArray<PatternDef> = [
  ssrf("internal_url", `\\b(?:https?|ftps?|gopher|dict|ldaps?|tftp|sftp|ssh|jar|netdoc|ws|wss|redis|mysql|smtp|telnet)://(?:[^/\\s@?#]{1,64}@)?${INTERNAL_HOST}`, VALUES, { tokenOnly: true }),
  ssrf("dangerous_scheme", "\\b(?:gopher|dict|tftp|ldap|jar|netdoc|sftp|ftp)://", query | header | cookie | body | key, { weight: 1 }),
  ssrf("url_parser_confusion", "\\bhttps?://[\\w.-]{1,128}(?:[\\\\#?]|%23|%3f)[^\\s]{0,64}@(?:127\\.|localhost|169\\.254|0\\.0\\.0\\.0|\\[)", VALUES)
]

// ----------------------------------------------------------------------------------------- nosql
const nosql = def("nosql")
const NOSQL: ReadonlyArray<PatternDef> = [
  nosql("regex_wildcard", "\\[\\s?\\$regex\\s?\\]\\s?=?\\s?\\.|\"\\$regex\"\\s?:\\s?\"\\^?\\.", VALUES | key)
]

// ----------------------------------------------------------------------------------- file upload
const upload = def("file_upload")
const EXEC_EXT = "(?:php[3-8s]?|phtml|pht|phar|phps|pgif|inc|aspx?|ashx|asmx|asa|cer|cshtml|jspx?|jspf|jsw|jsv|cgi|pl|shtml|war|htaccess|config|svgz?|exe|dll|bat|cmd|vbs|ps1|hta|scr|sh)"
const FILE_UPLOAD: ReadonlyArray<PatternDef> = [
  upload("disposition_exec", `\\bfilename\\s?\\*?=\\s?(?:utf-8'')?["']?[^"';\\n]{0,128}\\.${EXEC_EXT}(?:["';\\s.]|%00|::|$)`, VALUES),
  upload("double_extension", "\\.(?:php[3-8]?|phtml|phar|aspx?|jspx?|cgi|exe|sh|pl)(?:\\x00|%00|;|\\s|::\\$data|\\.)?\\.(?:jpe?g|png|gif|bmp|webp|txt|pdf|docx?|xlsx?|zip|ico|svg|mp4)\\b", VALUES, { tokenOnly: true }),
  upload("exec_filename", `^[^\\s/\\\\]{1,128}\\.(?:php[3-8s]?|phtml|pht|phar|aspx?|ashx|asmx|asa|cer|jspx?|jspf|cgi|shtml|war|htaccess|hta)(?:\\.|::\\$data|%00|\\s|;)?$`, body | header | cookie, { tokenOnly: true }),
  upload("ntfs_stream", "\\.[a-z0-9]{2,6}::\\$(?:data|index_allocation)\\b", VALUES),
  upload("server_config_upload", "(?:^|[/\\\\\"'=])(?:\\.htaccess|\\.user\\.ini|web\\.config|\\.htpasswd)[\"';\\s]?$", body | header | cookie | query, { tokenOnly: true }),
  upload("polyglot_image", "\\b(?:gif8[79]a|\\x89png|\\xff\\xd8\\xff)[^\\n]{0,64}<\\s?(?:\\?php|%|script)", VALUES),
  upload("exec_content_type", "\\bcontent-type\\s?:\\s?(?:application/x-(?:php|httpd-php|sh|msdownload|executable)|text/x-php)", VALUES),
  upload("trailing_dot_space", `\\.${EXEC_EXT}(?:\\.|\\s|%20|%2e)["']?$`, body | header | cookie, { tokenOnly: true })
]

// ---------------------------------------------------------------------------------------- template
const tpl = def("template")
const ARITH = "\\d{1,6}\\s?[*+]\\s?\\d{1,6}"
const TEMPLATE: ReadonlyArray<PatternDef> = [
  tpl("arith_probe", `(?:\\{\\{\\s?${ARITH}\\s?\\}\\}|\\$\\{\\s?${ARITH}\\s?\\}|#\\{\\s?${ARITH}\\s?\\}|<%=?\\s?${ARITH}\\s?%>|\\{\\{=\\s?${ARITH}|@\\(\\s?${ARITH}\\s?\\)|\\{%\\s?print\\s?${ARITH}|\\[\\[\\s?${ARITH}\\s?\\]\\]|\\*\\{\\s?${ARITH}\\s?\\}|\\$\\{\\{\\s?${ARITH})`, ALL),
  tpl("string_probe", "\\{\\{\\s?['\"]\\w{1,16}['\"]\\s?\\*\\s?\\d{1,4}\\s?\\}\\}|\\{\\{\\s?\\d{1,4}\\s?\\*\\s?['\"]\\d{1,4}['\"]\\s?\\}\\}", ALL),
  tpl("ognl", "%\\{\\s?\\(?\\s?#|#_memberaccess|@ognl\\.|#context\\s?\\[|ognlcontext|@java\\.lang\\.(?:runtime|system)@", ALL),
  tpl("velocity", "#set\\s?\\(\\s?\\$[\\w]{1,32}\\s?=|\\$class\\.(?:inspect|type)|#foreach\\s?\\(|\\$\\{?[\\w]{1,32}\\.getclass\\(\\)", ALL),
  tpl("handlebars_helper", "\\{\\{#\\s?(?:with|each)\\s?['\"]?s['\"]?\\s?as\\s?\\||\\{\\{\\s?lookup\\s\\(?\\s?string\\.sub\\.apply|\\{\\{#\\s?with\\s?\\(\\s?string\\.", ALL),
  // a Dust section (`{^name}...{/name}`, `{#name}...{/name}`, `{?name}`) only a template engine reads;
  // Mustache's `{{#name}}` has its braces doubled and does not match. Bodies are left out: template
  // editors post templates
  tpl("dust_section", "\\{[#^?][a-z_][\\w.-]{0,31}\\}[^{}]{0,64}\\{/[a-z_][\\w.-]{0,31}\\}", URLISH | header | cookie),
  tpl("expression_language", "\\$\\{\\s?(?:applicationscope|requestscope|sessionscope|pagecontext|facescontext|request\\.getclass|header\\[|param\\.|initparam|cookie\\[)", ALL)
]

// -------------------------------------------------------------------------------------- http split
const split = def("http_split")
const SPLIT_HEADERS = alt([
  "set-cookie",
  "location",
  "content-(?:type|length|disposition|security-policy|encoding)",
  "x-[\\w-]{1,32}",
  "http/\\d",
  "refresh",
  "access-control-[\\w-]{1,32}",
  "transfer-encoding",
  "cache-control",
  "host",
  "cookie",
  "authorization",
  "connection",
  "link",
  "vary",
  "server",
  "strict-transport-security",
  "upgrade",
  "expires",
  "pragma",
  "last-modified",
  "etag",
  "date"
])
const HTTP_SPLIT: ReadonlyArray<PatternDef> = [
  // not a line of an object literal whose value is one quoted string (`  host: 'example.com',`) broken
  // with `\n` alone, as source code is: `en\r\nLocation: "http://..."` counts, and a quoted value
  // after a bare `\n` outside an object literal is left to protocol-001
  split(
    "crlf_header",
    `\\r\\n\\s?${SPLIT_HEADERS}\\s?:|\\n\\s?${SPLIT_HEADERS}\\s?:(?!\\s?(?:'[^'\\n]{0,120}'|"[^"\\n]{0,120}")\\s?,?\\s?(?:\\n|$))`,
    VALUES
  ),
  split("crlf_generic_header", "\\n\\s?[a-z][\\w-]{1,40}\\s?:\\s?\\S", path | header | cookie | key),
  split("request_smuggle", "\\n\\s?(?:get|post|put|delete|head|options|patch|connect|trace)\\s/[^\\s]{0,128}\\shttp/\\d", VALUES)
]

// ---------------------------------------------------------------------------------- sensitive file
const sens = def("sensitive_file")
const SENSITIVE_FILE: ReadonlyArray<PatternDef> = [
  sens("secret_file", "(?:^|[/\\\\=])(?:wp-config\\.php|web\\.config|config\\.php|configuration\\.php|localsettings\\.php|settings\\.py|local_settings\\.py|database\\.yml|secrets?\\.(?:ya?ml|json|toml)|credentials(?:\\.json|\\.xml|\\.csv)?|id_(?:rsa|dsa|ecdsa|ed25519)(?:\\.pub)?|authorized_keys|known_hosts|master\\.passwd|shadow|passwd|htpasswd|server\\.key|private\\.key|privatekey\\.pem|keystore\\.jks|application\\.(?:properties|ya?ml)|appsettings(?:\\.[\\w]{1,16})?\\.json|parameters\\.yml|\\.env\\.[a-z]{1,16}|service-account\\.json|firebase\\.json|docker-compose\\.ya?ml|dockerfile|terraform\\.tfstate|composer\\.lock|sftp-config\\.json|ftpconfig|filezilla\\.xml|sitemanager\\.xml|wallet\\.dat)(?:[?#;]|$)", URLISH | body | cookie, { tokenOnly: true }),
  sens("key_material", "\\.(?:pem|key|pfx|p12|jks|keystore|kdbx|ovpn|ppk|asc|gpg|pgp|crt\\.key|tfstate|sqlite3?|mdb|ldf|mdf)(?:[?#;]|$)", path, { tokenOnly: true }),
  sens("vcs_internals", "/\\.(?:git|svn|hg|bzr)/(?:head|config|index|logs|refs|objects|packed-refs|description|wc\\.db|entries|store|hgrc|branch)\\b", URLISH | body, { tokenOnly: true }),
  sens("log_file", "(?:^|/)(?:error|access|debug|laravel|php_errors?|npm-debug|yarn-error|install|storage/logs/[\\w.-]{1,64})\\.log$", URLISH, { tokenOnly: true })
]

// ------------------------------------------------------------------------------------ cms probing
const cms = def("cms_probing")
const CMS_PROBING: ReadonlyArray<PatternDef> = [
  cms("wordpress", "/(?:wp-(?:admin|login\\.php|content/(?:plugins|themes|uploads|debug\\.log)|includes|json/wp/v2/users|config|cron\\.php|signup\\.php|trackback\\.php|links-opml\\.php)|xmlrpc\\.php|wordpress/|wp/)", URLISH),
  cms("joomla", "/(?:administrator(?:/|$|/index\\.php|/manifests)|components/com_|modules/mod_|templates/[\\w-]{1,32}/(?:index|error)\\.php|media/system/js|configuration\\.php|joomla\\.xml|index\\.php\\?option=com_)|(?:^|[?&])option=com_[\\w]{1,32}", URLISH),
  cms("drupal", "/(?:sites/(?:default|all)/(?:files|settings\\.php|modules)|core/(?:changelog\\.txt|install\\.php|misc/drupal\\.js|install\\.php)|misc/drupal\\.js|user/register\\?element_parents|node/\\d{1,8}\\?destination=|drupal/)|\\belement_parents=account/mail", URLISH),
  cms("db_admin", "/(?:phpmyadmin|phpmyadmin\\d{1,4}|pma|myadmin|mysqladmin|sqladmin|dbadmin|adminer(?:-[\\d.]{1,12})?(?:\\.php)?|phppgadmin|pgadmin|sqlitemanager|mysql-admin|websql)(?:/|$|\\.php)", URLISH),
  cms("other_cms", "/(?:typo3(?:conf)?/|umbraco/|sitecore/(?:admin|shell)|bitrix/(?:admin|php_interface)|magento(?:_version)?\\b|downloader/index\\.php|skin/frontend/|app/etc/local\\.xml|dnn/|desktopmodules/|concrete5?/|craft/|ghost/api/|strapi/|admin/(?:config|settings)\\.php|moodle/|silverstripe|modx/|manager/includes|plone/|liferay/|jcr:content|crx/(?:de|explorer|packmgr)|libs/granite|bin/querybuilder\\.json|etc/replication)", URLISH),
  cms("joomla_component_param", "^com_[a-z_]{2,32}$", query),
  cms("drupal_render_array", "(?:^|/)account/mail/#value|#(?:post_render|pre_render|lazy_builder|markup)\\b", query | body | path),
  cms("app_servers", "/(?:manager/(?:html|text|status)|host-manager/|jmx-console|web-console|invoker/(?:jmxinvokerservlet|ejbinvokerservlet)|console/(?:login|css)|wls-wsat|_async/asyncresponseservice|axis2(?:-admin)?/|solr/admin|jenkins/|hudson/|script(?:text)?(?:\\?|$)|cfide/administrator|railo-context|lucee/admin|struts/|nacos/v1|druid/index\\.html|weblogic/)", path),
  cms("plugin_readme", "/(?:wp-content/plugins|wp-content/themes|modules|components|extensions)/[\\w.-]{1,64}/(?:readme\\.(?:txt|md|html)|changelog\\.txt|license\\.txt|package\\.json|composer\\.json)$", path),
  cms("install_scripts", "/(?:install|setup|installer|upgrade|update|config|configure)(?:/index)?\\.php\\b|/install/(?:install|step)", path),
  // a parameter that is the path of an installer script: the file an inclusion or a proxy is pointed at
  // to run the installation again (update and config scripts are left out: return URLs name them). Only
  // after a climb or under an admin or CMS folder: `install.php` alone is a search term, `docs/setup.php`
  // a project's file
  cms(
    "install_script_param",
    "^(?:(?:\\.\\./){1,8}|/?(?:[\\w./-]{0,128}/)?(?:admin|administrator|wp-admin|wordpress|joomla|installation|drupal|magento|prestashop|opencart|typo3|moodle|phpmyadmin)/)(?:install|installer|setup)(?:/index)?\\.php$",
    query | cookie | body,
    { tokenOnly: true }
  )
]

// ------------------------------------------------------------------------------------------- recon
const recon = def("recon")
const RECON: ReadonlyArray<PatternDef> = [
  recon("php_probe", "/(?:phpinfo|info|test|i|php_info|pi|x|shell|cmd|c99|r57|wso|up|upload|uploader|ws|alfa|mini|webshell|eval-stdin|sh|config\\.inc|xxx|1|a|db|dbinfo|debug|adminer)\\.php\\d?(?:[?#/]|$)", path),
  recon("phpunit_rce", "/vendor/phpunit/|/eval-stdin\\.php|/phpunit/src/util", URLISH),
  recon("cgi_probe", "/cgi-bin/(?:luci|test-cgi|php\\d?(?:-cgi)?|bash|sh|printenv|test\\.cgi|admin\\.cgi|status|\\.%2e|%2e%2e|\\.\\.)|/(?:cgi-bin|cgi-mod|scgi-bin)/[\\w.-]{1,64}\\.(?:cgi|pl|sh)\\b", path),
  recon("router_iot", "/(?:boaform/|hnap1\\b|goform/|setup\\.cgi|gponform/|shell\\?cd|tmui/|mgmt/tm/|level/15/exec|cgi/login\\.cgi|gpon|syslogin|userrpm/|upnp/|onvif/|stssys\\.htm|webfig/|ftpconfig|board\\.cgi|apply\\.cgi|mobile/\\.\\.|hndl\\.cgi|cgi-bin/kerbynet|ztp/|sdk\\b|evox/about|nmaplowercheck|nice%20ports|tr069)", path),
  recon("vpn_gateway", "/(?:remote/fgt_lang|remote/login|dana-na/|dana-cached/|global-protect/|ssl-vpn/|\\+cscoe\\+/|\\+cscol\\+/|vpn/(?:\\.\\./)?vpns|sslvpn|my\\.policy|owa/auth/(?:x\\.js|logon\\.aspx\\?)|ecp/|autodiscover/autodiscover\\.(?:xml|json)|aspnet_client/|rpc/rpcproxy\\.dll|mapi/nspi|ews/exchange\\.asmx|citrix/|vpns/cfg|nf_login|logon/logonpoint)", path),
  recon("debug_endpoint", "/(?:_profiler(?:/|$)|_ignition/(?:execute-solution|health-check)|telescope/requests|horizon/api|debug/(?:default/view|pprof|vars|requests)|__debug__|elmah\\.axd|trace\\.axd|_debugbar|server-(?:status|info)\\b|status\\?full|jolokia|console(?:/|$)|rails/info|__clockwork|_wdt/|api/jsonws|_cat/(?:indices|nodes)|_all_dbs|_config\\b|_utils/|v2/_catalog|containers/json|api/v1/namespaces|env\\.js)", path),
  recon("scanner_marker", "(?:\\bnessus|\\bacunetix|\\bnetsparker|\\bqualys|\\bnikto|\\bsqlmap|\\bdirbuster|\\bgobuster|\\bwpscan|\\bzgrab|\\bmasscan|\\bnuclei|\\bburpcollaborator|\\binteractsh|\\bopenvas|\\bw3af|\\bappscan|\\bwebinspect|\\barachni|\\bxsstrike)\\b", URLISH | header | key),
  // a scanner's own user agent: its name first (`sqlmap/1.7`, `Nuclei - ...`, `Fuzz Faster U Fool`) or as
  // a comment token of a browser-shaped one (`Mozilla/5.0 (Nikto/2.5.0)`), and NASL plugin names. Read
  // in the user agent alone: a referer or a form field may name a scanner.
  recon(
    "scanner_agent",
    "^(?:sqlmap|nikto|nuclei|wpscan|gobuster|dirbuster|ffuf|fuzz faster u fool|wfuzz|masscan|zgrab|nessus|openvas|arachni|w3af|xsstrike|commix|jaeles|whatweb|nmap scripting engine)\\b|[(;]\\s?(?:openvas|nikto|nessus|nmap scripting engine|netsparker|acunetix)\\b|\\.nasl\\b",
    header,
    { onlyHeader: "user-agent" }
  ),
  recon("dir_listing_probe", "/(?:admin|backup|backups|old|temp|tmp|test|dev|staging|private|secret|hidden|bak|upload|uploads|logs|log|db|database|conf|config|include|includes|inc|install|setup|api_keys|keys|certs)/?(?:\\.(?:tar|zip|gz|rar|sql|bak|old))$", path),
  recon("source_maps_probe", "/(?:\\.git|\\.svn|\\.hg)(?:/|$)|/(?:cvs|\\.cvs)/(?:entries|root)\\b", path),
  recon("path_fuzz", "/(?:%2e%2e|%252e|\\.%2e|%c0%ae|\\.\\.%00|%00|%ff|\\|\\||\\*{3,8})", path),
  recon("common_exploit_paths", "/(?:solr/[\\w]{1,32}/(?:select|config)\\?|struts2?-showcase|struts/utils\\.js|invoker/readonly|_vti_bin/|_vti_pvt/|_vti_inf\\.html|iisadmin/|scripts/(?:root\\.exe|\\.\\.)|msadc/|winnt/system32|c/winnt|\\.well-known/\\.\\.|wp-file-manager|kcfinder|ckfinder/|fckeditor/|elfinder|filemanager/(?:connectors|dialog)|tinymce/plugins/|userfiles/|jmx\\b|actuator/gateway)", path),
  recon("version_probe", "/(?:version|versions|release|build|status)\\.(?:txt|json|xml|php)$|/(?:changelog|readme|license|install|upgrade)\\.(?:txt|md|html?)$", path, { weight: 0.5 })
]

// -------------------------------------------------------------------------------- proto pollution
const proto = def("proto_pollution")
const PROTO_POLLUTION: ReadonlyArray<PatternDef> = [
  proto("prototype_assignment", "\\b(?:object|array|function|string)\\.prototype\\.[\\w$]{1,64}\\s?=", ALL),
  proto("define_getter", "__(?:definegetter|definesetter|lookupgetter|lookupsetter)__", ALL)
]

// -------------------------------------------------------------------------------- code injection
const code = def("code_injection")
const CODE_INJECTION: ReadonlyArray<PatternDef> = [
  code("eval_obfuscated", "\\b(?:eval|assert|function)\\s?\\(\\s?(?:atob|unescape|string\\.fromcharcode|decodeuricomponent|base64_decode|gzinflate|str_rot13|location|window\\.name|document\\.cookie|\\$_)", ALL),
  code("python_import", "__import__\\s?\\(\\s?['\"]?(?:os|subprocess|sys|socket|pty|builtins|commands|importlib|shutil|pickle|ctypes)\\b|\\bimportlib\\.import_module\\s?\\(", ALL),
  code("python_exec", "\\b(?:os\\.(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?|remove|unlink)|subprocess\\.(?:popen|call|run|check_output|check_call|getoutput)|pty\\.spawn|commands\\.getoutput|builtins\\.(?:eval|exec))\\s?\\(", ALL),
  code("python_eval", "\\b(?:eval|exec|compile)\\s?\\(\\s?(?:['\"]\\s?(?:__import__|import\\s|os\\.|open\\s?\\()|compile\\s?\\(|input\\s?\\(|base64|bytes\\.fromhex|codecs\\.decode)", ALL),
  code("ruby_exec", "\\b(?:kernel\\.(?:system|exec|spawn|open)|io\\.popen|%x\\s?[({\\[]|open3\\.(?:popen3|capture2|capture3)|instance_eval|class_eval|send\\s?\\(\\s?:(?:system|eval|exec))\\b", ALL),
  code("asp_jsp_tag", "<%\\s?(?:@\\s?page\\b|eval\\b|execute\\b|response\\.write|request\\s?\\(|runtime\\b|@\\s?import)|<jsp:(?:scriptlet|expression)\\b", ALL),
  code("js_fromcharcode", "\\bstring\\.fromcharcode\\s?\\(\\s?\\d{1,3}\\s?,\\s?\\d{1,3}", ALL)
]

// ------------------------------------------------------------------------------ deserialization
const deser = def("deserialization")
const DESERIALIZATION: ReadonlyArray<PatternDef> = [
  deser("php_object", "\\bo:\\d{1,5}:\"[\\w\\\\]{1,128}\":\\d{1,5}:\\{", ALL),
  deser("php_custom_object", "\\bc:\\d{1,5}:\"[\\w\\\\]{1,128}\":\\d{1,5}:\\{", ALL),
  deser("java_serialized_b64", "(?:^|[\\s\"'=:])ro0ab[a-z0-9+/]{2}", ALL),
  deser("java_serialized_hex", "\\baced0005\\b|\\baced0005[0-9a-f]{2}", ALL),
  deser("java_gadget_class", "\\b(?:com\\.sun\\.rowset\\.jdbcrowsetimpl|org\\.apache\\.(?:xbean|commons\\.(?:collections\\d?\\.functors|beanutils)|tomcat\\.dbcp|xalan\\.xsltc\\.trax|ibatis|shiro|myfaces)|com\\.alibaba\\.fastjson|javax\\.(?:naming|management)\\.[\\w]{1,64}|ch\\.qos\\.logback\\.core\\.db|com\\.mchange\\.v2\\.c3p0|org\\.springframework\\.(?:beans\\.factory\\.config|context\\.support\\.(?:file|classpath)xmlapplicationcontext|aop\\.|jndi)|sun\\.rmi\\.|bsh\\.interpreter|org\\.codehaus\\.groovy\\.runtime|com\\.sun\\.org\\.apache\\.(?:xalan|bcel)|org\\.hibernate\\.(?:jmx|tuple|engine\\.spi)|com\\.zaxxer\\.hikari|oracle\\.jdbc\\.connector|br\\.com\\.anteros|org\\.mozilla\\.javascript|clojure\\.(?:core|lang)|java\\.rmi\\.(?:server|registry))", ALL),
  deser("json_type_hint", "[\"']?@type[\"']?\\s?:\\s?[\"']\\s?l?(?:com|org|java|javax|sun|ch|br|oracle|net)\\.", ALL),
  deser("dotnet_gadget", "\\b(?:objectdataprovider|windowsidentity|typeconfusedelegate|system\\.windows\\.data|system\\.diagnostics\\.process|activitysurrogateselector|psobject|textformattingrunproperties|claimsidentity|sessionsecuritytoken|rolePrincipal|datasetmarshal|system\\.data\\.dataset|system\\.configuration\\.install\\.assemblyinstaller|system\\.management\\.automation|system\\.windows\\.forms\\.axhost)\\b", ALL),
  deser("dotnet_binary_b64", "(?:^|[\\s\"'=:])aaeaaad/{4}", ALL),
  deser("dotnet_type_key", "[\"']?\\$type[\"']?\\s?:\\s?[\"'][^\"']{0,128}(?:system\\.(?:windows|diagnostics|management|configuration|data)|microsoft\\.(?:powershell|visualstudio|exchange)|objectdataprovider)", ALL),
  deser("python_pickle", "\\bc(?:os|posix|nt|subprocess|builtins|__builtin__|commands|pty|socket)\\n\\s?(?:system|popen|exec|eval|call|check_output|getoutput|spawn|connect)\\b|\\(s'[^']{0,64}'\\n\\s?tr\\.|\\bcposix\\nsystem|\\b__reduce__\\b|\\b__reduce_ex__\\b", ALL),
  deser("pickle_b64", "(?:^|[\\s\"'=:])(?:gasv|gaj9|gaev|kgnvcw|y29zcnn5c3rlb|y29zcn|y3bvc2l4)[a-z0-9+/]{4}", ALL),
  deser("yaml_tag", "!!(?:python/(?:object|name|module|apply)|javax?\\.[\\w.]{1,128}|com\\.[\\w.]{1,128}|org\\.[\\w.]{1,128}|net\\.[\\w.]{1,128}|ruby/(?:object|hash|struct|marshal))|!ruby/(?:object|hash|struct):|tag:yaml\\.org,2002:(?:python|ruby|java)", ALL),
  deser("node_serialize", "_\\$\\$nd_func\\$\\$_|\\bfunction\\s?\\(\\s?\\)\\s?\\{[^}]{0,128}\\}\\s?\\(\\s?\\)\\s?[\"'}]", ALL),
  deser("ruby_marshal_gadget", "\\b(?:gem::(?:requirement|installer|specfetcher|requestset|source)|activesupport::deprecation|erb\\b[^\\n]{0,32}@src|net::writeadapter|rubygems)\\b", ALL, { weight: 0.5 })
]

/** Every built-in pattern, strongest first within a category. */
export const BUILTIN_PATTERNS: ReadonlyArray<PatternDef> = [
  ...XSS,
  ...SQLI,
  ...DIR_TRAVERSAL,
  ...PATH_TRAVERSAL,
  ...CMD_INJECTION,
  ...FILE_INCLUSION,
  ...LDAP,
  ...XML,
  ...SSRF,
  ...NOSQL,
  ...FILE_UPLOAD,
  ...TEMPLATE,
  ...HTTP_SPLIT,
  ...SENSITIVE_FILE,
  ...CMS_PROBING,
  ...RECON,
  ...PROTO_POLLUTION,
  ...CODE_INJECTION,
  ...DESERIALIZATION
]

/** Headers a browser or proxy sets: scanned only by the `always` patterns (shellshock, JNDI). */
export const DEFAULT_EXCLUDED_HEADERS: ReadonlyArray<string> = [
  "host",
  "user-agent",
  "accept",
  "accept-encoding",
  "accept-language",
  "connection",
  "origin",
  "referer",
  "sec-fetch-site",
  "sec-fetch-mode",
  "sec-fetch-dest",
  "sec-fetch-user",
  "sec-ch-ua",
  "sec-ch-ua-mobile",
  "sec-ch-ua-platform",
  "sec-ch-ua-platform-version",
  "sec-ch-ua-full-version-list",
  "sec-ch-ua-arch",
  "sec-ch-ua-model",
  "sec-ch-ua-bitness",
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
  "x-real-ip",
  "x-client-ip",
  "x-cluster-client-ip",
  "cf-connecting-ip",
  "cf-ray",
  "cf-ipcountry",
  "true-client-ip",
  "fly-client-ip",
  "x-envoy-external-address",
  "x-request-id",
  "traceparent",
  "tracestate",
  "content-length",
  "content-type",
  "if-none-match",
  "if-modified-since",
  "cache-control",
  "pragma",
  "upgrade-insecure-requests",
  "dnt",
  "priority",
  "authorization",
  "proxy-authorization",
  "cookie"
]
