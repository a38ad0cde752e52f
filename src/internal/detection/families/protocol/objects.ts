/**
 * Injections into the objects a server builds from input: MongoDB query operators smuggled in as
 * keys (`user[$ne]=`, `{"$gt": ""}`) or as syntax inside a value, server-side JavaScript in `$where`,
 * and prototype pollution (`__proto__`, `constructor.prototype`) in keys and values.
 *
 * JSON Schema's `$schema`, `$id` and `$ref` and template strings like `$20` are not operators: only
 * MongoDB's own operator names count, except `$type`, which is also Json.NET's type discriminator.
 *
 * @internal
 */
import type { ScanContext } from "../contract.js"
import { eachIndex } from "./markup.js"
import { type Fire, RULES } from "./rules.js"

const OPERATORS: ReadonlySet<string> = new Set([
  "ne",
  "eq",
  "gt",
  "gte",
  "lt",
  "lte",
  "in",
  "nin",
  "regex",
  "options",
  "where",
  "exists",
  "or",
  "and",
  "not",
  "nor",
  "expr",
  "function",
  "accumulator",
  "elemmatch",
  "size",
  "all",
  "mod",
  "text",
  "search",
  "comment",
  "jsonschema",
  "lookup",
  "unionwith",
  "merge",
  "out"
])

/** The operator name after `$` at `i`, or undefined. */
const operatorAt = (s: string, i: number): string | undefined => {
  let j = i + 1
  while (j - i <= 12 && s.charCodeAt(j) >= 97 && s.charCodeAt(j) <= 122) j++
  const name = s.slice(i + 1, j)
  return OPERATORS.has(name) ? name : undefined
}

const isQuote = (c: number): boolean => c === 34 || c === 39 || c === 96

/** The character before `i`, skipping spaces and quotes (at most 8). */
const before = (s: string, i: number): number => {
  let j = i - 1
  while (j >= 0 && i - j <= 8 && (s.charCodeAt(j) === 32 || isQuote(s.charCodeAt(j)))) j--
  return j < 0 ? -1 : s.charCodeAt(j)
}

/** The character after the operator ending at `i`, skipping spaces and quotes (at most 8). */
const after = (s: string, i: number): number => {
  let j = i
  while (j < s.length && j - i <= 8 && (s.charCodeAt(j) === 32 || isQuote(s.charCodeAt(j)))) j++
  return j >= s.length ? -1 : s.charCodeAt(j)
}

const NOSQL_JS = /\bdb\.[a-z_][\w]{0,40}\.(?:find|findone|insert|insertone|update|remove|drop|mapreduce|aggregate|count)\s{0,4}\(|\bthis\.[a-z_][\w]{0,40}\.(?:match|length)\b/
const QUOTED_RETURN = /(?:['"`]\s{0,4}[;)]|^\d{1,4}\s{0,4};)\s{0,4}return[\s(]{1,4}(?:true\b|1\b|['"`])/
const JS_TIMING = /['"`]\s{0,4};\s{0,4}(?:sleep\s{0,4}\(\s{0,4}\d|[a-z_]{1,16}\s{0,4}=\s{0,4}new\s{1,4}date\b)/
const JS_TAUTOLOGY = /(?:\|\||&&)\s{0,4}(?:['"`][\w]{0,16}['"`]|\d{1,8})\s{0,4}===?\s{0,4}(?:['"`][\w]{0,16}['"`]|\d{1,8})/

const PROTO_PATH = /constructor["'`]?\s{0,4}\]?\s{0,4}(?:\.|\[\s{0,4}["'`]?)\s{0,4}prototype\b/

/** Whether `__proto__` at `i` is an unquoted object literal key: `{`, `,` or a line start before it, `:` after. */
const isLiteralKey = (s: string, i: number): boolean => {
  let b = i - 1
  while (b >= 0 && i - b <= 16 && (s.charCodeAt(b) === 32 || s.charCodeAt(b) === 9)) b--
  const prev = b < 0 ? 10 : s.charCodeAt(b)
  if (prev !== 123 && prev !== 44 && prev !== 10) return false
  let a = i + 9
  while (a - i - 9 < 16 && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++
  return s.charCodeAt(a) === 58
}

/**
 * How a JavaScript statement line begins or what it holds: a declaration or control keyword, a closed
 * literal (`};`, `});`), a call, an assignment, or a string literal ended by `;` (which neither JSON5
 * nor YAML parses). A bare `key: value;` is none: YAML reads it as a string.
 */
const STATEMENT = /^\s*(?:(?:const|let|var|function|class|return|import|export|if|for|while|throw|await|new)\b|[})\]])|[(=]|['"`]\s*;\s*$/

/** Comments a JSON5, YAML or JavaScript parser skips: a `;` inside one ends no statement. */
const COMMENTS = /\/\*[\s\S]*?(?:\*\/|$)|\/\/[^\n]*|(?:^|[ \t])#[^\n]*/gm

/** A value of several lines with a statement ended by `;` at a line's end, outside comments: JavaScript source. */
const isCodeSample = (s: string): boolean =>
  s.includes("\n") && s.replace(COMMENTS, "").split("\n").some((line) => line.trimEnd().endsWith(";") && STATEMENT.test(line))

/**
 * Whether the `__proto__:` key at `i` is given a plain value on its own line: never an object or
 * array (`{`, `[`), nor a YAML block, anchor, alias or tag, which are how a payload sets properties.
 */
const plainProtoValue = (s: string, i: number): boolean => {
  let a = s.indexOf(":", i + 9) + 1
  while (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9) a++
  const c = s[a]
  return c !== undefined && !"{[\r\n&*!|>".includes(c)
}

export const scanObjects = (s: string, context: ScanContext, prose: boolean, fire: Fire): void => {
  if (context.location === "key") {
    // a whole key (`$where`) or a bracketed segment of one (`user[$ne]`, `a[0][$regex]`)
    eachIndex(s, "$", (i) => {
      const name = operatorAt(s, i)
      if (name !== undefined && (i === 0 || s.charCodeAt(i - 1) === 91 || s.charCodeAt(i - 1) === 46)) {
        fire(RULES.nosqlKey, `$${name}`)
        return true
      }
    })
    if (s.includes("__proto__") || PROTO_PATH.test(s)) fire(RULES.protoKey, s.slice(0, 60))
    return
  }
  if (s.includes("$")) {
    eachIndex(s, "$", (i) => {
      const name = operatorAt(s, i)
      if (name === undefined) return
      const prev = before(s, i)
      const next = after(s, i + 1 + name.length)
      // `{$gt:`, `[$ne]`, `, $where:`, `"$or":` at the start of a value
      const opened = prev === 123 || prev === 91 || prev === 44 || prev === -1
      if (opened && (next === 58 || next === 93)) {
        fire(RULES.nosqlValue, `$${name}`)
        return true
      }
    })
  }
  if ((s.includes("db.") || s.includes("this.")) && NOSQL_JS.test(s)) fire(RULES.nosqlJs, "server-side javascript")
  if (context.location !== "body") {
    if (s.includes("return") && QUOTED_RETURN.test(s)) fire(RULES.nosqlReturn, "return after a quote")
    if (s.includes(";") && JS_TIMING.test(s)) fire(RULES.nosqlJs, "timing after a quote")
    if (s.includes("==") && JS_TAUTOLOGY.test(s)) fire(RULES.nosqlTautology, "tautology")
  }
  const structural = (c: number): boolean => c === 46 || c === 91 || c === 93 || isQuote(c) || c === 61 || c === 58
  let sample: boolean | undefined
  eachIndex(s, "__proto__", (i) => {
    // `{ c: 3, __proto__: a }` in a code sample sets the literal's own prototype: JavaScript source,
    // which no JSON or JSON5 parser reads (no statement ends a line there outside a comment)
    if (context.location === "body" && isLiteralKey(s, i) && plainProtoValue(s, i) && (sample ??= isCodeSample(s))) {
      fire(RULES.protoWord, "__proto__")
      return
    }
    // a markdown code span that ends on the name (`Object.prototype.__proto__` accessor) names it
    if (s.charCodeAt(i + 9) === 96 && /^(?:$|[\s.,:;)])/.test(s.slice(i + 10, i + 11))) {
      fire(RULES.protoWord, "__proto__")
      return
    }
    if (structural(s.charCodeAt(i - 1)) || structural(s.charCodeAt(i + 9)) || (!prose && s.trim() === "__proto__")) {
      fire(RULES.protoValue, "__proto__")
      return true
    }
    fire(RULES.protoWord, "__proto__")
  })
  if (s.includes("prototype") && PROTO_PATH.test(s)) fire(RULES.protoValue, "constructor.prototype")
}
