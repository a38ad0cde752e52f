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

/**
 * A word of letters and the characters that split one, where a command starts: at the value's start
 * (`FIRST_WORD`) or after a separator (`COMMAND_WORD`, which starts at the separator, a single
 * character class the search skips to quickly).
 */
const FIRST_WORD = /^\s{0,4}([a-z0-9_'"^\\`@$*-]{2,48})(?=$|[\s;&|)<>])/i
const COMMAND_WORD = /[;&|\n`(]\s{0,4}([a-z0-9_'"^\\`@$*-]{2,48})(?=$|[\s;&|)<>])/gi

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
  const first = FIRST_WORD.exec(value)?.[1]
  const spelled = first === undefined ? undefined : spelledCommand(first)
  if (spelled !== undefined) return spelled
  let count = 0
  for (const match of value.matchAll(COMMAND_WORD)) {
    if (++count > MAX_WORDS) break
    const name = spelledCommand(match[1] ?? "")
    if (name !== undefined) return name
  }
  return undefined
}

/** The command a word spells once the characters splitting it are dropped, if it is split. */
const spelledCommand = (written: string): string | undefined => {
  const word = written.replace(OUTER_QUOTES, "")
  const inside = word.slice(1, -1)
  if (!SPLITTER.test(inside) || CONTRACTION.test(word)) return undefined
  // read with its quotes: `$'\x69d'` is `id` only with both of its own
  const name = deobfuscateShell(written)
  if (RARE_COMMANDS.has(name)) return name
  const strong = STRONG_SPLITTER.test(inside) || (word.match(/['"]/g) ?? []).length > 1
  return COMMON_COMMANDS.has(name) && strong ? name : undefined
}

/**
 * A word written from the root, where a command's argument or a file parameter starts, up to the
 * next space or separator. It starts at its `/` (a look-behind, not a consumed character), so the
 * search skips to slashes.
 */
const ROOTED_WORD = /(?<=^|[\s;&|=(<>,])\/[^\s;&|<>()`]{2,128}/g

/**
 * A quoted piece inside a word, glued to letters on both sides (`pa'ss'wd`) or opening a segment that
 * goes on with letters (`/'b'ash`; `/'app'.log` quotes a name before its extension), or an empty pair.
 */
const INNER_SPLIT = /[a-z0-9_.-](?:'[^'\s/]{1,16}'|"[^"\s/]{1,16}")[a-z0-9_.-]|\/(?:'[^'\s/]{1,16}'|"[^"\s/]{1,16}")[a-z0-9_]|[a-z0-9_./-](?:''|""|\$[@*])[a-z0-9_.-]/i

/** The system directories a read or a run of a file is aimed at; not `/home`, where `o'brien's` lives. */
const SYSTEM_ROOT = /^\/(?:etc|proc|bin|sbin|usr|var|dev|root|boot|sys|tmp|opt|lib|lib64)\//

/**
 * A system path split by quotes the shell drops (`/etc/pa'ss'wd`, `/e""tc/shadow`, `/pr'o'c/self/environ`),
 * or undefined. Nobody quotes part of a directory's or a file's name except to get the path past a
 * filter that looks for it; once the shell has joined it, it is the path.
 */
export const splitSystemPath = (value: string): string | undefined => {
  if (!value.includes("/") || !SPLITTER.test(value)) return undefined
  let count = 0
  for (const match of value.matchAll(ROOTED_WORD)) {
    if (++count > MAX_WORDS) break
    const word = match[0]
    if (!INNER_SPLIT.test(word)) continue
    const path = deobfuscateShell(word)
    if (SYSTEM_ROOT.test(path)) return path
  }
  return undefined
}
