/**
 * Reads a de-obfuscated value as a shell would: cuts it into simple commands at separators and
 * substitutions, and for each one names its command word and the shape of its first argument.
 * One walk over the value; each command looks at its first few words only.
 *
 * @internal
 */
import { ALL_COMMANDS, COMMON_COMMANDS, isCommand, PREFIX_COMMANDS, RARE_COMMANDS } from "./commands.js"

/** What came before a simple command. */
export type Opener = "start" | "separator" | "substitution" | "group" | "call" | "literal"

/** What the first argument of a command looks like. */
export type ArgumentShape =
  | "end"
  | "option"
  | "path"
  | "url"
  | "dotted"
  | "number"
  | "redirect"
  | "variable"
  | "glob"
  | "word"

export interface SimpleCommand {
  readonly opener: Opener
  /** The command word, without directory, extension or version: `/usr/bin/python3.11` is `python`. */
  readonly name: string
  readonly rare: boolean
  readonly common: boolean
  /** Written with a system directory (`/bin/cat`, `c:\windows\system32\cmd.exe`). */
  readonly qualified: boolean
  /** Found only by matching a glob (`/???/c?t`). */
  readonly globbed: boolean
  /** Opened by `$(`, which prose never writes (backticks are also markdown). */
  readonly dollar: boolean
  /** The command word is a variable: `$a -l`. */
  readonly variable: boolean
  /** Prefix commands skipped before it (`time`, `nohup`). */
  readonly prefixed: boolean
  readonly argument: ArgumentShape
  /** The first argument is a long option: `--version`. */
  readonly longOption: boolean
  /** The last word read after the command is a plain word (`ls -la explained`): prose, not a command line. */
  readonly endsInWord: boolean
  /** The whole value is this command word alone. */
  readonly alone: boolean
  readonly text: string
}

/** Words read per simple command: a prefix or two, the command and its first argument. */
const MAX_WORDS = 5

/** Longer words are cut: no command name or first argument we judge needs more. */
const MAX_WORD = 256

const isSpace = (c: string): boolean => c === " "

const isRedirect = (c: string): boolean => c === "<" || c === ">"

/** Where executables live: `/bin`, `/usr/local/sbin`, `bin` (relative), `...\\system32`, `/???` (a glob). */
const SYSTEM_DIRECTORY = /(?:^|[/\\])(?:(?:usr[/\\](?:local[/\\])?)?s?bin|system32|syswow64|windows|winnt|\?\?\?|\?\?\?[/\\]\?\?\?)$/

/** A path a shell reads from the working directory, with no `.` or `..` segment, `~`, variable, escape or glob. */
const RELATIVE_DIRECTORY = /^@?[a-z_][a-z0-9_-]{0,63}(?:\/[a-z0-9_@-][a-z0-9_@.-]*)+$/i

/** A word needing more than a set lookup: a directory, a glob, an extension, a version or an escape. */
const PLAIN_WORD = /[\\/.?*[0-9]/

const EXTENSION = /\.(?:exe|com|bat|cmd|sh|ps1)$/
const VERSION = /[0-9][0-9.]{0,8}$/
const NUMBER = /^[0-9][0-9.:]{0,15}$/
const DOTTED = /^[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63}){1,8}(?::[0-9]{1,5})?(?:\/.*)?$/
const DRIVE = /^[a-z]:[\\/]/
/** A script URL handed to a launcher: `rundll32 javascript:...`, `mshta vbscript:...`. */
const SCRIPT_SCHEME = /^(?:javascript|vbscript):/

/** `?` one character, `*` any run, `[...]` one character; `name` is at most a few dozen characters. */
const globMatches = (pattern: string, name: string): boolean => {
  // Iterative wildcard matching with one backtrack point: linear in pattern x name, both short.
  let p = 0
  let n = 0
  let star = -1
  let mark = 0
  while (n < name.length) {
    const pc = pattern.charAt(p)
    if (pc === "[") {
      const close = pattern.indexOf("]", p + 1)
      if (close > 0 && close - p <= 8) {
        p = close + 1
        n++
        continue
      }
    }
    if (pc === "?" || (pc !== "" && pc === name.charAt(n))) {
      p++
      n++
    } else if (pc === "*") {
      star = p++
      mark = n
    } else if (star >= 0) {
      p = star + 1
      n = ++mark
    } else {
      return false
    }
  }
  while (pattern.charAt(p) === "*") p++
  return p === pattern.length
}

const hasGlob = (word: string): boolean => word.includes("?") || word.includes("*") || word.includes("[")

/** The known command a glob stands for, preferring the rare ones (`/???/??t` is `cat`, not `at`). */
const commandForGlob = (pattern: string): string | undefined => {
  if (pattern.length > 24 || pattern.replace(/[?*[\]]/g, "") === pattern) return undefined
  let found: string | undefined
  for (const command of ALL_COMMANDS) {
    if (command.length > 1 && globMatches(pattern, command)) {
      if (RARE_COMMANDS.has(command)) return command
      found ??= command
    }
  }
  return found
}

interface Resolved {
  readonly name: string
  readonly qualified: boolean
  readonly globbed: boolean
}

/** `bcdboot/r`, `cmd/c`: a Windows command glued to its switch. */
const GLUED_SWITCH = /^([a-z][a-z0-9_-]{1,31})\/[a-z?]{1,3}$/

/**
 * Words already resolved: code, JSON text and prose repeat theirs (`function`, `return`, `the`), and
 * a long value has thousands. Bounded: emptied when full.
 */
const resolvedWords = new Map<string, Resolved>()
const RESOLVED_WORDS = 4096

/** The command a word names: `c\at` is `cat`, `/usr/bin/id` is `id`, `python3` is `python`. */
export const resolveCommand = (word: string): Resolved => {
  // Most words have no directory, glob, extension or version: a set lookup settles them.
  if (!PLAIN_WORD.test(word)) return { name: word, qualified: false, globbed: false }
  let resolved = resolvedWords.get(word)
  if (resolved === undefined) {
    if (resolvedWords.size >= RESOLVED_WORDS) resolvedWords.clear()
    resolvedWords.set(word, resolved = resolveSpecial(word))
  }
  return resolved
}

/** `resolveCommand` for a word with a directory, glob, extension, version or escape. */
const resolveSpecial = (word: string): Resolved => {
  const glued = GLUED_SWITCH.exec(word)
  if (glued !== null && RARE_COMMANDS.has(glued[1] ?? "")) return { name: glued[1] ?? "", qualified: false, globbed: false }
  const joined = word.replace(/\\/g, "")
  const slash = Math.max(word.lastIndexOf("/"), word.lastIndexOf("\\"))
  const qualified = slash >= 0 && SYSTEM_DIRECTORY.test(word.slice(0, slash))
  // `@scope/base64`, `lib/cli`: a shell runs a relative path as a file there, never as the command
  // its last segment names (a system directory, `./`, `~/`, a variable, an escape or a glob still can)
  if (slash >= 0 && !qualified && RELATIVE_DIRECTORY.test(word)) return { name: word, qualified: false, globbed: false }
  const candidates = slash >= 0 ? [word.slice(slash + 1), joined.slice(joined.lastIndexOf("/") + 1)] : [joined]
  for (const candidate of candidates) {
    const bare = candidate.replace(EXTENSION, "")
    if (isCommand(bare)) return { name: bare, qualified, globbed: false }
    const last = bare.charCodeAt(bare.length - 1)
    const unversioned = last >= 48 && last <= 57 ? bare.replace(VERSION, "") : bare
    if (unversioned !== bare && isCommand(unversioned)) return { name: unversioned, qualified, globbed: false }
  }
  const last = candidates[candidates.length - 1] ?? joined
  const directory = slash >= 0 ? word.slice(0, slash) : ""
  if (hasGlob(last) && /[a-z]/.test(last) && (qualified || (hasGlob(directory) && /^[/\\]/.test(word)))) {
    const globbed = commandForGlob(last)
    if (globbed !== undefined) return { name: globbed, qualified, globbed: true }
  }
  return { name: last, qualified, globbed: false }
}

/** The shape of a command's first argument; the ones a command line has and prose rarely does. */
export const argumentShape = (word: string | undefined): ArgumentShape => {
  // a `#` alone opens a comment: `|id #` runs `id` with nothing after it
  if (word === undefined || word === "" || word === "#") return "end"
  const first = word.charAt(0)
  if (isRedirect(first)) return "redirect"
  if (first === "-") return /^--?[a-z0-9]/.test(word) ? "option" : "word"
  if (first === "$" || (first === "%" && word.length > 2 && word.indexOf("%", 1) > 1)) return "variable"
  if (word.includes("://") || SCRIPT_SCHEME.test(word)) return "url"
  if (hasGlob(word) && /[/\\.]/.test(word)) return "glob"
  if (first === "/" || first === "\\" || first === "~" || DRIVE.test(word) || word.startsWith("./") || word.startsWith("../")) {
    return word.length > 1 ? "path" : "end"
  }
  if (NUMBER.test(word)) return "number"
  if (/[a-z]/.test(word) && word.includes("/") && !word.endsWith("/")) return "path"
  if (DOTTED.test(word) && /[a-z]/.test(word)) return "dotted"
  if (first === "+" || first === "{") return "option"
  return "word"
}

/** `net user`, `net view`: the Windows `net` command is only telling with its sub-command. */
const NET_SUBCOMMANDS = new Set(["user", "users", "view", "localgroup", "group", "share", "use", "session", "accounts", "config", "start", "stop"])

/** Files an attacker reads by name from the working directory: `cd /etc;cat passwd`. */
const SENSITIVE_NAMES = new Set(["passwd", "shadow", "group", "hosts", "environ", "id_rsa", "authorized_keys", ".htaccess", ".htpasswd", ".bash_history"])

const firstArgument = (command: string, word: string | undefined): ArgumentShape => {
  const shape = argumentShape(word)
  if (shape !== "word" || word === undefined) return shape
  if (command === "net" && NET_SUBCOMMANDS.has(word)) return "option"
  return SENSITIVE_NAMES.has(word) ? "path" : shape
}

/** Characters a word may end at: a space, a redirection, a separator, or `$` when `(` follows. */
const ENDS_WORD = new Uint8Array(128)
for (const c of " <>;|&\n`(){}$") ENDS_WORD[c.charCodeAt(0)] = 1

/**
 * Where the word that goes on at `from` ends: at a space, a redirection, a separator or a `$(`.
 * A loop over character codes rather than a search: words are short, and a search allocates its match.
 */
const wordEnd = (text: string, from: number, n: number): number => {
  for (let i = from; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < 128 && ENDS_WORD[c] === 1 && (c !== 36 || text.charCodeAt(i + 1) === 40)) return i
  }
  return n
}

/** Where a command whose words are all read may end: a separator (not `}`) or a `$(`. */
const SKIP = /[;|&\n`(){]|\$\(/g
/** `SKIP`'s characters, 1 in a table by code. */
const SKIP_AT = new Uint8Array(128)
for (const c of ";|&\n`(){") SKIP_AT[c.charCodeAt(0)] = 1
/** How far `skipTo` looks character by character before it hands over to the search. */
const NEAR = 24

/**
 * Where the next `SKIP` match starts at or after `from`, or `n`. Code's next separator is a few
 * characters away, where a loop beats a search and its match array; prose's is further, where the
 * search takes over.
 */
const skipTo = (text: string, from: number, n: number): number => {
  const near = Math.min(n, from + NEAR)
  for (let i = from; i < near; i++) {
    const c = text.charCodeAt(i)
    if (c < 128 && (SKIP_AT[c] === 1 || (c === 36 && text.charCodeAt(i + 1) === 40))) return i
  }
  if (near >= n) return n
  SKIP.lastIndex = near
  return SKIP.exec(text)?.index ?? n
}

const SEPARATORS = new Set([";", "|", "&", "\n", "`", "(", ")", "{", "}"])

/**
 * Whether `c` ends a simple command. As bash reads a group, `}` closes one only where a command
 * could start (after `;`, `&`, a newline); elsewhere it is part of a word (`#{id}`, GraphQL's
 * `{ id }`), so a command name before it is not a command ending the value.
 */
const separates = (c: string, atCommandStart: boolean): boolean => (c === "}" ? atCommandStart : SEPARATORS.has(c))

/** The simple commands of a de-obfuscated value, in order. */
export const simpleCommands = (text: string): ReadonlyArray<SimpleCommand> => {
  const commands: Array<SimpleCommand> = []
  forEachCommand(text, (command) => {
    commands.push(command)
  })
  return commands
}

/**
 * Calls `visit` with each simple command of a de-obfuscated value, in order. Nothing is kept between
 * calls, so a value of many thousand commands leaves no garbage that outlives a young collection.
 */
export const forEachCommand = (text: string, visit: (command: SimpleCommand) => void): void => {
  const n = text.length
  let opener: Opener = "start"
  let dollar = false
  let i = 0
  while (i < n) {
    const skipped = skipNonCommand(text, i, n)
    if (skipped >= 0) {
      i = skipped
    } else {
      i = readCommand(text, i, n, opener, dollar, visit)
    }
    if (i >= n) break
    const c = text.charAt(i)
    dollar = c === "$"
    if (c === "$" || ((c === "<" || c === ">") && text.charAt(i + 1) === "(")) {
      opener = "substitution"
      i += 2
    } else {
      // after a closing `)` only a separator or a redirection may come: `(MSRC) at [url]` runs no `at`
      opener = c === "`" ? "substitution" : gluedOpener(text, i) ?? (c === ")" ? "literal" : c === "(" || c === "{" || c === "}" ? "group" : "separator")
      i++
    }
  }
}

/**
 * Where the simple command at `i` ends when its first word can start no command (most commands of
 * code, JSON text and prose: `function`, `return`, `the`), or -1 when it has to be read. Nothing is
 * allocated but the word; what `readCommand` would do with it is skipping to the same place.
 */
const skipNonCommand = (text: string, i: number, n: number): number => {
  let j = i
  while (j < n && text.charCodeAt(j) === 32) j++
  if (j >= n) return -1
  const c = text.charCodeAt(j)
  if (c < 128 && ENDS_WORD[c] === 1) return -1
  const end = wordEnd(text, j + 1, n)
  // after a word, `}` goes on with it (`#{id}`): the full reading handles that
  const word = text.slice(j, Math.min(end, j + MAX_WORD))
  // a keyword opens a command only before a space: code's `if(` and `do{` are read no further
  const starts = KEYWORDS.has(word) ? text.charCodeAt(end) === 32 : mayStartCommand(word)
  if (text.charCodeAt(end) === 125 || starts) return -1
  const next = text.charAt(end)
  if (!isSpace(next) && !isRedirect(next)) return end
  return skipTo(text, end, n)
}

/**
 * What the `(` or `{` at `i` opens when glued to a word, or undefined: a `(` glued to a name is a
 * function call (`console.log(id)`, `x('ls')`), a `{` glued to the next word is a literal brace to
 * bash, not a group (`{sudo -H}` in a README's usage line). A shell starts a subshell or a group
 * only where a command starts, and a group's `{` needs a space after it.
 */
const gluedOpener = (text: string, i: number): Opener | undefined => {
  const c = text.charCodeAt(i)
  if (c === 40) {
    const before = text.charCodeAt(i - 1)
    return (before >= 97 && before <= 122) || (before >= 48 && before <= 57) || before === 95 || before === 46 ? "call" : undefined
  }
  if (c !== 123 || i + 1 >= text.length) return undefined
  const after = text.charCodeAt(i + 1)
  return after !== 32 && after !== 10 && after !== 9 ? "literal" : undefined
}

/** Reads the simple command at `i`, visits it if it is one, and returns where it ends. */
const readCommand = (text: string, from: number, n: number, opener: Opener, dollar: boolean, visit: (command: SimpleCommand) => void): number => {
  let i = from
  {
    // Read up to MAX_WORDS words of one simple command, then skip to the next separator.
    const words: Array<string> = []
    const start = i
    let word = ""
    let ended = false
    while (i < n) {
      const c = text.charAt(i)
      if (separates(c, word === "" && words.length === 0) || (c === "$" && text.charAt(i + 1) === "(")) break
      if (words.length >= MAX_WORDS) {
        // Every word this command needs is read: jump to the next separator (a `}` is none here).
        i = skipTo(text, i, n)
        break
      }
      if (isSpace(c) || isRedirect(c)) {
        if (word !== "") words.push(word)
        word = ""
        if (words.length === 1 && !mayStartCommand(words[0] ?? "")) {
          // No command starts with this word (most words of prose and JSON text): nothing after it
          // up to the next separator changes that, so skip there.
          i = skipTo(text, i, n)
          words.length = 0
          break
        }
        if (isRedirect(c) && words.length < MAX_WORDS) {
          let end = i
          while (end < n && end - i < 4 && isRedirect(text.charAt(end))) end++
          words.push(text.slice(i, end))
          i = end
          continue
        }
        i++
        continue
      }
      if (word === "" && c === "#" && isCommentStart(text.charCodeAt(i + 1))) {
        // a word that starts with `#` comments out the rest of the line: `#!/usr/bin/env node`, `|id # x`
        const eol = text.indexOf("\n", i)
        i = eol < 0 ? n : eol
        break
      }
      // The rest of the word, up to the next space, redirection or separator, as one slice.
      const end = wordEnd(text, i + 1, n)
      if (word.length < MAX_WORD) word += text.slice(i, Math.min(end, i + MAX_WORD - word.length))
      i = end
    }
    if (word !== "" && words.length < MAX_WORDS) words.push(word)
    ended = i >= n
    const command = describe(opener, dollar, words, start === 0 && ended, text, start, i)
    if (command !== undefined) visit(command)
  }
  return i
}

/**
 * After a `#` that starts a word: a shebang's `!`, a space, a tab or the end of the text. Other
 * comments (`#39;`) are left to the word reading: an application may decode `&#39;` before a shell sees it.
 */
const isCommentStart = (c: number): boolean => Number.isNaN(c) || c === 33 || c === 32 || c === 9 || c === 10

const VARIABLE_WORD = /^\$[a-z_][a-z0-9_]{0,31}$/

/**
 * The shape of the argument of the command at `words[index]`: a redirection to a path anywhere
 * among the words read counts as a redirection, and `<url>` (a placeholder in a usage line,
 * `curl <url>`) as a word, not as input read from `url`.
 */
const argumentOf = (name: string, words: ReadonlyArray<string>, index: number): ArgumentShape => {
  if (redirectsToPath(words, index + 2)) return "redirect"
  const shape = firstArgument(name, words[index + 1])
  const placeholder = shape === "redirect" && words[index + 1] === "<" && (words[index + 3] ?? "").startsWith(">") &&
    argumentShape(words[index + 2]) === "word"
  return placeholder ? "word" : shape
}

/**
 * Whether a redirection to a path follows among the words read from `from` on: `echo x > /tmp/y`,
 * `type a > C:\\inetpub\\x.asp` write a file whatever their first argument is.
 */
const redirectsToPath = (words: ReadonlyArray<string>, from: number): boolean => {
  for (let i = from; i < words.length - 1; i++) {
    const first = words[i]?.charAt(0)
    if ((first === ">" || first === "<") && argumentShape(words[i + 1]) === "path") return true
  }
  return false
}

/** A Windows program or script file by name (`calc.exe`, `x.ps1`); `.com` is left out, it is a domain. */
const PROGRAM_FILE = /^[a-z0-9_-]{2,32}\.(?:exe|bat|cmd|ps1|vbs|hta|scr)$/

/**
 * Whether a command line's last word reads as prose (`ls -la explained`). A command name that is not
 * English is the command a launcher runs (`cmd /c whoami`), not a word of a sentence.
 */
const endsInProse = (word: string): boolean => /^[a-z]{2,}$/.test(word) && !RARE_COMMANDS.has(word)

/** Bash's compound-command keywords after which a command starts, and `!`, which negates one. */
const KEYWORDS = new Set(["then", "else", "elif", "do", "if", "while", "until", "!"])

/** Whether `describe` could make a command of words starting with `word`. */
const mayStartCommand = (word: string): boolean => {
  if (PREFIX_COMMANDS.has(word) || KEYWORDS.has(word) || (word.charCodeAt(0) === 36 && VARIABLE_WORD.test(word))) return true
  // a plain word (most of them) names itself: no expression, no allocation
  if (isPlainWord(word)) return isCommand(word)
  const resolved = resolveCommand(word)
  return resolved.qualified || isCommand(resolved.name) || isProgramFile(word)
}

/**
 * Whether a word names a program file by its last path segment (`calc.exe`, `%TEMP%\\a.exe`). The
 * dot before a three-letter extension is checked first: most words have none, and are not cut.
 */
const isProgramFile = (word: string): boolean =>
  word.charCodeAt(word.length - 4) === 46 && PROGRAM_FILE.test(word.slice(Math.max(word.lastIndexOf("/"), word.lastIndexOf("\\")) + 1))

/** No directory, glob, extension, version or escape: what `PLAIN_WORD` finds, without a search. */
const isPlainWord = (word: string): boolean => {
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i)
    // \ / . ? * [ and digits
    if (c === 92 || c === 47 || c === 46 || c === 63 || c === 42 || c === 91 || (c >= 48 && c <= 57)) return false
  }
  return true
}

const describe = (
  opener: Opener,
  dollar: boolean,
  words: ReadonlyArray<string>,
  whole: boolean,
  text: string,
  start: number,
  end: number
): SimpleCommand | undefined => {
  let index = 0
  let prefixed = false
  // `;then sleep 5`, `; do id; done`: after a separator a keyword of a compound command opens the
  // command that follows. At the start of a value it is prose as often (`if curl fails`).
  while (opener !== "start" && index < words.length - 1 && index < 2 && KEYWORDS.has(words[index] ?? "")) index++
  const first = index
  // `time sh -c id`, `nohup wget ...`: the prefix runs the next word, so read that one.
  while (index < words.length - 1 && index < first + 2 && PREFIX_COMMANDS.has(words[index] ?? "")) {
    const next = resolveCommand(words[index + 1] ?? "")
    if (!isCommand(next.name)) break
    index++
    prefixed = true
  }
  const word = words[index]
  if (word === undefined) return undefined
  // a name glued to `(` is a function call (`expand('a{b,c}')`, `whoami()`): a shell runs no command there
  if (index === words.length - 1 && text.charCodeAt(end) === 40 && text.charCodeAt(end - 1) !== 32) return undefined
  const resolved = resolveCommand(word)
  // `&calc.exe`, `& %TEMP%\\a.exe`: a program file run after a separator, whatever its name
  const rare = RARE_COMMANDS.has(resolved.name) || (opener !== "start" && isProgramFile(word))
  const common = COMMON_COMMANDS.has(resolved.name)
  const variable = VARIABLE_WORD.test(word)
  if (!rare && !common && !resolved.qualified && !variable) return undefined
  return {
    opener,
    name: resolved.name,
    rare,
    common,
    qualified: resolved.qualified,
    dollar,
    variable,
    globbed: resolved.globbed,
    prefixed,
    longOption: /^--[a-z]/.test(words[index + 1] ?? ""),
    argument: argumentOf(resolved.name, words, index),
    endsInWord: index + 1 < words.length && endsInProse(words[words.length - 1] ?? ""),
    alone: whole && words.length === 1,
    text: text.slice(start, Math.min(end, start + 80)).trim()
  }
}
