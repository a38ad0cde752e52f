/**
 * Command names split by characters the shell drops: `w'h'oami`, `"w"get`, `c^m^d`, `cu$@rl`,
 * `pi``ng`, `c\at`, `$'\x77hoami'`. Nobody writes a quote, a caret or an escape inside a command name except to get
 * it past a filter, so the split itself is the signal; where the word stands (start of the value,
 * after a separator) says it is run. English contractions (`I'd`, `it's`) are not splits.
 *
 * @internal
 */
import { COMMON_COMMANDS, RARE_COMMANDS } from "./commands.js"
import { deobfuscateShell } from "./normalize.js"

/** A word of letters and the characters that split one, where a command starts. */
const COMMAND_WORD = /(?:^|[;&|\n`(])\s{0,4}([a-z0-9_'"^\\`@$*-]{2,48})(?=$|[\s;&|)<>])/gi

/** Characters (or pairs) a shell removes from inside a word. */
const SPLITTER = /['"^\\`]|\$[@*]/
/** A quote of its own is weaker than an empty pair, a caret, an escape or an empty expansion. */
const STRONG_SPLITTER = /''|""|``|\^|\\|\$[@*]/

/** `I'd`, `it's`, `we'll`: one apostrophe and at most two letters after it. */
const CONTRACTION = /^[a-z]+'[a-z]{1,2}$/i

const OUTER_QUOTES = /^['"`]+|['"`]+$/g

/** Words looked at per value. */
const MAX_WORDS = 32

/**
 * The command a split word where a command starts spells, or undefined: a command that is not an
 * English word split any way, or one that is, split by more than a lone quote (`c"a"t`, `ti''me`).
 */
export const splitCommand = (value: string): string | undefined => {
  if (!SPLITTER.test(value)) return undefined
  let count = 0
  for (const match of value.matchAll(COMMAND_WORD)) {
    if (++count > MAX_WORDS) break
    const written = match[1] ?? ""
    const word = written.replace(OUTER_QUOTES, "")
    const inside = word.slice(1, -1)
    if (!SPLITTER.test(inside) || CONTRACTION.test(word)) continue
    // read with its quotes: `$'\x69d'` is `id` only with both of its own
    const name = deobfuscateShell(written)
    if (RARE_COMMANDS.has(name)) return name
    if (COMMON_COMMANDS.has(name) && (STRONG_SPLITTER.test(inside) || (word.match(/['"]/g) ?? []).length > 1)) return name
  }
  return undefined
}
