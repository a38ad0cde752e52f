/**
 * What makes a file sensitive, by kind: credentials and system state on Unix and Windows, secrets
 * left in web roots (dotfiles, VCS metadata, framework configs), server configs and logs (read for
 * secrets or poisoned for inclusion), backup copies that disclose source, and framework endpoints
 * that dump memory or configuration. Matching is on whole path segments, so `passwords.txt` or
 * `/blog/environment` are not hits.
 *
 * @internal
 */

/** Files under `etc/` that hold accounts, hosts or service configuration. */
export const ETC_FILES: ReadonlySet<string> = new Set([
  "passwd",
  "shadow",
  "master.passwd",
  "group",
  "gshadow",
  "sudoers",
  "subuid",
  "subgid",
  "hosts",
  "hostname",
  "issue",
  "issue.net",
  "motd",
  "crontab",
  "fstab",
  "mtab",
  "resolv.conf",
  "shells",
  "profile",
  "environment",
  "inittab",
  "exports",
  "netconfig",
  "security",
  "ssh",
  "ssl",
  "mysql",
  "apache",
  "apache2",
  "httpd",
  "nginx",
  "php.ini",
  "sysconfig",
  "network",
  "networks",
  "syslog.conf",
  "rsyslog.conf",
  "syslogd.conf",
  "proftp.conf",
  "proftpd.conf",
  "vsftpd.conf",
  "my.cnf",
  "ldap.conf",
  "krb5.conf",
  "aliases",
  "ftpusers",
  "pam.d",
  "cron.d",
  "init.d",
  "redhat-release",
  "os-release",
  "lsb-release",
  "debian_version"
])

/** `/proc` entries: the process's environment and memory, kernel state. */
export const PROC_ENTRIES: ReadonlySet<string> = new Set([
  "self",
  "thread-self",
  "cmdline",
  "environ",
  "version",
  "mounts",
  "interrupts",
  "cpuinfo",
  "meminfo",
  "net",
  "kcore",
  "sched_debug",
  "config.gz",
  "modules",
  "partitions",
  "stat",
  "uptime",
  "kallsyms"
])

/** `/sys` subtrees: hardware and kernel details. */
export const SYS_ENTRIES: ReadonlySet<string> = new Set(["class", "kernel", "devices", "firmware", "power", "module", "block", "bus", "fs"])

/** File names that are a finding wherever they appear as a path segment. */
export const SECRET_FILES: ReadonlySet<string> = new Set([
  // web server and framework secrets
  ".htaccess",
  ".htpasswd",
  ".htdigest",
  "wp-config.php",
  "localsettings.php",
  "config.inc.php",
  "configuration.php",
  // the database and configuration scripts of PHP, ASP and JSP applications: an include or a source
  // read of one discloses the database password
  "config.php",
  "_config.php",
  "config.asp",
  "config.aspx",
  "config.jsp",
  "database.php",
  "database.asp",
  "db.php",
  "db.asp",
  "dbconfig.php",
  "db_config.php",
  "conn.asp",
  "conn.php",
  "connection.php",
  "connect.php",
  "settings.php",
  "web.config",
  "global.asa",
  "global.asax",
  "database.yml",
  "secrets.yml",
  "credentials.yml.enc",
  "master.key",
  // shell and tool secrets
  ".bash_history",
  ".zsh_history",
  ".sh_history",
  ".mysql_history",
  ".psql_history",
  ".python_history",
  ".viminfo",
  ".netrc",
  ".pgpass",
  ".npmrc",
  ".pypirc",
  ".git-credentials",
  ".gitconfig",
  ".dockercfg",
  ".boto",
  ".s3cfg",
  ".ds_store",
  // keys
  "id_rsa",
  "id_dsa",
  "id_ecdsa",
  "id_ed25519",
  "authorized_keys",
  "known_hosts",
  // Windows system files
  "win.ini",
  "boot.ini",
  "system.ini",
  "autoexec.bat",
  "ntuser.dat",
  "unattend.xml",
  "sysprep.inf",
  "cmd.exe",
  "powershell.exe",
  // server configs
  "httpd.conf",
  "apache2.conf",
  "nginx.conf",
  "php.ini",
  "my.cnf",
  "my.ini",
  "proftpd.conf",
  "pure-ftpd.conf",
  "vsftpd.conf",
  "sshd_config",
  // FileZilla Server's users and their password hashes
  "filezilla server.xml",
  "tomcat-users.xml",
  "server.xml",
  "standalone.xml",
  // logs read for secrets or poisoned for inclusion
  "access.log",
  "access_log",
  "error.log",
  "error_log",
  "errors.log",
  "debug.log",
  "php_errors.log",
  "lastlog",
  "wtmp",
  "utmp",
  "btmp",
  ".aiignore"
])

/**
 * Shell and X session start-up and login files: they set the environment (tokens, paths), and `.rhosts`, `.shosts`,
 * `.k5login` and `.forward` grant logins or redirect mail. Secret as a path or a parameter
 * (`/.bashrc`, `../../home/x/.profile`); documentation names them in every install guide (`add this to
 * ~/.bashrc`, `source ~/.zshrc`), so prose and a `source` of one are not findings.
 */
export const STARTUP_FILES: ReadonlySet<string> = new Set([
  ".bashrc",
  ".bash_profile",
  ".bash_login",
  ".bash_logout",
  ".profile",
  ".zshrc",
  ".zshenv",
  ".zprofile",
  ".zlogin",
  ".kshrc",
  ".cshrc",
  ".tcshrc",
  ".login",
  ".logout",
  ".rhosts",
  ".shosts",
  ".k5login",
  ".forward",
  // an X session's start-up scripts and the resources it loads, and its log
  ".xauthority",
  ".xinitrc",
  ".xsession",
  ".xprofile",
  ".xresources",
  ".xdefaults",
  ".xsession-errors"
])

/** Directories whose mere presence in a path is the finding: VCS metadata, credential stores, IDE and agent configs. */
export const SECRET_DIRS: ReadonlySet<string> = new Set([
  ".git",
  ".svn",
  ".hg",
  ".bzr",
  "_darcs",
  ".ssh",
  ".aws",
  ".azure",
  ".gcloud",
  ".docker",
  ".kube",
  ".gnupg",
  ".idea",
  "web-inf",
  "system32",
  // coding-agent configuration: MCP servers, tokens and hooks
  ".claude",
  ".cursor",
  ".continue",
  ".aider",
  ".roo",
  ".zed",
  ".cline",
  ".kiro",
  ".windsurf",
  ".rovodev",
  ".codex",
  ".gemini"
])

/**
 * Spring Boot actuator endpoints: dumps of memory, configuration, environment and routes. Not
 * `health`: load balancers and Kubernetes probes call it on every instance all day.
 */
export const ACTUATOR_ENDPOINTS: ReadonlySet<string> = new Set([
  "actuator",
  "auditevents",
  "autoconfig",
  "beans",
  "caches",
  "conditions",
  "configprops",
  "dump",
  "env",
  "flyway",
  "gateway",
  "heapdump",
  "httptrace",
  "info",
  "integrationgraph",
  "jolokia",
  "logfile",
  "loggers",
  "liquibase",
  "mappings",
  "metrics",
  "prometheus",
  "refresh",
  "restart",
  "scheduledtasks",
  "sessions",
  "shutdown",
  "startup",
  "threaddump",
  "trace"
])

/** Extensions of backup, swap and include copies that serve source instead of running it. */
export const BACKUP_EXTENSIONS: ReadonlyArray<string> = [
  ".bak",
  ".backup",
  ".old",
  ".orig",
  ".save",
  ".swp",
  ".swo",
  ".tmp",
  ".inc",
  ".sql",
  ".sql.gz",
  ".sql.zip",
  ".sql.bz2",
  ".sql.xz",
  ".sql.7z",
  ".sql.tar.gz",
  ".sqlite",
  ".sqlite3",
  ".mdb",
  ".db"
]
