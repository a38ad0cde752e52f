/**
 * Decisions on a token stream: the shapes an injection takes once the value is pasted into a query
 * (breaking out of a string, then a condition, a comment, a UNION or a second statement), and the
 * calls only an attacker makes. Every check reads a bounded window of tokens from a given position,
 * so the whole analysis is linear in the number of tokens.
 *
 * @internal
 */
import type { RuleInfo } from "../contract.js"
import { conditionAt, hasColumnShape, isCutComparison, isLiteral, isQuoteBalancedCondition, isSelectList, isSqlCall, isSubqueryAt, isTautology, SYMBOLIC_COMPARE } from "./conditions.js"
import { CATALOGUE_PREFIXES, CATALOGUE_WORDS, CONDITIONAL_FUNCTIONS, DELAY_FUNCTIONS, EXTRACT_FUNCTIONS, LEAK_FUNCTIONS, PROBE_FUNCTIONS, shapeFilter } from "./keywords.js"
import * as R from "./rules.js"
import type { QuoteContext, Token, TokenSource } from "./tokenizer.js"
import { at, isEnd, isValueToken, NONE, skipClosers, skipExpression, skipOpeners, type Tokens, windowOf } from "./tokenWindow.js"

/** What goes on after a closed string in a concatenation break-out: a comment, an operator, a statement's end. */
const CONCAT_TAIL: ReadonlySet<string> = new Set(["c", "o", "&", ";", ")"])

/** Where the value may have broken out of the statement's own literal: after a quote or a number. */
const isBreakPoint = (t: Token): boolean => t.type === "s" || t.type === "n" || t.type === ")" || t.type === "v" || t.type === "c"

/** What EXEC runs: a variable, a call, or a stored procedure's name (`xp_cmdshell`, `master..x`). */
const isProcedure = (t: Token): boolean =>
  t.type === "v" || t.type === "(" || t.type === "f" || (t.type === "b" && (/^(?:xp|sp)_/.test(t.text) || t.text.includes(".")))

const STATEMENT_FOLLOWERS: Readonly<Record<string, (next: Token, after: Token) => boolean>> = {
  select: () => true,
  insert: (next) => next.text === "into",
  update: (next, after) => next.type === "b" && after.text === "set",
  delete: (next) => next.text === "from",
  drop: (next) => next.text === "table" || next.text === "database" || next.text === "schema" || next.text === "user" || next.text === "procedure" || next.text === "function" || next.text === "view" || next.text === "index",
  create: (next) => next.text === "table" || next.text === "user" || next.text === "database" || next.text === "procedure" || next.text === "function" || next.text === "view",
  alter: (next) => next.text === "table" || next.text === "user" || next.text === "database" || next.text === "login",
  truncate: (next) => next.text === "table" || next.type === "b" || next.type === "?",
  // MySQL's REPLACE [INTO] t (cols) VALUES ...
  replace: (next, after) => next.text === "into" || ((next.type === "b" || next.type === "f") && (after.type === "(" || after.text === "values" || after.text === "set")),
  exec: (next) => isProcedure(next),
  execute: (next) => isProcedure(next) || next.text === "immediate",
  declare: (next) => next.type === "v",
  shutdown: (next) => next.type === "c" || next.type === "?" || next.type === ";" || next.text === "",
  waitfor: (next) => next.text === "delay" || next.text === "time",
  grant: (next) => next.type === "b" || next.text === "all",
  call: (next) => next.type === "f",
  load: (next) => next.type === "b" && next.text === "data",
  copy: (next) => next.type === "b" || next.type === "(",
  pragma: (next) => next.type === "b" || next.type === "f",
  attach: (next) => next.text === "database",
  begin: (next) => next.type === "E" || next.text === "try" || next.text === "tran" || next.text === "transaction",
  goto: (next) => next.type === "b"
}

const isStatementAt = (tokens: Tokens, i: number): boolean => {
  const t = at(tokens, i)
  if (t.type !== "E" && !(t.type === "f" && t.text === "select")) return false
  if (t.text === "select") return isSelectList(tokens, i + 1)
  const follows = STATEMENT_FOLLOWERS[t.text]
  return follows !== undefined && follows(at(tokens, i + 1), at(tokens, i + 2))
}

const CLAUSES: ReadonlySet<string> = new Set(["order", "group", "having", "procedure", "limit", "into"])

/** `order by 3--`, `group by 1 having 1=1`, `procedure analyse(...)`, `into outfile '/x'`. */
const isClauseProbe = (tokens: Tokens, i: number): boolean => {
  const t = at(tokens, i)
  if (t.type !== "k" || !CLAUSES.has(t.text)) return false
  const next = at(tokens, i + 1)
  if (t.text === "order" || t.text === "group") {
    if (next.text !== "by") return false
    const what = at(tokens, i + 2)
    if (what.type === "f" && isSqlCall(what)) return true
    if (what.type !== "n" && what.type !== "b") return false
    const after = at(tokens, i + 3)
    return isEnd(tokens, i + 3)
      ? what.type === "n" || after.type === "c"
      : (after.type === "," && what.type === "n") || after.text === "having" || after.text === "limit" || after.type === "U"
  }
  if (t.text === "having") return conditionAt(tokens, i + 1) === 2
  if (t.text === "procedure") return next.type === "f"
  if (t.text === "into") return next.text === "outfile" || next.text === "dumpfile"
  // limit
  return next.type === "n" && (at(tokens, i + 2).type === "," || at(tokens, i + 2).type === "U" || at(tokens, i + 2).type === "c" || at(tokens, i + 2).text === "procedure" || at(tokens, i + 2).text === "into" || at(tokens, i + 2).text === "offset")
}

const isCatalogueName = (text: string): boolean => {
  if (CATALOGUE_WORDS.has(text)) return true
  for (const prefix of CATALOGUE_PREFIXES) if (text.startsWith(prefix)) return true
  const dot = text.indexOf(".")
  return dot > 0 && CATALOGUE_WORDS.has(text.slice(0, dot))
}

const SERVER_VARIABLES = /^@@(?:version|datadir|hostname|basedir|servername|tmpdir|secure_file_priv|spid|language|port|identity|global\.|session\.)/

/**
 * Rules that fire on the stream read from `context`, added to `hits`. Returns the work done (tokens
 * read through the window plus characters the tokenizer examined), which the linearity tests count.
 * With `whole` false the caller knows that no rule past the stream's opening can fire (the value
 * holds none of their anchors), so only the opening is read, and the end when a rule needs it
 * (unless `looser` is false: the caller only wants the rules of level 1).
 */
export const fingerprint = (source: TokenSource, context: QuoteContext, hits: Set<RuleInfo>, whole = true, looser = true): number => {
  const tokens = windowOf(source)
  // QUOTE_OPERATOR also needs the stream's last token, known once it is read
  let operatorPending = false
  let opening = NONE
  if (context !== "") {
    // the value started inside a string: what comes right after its closing quote decides
    opening = at(tokens, 0)
    if (opening.type === "s" && opening.flag) operatorPending = quoteBreak(tokens, hits, opening, context === "`")
  } else {
    // a bare value: a number or a name, then a condition or a clause
    const first = at(tokens, 0)
    if (first.type === "s" && first.flag) {
      opening = first
      operatorPending = quoteBreak(tokens, hits, first)
    }
    // `; or '1'='1'`: a separator that ends the query's own condition may open the value too
    const separated = first.type === ";" && at(tokens, 1).type === "&"
    if (separated || first.type === "n" || first.type === "b" || first.type === "f" || first.type === "(" || first.type === "o" || first.type === "&" || first.type === ")") {
      const i = separated ? 1 : skipExpression(tokens, first.type === "b" ? 1 : 0)
      const t = at(tokens, i)
      if (t.type === "&" && conditionAt(tokens, i + 1) === 2) hits.add(R.NUMERIC_CONDITION)
      // `xor 2 <`, `or 'a' >`: a condition begun where the value starts
      if (i === 0 && t.type === "&" && isValueToken(at(tokens, 1)) && at(tokens, 2).type === "o") hits.add(R.LOGIC_CONDITION)
      if (isClauseProbe(tokens, i)) hits.add(R.CLAUSE_PROBE)
      if (i > 0 && at(tokens, i).type === "E" && at(tokens, i).text !== "select" && isStatementAt(tokens, i)) hits.add(R.STACKED_QUERY)
    }
    if (first.type === "(" && (at(tokens, 1).text === "select" || at(tokens, 1).type === "(")) {
      for (let j = 1; j < 8; j++) {
        if (at(tokens, j).text === "select") {
          hits.add(R.SUBQUERY)
          break
        }
        if (at(tokens, j).type !== "(") break
      }
    }
    if (isClauseProbe(tokens, 0)) hits.add(R.CLAUSE_PROBE)
    // the opening's counted comparison, first or after a number or name and an operator (`8+(6=6)`, `n=(6=6)*4`)
    for (let j = 0; j < 4; j++) {
      if (at(tokens, j).type === "(" && isCountedComparison(tokens, j + 1)) hits.add(R.CONDITIONAL_PROBE)
    }
    // `||'6`: Oracle's and PostgreSQL's concatenation glued to a string, where a search term starts with a
    // word; a break-out leaves the string for the query's own quote to close or goes on after it
    // (`|| 'x' --`), where a code snippet's fallback (`|| 'default'`) ends with its closed string
    if (first.text === "||" && at(tokens, 1).type === "s" && (!at(tokens, 1).flag || CONCAT_TAIL.has(at(tokens, 2).type))) {
      hits.add(R.CONCAT_START)
    }
    if ((first.type === "n" || first.type === "s") && isAliasFrom(tokens, 1)) hits.add(R.ALIAS_FROM)
    // `drop sessions;--`, `DROP/**/logs`: a statement on a bare name, then the end of the query written out
    // or comments between its words; a value that just ends there is two words of prose as often
    // (`exec summary`, `update firmware`)
    if (first.type === "E" && at(tokens, 1).type === "b" && isEnd(tokens, 2) && (at(tokens, 2) !== NONE || source.obfuscated())) hits.add(R.CLAUSE_WORDS)
    if (first.type === "E" && first.text !== "select" && isStatementAt(tokens, 0)) hits.add(R.STACKED_QUERY)
  }
  if (!whole) {
    // without a comment, the query's own quote is the only way to end an operator break-out (a rule
    // of level 2: not worth reading a long value to its end for at level 1)
    if (operatorPending && looser) {
      const { last } = tokens.finish()
      if (last.type === "s" && !last.flag && last.text === opening.text && last.short === true) hits.add(R.QUOTE_OPERATOR)
    }
    if (source.hidesQuote()) hits.add(R.HIDDEN_QUOTE)
    return tokens.reads() + source.work()
  }
  scanTokens(tokens, 0, Infinity, hits)
  const stream = tokens.finish()
  const { last } = stream
  // the value reopens the same kind of string for the query's own closing quote, or comments it out
  if (operatorPending && ((last.type === "s" && !last.flag && last.text === opening.text && last.short === true) || last.type === "c")) hits.add(R.QUOTE_OPERATOR)
  // the whole value is SQL tokens, with an operator, call or statement, and ends in a comment
  if (context === "" && stream.length >= 4 && (last.type === "c" || last.type === "U") && !stream.prose && stream.telling) hits.add(R.SQL_EXPRESSION)
  if (context === "" && stream.length <= 3 && isOperatorValue(tokens, stream.length)) hits.add(R.OPERATOR_VALUE)
  if (source.obfuscated()) hits.add(R.EXECUTABLE_COMMENT)
  if (source.hidesQuote()) hits.add(R.HIDDEN_QUOTE)
  return tokens.reads() + source.work()
}

/**
 * The rules that start from a token anywhere in the stream, run on the tokens from `first` on while
 * the token before ends at or before `until` (the last anchor of a window).
 */
const scanTokens = (tokens: Tokens, first: number, until: number, hits: Set<RuleInfo>): void => {
  for (let i = first; at(tokens, i) !== NONE && (i === 0 || until === Infinity || tokens.endOf(i - 1) <= until); i++) {
    const t = at(tokens, i)
    switch (t.type) {
      case "U": {
        let j = i + 1
        // a `+` stands for a space where a path or form was not decoded: `union+all+select`
        if (at(tokens, j).text === "+") j++
        if (at(tokens, j).text === "all" || at(tokens, j).text === "distinct") j++
        if (at(tokens, j).text === "+") j++
        while (at(tokens, j).type === "(" && j - i < 6) j++
        const select = at(tokens, j)
        // `1 union select` cut short is the probe itself, when it follows a literal
        const after = at(tokens, j + 1)
        const probe = (isEnd(tokens, j + 1) || after.type === "o" || after.type === "?") && (i === 0 || (isBreakPoint(at(tokens, i - 1)) && at(tokens, i - 1).type !== "c"))
        if (select.text === "select" && (isSelectList(tokens, j + 1) || probe)) hits.add(R.UNION_SELECT)
        break
      }
      case ";": {
        const before = at(tokens, i - 1)
        if ((i === 0 || isBreakPoint(before)) && isStatementAt(tokens, i + 1)) hits.add(R.STACKED_QUERY)
        break
      }
      case "f": {
        // `when(1=1)`, `where(2>1)`: a keyword with its parenthesis glued on reads as a call
        if (GLUED_KEYWORDS.has(t.text)) {
          keywordAt(tokens, i, hits)
          break
        }
        if (isServerName(t.text)) hits.add(R.SERVER_NAME)
        if (at(tokens, i + 2) === NONE && at(tokens, i + 1).type === "(" && isSqlFunction(t.text)) hits.add(R.OPEN_CALL)
        // a call cut off after its parenthesis (`load_file(`) is still the call
        if (DELAY_FUNCTIONS.has(t.text) && (isSqlArgument(at(tokens, i + 2)) || at(tokens, i + 2) === NONE)) hits.add(R.DELAY_CALL)
        else if (LEAK_FUNCTIONS.has(t.text) && (isSqlArgument(at(tokens, i + 2)) || at(tokens, i + 2) === NONE)) hits.add(R.LEAK_CALL)
        else if (PROBE_FUNCTIONS.has(t.text) && (at(tokens, i + 2).type === ")" || t.text === "current_setting")) {
          hits.add(isInSql(at(tokens, i - 1)) ? R.PROBE_IN_SQL : NAMING_PROBES.has(t.text) ? R.NAMING_PROBE : R.SERVER_PROBE)
        }
        else if (NAMING_PROBES.has(t.text) && at(tokens, i + 2) === NONE) hits.add(R.NAMING_PROBE)
        else if (CONDITIONAL_FUNCTIONS.has(t.text) && (isTautology(tokens, i + 2) || isCutComparison(tokens, i + 2))) hits.add(R.CONDITIONAL_PROBE)
        else if (NESTED_OUTER.has(t.text) && NESTED_INNER.has(at(tokens, skipOpeners(tokens, i + 1)).text)) hits.add(R.NESTED_EXTRACTION)
        else if (EXTRACT_FUNCTIONS.has(t.text) && isExtractionArgument(tokens, i + 2)) hits.add(R.EXTRACTION)
        else if ((t.text === "exec" || t.text === "execute") && at(tokens, i + 2).type === "v") hits.add(R.STACKED_QUERY)
        else if (t.text === "select" || t.text === "exec" || t.text === "execute") checkSelect(tokens, i, hits)
        else if (isCatalogueName(t.text)) hits.add(R.CATALOGUE)
        break
      }
      case "E": {
        if (t.text === "waitfor" && (at(tokens, i + 1).text === "delay" || at(tokens, i + 1).text === "time") && at(tokens, i + 2).type === "s") {
          hits.add(R.DELAY_CALL)
        } else if (t.text === "declare" && at(tokens, i + 1).type === "v" && (at(tokens, i + 2).type === "b" || at(tokens, i + 2).type === "f")) {
          // T-SQL needs no `;` between statements: a declaration of a typed variable is one
          hits.add(R.STACKED_QUERY)
        } else if (t.text === "select") {
          const next = at(tokens, i + 1)
          if (next.type === "(" && at(tokens, i + 2).text === "case") hits.add(R.CLAUSE_WORDS)
          if ((next.type === "n" && next.text.endsWith("_user")) || (next.type === "f" && isSqlCall(next))) hits.add(R.PROBE_IN_SQL)
          if (next.type === "b" && DELAY_FUNCTIONS.has(next.text)) hits.add(R.DELAY_CALL)
          checkSelect(tokens, i, hits)
        } else if ((t.text === "exec" || t.text === "execute") && LEAK_FUNCTIONS.has(at(tokens, i + 1).text)) {
          hits.add(R.LEAK_CALL)
        } else if (t.text === "execute" && at(tokens, i + 1).text === "immediate" && (at(tokens, i + 2).type === "s" || at(tokens, i + 2).type === "v")) {
          // Oracle's dynamic SQL: a statement built from a string
          hits.add(R.STACKED_QUERY)
        }
        break
      }
      case "b":
        if (!mayBeNamed(t.text)) break
        if (isServerName(t.text)) hits.add(R.SERVER_NAME)
        if (isCatalogueName(t.text)) hits.add(R.CATALOGUE)
        else if (LEAK_FUNCTIONS.has(t.text) && t.text.startsWith("xp_")) hits.add(R.LEAK_CALL)
        break
      case "o":
        if (t.flag && /^[a-z]/.test(t.text) && at(tokens, i + 1).type === "s" && !at(tokens, i + 1).flag && at(tokens, i + 1).short === true && at(tokens, i + 2) === NONE) hits.add(R.OPEN_COMPARISON)
        if (t.text === "in" && at(tokens, i + 1).type === "(" && at(tokens, i + 2).text === "select") hits.add(R.CLAUSE_WORDS)
        if (t.text === "::" && SQL_TYPES.has(at(tokens, i + 1).text) && isValueToken(at(tokens, i - 1)) || (t.text === "::" && at(tokens, i - 1).type === "b" && SQL_TYPES.has(at(tokens, i + 1).text))) hits.add(R.TYPE_CAST)
        break
      case "n":
        if (t.text === "0e" && (at(tokens, i + 1).type === "(" || at(tokens, i + 1).text === ".")) hits.add(R.SCIENTIFIC_NOTATION)
        else if (t.text === "0x+") hits.add(R.HEX_LITERAL)
        if (isTautology(tokens, i) && !isArithmetic(at(tokens, i - 1))) hits.add(R.LITERAL_COMPARISON)
        if (isCountedComparison(tokens, i)) hits.add(R.CONDITIONAL_PROBE)
        break
      case "v":
        if (SERVER_VARIABLES.test(t.text)) hits.add(isInSql(at(tokens, i - 1)) || isShown(tokens, i) ? R.PROBE_IN_SQL : R.SERVER_PROBE)
        // `print @@servername`, `select @@anything`: any system variable a statement shows
        else if (/^@@[a-z_]/.test(t.text) && isShown(tokens, i)) hits.add(R.PROBE_IN_SQL)
        break
      case "k":
        keywordAt(tokens, i, hits)
        break
      case "s":
        if (i > 0 && t.flag) {
          const j = skipClosers(tokens, i + 1)
          if (at(tokens, j).type === "&" && conditionAt(tokens, j + 1) === 2) hits.add(R.INNER_CONDITION)
        }
        if (isTautology(tokens, i) && !isArithmetic(at(tokens, i - 1))) hits.add(R.LITERAL_COMPARISON)
        break
      case "&":
        if (i > 0 && conditionAt(tokens, i + 1) === 2) hits.add(R.LOGIC_CONDITION)
        break
      default:
        break
    }
  }
}

/**
 * `print @@rowcount`, `select @@x;`: a statement that shows the system variable at `i` and ends
 * there; "print @@rowcount in T-SQL docs" is a mention.
 */
const isShown = (tokens: Tokens, i: number): boolean =>
  (at(tokens, i - 1).text === "print" || at(tokens, i - 1).text === "select") && isEnd(tokens, i + 1)

/** Clause keywords that read the same with their parenthesis glued on (`database(` is a call). */
const GLUED_KEYWORDS: ReadonlySet<string> = new Set(["where", "when", "having"])

/** The rules that start from a clause keyword: `where 1=1`, `case when 2>1`, `having 1=1`. */
const keywordAt = (tokens: Tokens, i: number, hits: Set<RuleInfo>): void => {
  const t = at(tokens, i)
  if (isClauseWords(tokens, i)) hits.add(R.CLAUSE_WORDS)
  if (t.text === "having" && i > 0 && conditionAt(tokens, i + 1) === 2) hits.add(R.CLAUSE_PROBE)
  else if (t.text === "where" && isTautology(tokens, i + 1)) hits.add(R.WHERE_TAUTOLOGY)
  else if (t.text === "when" && at(tokens, i - 1).text === "case" && isTautology(tokens, i + 1)) hits.add(R.CONDITIONAL_PROBE)
}

/**
 * The rules of `fingerprint` that start past the opening, on the stretch of a long value around its
 * anchors: `source` starts a little before the first anchor (inside the quote context it was opened
 * with) and the rules run on its tokens up to the one at `until`, the last anchor. The first token
 * only gives the second its predecessor unless the window starts the value. Returns the work done.
 */
export const fingerprintWindow = (source: TokenSource, hits: Set<RuleInfo>, startsValue: boolean, until: number): number => {
  const tokens = windowOf(source)
  scanTokens(tokens, startsValue ? 0 : 1, until, hits)
  if (source.obfuscated()) hits.add(R.EXECUTABLE_COMMENT)
  if (source.hidesQuote()) hits.add(R.HIDDEN_QUOTE)
  return tokens.reads() + source.work()
}

/**
 * `IN BOOLEAN MODE`, `IN NATURAL LANGUAGE MODE [WITH QUERY EXPANSION]` at `i`: the modifier that ends
 * MySQL's `AGAINST('...' ...)`. An injection into a full-text search closes the string, the modifier
 * and the parenthesis before its condition (`1' in boolean mode) and 1=1--`). The index past them, or `i`.
 */
const skipFulltextModifier = (tokens: Tokens, i: number): number => {
  if (at(tokens, i).text !== "in") return i
  let j = i + 1
  if (at(tokens, j).text === "boolean") j++
  else if (at(tokens, j).text === "natural" && at(tokens, j + 1).text === "language") j += 2
  else return i
  if (at(tokens, j).text !== "mode") return i
  j++
  if (at(tokens, j).text === "with" && at(tokens, j + 1).text === "query" && at(tokens, j + 2).text === "expansion") j += 3
  return skipClosers(tokens, j)
}

/** After the opening string of a quote context closed: a condition, a comment, a statement, ... */
const quoteBreak = (tokens: Tokens, hits: Set<RuleInfo>, opening: Token, name = false): boolean => {
  const n = tokens.lengthUpTo(24)
  const i = skipFulltextModifier(tokens, skipClosers(tokens, 1))
  const t = at(tokens, i)
  const last = n === Infinity ? NONE : at(tokens, n - 1)
  // `'-'`, `a' or 'b`: the value leaves a short string open for the query's own closing quote
  if (n >= 3 && n <= 24 && last.type === "s" && !last.flag && last.short === true && last.text === opening.text) {
    // `' or '' '`: a short literal before it joins it (SQL concatenates adjacent literals)
    const adjacent = at(tokens, n - 2).type === "s" && at(tokens, n - 2).flag && at(tokens, n - 2).short === true && n >= 4
    const before = at(tokens, adjacent ? n - 3 : n - 2)
    if (before.type === "o" || before.type === "&") {
      let sqlish = true
      for (let j = 1; j < n - 1 && sqlish; j++) sqlish = at(tokens, j).type !== "b" && at(tokens, j).type !== "?"
      if (sqlish) hits.add(R.QUOTE_REOPEN)
    }
  }
  const e = skipExpression(tokens, i)
  const afterExpression = at(tokens, e)
  if (afterExpression.type === "&") {
    const strength = conditionAt(tokens, e + 1)
    if (strength === 2 || isQuoteBalancedCondition(tokens, e, n, opening)) hits.add(R.QUOTE_CONDITION)
    // level 2: OR/AND with any operand, or with none where the value ends (`\' and`)
    else hits.add(R.QUOTE_LOGIC)
  } else if (e > i && afterExpression.type === "c") {
    // `foo' + (1 / ascii(...))--`: an expression with a SQL call, then the rest commented out
    for (let j = i; j < e; j++) {
      if (isSqlCall(at(tokens, j))) {
        hits.add(R.QUOTE_CONDITION)
        break
      }
    }
  }
  if (isAliasFrom(tokens, i)) hits.add(R.ALIAS_FROM)
  if (t.type === "c") {
    if (t.text !== "#" || (t.flag && opening.spaced !== true)) hits.add(R.QUOTE_COMMENT)
  } else if (t.type === ";") {
    // after a quote, `;` and a statement word is a second statement even when cut short
    const next = at(tokens, i + 1)
    if (isEnd(tokens, i + 1) || next.type === "E") hits.add(next === NONE || next.type === "c" ? R.QUOTE_COMMENT : R.STACKED_QUERY)
  } else if (t.type === "o" && t.text !== "!" && (SYMBOLIC_COMPARE.test(t.text) || t.text === "like" || t.text === "rlike" || t.text === "regexp")) {
    const o = skipOpeners(tokens, i + 1)
    const operand = at(tokens, o)
    const afterOperand = skipExpression(tokens, o)
    if (isValueToken(operand) && (isEnd(tokens, afterOperand) || at(tokens, afterOperand).type === "&")) hits.add(R.QUOTE_CONDITION)
    if (isSubqueryAt(tokens, o)) hits.add(R.QUOTE_SUBQUERY)
  } else if (t.type === "o" && !/^[a-z]/.test(t.text)) {
    const o = skipOpeners(tokens, i + 1)
    const operand = at(tokens, o)
    if (isSubqueryAt(tokens, o)) hits.add(R.QUOTE_SUBQUERY)
    else if (isValueToken(operand) || operand.type === "E") {
      if (isSqlCall(operand)) hits.add(R.QUOTE_OPERATOR)
      else return true
    }
  } else if (t.type === "(" && isSubqueryAt(tokens, i)) {
    // `' (select top 1`: nothing joins the subquery to the string, the value was cut from a longer one
    hits.add(R.QUOTE_OPENS_SUBQUERY)
  } else if (t.type === "U" || t.type === "E") {
    // `'union a`, `" alter x`: a statement word right after the break-out; prose goes on with two plain
    // words after it (`"create a critter"`, `O' union selected a few`), which no statement takes
    if (!name && !(isPlainWord(at(tokens, i + 1)) && isPlainWord(at(tokens, i + 2)))) hits.add(R.QUOTE_KEYWORD)
  }
  if (t.type === "o" && last.type === "c") hits.add(R.QUOTE_OPERATOR_COMMENT)
  if (t.type === "o") {
    return false
  } else if (name) {
    // after a quoted name (`` `users` ``) SQL goes on legitimately: only a break-out above counts
    return false
  } else if (isClauseProbe(tokens, i)) {
    hits.add(R.CLAUSE_PROBE)
  } else if (isStatementAt(tokens, i)) {
    hits.add(R.STACKED_QUERY)
  }
  return false
}

/** A bare word (no keyword, function or operator): prose, or a name. */
const isPlainWord = (t: Token): boolean => t.type === "b"

/** Calls that name the database or its user: `database()`, `db_name(`, `schema()`. */
const NAMING_PROBES: ReadonlySet<string> = new Set(["database", "db_name", "schema", "schema_name", "current_database", "current_schema", "current_user", "session_user", "system_user", "user_name", "suser_sname"])

/** Type names a PostgreSQL cast `x::int` converts to. */
const SQL_TYPES: ReadonlySet<string> = new Set(["int", "int2", "int4", "int8", "integer", "bigint", "smallint", "numeric", "decimal", "real", "float", "float4", "float8", "bool", "boolean", "text", "varchar", "char", "bytea", "json", "jsonb", "xml", "regclass", "regproc", "oid", "date", "timestamp", "inet", "uuid", "money", "bit"])

/** `1 + 1 = 2` is arithmetic written out, not a comparison of two literals. */
const isArithmetic = (t: Token): boolean => t.type === "o" && !t.flag

/**
 * `(6=6)*9`, `12-(3=3)`: a comparison of two numbers in parentheses, its truth used as a number,
 * how a boolean-blind probe switches a numeric value between two results.
 */
const isCountedComparison = (tokens: Tokens, i: number): boolean => {
  const op = at(tokens, i + 1)
  if (at(tokens, i - 1).type !== "(" || op.type !== "o" || !op.flag || at(tokens, i + 2).type !== "n" || at(tokens, i + 3).type !== ")") return false
  return isTautology(tokens, i) && (isArithmetic(at(tokens, i + 4)) || isArithmetic(at(tokens, i - 2)))
}

const OPERATOR_WORDS: ReadonlySet<string> = new Set(["like", "rlike", "regexp", "ilike", "glob", "sounds", "similar", "is", "xor", "||", "&&", "<<", ">>", "!=", "<=", ">=", "<>", "<=>", "==", "!<", "!>"])

/** A short value made only of operators (and NULL), one of them SQL's own: `<<`, `is null`. */
const isOperatorValue = (tokens: Tokens, length: number): boolean => {
  let telling = false
  for (let j = 0; j < length; j++) {
    const t = at(tokens, j)
    if (t.type !== "o" && t.type !== "&" && t.text !== "null") return false
    telling ||= OPERATOR_WORDS.has(t.text)
  }
  return telling
}

/** `as "total" from`, `` as `x` from ``: a quoted alias, then the select list ends. */
const isAliasFrom = (tokens: Tokens, i: number): boolean => {
  const alias = at(tokens, i + 1)
  return at(tokens, i).text === "as" && (alias.type === "s" || (alias.type === "b" && alias.text === "`")) && at(tokens, i + 2).text === "from"
}

/** `order by`, `values (`, `x as y from`, `when 1 then`, `in (select`: SQL's own phrases. */
const isClauseWords = (tokens: Tokens, i: number): boolean => {
  const t = at(tokens, i)
  const next = at(tokens, i + 1)
  switch (t.text) {
    case "order":
    case "group":
      // `order by 3`, `group by 1--`, `ORDER BY`, `7 order by name`: a column named by number, the clause
      // alone or cut off, or after a value; a whole value that orders by a plain word and ends
      // (`order by rating`) is how a shop's search box is used
      return next.text === "by" && !(i === 0 && at(tokens, i + 2).type === "b" && at(tokens, i + 3) === NONE)
    case "values":
      return next.type === "("
    case "as": {
      const after = at(tokens, i + 2)
      return (next.type === "b" || next.type === "s") && after.type === "k" && after.text === "from"
    }
    case "when":
      for (let j = i + 1; j < i + 8; j++) if (at(tokens, j).text === "then") return true
      return false
    case "from":
      return next.type === "b" && (at(tokens, i + 2).text === "limit" || (at(tokens, i + 2).text === "." && at(tokens, i + 4).text === "limit"))
    default:
      return false
  }
}

/** Names of types, procedures and providers that only a database server knows. */
const SERVER_NAMES: ReadonlySet<string> = new Set(["varchar", "nvarchar", "varchar2", "nchar", "openrowset", "opendatasource", "openquery", "msdasql", "sqloledb", "sp_password", "sp_executesql", "sp_makewebtask", "sp_addlogin", "sp_addsrvrolemember", "sp_configure", "utl_http", "utl_file", "utl_inaddr", "utl_smtp", "dbms_java", "dbms_pipe", "dbms_lock", "sys_context"])
/**
 * Whether a bare word may be a server or catalogue name or an `xp_` procedure: every prefix those
 * tests look for holds `.`, `_` or `$`, so a word without them is one only as a whole word.
 */
const mayBeNamed = (text: string): boolean => {
  if (text.length === 0) return false
  if (isWholeName(text)) return true
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k)
    if (c === 46 || c === 95 || c === 36) return true
  }
  return false
}
const isWholeName = shapeFilter([...SERVER_NAMES, ...CATALOGUE_WORDS])
const isServerName = (text: string): boolean => SERVER_NAMES.has(text) || text.startsWith("sp_oa") || text.startsWith("dbms_") || text.startsWith("utl_")

/** Functions of SQL's own library, which a value may leave open: `cast(`, `count(`. */
const SQL_FUNCTIONS: ReadonlySet<string> = new Set(["abs", "avg", "sum", "min", "max", "date", "now", "round", "upper", "lower", "trim", "replace", "ltrim", "rtrim", "datalength", "stuff", "space", "strcmp", "find_in_set", "field", "overlay", "regexp_like", "regexp_substr"])
const isSqlFunction = (text: string): boolean =>
  SQL_FUNCTIONS.has(text) || EXTRACT_FUNCTIONS.has(text) || DELAY_FUNCTIONS.has(text) || LEAK_FUNCTIONS.has(text) || PROBE_FUNCTIONS.has(text)

const NESTED_OUTER: ReadonlySet<string> = new Set(["ascii", "ord", "unicode", "hex", "bin", "conv"])
const NESTED_INNER: ReadonlySet<string> = new Set(["substring", "substr", "mid", "select", "version", "database", "user", "current_user", "system_user"])

/** The token before a probe makes it part of SQL: a call's parenthesis, SELECT, OR/AND, `=`, `,`. */
const isInSql = (before: Token): boolean =>
  before.type === "(" || before.type === "," || before.type === "&" || before.type === "o" || before.text === "select" || before.type === "U"

const isSqlArgument = (t: Token): boolean =>
  t.type === "n" || t.type === "(" || t.type === "s" || t.type === "f" || t.type === "E" || t.type === "v" || t.type === "o" || t.type === ")"

/** `char(0x41)`, `ascii(substring(...))`, `concat(0x3a,...)`: literal or nested-call arguments. */
const isExtractionArgument = (tokens: Tokens, i: number): boolean => {
  const t = at(tokens, i)
  if (t.type === "f" && EXTRACT_FUNCTIONS.has(t.text)) return true
  if (t.type === "E" || t.type === "v") return true
  return t.type === "n" && t.text.startsWith("0x")
}

/** A select list (between `from` and `to`) with a literal or a call of a literal as a column. */
const hasLiteralColumn = (tokens: Tokens, from: number, to: number): boolean => {
  let columnStart = true
  for (let j = from; j < to; j++) {
    const t = at(tokens, j)
    if (columnStart) {
      const k = skipOpeners(tokens, t.type === "o" && (t.text === "-" || t.text === "+" || t.text === "~") ? j + 1 : j)
      const first = at(tokens, k)
      if (first.type === "n" || (first.type === "s" && first.cells !== true) || first.type === "v") return true
      if (first.type === "f" && isLiteral(at(tokens, skipOpeners(tokens, k + 1)))) return true
      if (first.type === "f" && at(tokens, skipOpeners(tokens, k + 1)).type === "v") return true
    }
    columnStart = t.type === ","
  }
  return false
}

const checkSelect = (tokens: Tokens, i: number, hits: Set<RuleInfo>): void => {
  // SELECT ... FROM within a few tokens: a statement, which needs another signal at level 1
  for (let j = i + 1; at(tokens, j) !== NONE && j - i < 24; j++) {
    const t = at(tokens, j)
    if (t.type === "k" && t.text === "from") {
      // "select "a" dog from; ok": FROM that ends a sentence names no table
      const table = at(tokens, j + 1)
      if (!isSelectList(tokens, i + 1) || !hasColumnShape(tokens, i + 1, j) || table.type === ";" || table.type === ",") return
      hits.add(R.SELECT_FROM)
      if (hasLiteralColumn(tokens, i + 1, j)) hits.add(R.LITERAL_COLUMNS)
      for (let k = j + 1; at(tokens, k) !== NONE && k - j < 24; k++) {
        const w = at(tokens, k)
        if (w.type === "k" && w.text === "where" && conditionAt(tokens, k + 1) === 2) hits.add(R.SQL_STATEMENT)
        if (w.type === "c") hits.add(R.SQL_STATEMENT)
      }
      return
    }
    if (t.type === ";" || t.type === "U") return
  }
}
