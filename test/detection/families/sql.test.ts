import { describe, expect, it } from "@effect/vitest"
import type { Paranoia } from "../../../src/internal/detection/families/contract.js"
import { needsWholeStream } from "../../../src/internal/detection/families/sql/anchors.js"
import { analyse, family } from "../../../src/internal/detection/families/sql/index.js"

/** The anomaly score the family gives one already decoded value. */
const score = (value: string, paranoia: Paranoia = 1): number =>
  family.mayMatch(value) ? family.scan(value, { location: "query", paranoia }).reduce((sum, f) => sum + f.score, 0) : 0

const rules = (value: string, paranoia: Paranoia = 1): Array<string> =>
  family.mayMatch(value) ? family.scan(value, { location: "query", paranoia }).map((f) => f.ruleId).sort() : []

/** Refused by this family alone at the engine's default threshold. */
const refused = (value: string, paranoia: Paranoia = 1) => score(value, paranoia) >= 5

describe("sql family: a value that breaks out of a string literal", () => {
  it.each([
    "x' or 'a'='a",
    "nobody\" OR \"b\"=\"b",
    "7') or ('z'='z",
    "abc' AND substring(user(),1,1)='r'--",
    "q' or true --",
    "k' or 2>1#",
    "foo'||'bar'='foobar",
    "' OR 3 = 3 /*",
    "bob'/**/oR/**/7=7--"
  ])("adds a condition: %s", (value) => {
    expect(refused(value)).toBe(true)
  })

  it.each(["root'--", "root' -- ", "operator')--", "me'#", "x\"/*", "someone@example.org';"])("comments out the rest of the query: %s", (value) => {
    expect(refused(value)).toBe(true)
  })

  it.each(["'-'", "z' or 'y", "n'^'0", "' * '"])("leaves a short string open for the query's own quote: %s", (value) => {
    expect(refused(value)).toBe(true)
  })

  it.each(["x'; drop table accounts--", "1'; exec master..xp_cmdshell 'ping 10.0.0.1'--", "q'declare @v varchar(99) set @v=0x41"])(
    "runs a second statement: %s",
    (value) => {
      expect(refused(value)).toBe(true)
    }
  )
})

describe("sql family: numeric and clause injection", () => {
  it.each([
    "12 or 4=4",
    "12) and (9>8",
    "-5 OR 7 = 7",
    "HOPE*2 AND 4=1",
    "77 /*!50000AND*/ 5=5",
    " or 1=1",
    " AND 20=20 AND (9=9"
  ])("a number, then a condition: %s", (value) => {
    expect(refused(value)).toBe(true)
  })

  it.each(["9 order by 12--", " GROUP BY 3 HAVING 1=1", "5 procedure analyse(extractvalue(1,1),1)", "4 limit 1,1 into outfile '/tmp/x'"])(
    "continues the query with a clause: %s",
    (value) => {
      expect(refused(value)).toBe(true)
    }
  )

  it.each([
    "3 UNION SELECT null,null,table_name FROM information_schema.tables",
    "-8 union all select 1,2,@@version",
    "0 uNiOn/**/sElEcT/**/password,2 fRoM users",
    "/*!12345UNION*/ /*!12345SELECT*/ 1,2",
    "9 union(select(username),2 from admins)"
  ])("UNION SELECT: %s", (value) => {
    expect(refused(value)).toBe(true)
  })
})

describe("sql family: what injections call", () => {
  it.each([
    "1 and sleep(7)",
    "benchmark(9000000,sha1('x'))",
    "5;select pg_sleep(10)--",
    "'; waitfor delay '0:0:9'--",
    "x' and 1=extractvalue(1,concat(0x7e,(select user())))--",
    "updatexml(null,concat(0x3a,version()),null)",
    "load_file('/etc/passwd')",
    "ascii(substring(password,3,1))",
    "length(database())",
    "select @@datadir",
    "select table_name from information_schema.columns",
    "iif(3=4,name,1/0)",
    "1 and case when 5=5 then 1 else 0 end",
    "select 1,'x',3 from accounts",
    "1 union select",
    "select session_user;"
  ])("%s", (value) => {
    expect(refused(value)).toBe(true)
  })
})

describe("sql family: prose, names, code and identifiers pass at level 1", () => {
  it("reads a select list as columns: prose between two quoted cells is not one", () => {
    // inside `"` the cells between the quoted ones read as a string, then the prose as bare words
    const rows = "7,\"please select\",ann@example.org,12.50,\"the red fox from our list\"\n"
    expect(rules(rows.repeat(3))).not.toContain("sql-111")
    expect(rules("select 'a' b c from t")).not.toContain("sql-111")
    expect(rules("select 1,'x' y from accounts")).toContain("sql-119")
  })

  it("reads the gap between two quoted CSV fields as cells, not as a string column", () => {
    const row = (i: number) => `${i},"we select",u${i}@example.org,2026-01-0${i}T10:00:00Z,${i}.50,"from the list; ok"\n`
    const csv = [1, 2, 3, 4].map(row).join("")
    expect(rules(csv)).not.toContain("sql-119")
    expect(refused(csv)).toBe(false)
    // a string that only holds a separator is still a column
    expect(rules("-1 union select 1,',',3 from users")).toContain("sql-119")
  })

  it.each([
    "he said \"hi\" -- then left",
    "#2 MOM",
    "select a book from the list",
    "I can't believe it's not butter! Works great; 5/5 would buy again.",
    "rock 'n' roll",
    "O'Reilly and O'Neil",
    "Let x = 1; then x + x = 2.",
    "necklace length 16\" or 18\"",
    "\"IS\" STAMP",
    "black and \"shower curtain\"",
    "1950's dresses",
    "8 OR 9 WLV",
    "1;1;1;CONTROL;0;0;1;",
    "exec summary",
    "union station, platform 4",
    "the union select committee",
    "drop shipping suppliers",
    "BAMBOO CHARCOAL SOAP 1 '#",
    "SWIRLS PAPER PACK (8.5X11\"-300 DPI) -- 10 PAPERS -- 122",
    "use sleep mode to save power",
    "order by date, newest first",
    "Why 1 + 1 = 2",
    "p@ss'w0rd\"#;--",
    "f47ac10b-58cc-4372-a567-0e02b2c3d479",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
    "The movie's plot -- honestly -- was thin; 2/10.",
    "Ink and White Out 2 in 1 Pen",
    "it is 5 or 6 in 2 boxes",
    "click and select an option",
    "drag and select the files you want",
    "dog and select option our brown please"
  ])("%s", (value) => {
    expect(rules(value)).toEqual([])
    expect(refused(value)).toBe(false)
  })

  it("reads the code between two string literals as code, not as a string column", () => {
    // minified JavaScript: `select` and `from` in two literals, code between them
    const bundle = 'k=j?o:{id:201,name:"today select"};s=y?e:{id:797,name:"and from"};var x=w.prototype;'
    const handler = 'b=h?h:{id:802,name:"a select"};document.getElementById("from").addEventListener("click",f);'
    for (const value of [bundle, handler]) {
      expect(rules(value), value).not.toContain("sql-119")
      expect(refused(value), value).toBe(false)
    }
    // a string column is still one
    expect(rules("-1 union select 1,'),(',3 from users")).toContain("sql-119")
    expect(rules("1 union select \"a\",\"b\" from users")).toContain("sql-119")
  })

  it("reads a quoted SQL word in prose as prose: the string after it runs to the end", () => {
    expect(rules("O'Brien's \"SELECT\" range")).not.toContain("sql-104")
    expect(refused("O'Brien's \"SELECT\" range")).toBe(false)
    // a short string left open for the query's own quote is still a column
    expect(rules("x' select 'a")).toContain("sql-104")
    expect(rules("x'; select 'abc def")).toContain("sql-104")
  })

  it("reads FROM that ends a sentence as prose: it names no table", () => {
    expect(rules("and select \"a\" dog from; ok")).not.toContain("sql-111")
    expect(rules("select 1,2,3 from")).toContain("sql-119")
  })

  it("reads SELECT after AND/OR as a subquery only with SQL around it", () => {
    // the English verb: no select list, or FROM followed by prose rather than a table
    for (const value of ["and select fox a", "x and select a book from the list", "drag and select files from the folder please"]) {
      expect(rules(value), value).not.toContain("sql-107")
      expect(refused(value), value).toBe(false)
    }
    // a parenthesis, a table, a comparison or a SQL call around it
    for (const value of [
      "1 and (select 1)=1",
      "1 and (select count(*) from users)>0",
      "x and select password from users where",
      "7 or select 1 from dual--",
      "1 and select sleep(5)"
    ]) {
      expect(refused(value), value).toBe(true)
    }
    expect(rules("x' and select 1 from dual--")).toContain("sql-101")
  })

  it("keeps a bare SELECT ... FROM below the threshold: documentation quotes queries", () => {
    for (const value of [
      "SELECT * FROM users WHERE id = $1",
      "{\"description\": \"query with SELECT * FROM users WHERE id = $1\"}",
      "SELECT name, email FROM customers WHERE active = true ORDER BY name"
    ]) {
      expect(score(value), value).toBeLessThan(5)
    }
  })
})

describe("sql family: paranoia levels", () => {
  it("adds bolder rules at level 2: a quote and OR with any operand", () => {
    expect(refused("x' or 1")).toBe(false)
    expect(refused("x' or 1", 2)).toBe(true)
  })

  it("keeps every rule's level: a level-2 rule never fires at level 1", () => {
    for (const value of ["x' or 1", "a' + 'b", "y' or \"q\""]) {
      for (const finding of family.scan(value, { location: "query", paranoia: 1 })) expect(finding.paranoia).toBe(1)
    }
  })

  it("documents every rule with a stable id, the sqli category and a score", () => {
    const ids = family.rules.map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const rule of family.rules) {
      expect(rule.id).toMatch(/^sql-\d{3}$/)
      expect(rule.category).toBe("sqli")
      expect(rule.score).toBeGreaterThanOrEqual(2)
      expect(rule.score).toBeLessThanOrEqual(5)
    }
  })
})

describe("sql family: cost", () => {
  it.each([
    "the quick brown fox",
    "12345",
    "f47ac10b-58cc-4372-a567-0e02b2c3d479",
    "Zoë Saldaña",
    "running shoes size 42",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
  ])(
    "rejects an ordinary value before tokenizing: %s",
    (value) => {
      expect(family.mayMatch(value)).toBe(false)
    }
  )

  it.each([
    ["almost a condition", "x' or 1=" ],
    ["unclosed comments", "/*"],
    ["open parentheses", "(select "],
    ["unclosed brackets", "["],
    ["nested calls", "ascii(substring("],
    ["quotes", "'\""],
    ["union without select", "union all "],
    ["line comments", "--#\n"],
    ["versioned executable comments holding a quote", "/*!1'"],
    ["literals joined for the query's quote", "' or '' "],
    ["words split by empty tags", "un<>ion<>"],
    ["MySQL NULLs glued to keywords", "\\Nfrom\\N"],
    ["numbers glued to keywords", "1.from(1)union"],
    ["words cut by joined literals", "un\\\",\\\"ion'+'"]
  ])("stays linear on repeated %s", (_, fragment) => {
    // work = characters the tokenizer examined (lookahead included) + tokens the rules read
    const work = [64, 128, 256, 512].map((kb) => analyse(fragment.repeat(Math.ceil((kb * 1024) / fragment.length))).work)
    for (let i = 1; i < work.length; i++) expect((work[i] ?? 0) / (work[i - 1] ?? 1)).toBeLessThan(2.1)
    // and the constant stays small: a few reads per character
    expect((work[3] ?? 0) / (512 * 1024)).toBeLessThan(64)
  })
})

describe("sql family: values read only at their opening", () => {
  /** JSON text, as a client sends a document inside a string field: quotes everywhere, no SQL. */
  const jsonText = JSON.stringify({
    rows: Array.from({ length: 200 }, (_, i) => ({ id: i, label: `row ${i}`, flags: ["red", "blue"], note: "a plain remark" }))
  })

  it("tokenizes only the opening of a long quote-heavy value without SQL anchors", () => {
    expect(jsonText.length).toBeGreaterThan(10_000)
    expect(analyse(jsonText).work).toBeLessThan(500)
    expect(rules(jsonText, 2)).toEqual([])
  })

  it.each([
    ["a condition after a quote deep inside", "\", \"q\": \"x' or 7=7 --\"}"],
    ["a UNION deep inside", "\", \"q\": \"0 union select 1,2,3\"}"],
    ["a call deep inside", "\", \"q\": \"1 and sleep(4)\"}"],
    ["a number glued to UNION", "\",\"q\":\"9union select 1,2,3\"}"],
    ["a catalogue name", "\",\"q\":\"'+(select top 1 name from sysobjects)+'\"}"],
    ["a stacked statement", "\",\"q\":\"x'; DROP table users --\"}"]
  ])("still reads the whole value when it holds an anchor: %s", (_, tail) => {
    expect(refused(jsonText.slice(0, -2) + tail)).toBe(true)
  })

  it.each([
    ["a `;` inside data", (i: number) => `"row ${i}","data:image/png;base64,iVBOR${i}","ok; fine",`],
    ["a markdown heading", (i: number) => `\n## Part ${i}\n"quoted" text and more\n# Title ${i}\n`]
  ])("reads only the opening when %s is all that looks like an anchor", (_, part) => {
    const value = Array.from({ length: 200 }, (_, i) => part(i)).join("")
    expect(analyse(value).work).toBeLessThan(value.length / 2)
  })

  it("sees the anchor of a `;` that ends the value or a `#` that is no heading", () => {
    const long = "\"a\",".repeat(3000)
    for (const tail of ["x';", "\n#x", "x'; \tSHUTDOWN", "x';(select 1)"]) expect(needsWholeStream(`${long}${tail}`)).toBe(true)
    expect(rules(`${long}x';`)).toContain("sql-102")
    expect(rules(`${long}x'; \tSHUTDOWN`)).toContain("sql-104")
  })

  it("sees a word spelled with the Kelvin sign, which lower-cases to k", () => {
    // `li\u212Ae` is `like` to the tokenizer: the fast path must not skip it
    const value = "x' or 'a' li\u212Ae 'a"
    expect(analyse(value).work).toBeGreaterThan(analyse("x' or 'a' zzzz 'a").work)
  })

  it.each([["quotes", "'"], ["double quotes", "\""], ["JSON pairs", "\"k\":\"v\","], ["words", "alpha beta "]])(
    "stays linear on repeated %s without anchors",
    (_, fragment) => {
      const work = [64, 128, 256].map((kb) => analyse(fragment.repeat(Math.ceil((kb * 1024) / fragment.length))).work)
      for (let i = 1; i < work.length; i++) expect((work[i] ?? 0) / (work[i - 1] ?? 1)).toBeLessThan(2.1)
    }
  )
})

describe("sql family: dialect forms and cut-off probes", () => {
  it.each([
    ["a signed select list", "select -cos(@v),7 from t where"],
    ["NOT before a comparing word", "3 AND 2 NOT LIKE 9"],
    ["MySQL's BINARY cast after a quote", "zz'REGEXP BINARY 4#"],
    ["HAVING after a name", "uid having sum(x) > 3"],
    ["Oracle's dynamic SQL", "execute immediate 'drop table t'"],
    ["T-SQL's dynamic SQL", "exec(@cmd)"],
    ["a naming call cut off", "schema("],
    ["a naming call with no arguments", "DB_NAME()"],
    ["a PostgreSQL cast of a column", "secret::int"],
    ["a PostgreSQL cast after a quote", "5' and length(token)::text='1"],
    ["a bare exponent glued to a call", "2.e(ord(mid(pw,1,1)))"],
    ["a bare exponent glued to a name", "7.e.columns"],
    ["UNION with + for spaces", "5'union+all+select+7,8,9+from+t"],
    ["UNION SELECT cut short", "'union select/"],
    ["IF with its comparison cut off", "if(77="],
    ["a database's own name", "pg_catalog"],
    ["SQL tokens ending in UNION", "4/2/**/union"],
    ["a MySQL literal function in a condition", ".3or-UTC_TIME--"],
    ["MySQL's REPLACE as a second statement", ";replace t (a) values (1)"],
    ["a quoted alias, then FROM", "77 as \"v\" from t"],
    ["a quoted name closed, an alias, then FROM", "` as `alias_2` FROM x"]
  ])("%s: %s", (_, value) => {
    expect(refused(value)).toBe(true)
  })

  it.each(["u[$ne]", "$where", "q[$regex]", "$gt"])("a MongoDB operator as a name or a value: %s", (value) => {
    expect(refused(value)).toBe(true)
  })

  it.each([
    "Use `SELECT * FROM users WHERE id = $1` with bound parameters",
    "see section 1.e for details",
    "std::string and std::vector",
    "fe80::1",
    "price in $USD",
    "the database (Postgres) is fine",
    "replace the filter (see docs)",
    "2 as gifts from grandma",
    "$type",
    "sold as \"new\" from the shop"
  ])("leaves prose and code alone: %s", (value) => {
    expect(refused(value)).toBe(false)
  })
})

describe("sql family: the looser rules of level 2", () => {
  it.each([
    ["a comparison of two literals", "q,5=5"],
    ["a comparison of two literals with NOT", "8 is not 9"],
    ["OR/AND and a condition inside a value", "k=OR 31=32)"],
    ["a condition begun where the value starts", "xor 4 >"],
    ["a statement word after a quote", "'drop z"],
    ["a quote, OR and a bare name", "' or somebody 3"],
    ["an operator after a quote, then a comment", "m'&token--"],
    ["a long hexadecimal literal", "select 0x7a7a7a"],
    ["a procedure's name", "sp_executesql"],
    ["a type's name", "nvarchar"],
    ["a SQL function left open", "CoUnT("],
    ["an operator alone", "<<"],
    ["IS NULL alone", "is null"],
    ["a backslash-escaped quote and OR", "\\'or'7"],
    ["ORDER BY alone", "ORDER BY"],
    ["an alias and FROM", ") as t2 from"],
    ["WHEN ... THEN", ") when 9 then"],
    ["IN and a subquery", "in (select x from"],
    ["a comparison left open for the query's quote", "title like '"],
    ["a statement on a bare name, then a comment", "drop logs;--"]
  ])("%s: %s", (_, value) => {
    expect(refused(value)).toBe(false)
    expect(refused(value, 2)).toBe(true)
  })

  it.each(["\"IS\" STAMP", "Why 1 + 1 = 2", "0x1F", "it is 5 or 6 in 2 boxes", "-", "*"])("leaves these alone even at level 2: %s", (value) => {
    expect(refused(value, 2)).toBe(false)
  })
  it.each([
    ["a column by number", "order by 4"],
    ["a clause cut off by a comment", "group by 2--"],
    ["an order appended to a value", "7 order by username"],
    ["a statement on a bare name ended by hand", "truncate audit;--"],
    ["a statement split from its name by a comment", "DROP/**/users"]
  ])("a clause or statement that names its target scores at level 2: %s", (_, value) => {
    expect(rules(value, 2)).toContain("sql-214")
  })

  it.each([
    ["a shop search sorted by a word", "order by rating"],
    ["a report grouped by a word", "group by region"],
    ["two words of a job title", "exec assistant"],
    ["an update notice", "update firmware"]
  ])("a whole value of SQL's words on a plain word is prose: %s", (_, value) => {
    expect(rules(value, 2)).not.toContain("sql-214")
  })

  it.each([
    ["UNION and a select list", "7' union select null,null"],
    ["a statement and its object", "a\" delete from logs"],
    ["a statement word on a bare name", "x' truncate sessions"],
    ["UNION and a plain word where the value ends", "q' union z"]
  ])("a statement word right after a quote scores at level 2: %s", (_, value) => {
    expect(rules(value, 2)).toContain("sql-207")
  })

  it.each([
    ["a flag's name in quotes", "Order \"Union Jack flags\" today"],
    ["a film title in quotes", "the \"Drop Dead Gorgeous\" DVD"],
    ["an instruction in quotes", "she said 'update your profile' twice"]
  ])("a statement word that prose goes on after is no statement: %s", (_, value) => {
    expect(rules(value, 2)).not.toContain("sql-207")
  })

  it.each([
    ["a file name spelled in hex", "load_file(0x2f7661722f6c6f672f61757468)"],
    ["a name spelled in hex after a condition", "id=7 and user=0x726f6f74"],
    ["a tag spelled in hex, bytes of any case", "x,0x3C696D67207372633D78206F6E6572726F723D61"],
    ["a word with a letter beyond ASCII in UTF-8", "name=0xc3a9c3a9"],
    ["an overlong dot and slash", "0xc0aec0aec0af"],
    ["hex glued to the next literal", "0x2f650x7463"]
  ])("a hex literal spells text at level 2: %s", (_, value) => {
    expect(rules(value, 2)).toContain("sql-209")
  })

  it.each([
    ["a bit mask in a bug report", "the flag is 0xFFFF0000 after reset"],
    ["a magic number", "files start with 0xCAFEBABE"],
    ["a byte mask", "mask 0xFF00FF00"],
    ["a status code in hex", "status 0x1F4 means 500"],
    ["the largest unsigned value", "0xffffffffffffffff"]
  ])("a hex number whose digits spell no text is no hex literal: %s", (_, value) => {
    expect(rules(value, 2)).not.toContain("sql-209")
  })
})
