/**
 * Shell de-obfuscation: what a POSIX shell (or cmd.exe) would make of a word before running it.
 *
 * Attackers split command names so that a plain word list misses them: `c'a't`, `c\at`, `w^hoami`,
 * `cat$IFS/etc/passwd`, `c$@at`, `cat${x:-}`, `{cat,/etc/passwd}`. This pass undoes those tricks in
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

/** Characters turned back into a string per call. */
const CHUNK = 4096

/** The longest `${...}` or `{a,b}` group looked into; longer ones are left as they are. */
const MAX_GROUP = 96

/** The position of `char` in `value` from `from`, looking at most `MAX_GROUP` characters ahead. */
const closingWithin = (value: string, char: number, from: number): number => {
  const end = Math.min(value.length, from + MAX_GROUP)
  for (let j = from; j < end; j++) if (value.charCodeAt(j) === char) return j
  return -1
}

/** `${NAME}` / `$NAME` expansions an attacker uses for a space or a shell. */
const expansionOf = (name: string): string | undefined => {
  const upper = name.toUpperCase()
  if (upper === "IFS") return " "
  if (upper === "SHELL" || upper === "BASH") return "sh"
  return undefined
}

/**
 * The value as a shell would read its words: quotes and escapes inside words removed, `$IFS` as a
 * space, empty expansions dropped, brace lists expanded to words, lower case, whitespace but
 * newlines folded to one space.
 */
export const deobfuscateShell = (value: string): string => {
  if (!NEEDS_WALK.test(value)) return value.toLowerCase()
  const n = value.length
  // In a value with a Windows path, backslashes are directory separators, not escapes.
  const windows = WINDOWS_PATH.test(value)
  // The output is never longer than the input (every rewrite shortens or keeps its text), so it
  // goes into one buffer: no string is rebuilt or re-read while walking.
  const out = new Uint16Array(n)
  let length = 0
  let last = 0
  const emit = (piece: string) => {
    for (let k = 0; k < piece.length; k++) out[length++] = piece.charCodeAt(k)
    if (piece !== "") last = piece.charCodeAt(piece.length - 1)
  }
  let i = 0
  while (i < n) {
    const c = value.charCodeAt(i)
    // Quotes and cmd.exe's caret only split a word for the reader, not for the shell.
    if (c === 39 || c === 34 || c === 94) {
      i++
      continue
    }
    if (c === 92) {
      // A backslash before a word or glob character is an escape the shell drops (`c\at`, `\*`).
      const next = value.charCodeAt(i + 1)
      const previous = last
      if (next === 10) {
        i += 2
        continue
      }
      if (!windows && (isWordChar(next) || next === 42 || next === 63 || next === 47 || next === 46 || next === 32) && previous !== 58) {
        i++
        continue
      }
      emit("\\")
      i++
      continue
    }
    if (c === 36) {
      const next = value.charAt(i + 1)
      if (next === "{") {
        const close = closingWithin(value, 125, i + 2)
        if (close > 0) {
          const inner = value.slice(i + 2, close)
          const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(inner)?.[0] ?? ""
          const rest = inner.slice(name.length)
          // `${IFS}`, `${x}`, `${x:-}`, `${x:-default}`: what the shell substitutes.
          if (name !== "" && (rest === "" || rest.startsWith(":-") || rest.startsWith("-"))) {
            const expanded = expansionOf(name)
            emit(expanded ?? (rest === "" ? "" : rest.slice(rest.startsWith(":-") ? 2 : 1)))
            i = close + 1
            continue
          }
        }
      } else if (next === "(" && value.charAt(i + 2) === ")") {
        i += 3
        continue
      } else if (SPECIAL_PARAMETERS.has(next) && (isWordChar(last) || last === 47)) {
        // `c$@at`, `/et$9c`: an expansion in the middle of a word.
        i += 2
        continue
      } else if (isIdentifierStart(value.charCodeAt(i + 1))) {
        let end = i + 1
        while (end < n && end - i <= 32 && isWordChar(value.charCodeAt(end))) end++
        const name = value.slice(i + 1, end)
        const expanded = expansionOf(name)
        if (expanded !== undefined) {
          emit(expanded)
          i = end
          // `$IFS$9`: the positional parameter only ends the name.
          if (value.charAt(i) === "$" && /[0-9]/.test(value.charAt(i + 1))) i += 2
          continue
        }
        if (isWordChar(last) || last === 47) {
          // `cat$u`, `/etc$x/passwd`: an unset variable glued to a word.
          i = end
          continue
        }
      }
      emit("$")
      i++
      continue
    }
    if (c === 123) {
      // `{cat,/etc/passwd}`: brace expansion turns the list into words.
      const close = closingWithin(value, 125, i + 1)
      if (close > 0) {
        const inner = value.slice(i + 1, close)
        if (inner.includes(",") && !/[\s{:]/.test(inner)) {
          // Read as a group of its words, so the first word of the list is a command: `{,ifconfig}`.
          // Written with parentheses: a `}` closes a command only where bash reads it as a closing
          // brace, and this one would not be (`{ ifconfig}`).
          emit(`(${inner.replace(/,/g, " ")})`)
          i = close + 1
          continue
        }
      }
      emit("{")
      i++
      continue
    }
    if (c === 96 && value.charCodeAt(i + 1) === 96) {
      // An empty command substitution, ``, expands to nothing: `pi``ng`.
      i += 2
      continue
    }
    if (c === 9 || c === 11 || c === 12 || c === 13) {
      emit(" ")
      i++
      continue
    }
    out[length++] = c
    last = c
    i++
  }
  let text = ""
  for (let start = 0; start < length; start += CHUNK) {
    text += String.fromCharCode(...out.subarray(start, Math.min(length, start + CHUNK)))
  }
  return text.toLowerCase()
}
