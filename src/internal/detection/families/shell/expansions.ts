/**
 * Shell expansions that spell or stand for something without writing it: brace lists that build a
 * command name (`c{a,u}t`, `{,ip,a}`), tilde forms that expand to directories (`~+`, `~-1`), and
 * Windows environment variables naming system folders (`%SYSTEMROOT%`). Each reader looks at a
 * bounded window after each opener, so the work is linear in the value's length.
 *
 * @internal
 */
import { isCommand } from "./commands.js"

/** The longest brace list looked into, and the longest word glued to either side of it. */
const BRACE_WINDOW = 64
const GLUE_WINDOW = 16
const LIST_CHAR = /^[a-z0-9_$'"#.,\-/]*$/i
const WORD_CHAR = /[a-z0-9_-]/i

const bareWord = (word: string): string => word.replace(/[$'"]/g, "").toLowerCase()

/**
 * The command a brace expansion spells, if any: bash turns `c{a,oun}t` into `cat count` and
 * `{,ip,a}` into `ip a`, so a list glued to letters, or with an empty member, that yields a known
 * command is an obfuscated command. A plain list of words (`{"cat","dog"}`) is not.
 */
export const braceCommand = (value: string): string | undefined => {
  let open = value.indexOf("{")
  let close = -1
  while (open >= 0) {
    // The nearest `}` is shared by every `{` before it, so each character is searched once.
    if (close <= open) close = value.indexOf("}", open + 1)
    if (close < 0) return undefined
    const inner = close - open <= BRACE_WINDOW ? value.slice(open + 1, close) : ""
    if (inner.includes(",") && LIST_CHAR.test(inner) && !inner.includes("{")) {
      let start = open
      while (start > 0 && open - start < GLUE_WINDOW && WORD_CHAR.test(value.charAt(start - 1))) start--
      let end = close + 1
      while (end < value.length && end - close < GLUE_WINDOW && WORD_CHAR.test(value.charAt(end))) end++
      const prefix = value.slice(start, open)
      const suffix = value.slice(close + 1, end)
      const members = inner.split(",")
      const glued = prefix !== "" || suffix !== "" || members.includes("")
      if (glued) {
        for (const member of members) {
          const word = bareWord(`${prefix}${member}${suffix}`)
          if (word !== "" && isCommand(word)) return word
        }
      }
    }
    open = value.indexOf("{", open + 1)
  }
  return undefined
}

/**
 * Tilde forms that expand to the working directory or the directory stack (`~+`, `~-`, `~+2`,
 * `~-1`), standing alone or as a command's argument: only a shell gives them a meaning.
 */
export const TILDE_DIRECTORY = /^\s{0,4}~[+-]\d{0,3}\s{0,4}$|(?:^|[;|&`(\s])~[+-]\d{0,3}(?:\/|[;|&)`]|$)/
/** `~0`, `~1` alone: the directory stack by index, at level 2 (a reader may write "~1" for "about one"). */
export const TILDE_STACK = /^\s{0,4}~\d{1,3}\s{0,4}$/

/** Windows environment variables that name system folders or the command interpreter. */
export const WINDOWS_SYSTEM_VARIABLE =
  /%(?:systemroot|windir|comspec|systemdrive|programfiles|programdata|allusersprofile|userprofile|appdata|localappdata|homepath|homedrive|public)%/i

/**
 * A separator that starts the value, then one command word alone: `;set`, `| who`, `&& ls`, `\nid`.
 * The separator is group 1: a line break also ends a line of text, so after one only a word that
 * is no English word counts (a line of `test` between two line breaks is text).
 */
export const LEADING_SEPARATOR = /^\s{0,4}(;|\|\|?|&&?|\n)\s{0,4}\\?([a-z][a-z0-9_-]{0,31})\s{0,4}(?:[;|&]\s{0,4})?$/i

/**
 * A value that is a time-based blind probe, alone or between separators (`;sleep 10;`, `<sleep 10`):
 * `sleep 10`, PowerShell's `Start-Sleep -s 10`, cmd.exe's `timeout /t 10`, or `ping -n 10` of the
 * machine itself. Read on the de-obfuscated value, so `s'l'eep` and `^sleep` are the same probe.
 */
export const SLEEP_PROBE =
  /^\s{0,4}(?:[;|&<\n`]{1,2}\s{0,4})?(?:u?sleep\s{1,4}\d{1,5}(?:\.\d{1,3})?[smh]?|start-sleep(?:\s{1,4}-(?:s|seconds|m|milliseconds))?\s{1,4}\d{1,6}|timeout(?:\.exe)?\s{1,4}[/-]t\s{1,4}\d{1,5}(?:\s{1,4}[/-]nobreak)?|ping(?:\.exe)?\s{1,4}-[nc]\s{1,4}\d{1,4}\s{1,4}(?:127(?:\.\d{1,3}){3}|localhost))\s{0,4}(?:[;|&\n`]{1,2}\s{0,4})?$/

/**
 * What opens a value as a separator does without being one of `;` `|` `&` or a line feed: a caret
 * glued to a word (cmd.exe drops it, filters keep it: `^whoami`), an input redirection glued to a
 * word in a value that is no markup (`<id`), a carriage return, vertical tab or form feed.
 */
const LEADING_OPENER = /^[ \t]{0,4}(?:[\^<](?=[a-z\\'"/])|[\r\v\f]+[ \t]{0,4}(?=[a-z\\'"/]))/i

/**
 * The de-obfuscated `text` of `value` read as if it began with `;` when the value opens with one of
 * the characters of `LEADING_OPENER`, so a command after it is judged as a command after a separator.
 */
export const withLeadingOpener = (value: string, text: string): string => {
  const opener = LEADING_OPENER.exec(value)
  if (opener === null || (opener[0].endsWith("<") && value.includes(">"))) return text
  const start = text.trimStart()
  return `;${start.startsWith("<") ? start.slice(1) : start}`
}

/**
 * One character picked out of a variable, the way a command name is built letter by letter:
 * cmd.exe's `%COMSPEC:~-7,1%` and bash's `${PATH:5:1}`. Taking the first few characters
 * (`%DATE:~-4,4%`, `${SHA:0:7}`) is ordinary scripting and is not this.
 */
export const CHARACTER_PICK = /%[a-z_][a-z0-9_]{0,31}:~\s{0,2}-?\d{1,3},\s{0,2}1%|\$\{[a-z_][a-z0-9_]{0,31}:\s{0,2}-?\d{1,3}:1\}/i

/** Bash history expansion of earlier commands: `!-1`, `!-2!-1`, `!!:0`. */
export const HISTORY_EXPANSION = /^\s{0,4}!(?:-\d{1,3}|!)(?:!-?\d{1,3}|:\d|\s{0,4}$)/

/** A Bash function defined and called in one value, as a fork bomb is: `:(){ :|:& };:`, `f(){ f|f& };f`. */
export const FUNCTION_DEFINITION = /(?:^|[;&|\s])([a-z_:][a-z0-9_:]{0,31})\s{0,4}\(\s{0,4}\)\s{0,4}\{\s[^{}]{0,128}\}\s{0,4};\s{0,4}[a-z_:]/i

/**
 * Arithmetic of constants, `$((5+3))`, `$((7))`: a probe that proves a shell ran by the number it
 * prints (`echo X$((40+2))X`). Arithmetic a script does names its variables (`$((i+1))`).
 */
export const CONSTANT_ARITHMETIC = /\$\(\(\s{0,4}-?\d{1,9}\s{0,4}(?:[-+*\/%]\s{0,4}-?\d{1,9}\s{0,4}){0,4}\)\)/
