/**
 * Where, in a long value, a rule of the default level past the opening of a token stream can fire:
 * the positions of the tokens those rules start from (a UNION before SELECT, a `;` before a
 * statement, a call of a SQL function, SELECT before a select list, a catalogue name, WHERE before a
 * literal, CASE WHEN, HAVING, a server variable, a cast, a comment, a bare exponent). Each is a
 * superset of what the tokenizer would read there: a position too many costs a small window, one
 * too few a missed rule.
 *
 * One regular expression per kind of anchor, each scanning the value once: V8 skips to the first
 * character an expression can start with, so a long value without anchors costs a few passes of
 * `indexOf`, not a tokenizer pass per quote context.
 *
 * @internal
 */
import { CATALOGUE_PREFIXES, CATALOGUE_WORDS, DELAY_FUNCTIONS, LEAK_FUNCTIONS, PROBE_FUNCTIONS } from "./keywords.js"

const escape = (word: string): string => word.replace(/[.$]/g, "\\$&")
const anyOf = (words: Iterable<string>): string => [...words].sort((a, b) => b.length - a.length).map(escape).join("|")

/** Not followed by what continues a word. */
const END = "(?![a-z0-9_$.])"

const STATEMENTS =
  "select|insert|update|delete|drop|create|alter|truncate|exec|execute|declare|shutdown|grant|revoke|merge|call|waitfor|handler|rename|begin|commit|rollback|load|copy|pragma|attach|goto|replace"
/** What the tokenizer reads as a literal: a number, a string, NULL, TRUE, the `current_*` words. */
const LITERAL = `(?:[\\d.'"#/-]|[nxb]'|(?:null|true|false|current_\\w+|session_user|system_user|localtime\\w*|utc_\\w+)${END})`
const OPENERS = "(?:(?:\\(|!|not\\b|binary\\b)\\s*){0,8}"
/**
 * Calls a rule of the default level starts from: delays, leaks, probes (`schema_name` names the
 * database too), and the calls that run a statement. The extraction functions (`left(`, `count(`,
 * `if(`) only count at level 2 or inside what another anchor starts, and IF and the nested
 * extractions (`ascii(substring(`) have their own, narrower anchors.
 */
const CALLED = [...DELAY_FUNCTIONS, ...LEAK_FUNCTIONS, ...PROBE_FUNCTIONS, "schema_name", "select", "exec", "execute"]
const NESTED_INNER = "substring|substr|mid|select|version|database|user|current_user|system_user"

/** Glued to a number, MySQL still reads the word: `1union`, `9select`. */
const GLUED = "union|intersect|except|select|exec|execute|waitfor|declare|having|where|case"

/**
 * The anchors that start with a word, in one expression: V8 tries the alternation only where a word
 * starts (`\b`), which keeps a long value to a few nanoseconds a character; the few matches a `.`
 * or `$` glues to the word before (`x.substring(`) are dropped afterwards.
 */
const WORD_ANCHORS = new RegExp(
  `\\b(?:${[
    // UNION [ALL] SELECT, and the other set operators
    `(?:union|intersect|except)(?:\\W*(?:all|distinct))?(?:\\W*select${END}|[^\\w#-]*(?:#|--))`,
    // SELECT and what a select list starts with (not `select an option`)
    `select${END}\\s*(?:(?:all|distinct|top)\\s+){0,3}(?:[^\\sa-z_]|[nxb]'|[a-z_$][\\w$.]*\\s*(?:[,.(#\`]|--|/\\*|from${END}|into${END}|$)|\\w*_user${END}|(?:${STATEMENTS}|${anyOf(DELAY_FUNCTIONS)})${END})`,
    // IF(1=1, ...): a conditional probe on literals
    `i?if\\s*\\(\\s*${OPENERS}${LITERAL}`,
    // a call whose name says SQL
    `(?:${anyOf(CALLED)})\\s*\\(`,
    // a nested extraction: `ascii(substring(`
    `(?:ascii|ord|unicode|hex|bin|conv)\\s*\\(\\s*${OPENERS}(?:${NESTED_INNER})${END}`,
    `(?:waitfor|declare|exec|execute|having)${END}`,
    `where\\s*${OPENERS}${LITERAL}`,
    `case\\s*(?:when${END}|#|--|/\\*)`,
    // catalogue names, whole or as the first part of a dotted name, and their prefixes
    `(?:${anyOf(CATALOGUE_WORDS)})(?![a-z0-9_$])`,
    anyOf([...CATALOGUE_PREFIXES, "xp_"])
  ].join("|")})`,
  "gi"
)

/**
 * The other anchors: a `;` before a statement or a comment, a server variable, a PostgreSQL cast, a
 * comment (executable, or splitting words), `1.e(`, and a word glued to a number.
 */
const SIGN_ANCHORS = new RegExp(`;\\s*(?:[#/-]|(?:${STATEMENTS})${END})|@@|::|/\\*|\\d(?:\\.e\\s*[(.]|(?:${GLUED})${END})`, "gi")

/**
 * The anchors' positions in `value`, sorted, or `undefined` when there are more than `limit` (a value
 * that is mostly SQL is read whole).
 */
export const anchorsOf = (value: string, limit: number): ReadonlyArray<number> | undefined => {
  const found: Array<number> = []
  WORD_ANCHORS.lastIndex = 0
  for (let match = WORD_ANCHORS.exec(value); match !== null; match = WORD_ANCHORS.exec(value)) {
    const before = value.charCodeAt(match.index - 1)
    // `x.substring(`, `$select`: one word to the tokenizer
    if (before === 46 || before === 36) continue
    if (found.length >= limit) return undefined
    found.push(match.index)
  }
  SIGN_ANCHORS.lastIndex = 0
  for (let match = SIGN_ANCHORS.exec(value); match !== null; match = SIGN_ANCHORS.exec(value)) {
    if (found.length >= limit) return undefined
    found.push(match.index)
  }
  return found.sort((a, b) => a - b)
}
