/**
 * Command names split by characters the shell drops: `w'h'oami`, `"w"get`, `c^m^d`, `cu$@rl`,
 * `pi``ng`, `c\at`, `$'\x77hoami'`. Nobody writes a quote, a caret or an escape inside a command name except to get
 * it past a filter, so the split itself is the signal; where the word stands (start of the value,
 * after a separator) says it is run. English contractions (`I'd`, `it's`) are not splits.
 *
 * @internal
 */
import { COMMON_COMMANDS, RARE_COMMANDS } from "./commands.js"
import { ETC_FILES, PROC_ENTRIES } from "../files/names.js"
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
 * next space or separator, with the quote that may open it (`"/et"c/passwd`). It starts at its `/` or
 * that quote (a look-behind, not a consumed character), so the search skips to them. A comma ends it:
 * `"/etc/hosts","/etc/resolv.conf"` is a list of two quoted paths, not one split word.
 */
const ROOTED_WORD = /(?<=^|[\s;&|=(<>,])['"]?\/[^\s;&|<>()`,]{2,128}/g

/** Punctuation that ends a sentence or a list after a path, not part of the word the shell reads. */
const TRAILING_PUNCTUATION = /[.:!?\]}]+$/

/** A quote pair around the whole word: `'/etc/hosts'` is a quoted path, not a split one. */
const WRAPPED = /^(?:'[^']*'|"[^"]*")$/

/** What splits a word for the shell: a quote pair (which may hold a `/`), an empty pair or expansion. */
const SPLIT = /'[^']{0,128}'|"[^"]{0,128}"|\$[@*]/

/** A quote pair around one whole segment (`/var/log/'app'.log`): weaker than a cut inside a name. */
const SEGMENT_QUOTED = /(?<=\/)(?:'[^'/]{1,64}'|"[^"/]{1,64}")(?=\/|\.|$)/g

/**
 * Roots whose every file is the system's; under `/usr`, `/var`, `/opt` and `/tmp` users' own files
 * live too (`/var/www/uploads/Bob's-Mom's-Cake.jpg`), so there only their command and log
 * directories count, or a split of the root's own name (`/v'a'r/...`).
 */
const SYSTEM_ROOT = /^\/(?:etc|proc|bin|sbin|dev|root|boot|sys|lib|lib64|usr\/(?:local\/)?s?bin|var\/log)\//
const USER_ROOT = /^\/(?:usr|var|tmp|opt)\//
const ROOT_SEGMENT_SPLIT = /^['"]?\/[^/]*(?:['"]|\$[@*])/

/** A file a reader of the system looks for by name: `/etc/passwd`, `/proc/self/environ`, a shell. */
const knownTarget = (path: string): boolean => {
  const [, root, name = ""] = path.split("/", 3)
  if (root === "etc") return ETC_FILES.has(name)
  if (root === "proc") return PROC_ENTRIES.has(name) || /^\d{1,7}$/.test(name)
  return root === "root" || root === "bin" || root === "sbin"
}

/**
 * A system path split by quotes the shell drops (`/etc/pa'ss'wd`, `/e""tc/shadow`, `"/et"c/passwd`,
 * `/e'tc/pa'sswd`), or undefined. Nobody quotes part of a system file's name except to get the path
 * past a filter that looks for it; once the shell has joined it, it is the path. A quoted whole
 * segment counts only where the joined path names a file such a filter knows (`/etc/'passwd'`).
 */
export const splitSystemPath = (value: string): string | undefined => {
  if (!value.includes("/") || !SPLITTER.test(value)) return undefined
  let count = 0
  for (const match of value.matchAll(ROOTED_WORD)) {
    if (++count > MAX_WORDS) break
    const word = match[0].replace(TRAILING_PUNCTUATION, "")
    if (WRAPPED.test(word) || !SPLIT.test(word)) continue
    const path = deobfuscateShell(word)
    const inName = SPLIT.test(word.replace(SEGMENT_QUOTED, "x"))
    if (knownTarget(path)) return path
    if (inName && (SYSTEM_ROOT.test(path) || (USER_ROOT.test(path) && ROOT_SEGMENT_SPLIT.test(word)))) return path
  }
  return undefined
}
