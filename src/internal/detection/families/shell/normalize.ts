/**
 * Shell de-obfuscation: what a POSIX shell (or cmd.exe) would make of a word before running it.
 *
 * Attackers split command names so that a plain word list misses them: `c'a't`, `c\at`, `w^hoami`,
 * `cat$IFS/etc/passwd`, `c$@at`, `cat${x:-}`, `{cat,/etc/passwd}`, `$'\x69d'`, `${HOME:0:1}etc`. This pass undoes those tricks in
 * one left-to-right walk; every look-ahead is bounded, so it is linear in the value's length.
 *
 * @internal
 */

const isWordChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95

const isIdentifierStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95

/** Shell special parameters that expand to nothing useful in an injected word: `$@`, `$*`, `$?`... */
const SPECIAL_PARAMETERS = new Set(["@", "*", "!", "?", "-", "_", "$", "#", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"])

/** Characters this pass rewrites; a value without any is only lower-cased. */
const NEEDS_WALK = /['"^\\${\t\v\f\r`]/

const WINDOWS_PATH = /[a-z]:\\|%\\|\\windows\\|\\system32\\/i

/** The characters the walk stops at; the text between two of them is copied as one slice. */
const SPECIAL = /[\\${`\t\v\f\r]/g

/** The longest `${...}` or `{a,b}` group looked into; longer ones are left as they are. */
const MAX_GROUP = 96

/**
 * Finds the `}` closing a group opened before `from`, at most `MAX_GROUP` characters ahead. The walk
 * only moves forward, so the last `}` found answers every opener before it and each character is
 * searched once (`{{{{...` without a `}` stays linear).
 */
const closingBrace = (value: string) => {
  let found = -2
  return (from: number): number => {
    if (found !== -1 && found < from) found = value.indexOf("}", from)
    return found >= 0 && found < from + MAX_GROUP ? found : -1
  }
}

/** `${NAME}` / `$NAME` expansions an attacker uses for a space or a shell. */
const expansionOf = (name: string): string | undefined => {
  const upper = name.toUpperCase()
  if (upper === "IFS") return " "
  if (upper === "SHELL" || upper === "BASH") return "sh"
  return undefined
}

/** Variables whose value starts with `/`: `${HOME:0:1}` is a slash written without one. */
const ROOTED_VARIABLES = new Set(["PATH", "HOME", "PWD", "OLDPWD", "SHELL"])

/** `:0:1` or `::1`, the first character of a variable's value. */
const FIRST_CHARACTER = /^:0?:1$/

/**
 * What `${name<rest>}` expands to where an attacker relies on it, or undefined: `${x}` and
 * `${x:-default}` as the shell substitutes them, `$IFS` with any operator (`${IFS%%?}`) as the
 * whitespace it still is, and the first character of a rooted variable (`${PATH:0:1}`) as `/`.
 */
const braceExpansionOf = (name: string, rest: string): string | undefined => {
  const expanded = expansionOf(name)
  if (rest === "") return expanded ?? ""
  if (rest.startsWith(":-") || rest.startsWith("-")) return expanded ?? rest.slice(rest.startsWith(":-") ? 2 : 1)
  if (expanded === " ") return expanded
  if (FIRST_CHARACTER.test(rest) && ROOTED_VARIABLES.has(name.toUpperCase())) return "/"
  return undefined
}

/** Bash's ANSI-C quoting, `$'...'`, up to `MAX_GROUP` characters: its escapes spell any byte. */
const ANSI_C_QUOTED = /\$'((?:[^'\\\n]|\\[^\n]){0,96})'/g
const ANSI_C_ESCAPE = /\\(?:x([0-9a-f]{1,2})|u([0-9a-f]{1,4})|([0-7]{1,3})|(.))/gi
const NAMED_ESCAPES: Readonly<Record<string, string>> = { n: "\n", t: "\t", r: "\r", v: "\v", f: "\f", e: "\u001b", a: "\u0007" }

/**
 * `$'\x77ho\141mi'` as bash reads it (`whoami`): hexadecimal, Unicode and octal escapes decoded,
 * `\n` and the like as their control characters, any other escaped character as itself. Never longer
 * than what it reads.
 */
const decodeAnsiC = (_match: string, body: string): string =>
  body.replace(ANSI_C_ESCAPE, (_escape, hex?: string, unicode?: string, octal?: string, other?: string) => {
    const code = hex !== undefined ? parseInt(hex, 16) : unicode !== undefined ? parseInt(unicode, 16) : octal !== undefined ? parseInt(octal, 8) : -1
    if (code >= 0) return String.fromCharCode(code)
    return NAMED_ESCAPES[other ?? ""] ?? other ?? ""
  })

/**
 * The value as a shell would read its words: quotes and escapes inside words removed, `$IFS` as a
 * space, empty expansions dropped, brace lists expanded to words, lower case, whitespace but
 * newlines folded to one space.
 */
export const deobfuscateShell = (raw: string): string => {
  if (!NEEDS_WALK.test(raw)) return raw.toLowerCase()
  // Quotes and cmd.exe's caret only split a word for the reader, not for the shell; bash removes
  // quotes last, so a brace list or an expansion reads the same without them (`{'c'at,x}`).
  // A native pass per character takes them all out of a value full of them (JSON text).
  let value = raw
  // `$'...'` before the quotes go: its escapes are what bash runs; `$"..."` is a plain string.
  if (value.includes("$'")) value = value.replace(ANSI_C_QUOTED, decodeAnsiC)
  if (value.includes("$\"")) value = value.replaceAll("$\"", "\"")
  if (value.includes("\"")) value = value.replaceAll("\"", "")
  if (value.includes("'")) value = value.replaceAll("'", "")
  if (value.includes("^")) value = value.replaceAll("^", "")
  if (!NEEDS_WALK.test(value)) return value.toLowerCase()
  const n = value.length
  // In a value with a Windows path, backslashes are directory separators, not escapes.
  const windows = value.includes("\\") && WINDOWS_PATH.test(value)
  // The walk jumps from one special character to the next; the text between, and a special
  // character the shell keeps as it is, stay in the pending run, copied as one slice when a rewrite
  // needs it. The pieces are joined once at the end, so no long chain of concatenations is built.
  const parts: Array<string> = []
  const replacement: Replacement = { piece: "" }
  let last = 0
  const closeAfter = closingBrace(value)
  let from = 0
  SPECIAL.lastIndex = 0
  for (let match = SPECIAL.exec(value); match !== null; match = SPECIAL.exec(value)) {
    const i = match.index
    const before = i > from ? value.charCodeAt(i - 1) : last
    replacement.piece = ""
    const next = rewrite(value, n, i, value.charCodeAt(i), windows, before, closeAfter, replacement)
    if (next === KEEP) {
      SPECIAL.lastIndex = i + 1
      continue
    }
    if (i > from) parts.push(value.slice(from, i))
    const piece = replacement.piece
    if (piece !== "") parts.push(piece)
    last = piece !== "" ? piece.charCodeAt(piece.length - 1) : before
    from = next
    SPECIAL.lastIndex = next
  }
  if (from < n) parts.push(value.slice(from))
  return parts.join("").toLowerCase()
}

/** What `rewrite` puts in place of the characters it consumed; empty when it drops them. */
interface Replacement {
  piece: string
}

/** `rewrite`'s answer when the shell keeps the character as it is. */
const KEEP = -1

/**
 * Rewrites the special character `c` at `i`: returns where the walk goes on, with what replaces the
 * consumed characters in `replacement`, or KEEP when the shell keeps the character as it is.
 */
const rewrite = (
  value: string,
  n: number,
  i: number,
  c: number,
  windows: boolean,
  last: number,
  closeAfter: (from: number) => number,
  replacement: Replacement
): number => {
  if (c === 92) {
    // A backslash before a word or glob character is an escape the shell drops (`c\at`, `\*`).
    const next = value.charCodeAt(i + 1)
    if (next === 10) return i + 2
    if (!windows && (isWordChar(next) || next === 42 || next === 63 || next === 47 || next === 46 || next === 32) && last !== 58) {
      return i + 1
    }
    return KEEP
  }
  if (c === 36) {
    const next = value.charAt(i + 1)
    if (next === "{") {
      const close = closeAfter(i + 2)
      if (close > 0) {
        const inner = value.slice(i + 2, close)
        const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(inner)?.[0] ?? ""
        const rest = inner.slice(name.length)
        // `${IFS}`, `${x}`, `${x:-default}`, `${IFS%%?}`, `${HOME:0:1}`: what the shell substitutes.
        const expanded = name === "" ? undefined : braceExpansionOf(name, rest)
        if (expanded !== undefined) {
          replacement.piece = expanded
          return close + 1
        }
      }
    } else if (next === "(" && value.charAt(i + 2) === ")") {
      return i + 3
    } else if (SPECIAL_PARAMETERS.has(next) && (isWordChar(last) || last === 47)) {
      // `c$@at`, `/et$9c`: an expansion in the middle of a word.
      return i + 2
    } else if (isIdentifierStart(value.charCodeAt(i + 1))) {
      let end = i + 1
      while (end < n && end - i <= 32 && isWordChar(value.charCodeAt(end))) end++
      const expanded = expansionOf(value.slice(i + 1, end))
      if (expanded !== undefined) {
        replacement.piece = expanded
        // `$IFS$9`: the positional parameter only ends the name.
        return value.charAt(end) === "$" && /[0-9]/.test(value.charAt(end + 1)) ? end + 2 : end
      }
      // `cat$u`, `/etc$x/passwd`: an unset variable glued to a word.
      if (isWordChar(last) || last === 47) return end
    }
    return KEEP
  }
  if (c === 123) {
    // `{cat,/etc/passwd}`: brace expansion turns the list into words.
    const close = closeAfter(i + 1)
    if (close > 0) {
      const inner = value.slice(i + 1, close)
      if (inner.includes(",") && !/[\s{:]/.test(inner)) {
        // Read as a group of its words, so the first word of the list is a command: `{,ifconfig}`.
        // Written with parentheses: a `}` closes a command only where bash reads it as a closing
        // brace, and this one would not be (`{ ifconfig}`).
        replacement.piece = `(${inner.replace(/,/g, " ")})`
        return close + 1
      }
    }
    return KEEP
  }
  // An empty command substitution, ``, expands to nothing: `pi``ng`.
  if (c === 96) {
    if (value.charCodeAt(i + 1) === 96) return i + 2
    return KEEP
  }
  // A carriage return not ending a line ends a command as a line feed does (`%0Did`); a tab,
  // vertical tab or form feed, and the carriage return of a CRLF, are spaces.
  replacement.piece = c === 13 && value.charCodeAt(i + 1) !== 10 ? "\n" : " "
  return i + 1
}
