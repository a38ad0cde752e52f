/**
 * Conditions on a token stream: what follows OR/AND, the comparisons that are always true (of two
 * literals, of a name with itself, of a name with a string the query's own quote closes), and what
 * reads as a select list or a subquery rather than English. Every check reads a bounded window of
 * tokens from a given position.
 *
 * @internal
 */
import { DELAY_FUNCTIONS, EXTRACT_FUNCTIONS, LEAK_FUNCTIONS, PROBE_FUNCTIONS } from "./keywords.js"
import type { Token } from "./tokenizer.js"
import { at, isEnd, isValueToken, NONE, skipClosers, skipOpeners, type Tokens } from "./tokenWindow.js"

/** How far a condition may reach after OR/AND. */
const CONDITION_WINDOW = 24

/** A call whose name alone says SQL: a delay, a leak, a probe or an extraction function. */
export const isSqlCall = (t: Token): boolean =>
  t.type === "f" && (DELAY_FUNCTIONS.has(t.text) || LEAK_FUNCTIONS.has(t.text) || PROBE_FUNCTIONS.has(t.text) || EXTRACT_FUNCTIONS.has(t.text) || t.text === "select")

/**
 * The strength of the condition that starts at `i` (right after OR/AND): 2 when it compares values
 * or calls SQL functions, 1 when it compares names only (`a = b`) or is a bare literal, 0 otherwise.
 */
export const conditionAt = (tokens: Tokens, start: number): number => {
  const i = skipOpeners(tokens, start)
  const first = at(tokens, i)
  if (first.type === "E" && first.text === "select") {
    // "click and select an option": SELECT is an English verb too; a subquery needs a select list,
    // and a parenthesis, a FROM with a table, a comparison or a SQL call around it
    if (!isSelectList(tokens, i + 1)) return 0
    if ((i > start && at(tokens, i - 1).type === "(") || selectsFromTable(tokens, i)) return 2
  }
  if (first.type === "n" && (first.text === "true" || first.text === "false" || first.text === "null")) {
    return isEnd(tokens, skipClosers(tokens, i + 1)) ? 2 : 1
  }
  let strength = 0
  for (let j = i; at(tokens, j) !== NONE && j - i < CONDITION_WINDOW; j++) {
    const t = at(tokens, j)
    // `or a=a--`: even a comparison of names is a tautology when the rest is commented out
    if (t.type === "c" && strength === 1) return 2
    // `x' and email is null; --`: a statement ended by hand and the rest commented out is the same
    if (t.type === ";" && strength === 1 && at(tokens, j + 1).type === "c") return 2
    // `1 not like 0`: NOT negates the comparison that follows, it does not start a new condition
    if (t.text === "not" && at(tokens, j + 1).type === "o" && at(tokens, j + 1).flag) continue
    // `is not null`: the NOT belongs to IS; `between 1 and 9`: the AND belongs to BETWEEN
    if (t.text === "not" && at(tokens, j - 1).text === "is") continue
    if (t.text === "and" && at(tokens, j - 2).text === "between") continue
    if (t.type === "&" || t.type === "c" || t.type === ";" || t.type === "U") break
    if (isSqlCall(t)) return 2
    if (t.type === "o") {
      // `2 in 1 pen`, `it is 5`: IN compares a list, IS a null or a truth value, or it is prose
      if (t.text === "in" && at(tokens, j + 1).type !== "(") continue
      // `1 in (select ...)`: a subquery inside a condition
      if (t.text === "in" && at(tokens, j + 2).text === "select" && isSelectList(tokens, j + 3)) return 2
      if (t.text === "is" && !(at(tokens, j + 1).type === "n" || at(tokens, j + 1).text === "not")) continue
      const left = at(tokens, at(tokens, j - 1).text === "not" ? j - 2 : j - 1)
      const right = at(tokens, skipOpeners(tokens, j + 1))
      const leftValue = isValueToken(left) || left.type === "b"
      const rightValue = isValueToken(right) || right.type === "b" || right.type === "s" || (right.type === "o" && (right.text === "-" || right.text === "~" || right.text === "!"))
      if (!leftValue || !rightValue) continue
      if (isSelfComparison(tokens, j, left, right)) return 2
      // `in`, `is`, `between` read as English too: only symbols compare for sure
      if (t.flag && (isValueToken(left) || isValueToken(right)) && (SYMBOLIC_COMPARE.test(t.text) || (isValueToken(left) && isValueToken(right)))) return 2
      strength = Math.max(strength, t.flag ? 1 : isValueToken(left) && isValueToken(right) ? 1 : 0)
    }
  }
  if (strength === 0 && (first.type === "n" || first.type === "s") && isEnd(tokens, skipClosers(tokens, i + 1))) {
    return at(tokens, skipClosers(tokens, i + 1)).type === "c" ? 2 : 1
  }
  return strength
}

/** Operators under which a name compared with itself is always true (or, negated, always false). */
export const SELF_COMPARE: ReadonlySet<string> = new Set(["=", "==", "<=>", "<=", ">=", "!=", "<>", "like", "rlike", "regexp", "glob"])

/**
 * `or a=a`, `) or (uid = uid`: a column compared with itself, the tautology of an injection that
 * cannot type a literal. The comparison must end the condition (the value, a parenthesis, a comment
 * or the next OR/AND): "or a = a holds in any ring" is prose that goes on.
 */
const isSelfComparison = (tokens: Tokens, j: number, left: Token, right: Token): boolean => {
  if (left.type !== "b" || right.type !== "b" || left.text !== right.text || left.text === "`" || left.text === "[" || !SELF_COMPARE.has(at(tokens, j).text)) return false
  const after = skipClosers(tokens, skipOpeners(tokens, j + 1) + 1)
  return isEnd(tokens, after) || at(tokens, after).type === "&"
}

/** What follows SELECT reads as a select list, not as prose ("select a book from the list"). */
export const isSelectList = (tokens: Tokens, i: number): boolean => {
  let j = i
  while (at(tokens, j).type === "k" && (at(tokens, j).text === "all" || at(tokens, j).text === "distinct" || at(tokens, j).text === "top") && j - i < 3) j++
  const t = at(tokens, j)
  // a string column is closed, or short where the query's own quote closes it (`select 'a`);
  // `"SELECT" range` opens prose that runs to the end of the value
  const column = t.type === "s" && t.cells !== true && (t.flag || t.short === true)
  if (t.type === "n" || column || t.type === "v" || t.type === "f" || t.type === "(" || t.type === "E") return true
  if (t.type === "o" && t.text === "*") return true
  // `select -sin(1)`, `select -'1'`: a signed column
  if (t.type === "o" && (t.text === "-" || t.text === "+" || t.text === "~") && isValueToken(at(tokens, j + 1))) return true
  // `select -id-1 from`: a signed name in arithmetic, which a sentence's dash never opens
  if (t.type === "o" && (t.text === "-" || t.text === "~") && at(tokens, j + 1).type === "b" && at(tokens, j + 2).type === "o" && !at(tokens, j + 2).flag) return true
  if (t.type === "b") {
    const next = at(tokens, j + 1)
    return next.type === "," || (next.type === "k" && (next.text === "from" || next.text === "into")) || next.type === "c" || (next.type === "?" && next.text === ".")
  }
  return false
}

/** Words that end a table name in SQL: `from users where`, `from dual)`, `from t--`. */
export const TABLE_FOLLOWERS: ReadonlySet<string> = new Set(["where", "limit", "order", "group", "having", "union", "join", "into", "procedure"])

/**
 * SELECT at `i` reads its columns FROM a table: a select list of columns, then FROM and one name
 * that ends there ("select files from the folder" is prose: `the` is no table).
 */
const selectsFromTable = (tokens: Tokens, i: number): boolean => {
  for (let j = i + 1; at(tokens, j) !== NONE && j - i < CONDITION_WINDOW; j++) {
    const t = at(tokens, j)
    if (t.type === "k" && t.text === "from") {
      const table = at(tokens, j + 1)
      const after = at(tokens, j + 2)
      if (!hasColumnShape(tokens, i + 1, j) || !(table.type === "b" || table.type === "f" || table.type === "(")) return false
      return table.type === "(" || isEnd(tokens, j + 2) || after.type === ")" || after.type === "," || after.type === "U" || after.text === "." || (after.type === "k" && TABLE_FOLLOWERS.has(after.text))
    }
    if (t.type === ";" || t.type === "U" || t.type === "&" || t.type === "c") return false
  }
  return false
}

export const SYMBOLIC_COMPARE = /^[=<>!]/

/**
 * `(select name from users`, `convert(int,(select ...`: an operand at `i` that is, or whose call
 * holds, a parenthesised SELECT with a select list.
 */
export const isSubqueryAt = (tokens: Tokens, i: number): boolean => {
  for (let j = i; j < i + 6; j++) {
    const t = at(tokens, j)
    if (t.text === "select") return at(tokens, j - 1).type === "(" && isSelectList(tokens, j + 1)
    if (!(t.type === "f" || t.type === "(" || t.type === "," || t.type === "b" || t.type === "n")) return false
  }
  return false
}

/** The comparison words of LIKE patterns, which English uses too (`fans like 'em`). */
export const PATTERN_COMPARE: ReadonlySet<string> = new Set(["like", "ilike", "rlike", "glob", "regexp"])

/**
 * `' or uid like '%`, `x' or name='admin`: after the break-out, a column compared with a string that
 * the query's own closing quote ends, so the quotes balance and the condition selects every row (or
 * the row the attacker names). The string must be the value's last token, in the opening's quote; a
 * LIKE-family word needs a pattern that opens with `%`, since "the players' and fans like 'em" is
 * English.
 */
export const isQuoteBalancedCondition = (tokens: Tokens, i: number, n: number, opening: Token): boolean => {
  const name = n - 3
  if (n === Infinity || name < i || at(tokens, name).type !== "b") return false
  // the compared name opens the last condition: right after an OR/AND and its parentheses
  let k = name - 1
  while (k > i && at(tokens, k).type === "(") k--
  if (at(tokens, k).type !== "&") return false
  const op = at(tokens, name + 1)
  const last = at(tokens, name + 2)
  if (op.type !== "o" || !op.flag || last.type !== "s" || last.flag || last.text !== opening.text) return false
  return SYMBOLIC_COMPARE.test(op.text) || (PATTERN_COMPARE.has(op.text) && last.wild === true)
}

export const isLiteral = (t: Token): boolean => t.type === "n" || t.type === "s"

/** `1=1`, `'a'='a'`, `(2)>(1)`: a comparison of two literals, always true or always false. */
export const isTautology = (tokens: Tokens, i: number): boolean => {
  const left = skipOpeners(tokens, i)
  const closed = skipClosers(tokens, left + 1)
  // `'1' not regexp '2'`
  const op = at(tokens, closed).text === "not" ? closed + 1 : closed
  const right = skipOpeners(tokens, op + 1)
  const r = at(tokens, right)
  // IS compares with NULL, TRUE or FALSE: `"is" stamp` is prose
  if (at(tokens, op).text === "is" && r.type !== "n") return false
  return isLiteral(at(tokens, left)) && at(tokens, op).type === "o" && at(tokens, op).flag && isLiteral(r)
}

/** `if(2=` at the end of the value: the probe's comparison, cut where the tester stopped typing. */
export const isCutComparison = (tokens: Tokens, i: number): boolean => {
  const left = skipOpeners(tokens, i)
  const op = at(tokens, left + 1)
  return isLiteral(at(tokens, left)) && op.type === "o" && op.flag && at(tokens, left + 2) === NONE
}

/**
 * Whether the select list (between `from` and `to`) reads as columns: a column is one expression
 * and at most an alias, so three values in a row with no operator, comma or keyword between them
 * (`'a' quick brown`, what prose between two quoted cells of a CSV row turns into) are not SQL.
 */
export const hasColumnShape = (tokens: Tokens, from: number, to: number): boolean => {
  let run = 0
  for (let j = from; j < to; j++) {
    const type = at(tokens, j).type
    run = type === "b" || type === "s" || type === "n" || type === "v" ? run + 1 : 0
    if (run >= 3) return false
  }
  return true
}
