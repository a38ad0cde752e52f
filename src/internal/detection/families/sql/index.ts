/**
 * The SQL injection family: each value is tokenized as the tail of a query it may have been pasted
 * into (bare, inside a `'` or `"` string, inside a `` ` `` name) and the token streams are matched against
 * the shapes injections take. Prose with quotes, dashes and SQL words stays prose: a rule needs the
 * stream to continue as SQL, not just to contain SQL words.
 *
 * @internal
 */
import { type DetectionFamily, type FamilyFinding, findingOf, type Paranoia, type RuleInfo, type ScanContext } from "../contract.js"
import { backQuotesAreCodeSpans } from "../markdown.js"
import { needsWholeStream } from "./anchors.js"
import { fingerprint, fingerprintWindow } from "./fingerprint.js"
import * as G from "./gate.js"
import { ESCAPED_QUOTE_LOGIC, NOSQL_OPERATOR, SQL_EXPRESSION, SQL_RULES } from "./rules.js"
import { isWordPart, type QuoteContext, tokenize } from "./tokenizer.js"
import { indexIn, Occurrences } from "./occurrences.js"
import { anchorsOf } from "./windows.js"

/**
 * `UNIunionON`: a keyword nested in itself, which no anchor names (the tokenizer checks that the
 * halves make the word); such a value is read whole.
 */
const NESTED_KEYWORD = /\w(?:union|select)\w/i

/**
 * Every SQL injection the rules find needs a quote, a line comment, a system variable, a comparison
 * after OR/AND, or one of the words that only SQL uses this way (a `/*` comment alone is not enough:
 * `Accept: *\/*` has one); values without any of them (words,
 * numbers, identifiers, browser headers with their parentheses and `;`) are rejected without
 * tokenizing. Every repetition is bounded, so the test is linear.
 *
 * Separate expressions rather than one alternation: V8 tries a long alternation at every position
 * (about 18 ns a character on a base64 image), its parts one by one cost a fraction. Each is tried
 * only when the value holds what it needs (`needs`: each mask names characters or words of
 * gate.ts, one of which must be there), found for all of them in one pass.
 */
export const MAY_MATCH: ReadonlyArray<{ readonly pattern: RegExp; readonly needs: ReadonlyArray<number> }> = [
  { pattern: /['"`#]|--|@@|::|&&|\|\||[!<>=]=|<<|>>|<>|\/\*[!*]|\*\/[^*]|[a-z]<[a-z/!]/i, needs: [G.QUOTE_OR_PAIR] },
  { pattern: /\d\.e[(.]|0x[0-9a-f]{3}/i, needs: [G.NUMBER_MARK] },
  { pattern: /(?:^|\[)\$[a-z]{2}/i, needs: [G.DOLLAR] },
  {
    pattern:
      /\b(?:union|select|insert|delete|drop|exec|execute|declare|waitfor|sleep|benchmark|pg_sleep|extractvalue|updatexml|load_file|information_schema|having|procedure|iif|if\s{0,4}\(|case\s{1,4}when|order\s{1,4}by|group\s{1,4}by|truncate|shutdown)\b/i,
    needs: [G.STATEMENT_WORD]
  },
  { pattern: /\b(?:ascii|ord|substr|substring|mid|char|concat|version|database|user|db_name)\s{0,4}\(/i, needs: [G.CALLED_WORD, G.PAREN] },
  {
    pattern: /\b(?:xp_|sys\.|sysobjects|syscolumns|sysdatabases|sysusers|sysibm|pg_|lo_|mysql\.|sqlite_|dbms_|utl_|randomblob)/i,
    needs: [G.CATALOGUE_PREFIX]
  },
  { pattern: /(?:\b(?:or|and|xor|not)\b|&&|\|\|)[^=<>]{0,40}[=<>]/i, needs: [G.LOGIC_WORD | G.LOGIC_PAIR, G.COMPARE] },
  {
    pattern: /(?:\b(?:or|and|xor|not)\b|&&|\|\|)[^=<>]{0,40}\b(?:like|rlike|regexp|glob|between|sounds)\b/i,
    needs: [G.LOGIC_WORD | G.LOGIC_PAIR, G.COMPARE_WORD]
  },
  { pattern: NESTED_KEYWORD, needs: [G.NESTED] },
  { pattern: /;\s{0,4}(?:select|insert|update|delete|drop|exec|declare|create|alter|shutdown|replace)/i, needs: [G.SEMICOLON] },
  {
    pattern:
      /\blike\s{0,4}'|\b(?:xor|regexp|rlike|like\s{1,4}null|is\s{1,4}(?:not\s{1,4})?null|n?varchar2?|openrowset|opendatasource|openquery|msdasql|sqloledb|sp_\w+|values\s{0,4}\(|when\b.{0,40}\bthen|as\s.{0,40}\bfrom)\b/i,
    needs: [G.CLAUSE_WORD]
  },
  { pattern: /\d\s{0,4}(?:=|\blike\b|\bis\s{1,4}not\b)\s{0,4}\d/i, needs: [G.DIGIT, G.COMPARE | G.LIKE_OR_IS] },
  { pattern: /\w\s{0,4}\(\s*$/i, needs: [G.PAREN] },
  {
    pattern: /\b(?:tempdb|msdb|northwind|sysaux|schema|current_user|session_user|system_user|current_database|current_schema)\b/i,
    needs: [G.SCHEMA_WORD]
  }
]

/** `\'or'1`: a quote the server escapes with a backslash, then a condition. */
const ESCAPED_QUOTE = /\\['"`]\s{0,4}(?:or|and|xor|&&|\|\|)(?![\w$])/i

const CONTEXTS: ReadonlyArray<QuoteContext> = ["", "'", '"', "`"]

/**
 * MongoDB's query operators where a parameter name or a whole value should be data: `id[$ne]`,
 * `{"$where": ...}`. Not SQL, but the same injection into a query language, and CRS files it so.
 * Names other formats use too (`$type` in .NET JSON, `$size`, `$all`) are left out.
 */
const MONGO_OPERATOR =
  /(?:^|\[)\$(?:ne|eq|gt|gte|lt|lte|in|nin|regex|where|exists|elemmatch|not|nor|or|and|text|expr|jsonschema|function|accumulator)(?:\]|$)/i

/** The rules that fire on `value`, and the work it took (for the linearity tests). */
export const analyse = (value: string, paranoia: Paranoia = 1): { readonly hits: ReadonlySet<RuleInfo>; readonly work: number } => {
  const hits = new Set<RuleInfo>()
  // without an anchor, only the opening of each stream can matter: a long JSON text stays cheap;
  // the looser rules of level 2 and above start anywhere
  // a long value at the default level is read around its anchors (`readWindows`), found in one
  // scan that also stands for `needsWholeStream`
  const long = paranoia === 1 && value.length > LONG
  const anchors = long ? anchorsOf(value, Math.max(MAX_WINDOWS, value.length / CHARACTERS_PER_WINDOW)) : undefined
  const whole = paranoia >= 2 || (long ? anchors === undefined : needsWholeStream(value) || NESTED_KEYWORD.test(value))
  // `includes` first: the expression's `^` alternative would try every position of a long value
  if (value.includes("$") && MONGO_OPERATOR.test(value)) hits.add(NOSQL_OPERATOR)
  if (paranoia >= 2 && ESCAPED_QUOTE.test(value)) hits.add(ESCAPED_QUOTE_LOGIC)
  let work = 0
  for (const quote of CONTEXTS) {
    if (quote !== "" && !value.includes(quote)) continue
    // Markdown's inline code (`` with `--help` to ``) opens no identifier for a back-quote to close
    if (quote === "`" && backQuotesAreCodeSpans(value)) continue
    work += fingerprint(tokenize(value, quote), quote, hits, whole, !long)
  }
  if (anchors !== undefined) work += readWindows(value, anchors, hits)
  if (hits.has(SQL_EXPRESSION) && isDiffHunk(value)) hits.delete(SQL_EXPRESSION)
  return { hits, work }
}

/**
 * A unified diff's hunk (`@@ -1 +1 @@`, then lines marked `-` or `+`) reads as SQL tokens ending in a
 * comment: `@@` a system variable, the line ranges numbers, a removed Markdown heading (`-# Title`) a
 * `#` comment. Code review traffic carries them (a pull request comment's `diff_hunk`); other rules still
 * read the lines after the header.
 */
const DIFF_HUNK = /^@@ -\d{1,9}(?:,\d{1,9})? \+\d{1,9}(?:,\d{1,9})? @@\r?\n/
/** A line that is no hunk line: a hunk's lines start with a blank, `-`, `+` or `\` (`\ No newline at end of file`), or are empty. */
const NOT_HUNK_LINE = /\n(?![ +\-\\\r\n]|$)/
/** The header ends its line, so nothing rides on it, and every line after it is a hunk line. */
const isDiffHunk = (value: string): boolean => DIFF_HUNK.test(value) && !NOT_HUNK_LINE.test(value)

/**
 * From this length on, a value is read at its opening and around its anchors only, at the default
 * level: each quote context of a 10 KB value costs a full tokenizer pass otherwise, and JSON text,
 * bundles, CSV and markdown hold an anchor somewhere almost always. Shorter values (every attack in
 * the corpora) are read whole, as before.
 */
const LONG = 2048
/**
 * More anchors than this, or than one per `CHARACTERS_PER_WINDOW` characters in a longer value, and
 * the value is mostly SQL: read whole, still linear.
 */
const MAX_WINDOWS = 48
const CHARACTERS_PER_WINDOW = 512
/** How far before an anchor a window starts: the tokens the rules look back at, and a margin. */
const BEFORE = 32
/** Anchors closer than this share a window. */
const GAP = 256
/** With more anchors than this, the windows share their searches (see `Occurrences`). */
const SHARED_SEARCHES = 8

/**
 * The rules past the opening, run on windows around `anchors`: each window is read in every quote
 * context that can be open at its start (bare, or inside a string whose quote appears before the
 * anchor), since where it starts the real stream may be inside a string or not.
 */
const readWindows = (value: string, anchors: ReadonlyArray<number>, hits: Set<RuleInfo>): number => {
  // with many windows, the searches of every window share one index of the markers: a search per
  // window may run to the value's end (no backslash in it), quadratic; a few windows search alone,
  // which costs less when quotes are dense
  const occurrences = anchors.length > SHARED_SEARCHES ? new Occurrences(value) : undefined
  let work = 0
  let g = 0
  while (g < anchors.length) {
    const firstAnchor = anchors[g]!
    let last = firstAnchor
    let h = g + 1
    while (h < anchors.length && anchors[h]! - last < GAP) last = anchors[h++]!
    let start = Math.max(0, firstAnchor - BEFORE)
    // start on a word's first character, not inside it
    while (start > 0 && start < firstAnchor && isWordPart(value.charCodeAt(start - 1))) start++
    for (const quote of CONTEXTS) {
      if (quote !== "") {
        const at = indexIn(value, occurrences, quote, start)
        if (at < 0 || at > last) continue
      }
      work += fingerprintWindow(tokenize(value, quote, start, occurrences), hits, start === 0 && quote === "", last)
    }
    g = h
  }
  return work + (occurrences?.examined ?? 0)
}

const scan = (value: string, context: ScanContext): ReadonlyArray<FamilyFinding> => {
  if (context.paranoia >= 2 && value.length > LONG && !mayMatch(value)) return []
  const { hits } = analyse(value, context.paranoia)
  const findings: Array<FamilyFinding> = []
  for (const rule of hits) {
    if (rule.paranoia <= context.paranoia) findings.push(findingOf(rule, `${rule.description.split(":")[0]}: ${value}`))
  }
  return findings
}

/**
 * `or isnull(1/0) /*`: a condition whose rest a block comment cuts off. Tested only where the value
 * holds `/*`: on prose, OR/AND and the window after each cost more than all of `MAY_MATCH`'s tests.
 */
export const CUT_CONDITION = /\b(?:or|and|xor)\b.{0,60}\/\*/i

/** `MAY_MATCH` as flat arrays, read per value: the expressions and their one or two needs (0: none). */
const PATTERNS = MAY_MATCH.map((m) => m.pattern)
const FIRST_NEED = Int32Array.from(MAY_MATCH, (m) => m.needs[0]!)
const SECOND_NEED = Int32Array.from(MAY_MATCH, (m) => m.needs[1] ?? 0)

/** Whether one of `MAY_MATCH` or `CUT_CONDITION` matches `value`: those `gateBits` leave in, tried. */
export const mayMatch = (value: string): boolean => {
  const bits = G.gateBits(value)
  // every expression needs something: a value of words and spaces alone has no bit
  if (bits === 0) return false
  for (let k = 0; k < PATTERNS.length; k++) {
    if ((bits & FIRST_NEED[k]!) === 0) continue
    const second = SECOND_NEED[k]!
    if ((second === 0 || (bits & second) !== 0) && PATTERNS[k]!.test(value)) return true
  }
  return (bits & G.COMMENT_OPEN) !== 0 && CUT_CONDITION.test(value)
}

export const family: DetectionFamily = {
  name: "sql",
  rules: SQL_RULES,
  // a long value is cheaper to read around its anchors than to test against every expression here
  // (a dozen passes); `scan` tests them itself where it would read the value whole
  mayMatch: (value) => value.length > LONG || mayMatch(value),
  scan
}
