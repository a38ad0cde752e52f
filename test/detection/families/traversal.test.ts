import { describe, expect, it } from "@effect/vitest"
import { family, RULES } from "../../../src/internal/detection/families/traversal/index.js"
import { catalogueProblems, doublingRatio, ORDINARY_VALUES, repeated, rulesOf, scoreOf, THRESHOLD } from "./pathsHarness.js"

describe("traversal family", () => {
  describe("refuses at the default level", () => {
    it.each([
      ["two climbs", "../../secret.txt"],
      ["Windows separators", "..\\..\\..\\boot.ini"],
      ["mixed separators", "..\\../..\\../app/config"],
      ["repeated slashes and /./", "..//.//..//./private/keys"],
      ["a climb after a leading root", "/var/www/../../../home"],
      ["dot runs left by a filter that strips ../ once", "....//....//index.php"],
      ["Tomcat path parameters", "..;/..;/manager/html"],
      ["a single Tomcat climb", "/static/..;/admin"],
      ["the 0x2e notation", "0x2e0x2e/0x2e0x2e/x"],
      ["fullwidth dots", "\uff0e\uff0e/\uff0e\uff0e/x"],
      ["a NUL inside the climb", ".\u0000./.\u0000./x"],
      ["the engine's %00 view of a NUL", "..%00/config"],
      ["a climb inside a parameter of a URL", "index.php?page=../../../../x"],
      ["an absolute path into /etc", "/etc/nginx/nginx.conf"],
      ["an absolute path into /proc", "/proc/1/maps"],
      ["a Windows system directory", "C:\\Windows\\System32\\drivers"],
      ["a forward-slash Windows path", "c:/winnt/repair"],
      ["a log directory", "/var/log/auth.log"],
      ["a dot-directory under /home", "/home/deploy/.aws/config"],
      ["macOS's Apache document root", "/Library/WebServer/Documents/info.php"],
      ["macOS's CGI folder", "/Library/WebServer/CGI-Executables/printenv"],
      ["macOS's system library", "/System/Library/CoreServices/SystemVersion.plist"],
      ["a keychain folder", "/Library/Keychains/System.keychain"],
      ["a dot-file in a macOS home", "/Users/admin/.zsh_history"]
    ])("%s: %s", (_, value) => {
      expect(scoreOf(family, value)).toBeGreaterThanOrEqual(THRESHOLD)
    })

    it.each([
      ["an overlong lead byte left undecoded before each dot", "\ufffd.\ufffd./\ufffd.\ufffd./srv/keys"],
      ["an overlong slash whose continuation uses IIS's lax hex digits", "..\ufffd%qf..\ufffd%qfinetpub"],
      ["an overlong pair still escaped", "..%c0%af..%c0%afapp.ini"],
      ["an overlong pair in lax hex digits", "..%bg%qf..%bg%qfwinnt"],
      ["an overlong backslash (lead 0xc1)", "..%c1%9c..%c1%9cwin.ini"],
      ["escapes whose percent sign a filter removed", "..2f..2fapp2fsettings.yml"],
      ["a single Windows climb", "..\\web.config"],
      ["a Windows climb in a longer path", "uploads\\..\\global.asa"],
      ["a climb above the root", "/../srv/secret"],
      ["more climbs than directories after a root", "/img/../../srv/secret"],
      ["a print spooler's logs", "/var/lp/logs/requests"],
      ["a rooted Windows path with spaces in its names", "/Program Files\\Acme Web\\..\\conf\\x"]
    ])("an evasion or Windows form, %s: %s", (_, value) => {
      expect(scoreOf(family, value)).toBeGreaterThanOrEqual(THRESHOLD)
    })

    it.each([
      ["a web server's folder in a server stack", "C:\\AppServ\\Apache24"],
      ["a database's data in a server stack", "C:\\xampp\\mysql\\data"],
      ["forward slashes, a server's config file", "c:/wamp64/bin/apache/apache2.4.54/conf/httpd.conf"],
      ["a Tomcat install's configuration", "E:\\tomcat9\\conf"],
      ["PHP's own settings", "C:\\php\\php.ini"],
      ["in a JSON body field", "C:\\nginx-1.24\\logs"]
    ])("a Windows path into a server's install directory, %s: %s", (name, value) => {
      const where = name === "in a JSON body field" ? "body" : "query"
      expect(rulesOf(family, value, where)).toContain(RULES.serverInstall.id)
      expect(scoreOf(family, value, where)).toBeGreaterThanOrEqual(THRESHOLD)
    })

    it("an uploaded file name that climbs, in a multipart or markup body", () => {
      const part = 'Content-Disposition: form-data; name="avatar"; filename="../../../srv/www/x.php"'
      expect(rulesOf(family, part, "body")).toContain(RULES.climb.id)
      const single = 'Content-Disposition: form-data; name="avatar"; filename="..\\me.png"'
      expect(rulesOf(family, single, "body")).toContain(RULES.uploadName.id)
      expect(rulesOf(family, 'Content-Disposition: form-data; filename="../a.png"', "body")).toContain(RULES.uploadName.id)
    })

    it("in the request path too", () => {
      expect(scoreOf(family, "/static/../../etc/shadow", "path")).toBeGreaterThanOrEqual(THRESHOLD)
    })

    it("in a header or XML attribute with other text around", () => {
      expect(scoreOf(family, "/../../../././..\\ ../../etc/master.passwd", "header")).toBeGreaterThanOrEqual(THRESHOLD)
      expect(scoreOf(family, '<a href="x" probe="../../../x"/>', "body")).toBeGreaterThanOrEqual(THRESHOLD)
    })
  })

  describe("passes at the default level", () => {
    it.each([
      ["a relative link in prose", "../relative/link is shown in docs"],
      ["a user's Windows folder", "C:\\Users\\me\\Documents"],
      ["a site's library section", "/library/books/12"],
      ["a site's user pages", "/users/42/profile"],
      ["a font in macOS's library", "/Library/Fonts/Arial.ttf"],
      ["a site's yearly log archive in lower case", "/library/logs/2023"],
      ["a site's system section in lower case", "/system/library/manual"],
      ["a program folder without the slash before the drive", "C:\\Program Files\\Acme"],
      ["a server stack named in prose", "installed xampp under C:\\xampp yesterday"],
      // what `new URL("file:///C:/...").pathname` gives
      ["a file URL's Windows pathname", "/C:/Users/bob/Documents/report.pdf"],
      ["a file URL's pathname, lower-case drive", "/d:/projects/site/index.html"],
      // a developer names the programs and pages of a local install in a form about it
      ["PHP's program", "C:\\php\\php.exe"],
      ["a page under Apache's document root", "C:\\Apache24\\htdocs\\index.html"],
      ["a backup kept in a MySQL folder", "D:\\mysql\\backup.sql"],
      ["a project under a stack's document root", "C:\\xampp\\htdocs\\myproject\\index.php"],
      ["a URL path naming a server", "/mysql/tables"],
      ["a file URL", "file:///C:/temp/report.pdf"],
      ["a single climb", "../images/logo.png"],
      ["a two-level markdown link inside prose", "see [the readme](../../README.md) first"],
      ["an ellipsis", "wait... what"],
      ["an ellipsis after a slash", "and/or..."],
      ["a path of the application itself", "/dashboard/settings/profile"],
      ["a redirect target", "/account/orders?page=2"],
      ["a URL", "https://example.com/a/b/../c"],
      ["a Windows program folder", "C:\\Program Files"],
      ["a home-relative path", "~/Downloads"],
      ["a date", "2024/05/01"],
      ["a fraction", "1/2 cup sugar"],
      ["a path segment ending in dots", "/get/foo../1234"],
      ["a name starting with dots", "/get/..foo"],
      ["prose about /etc", "/etc/hosts file windows"],
      ["a Windows relative path in prose", "copy ..\\backup\\notes.txt over it"],
      ["an upload name without a climb", 'form-data; name="f"; filename="q3 report.pdf"'],
      ["a relative link in markup", '<a href="../guide.html">guide</a>'],
      ["a path that climbs inside itself", "/docs/api/../guide"],
      ["/var alone in prose", "/var is where logs live"],
      ["an application's data directory setting", "/var/data/exports"],
      ["a replacement character in text", "caf\ufffd au lait"]
    ])("%s: %s", (_, value) => {
      expect(scoreOf(family, value)).toBeLessThan(THRESHOLD)
    })

    it("a single `..` in the path is left to level 2", () => {
      expect(scoreOf(family, "/get/..", "path")).toBeLessThan(THRESHOLD)
      expect(rulesOf(family, "/get/../x", "path", 2)).toContain(RULES.singleClimb.id)
    })

    it("rejects ordinary values before scanning", () => {
      expect(ORDINARY_VALUES.filter(family.mayMatch)).toEqual([])
    })
  })

  describe("paranoia", () => {
    it("scores a two-level climb in prose weakly at level 1", () => {
      expect(rulesOf(family, "go to ../../docs now")).toEqual([RULES.proseClimb.id])
    })

    it("flags any absolute path parameter at level 3", () => {
      expect(rulesOf(family, "/srv/app/data", "query", 3)).toContain(RULES.absolute.id)
      expect(rulesOf(family, "/srv/app/data", "query", 2)).toEqual([])
    })
  })

  describe("catalogue", () => {
    it("gives every rule a stable traversal-NNN id and the path_traversal category", () => {
      expect(catalogueProblems(family, "traversal", ["path_traversal"])).toEqual([])
    })
  })

  describe("linear time", () => {
    it.each([
      ["climbs", "../"],
      ["Tomcat climbs", "..;/"],
      ["dot runs without a separator", "...."],
      ["one long token of segments", "a/"],
      ["almost-hex dots", "0x2"],
      ["separators and spaces", "/ "],
      ["fullwidth dots", "\uff0e"]
    ])("%s", (_, fragment) => {
      expect(doublingRatio(family, repeated(fragment))).toBeLessThan(2.5)
    })
  })
})
