/**
 * The catalogue of the SQL family. Ids are stable: never reuse or renumber one.
 *
 * @internal
 */
import type { RuleInfo } from "../contract.js"

const rule = (id: string, paranoia: RuleInfo["paranoia"], score: number, description: string): RuleInfo => ({
  id,
  category: "sqli",
  paranoia,
  score,
  description
})

export const QUOTE_CONDITION = rule(
  "sql-101",
  1,
  5,
  "A value closes a string literal and adds a condition: `' or 1=1`, `\") and (\"a\"=\"a`, `1' and left(user(),1)>'a'--`"
)
export const QUOTE_COMMENT = rule(
  "sql-102",
  1,
  5,
  "A value closes a string literal and comments out the rest of the query: `admin'--`, `x')#`, `a'/*`"
)
export const UNION_SELECT = rule("sql-103", 1, 5, "UNION [ALL] SELECT with a select list: `1 union all select null,version()`")
export const STACKED_QUERY = rule(
  "sql-104",
  1,
  5,
  "A second statement after `;`: `1; drop table users`, `'; exec master..xp_cmdshell 'dir'--`"
)
export const DELAY_CALL = rule(
  "sql-105",
  1,
  5,
  "A call that makes the database wait (time-based blind injection): `sleep(5)`, `benchmark(...)`, `pg_sleep(5)`, `waitfor delay '0:0:5'`"
)
export const LEAK_CALL = rule(
  "sql-106",
  1,
  5,
  "A call that leaks data through an error, a file or another channel, or runs commands: `extractvalue(1,concat(...))`, `load_file(...)`, `xp_cmdshell`"
)
export const NUMERIC_CONDITION = rule(
  "sql-107",
  1,
  5,
  "A number or name followed by a condition that is always true or false: `1 or 1=1`, `5) and (3=3`, `x and 1=@@version--`"
)
export const CLAUSE_PROBE = rule(
  "sql-108",
  1,
  5,
  "A value that continues the query with ORDER BY / GROUP BY / HAVING / PROCEDURE / INTO OUTFILE: `1 order by 3--`, `' group by 1 having 1=1`"
)
export const CATALOGUE = rule(
  "sql-109",
  1,
  5,
  "A name of the database's own catalogue: `information_schema.tables`, `sysobjects`, `pg_shadow`, `sqlite_master`"
)
export const SERVER_PROBE = rule(
  "sql-110",
  1,
  3,
  "A system variable or a call that reveals the server: `@@version`, `@@datadir`, `database()`, `current_user()`"
)
export const SELECT_FROM = rule(
  "sql-111",
  1,
  2,
  "A complete SELECT ... FROM statement or subquery; common in documentation, so it needs another signal"
)
export const EXECUTABLE_COMMENT = rule(
  "sql-112",
  1,
  3,
  "MySQL executable comments `/*!...*/`, comments, tags or joins of string literals inside SQL words, a keyword nested in itself, or a keyword glued to a number, a `)` or MySQL's `\\N` where a space would be, which only injections use: `/*!50000union*/`, `or/**/1=1`, `UN/**/ION`, `un<>ion`, `un<b></b>ion`, `un\",\"ion`, `UNIunionON`, `SELECT\\NFROM`, `1.FROM`"
)
export const QUOTE_REOPEN = rule(
  "sql-113",
  1,
  5,
  "A value closes a string literal, applies an operator and leaves a short string open for the query's own quote: `'-'`, `a' or 'b`, `x'^'1`"
)
export const NESTED_EXTRACTION = rule(
  "sql-114",
  1,
  5,
  "Character-by-character extraction: `ascii(substring(password,1,1))`, `ord(mid(user(),1,1))`, `hex(select ...)`"
)
export const PROBE_IN_SQL = rule(
  "sql-115",
  1,
  5,
  "A server function or variable used inside SQL: `select version()`, `length(database())`, `mid(@@hostname,1,1)`"
)
export const SUBQUERY = rule("sql-116", 1, 3, "A value that is a parenthesised subquery: `(select id from users limit 1)`")
export const SQL_EXPRESSION = rule(
  "sql-117",
  1,
  5,
  "A value made only of SQL tokens (literals, operators, calls, keywords) that ends in a comment: `( (select 'a' or 1) ) --`"
)
export const WHERE_TAUTOLOGY = rule("sql-118", 1, 5, "WHERE with a comparison of two literals: `x where 1=1`, `as t where 'a'='a' --`")
export const LITERAL_COLUMNS = rule(
  "sql-119",
  1,
  3,
  "SELECT of literal columns, the padding of a UNION attack: `select 1,2,3 from`, `select 'a',@v from`, `select sin(1) from`"
)
export const CONDITIONAL_PROBE = rule(
  "sql-120",
  1,
  5,
  "A conditional on a comparison of literals, or such a comparison counted as a number, the test of a blind injection: `if(1=1,sleep(1),0)`, `iif(2510=9436,x,1/0)`, `elt(5=5,7)`, `case when 3=3 then`, `(4=4)*2`"
)
export const NAMING_PROBE = rule(
  "sql-121",
  1,
  5,
  "A call that names the database or its user, empty or cut off: `database()`, `db_name(`, `current_user(`"
)
export const TYPE_CAST = rule("sql-122", 1, 5, "A PostgreSQL cast of a value or column to a type: `password::int`, `')::text`, `(...)::jsonb`")
export const NOSQL_OPERATOR = rule(
  "sql-123",
  1,
  5,
  "A MongoDB query operator as a parameter name or value: `id[$ne]=1`, `{\"$where\": ...}`, `$regex`"
)
export const SCIENTIFIC_NOTATION = rule(
  "sql-124",
  1,
  5,
  "MySQL's bare-exponent number glued to a call or a name, which hides the next word from filters: `1.e(ascii(...))`, `1.e.tables`"
)
export const ALIAS_FROM = rule(
  "sql-125",
  1,
  5,
  "A value that ends a column of the select list with a quoted alias and goes on to FROM: `7 AS \"n\" FROM`, `` ` as `x` from ``"
)
export const QUOTE_SUBQUERY = rule(
  "sql-126",
  1,
  5,
  "A value closes a string literal and joins a subquery to it with an operator: `'+(select top 1 name from users)+'`, `x' rlike (select 1)`"
)
export const QUOTE_OPENS_SUBQUERY = rule(
  "sql-127",
  1,
  5,
  "A value closes a string literal and opens a subquery right after it, a fragment cut from a longer injection: `' (select top 1`, `')(select user from dual)`"
)
export const CONCAT_START = rule(
  "sql-128",
  1,
  5,
  "A value that starts with SQL's string concatenation and a string it leaves open or goes on after, the tail of an expression the query began: `||'7`, `|| 'x' --`"
)
export const HIDDEN_QUOTE = rule(
  "sql-129",
  1,
  5,
  "A quote that opens the code of a MySQL executable comment with a version, which MySQL reads and filters that skip comments do not: `3/*!2222'*/`, `x/*!50000'*/ or 1`"
)
export const QUOTE_OPERATOR = rule(
  "sql-201",
  2,
  5,
  "A value closes a string literal, applies an operator and reopens it: `'-'`, `' || 'x' || '`, `'+(select 1)+'`"
)
export const QUOTE_LOGIC = rule(
  "sql-202",
  2,
  5,
  "A value closes a string literal and adds OR/AND with any operand: `' or 1`, `\" or \"\"`, `') or true`"
)
export const INNER_CONDITION = rule(
  "sql-203",
  2,
  4,
  "A string literal followed by a condition anywhere in the value, not only where it starts: `name: x' or 'a'='a`"
)
export const EXTRACTION = rule(
  "sql-204",
  2,
  3,
  "Functions of blind extraction on literal arguments: `ascii(substring(...))`, `char(0x41)`, `concat(0x3a,...)`"
)
export const LITERAL_COMPARISON = rule("sql-205", 2, 5, "A comparison of two literals anywhere in a value: `1=1`, `42 like 42`, `7 is not 8`, `'a' not regexp 'b'`")
export const LOGIC_CONDITION = rule("sql-206", 2, 5, "OR/AND and a condition anywhere in a value, or starting it: `id=AND 4=4)`, `||(null!=`, `xor 2 <`")
export const QUOTE_KEYWORD = rule(
  "sql-207",
  2,
  5,
  "A value closes a string literal and goes on with a statement word or UNION: `'union a`, `\" alter x`; not when two plain words follow it, as prose goes on (`\"create a critter\"`)"
)
export const QUOTE_OPERATOR_COMMENT = rule("sql-208", 2, 5, "A value closes a string literal, applies an operator and comments out the rest: `x'|email--`, `id'is not-id--`")
export const HEX_LITERAL = rule(
  "sql-209",
  2,
  5,
  "A hexadecimal literal of several bytes that spell text, how injections spell strings without quotes: `0x616263`; not a number written in hex (`0xFFFF0000`, `0x1F4`)"
)
export const SERVER_NAME = rule("sql-210", 2, 5, "A name only a database server knows: `nvarchar`, `sp_executesql`, `openrowset`, `utl_http`, `msdasql`")
export const OPEN_CALL = rule("sql-211", 2, 5, "A SQL function called with nothing after the parenthesis: `cast(`, `chr(`, `count(`")
export const OPERATOR_VALUE = rule("sql-212", 2, 5, "A value that is only a SQL operator or comparison: `||`, `<<`, `xor`, `is null`, `like null`")
export const ESCAPED_QUOTE_LOGIC = rule("sql-213", 2, 5, "A backslash-escaped quote followed by OR/AND, against servers that escape quotes with a backslash: `\\'or'1`")
export const CLAUSE_WORDS = rule(
  "sql-214",
  2,
  5,
  "SQL's own phrases: `order by`, `values (`, `x as y from`, `when 1 then`, `from t limit`, `in (select`, `select (case`, `drop t;`; not a whole value that orders or groups by a plain word (`order by rating`), nor a statement word and a name the value just ends on (`exec summary`)"
)
export const OPEN_COMPARISON = rule("sql-215", 2, 5, "A comparison word left open for the query's own quote: `name LIKE '`, `x regexp '`")
export const SQL_STATEMENT = rule(
  "sql-301",
  3,
  5,
  "A value that reads as a SQL statement with a condition or a comment: `select * from users where 1=1`"
)

export const SQL_RULES: ReadonlyArray<RuleInfo> = [
  QUOTE_CONDITION,
  QUOTE_COMMENT,
  UNION_SELECT,
  STACKED_QUERY,
  DELAY_CALL,
  LEAK_CALL,
  NUMERIC_CONDITION,
  CLAUSE_PROBE,
  CATALOGUE,
  SERVER_PROBE,
  SELECT_FROM,
  EXECUTABLE_COMMENT,
  QUOTE_REOPEN,
  NESTED_EXTRACTION,
  PROBE_IN_SQL,
  SUBQUERY,
  SQL_EXPRESSION,
  WHERE_TAUTOLOGY,
  LITERAL_COLUMNS,
  CONDITIONAL_PROBE,
  NAMING_PROBE,
  TYPE_CAST,
  NOSQL_OPERATOR,
  SCIENTIFIC_NOTATION,
  ALIAS_FROM,
  QUOTE_SUBQUERY,
  QUOTE_OPENS_SUBQUERY,
  CONCAT_START,
  HIDDEN_QUOTE,
  QUOTE_OPERATOR,
  QUOTE_LOGIC,
  INNER_CONDITION,
  EXTRACTION,
  LITERAL_COMPARISON,
  LOGIC_CONDITION,
  QUOTE_KEYWORD,
  QUOTE_OPERATOR_COMMENT,
  HEX_LITERAL,
  SERVER_NAME,
  OPEN_CALL,
  OPERATOR_VALUE,
  ESCAPED_QUOTE_LOGIC,
  CLAUSE_WORDS,
  OPEN_COMPARISON,
  SQL_STATEMENT
]
