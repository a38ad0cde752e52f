/**
 * Commands run through variables: a value that assigns a command to a variable and runs the
 * variable (`x=$'uname -a';$x`, `set a=whoami&&call %a%`), or runs a word built of variables it
 * assigned (`a=who;b=ami;$a$b`, `!a!!b!` under cmd.exe's delayed expansion). The command name is
 * never written where a command starts, so a reader of command words alone misses it; the
 * assignment and the run in one value are what a shell, not a person, needs.
 *
 * @internal
 */
import { isCommand } from "./commands.js"
import { resolveCommand } from "./commandLine.js"
import { deobfuscateShell } from "./normalize.js"

/**
 * `name=value` where a command may start, with its value up to the next separator: POSIX
 * (`x=id`, `export x=id`) and cmd.exe (`set x=id`, `set "x=id"`).
 */
const ASSIGNMENT = /(?:^|[\s;&|`(^])(?:(?:export|local|declare|readonly|set)\s{1,4}(?:\/a\s{1,4})?)?["']?([a-z_][a-z0-9_]{0,31})=([^;&|\n]{0,64})/gi

/**
 * A command word made only of variables, where a command starts (the value's start, a separator,
 * or `call`, `eval` or `exec` before it): `$x`, `${x}`, `%x%`, or several glued (`$a$b`). The search
 * starts at the `$` or `%` and looks behind for the rest: far fewer places to try in code, where
 * separators are everywhere and variables rarely start a command.
 */
const EXECUTED =
  /[$%](?<=(?:^|[;&|\n`(]|(?:call|eval|exec)\s)\s{0,4}[$%])(?:\{?[a-z_][a-z0-9_]{0,31}\}?|[a-z_][a-z0-9_]{0,31}%)(?:\$\{?[a-z_][a-z0-9_]{0,31}\}?|%[a-z_][a-z0-9_]{0,31}%){0,3}(?=$|[\s;&|)`<>"'])/gi

/**
 * `!x!`, `!a!!b!` where a command starts: cmd.exe's delayed expansion, which only `cmd /v:on` turns
 * on, so it is looked for only in a value that does (code has `!` everywhere).
 */
const DELAYED = /!(?<=(?:^|[;&|\n`(]|(?:call|eval|exec)\s)\s{0,4}!)[a-z_][a-z0-9_]{0,31}!(?:![a-z_][a-z0-9_]{0,31}!){0,3}(?=$|[\s;&|)`<>"'])/gi

const ESCAPED_QUOTE = /\\(['"])/g

const VARIABLE_NAME = /[a-z_][a-z0-9_]{0,31}/gi

/** Assignments and runs looked at per value: an attack needs a few, a long text has no more say. */
const MAX_MATCHES = 32

/** The command a variable's value starts with, as a shell reads it (`$'\x69d'` is `id`), or "". */
const commandOf = (assigned: string): string => {
  // `x=$\\'id\\'`: quotes escaped by a layer that escapes them (addslashes) are still the quotes
  const first = deobfuscateShell(assigned.replace(ESCAPED_QUOTE, "$1")).trim().split(" ", 1)[0] ?? ""
  const name = resolveCommand(first).name
  return isCommand(name) ? name : ""
}

/**
 * The variable word a value assigns and then runs as a command, or undefined: one variable whose
 * value starts with a known command, or a word of several variables, one of them assigned here.
 */
export const executedVariable = (value: string): string | undefined => {
  if (!value.includes("=")) return undefined
  // Runs first: a variable where a command starts is rare, assignments are everywhere in code.
  const runs: Array<{ readonly word: string; readonly names: ReadonlyArray<string> }> = []
  let count = 0
  const delayed = value.includes("/v:") || value.includes("/V:")
  for (const pattern of delayed ? [EXECUTED, DELAYED] : [EXECUTED]) {
    for (const match of value.matchAll(pattern)) {
      if (++count > MAX_MATCHES) break
      const word = match[0]
      runs.push({ word, names: (word.match(VARIABLE_NAME) ?? []).map((name) => name.toLowerCase()) })
    }
  }
  if (runs.length === 0) return undefined
  const wanted = new Set(runs.flatMap((run) => run.names))
  const assigned = new Map<string, string>()
  count = 0
  for (const match of value.matchAll(ASSIGNMENT)) {
    if (++count > MAX_MATCHES) break
    const name = (match[1] ?? "").toLowerCase()
    if (wanted.has(name) && !assigned.has(name)) assigned.set(name, commandOf(match[2] ?? ""))
  }
  for (const { names, word } of runs) {
    const known = names.filter((name) => assigned.has(name))
    if (names.length > 1 ? known.length > 0 : known.some((name) => assigned.get(name) !== "")) return word
  }
  return undefined
}
