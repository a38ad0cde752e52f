/**
 * Classes of SQL injection that public lists hold and the project's own corpus did not: each class
 * gets variants written here (not lines of any corpus) and the benign values that come closest.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Paranoia } from "../../../src/internal/detection/families/contract.js"
import { family } from "../../../src/internal/detection/families/sql/index.js"

const rules = (value: string, paranoia: Paranoia = 1): Array<string> =>
  family.mayMatch(value) ? family.scan(value, { location: "query", paranoia }).map((f) => f.ruleId).sort() : []

/** Refused by this family alone at the engine's default threshold. */
const refused = (value: string, paranoia: Paranoia = 1): boolean =>
  family.mayMatch(value) && family.scan(value, { location: "query", paranoia }).reduce((sum, f) => sum + f.score, 0) >= 5

describe("sql family: a name compared with itself after OR/AND", () => {
  it.each(["x or b=b", " OR id = id", "7) or (name=name", "q and uid<>uid", "1 || col like col", "abc' or pw=pw-- ", "'or login=login#"])(
    "is a tautology: %s",
    (value) => {
      expect(refused(value), value).toBe(true)
    }
  )

  it.each([
    "or a = a holds in any ring",
    "x = x for every x",
    "take a or b = b",
    "black or white = grey",
    "and then a = a + 1 in the loop",
    "red or blue=blue-ish"
  ])("passes prose and maths: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })
})

describe("sql family: a condition the query's own quote closes", () => {
  it.each([
    "' or login like '%",
    "zz' AND title LIKE '%a%",
    "\" or nick like \"%",
    "x' or role='admin",
    "') or (email like '%",
    "q' or nick like 'ro%",
    "' or pw is null or login = '"
  ])(
    "balances the quotes: %s",
    (value) => {
      expect(refused(value), value).toBe(true)
    }
  )

  it.each([
    "the players' and fans like 'em",
    "my parents' or friends like 'this",
    "O'Brien or someone like 'x",
    "like 50%",
    "prices like '50% off' or more",
    "the girls' and boys like 'cause",
    "the shops' and deals like '50%",
    "kids' or adults like '90s"
  ])("passes prose with apostrophes and percentages: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })
})

describe("sql family: a condition ended by hand", () => {
  it.each([
    "zz' and phone is null; --",
    "a' OR t.deleted IS NOT NULL; #",
    "' and 2 in (select id from users)--",
    "1 and 3 in (select max(id) from t)",
    "q' or n between 0 and 9--",
    "7 limit 1 offset 2--"
  ])(
    "ends the query: %s",
    (value) => {
      expect(refused(value), value).toBe(true)
    }
  )

  it.each([
    "x' and y is null;",
    "it's red and in (select colours)",
    "tom's and kate's; -- fine",
    "cats and dogs /* pets */",
    "x' or age between 18 and 30 years",
    "page 2 limit 10 offset 20 please"
  ])(
    "passes without a comment or a subquery: %s",
    (value) => {
      expect(refused(value), value).toBe(false)
    }
  )
})

describe("sql family: a value that opens with a separator or cuts a call off with a comment", () => {
  it.each(["; or 2=2", ";and 'x'='x'--", " or ifnull(1,0) /*", "and coalesce(null,1) /*"])("%s", (value) => {
    expect(refused(value), value).toBe(true)
  })

  it.each(["; or maybe not", "; and so on", "or cats (2) /* note */ too", "red or blue /* colours */"])("passes: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })
})

describe("sql family: comments inside SQL words", () => {
  it.each(["1 UN/**/ION SE/**/LECT 1,2", "x' un/*a*/ion all sel/**/ect null--", "1 a/**/nd sl/**/eep(3)", "-1 UNI/**/ON/**/SEL/**/ECT password FROM users"])(
    "reads the word joined: %s",
    (value) => {
      expect(rules(value)).toContain("sql-112")
      expect(refused(value), value).toBe(true)
    }
  )

  it.each(["src/**/index.ts", "docs/**/order.md", "app/**/select.tsx", "a/*b*/c", "lib/**/union-find.js"])("passes globs and paths: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })

  it("reads a bounded distance into each comment", () => {
    // a split word's comment is short: a long one is a comment, not a split
    expect(rules("1 un/* a long comment with words */ion select 1")).not.toContain("sql-103")
  })
})

describe("sql family: a statement that shows a system variable", () => {
  it.each(["print @@servername", "x'; PRINT @@trancount--", "1 union select @@anything", "select @@spid;"])("%s", (value) => {
    expect(refused(value), value).toBe(true)
  })

  it.each(["please print @@ signs", "print @@@@", "email me @@home", "print @alice", "print @@ROWCOUNT in T-SQL docs"])("passes: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })
})

describe("sql family: a subquery joined to a string literal", () => {
  it.each(["'+(select top 1 login from accounts)+'", "x'-(select pw from t limit 1)-'", "n' + cast((select max(id) from t) as text) + '", "z' like (select 'a')"])(
    "%s",
    (value) => {
      expect(rules(value)).toContain("sql-126")
      expect(refused(value), value).toBe(true)
    }
  )

  it.each(["it'+(select one)+'", "Joe's + (select two)", "don't (select all) + more", "rock' + (select your favourite)"])("passes: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })
})

describe("sql family: keywords with their parenthesis glued on", () => {
  it.each(["1' and (select case when(2>1) then 1 else 0 end)=1--", "x' or 1=(case when(3=3) then 1 end)--"])("%s", (value) => {
    expect(rules(value)).toContain("sql-120")
    expect(refused(value), value).toBe(true)
  })

  it.each(["say when(ever) you like", "the values\n(rx_sec, IOPS) are per second", "database("])("keeps the others as they were: %s", (value) => {
    expect(rules(value)).not.toContain("sql-120")
    expect(rules(value)).not.toContain("sql-214")
  })
})

describe("sql family: a keyword nested in itself", () => {
  it.each(["-1 UNIunionON SELselectECT 1,2", "1 OorderRDER BY 3--", "x' uniunionon seselectlect pw from t--"])("reads the keyword a filter leaves: %s", (value) => {
    expect(rules(value)).toContain("sql-112")
    expect(refused(value), value).toBe(true)
  })

  it.each(["unselected items", "reunions selected", "preorders and reorders", "selections from the union"])("passes words that hold a keyword: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })
})

describe("sql family: a fragment that starts inside a statement", () => {
  it.each(["' (select top 3", "'(select top 5 name from sysobjects", "\" (select top 1 password", "')(select user from dual)"])(
    "refuses a subquery opened right after the quote: %s",
    (value) => {
      expect(rules(value)).toContain("sql-127")
      expect(refused(value), value).toBe(true)
    }
  )

  it.each(["||'7", "|| 'abc", "||\"a\" --", "|| '", "|| 'x' || '", "||'a');--"])("refuses a value that starts with SQL concatenation and a string: %s", (value) => {
    expect(rules(value)).toContain("sql-128")
    expect(refused(value), value).toBe(true)
  })

  it.each([
    "O'Brien (select one)",
    "don't (select all)",
    "'(select all)' button",
    "it's (select top 10 results)",
    "a || 'b'",
    "x = y || 'default'",
    "|| 'default'",
    "|| \"N/A\"",
    "||",
    "'quoted' (see notes)"
  ])("passes: %s", (value) => {
    expect(rules(value)).not.toContain("sql-127")
    expect(rules(value)).not.toContain("sql-128")
    expect(refused(value), value).toBe(false)
  })
})

describe("sql family: a full-text search's string closed with its mode modifier", () => {
  it.each([
    "1' in boolean mode) and 4241=4241-- x",
    "x' IN BOOLEAN MODE) AND sleep(5)#",
    "a\" in natural language mode) or 1=1#",
    "q' in natural language mode with query expansion) or 'a'='a'-- "
  ])("closes AGAINST('...' MODE) and adds a condition: %s", (value) => {
    expect(refused(value), value).toBe(true)
  })

  it.each([
    "search 'mysql' in boolean mode) and more",
    "Use AGAINST('+mysql -yoursql' IN BOOLEAN MODE) and sort by relevance",
    "the 'in boolean mode' flag and its parens",
    "it's in boolean mode) and then it's not"
  ])("passes documentation about the modifier: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })
})

describe("sql family: a boolean-blind switch that picks a result by a comparison of literals", () => {
  it.each(["ELT(6130=6130,2208)", "make_set(91=91,4)", "1 AND elt(7=7, 8)", "(3317=3317)*5", "(42=42)*(9)", "(12=13)+1", "20-(8=8)", "5*(31=31)", "qty=(64=64)*10"])("%s", (value) => {
    expect(refused(value), value).toBe(true)
  })

  it.each([
    "ELT(2, 'red', 'green')",
    "make_set(3, 'a', 'b', 'c')",
    "elt(idx, 'x') in the MySQL manual",
    "(x=5)*2",
    "(1+1)*2",
    "(16=9) screens",
    "(2 = 2)",
    "4-(x=2)",
    "total=(a=b)*3",
    "2*(3+4)=14"
  ])("passes: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })
})

describe("sql family: a unified diff's hunk in code review traffic", () => {
  it.each([
    "@@ -1 +1 @@\n-# Getting started",
    "@@ -0,0 +1,2 @@\n+# Notes\n+",
    "@@ -12,3 +12,3 @@\n-## Usage",
    "@@ -7,2 +7,2 @@\r\n-# Setup\r\n+# Install\r\n\\ No newline at end of file"
  ])("passes: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })

  it.each([
    "@@ -1 +1 @@\n-id' or 2=2 --",
    "x' union select @@version --",
    "1 union select @@version #",
    "@@ -4 +4 @@ ((select 'q' or 2)) --",
    "@@ -4 +4 @@\n ((select 'q' or 2))\n) --"
  ])("still reads the SQL after or without a hunk header: %s", (value) => {
    expect(refused(value), value).toBe(true)
  })
})

describe("sql family: a break-out whose condition is adjacent string literals", () => {
  it.each(["\" or \"\" \"", "' or '' '", "a\" OR \"\" \"", "x' || '' '", "' and 'a' '", "1\" or \"\" \""])(
    "leaves the joined literal for the query's own quote: %s",
    (value) => {
      expect(refused(value), value).toBe(true)
    }
  )

  it.each([
    "He said \"ok\" or \"\" \"",
    "rock 'n' roll 'n' more",
    "the 'a' or 'b' choice",
    "size 12\" or 14\" \"",
    "quotes like '' and ' are fine",
    "\"\" or \"\""
  ])("passes prose with quotes: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })
})

describe("sql family: a quote hidden in a MySQL executable comment", () => {
  it.each(["3/*!2222'*/", "7/*!50000'*/ or 1", "id/*!32302\"*/", "5 /*!'*/", "x/*!40101 ' */"])("is read as MySQL reads it: %s", (value) => {
    expect(rules(value)).toContain("sql-129")
    expect(refused(value), value).toBe(true)
  })

  it.each([
    "/*! jQuery v3.7.1 | (c) OpenJS Foundation */",
    "/*! normalize.css v8.0.1 */ body { font-family: 'Inter' }",
    "/*! @preserve don't strip */",
    "/*! Bootstrap's grid */",
    "a /*! 1 */ 'b'",
    "/*!40103 SET TIME_ZONE='+00:00' */;",
    "/*!40101 SET NAMES 'utf8mb4' */;",
    "/*!50003 SET sql_mode = 'NO_AUTO_VALUE_ON_ZERO' */ ;"
  ])("passes license comments, quotes outside them and a dump header's assignments: %s", (value) => {
    expect(rules(value)).not.toContain("sql-129")
    expect(refused(value), value).toBe(false)
  })
})

describe("sql family: a keyword split by an empty tag, for a filter that strips tags after checking words", () => {
  it.each(["1 un<>ion sel<>ect 2,3", "' UN<>ION ALL SE<>LECT null--", "x\" uni<>on se<>lect 1,2#", "sel<>ect pass fr<>om users", "0 union sel<>ect @@version"])(
    "reads the word the filter leaves: %s",
    (value) => {
      expect(rules(value)).toContain("sql-112")
      expect(refused(value), value).toBe(true)
    }
  )

  it.each(["if a<>b then swap", "x<>y or x=1", "Array<>of empty generics", "use <> for not equal", "o<>r", "the <> key on a keyboard", "price<>cost"])(
    "passes comparisons and markup words: %s",
    (value) => {
      expect(rules(value)).not.toContain("sql-112")
      expect(refused(value), value).toBe(false)
    }
  )
})

describe("sql family: a keyword split by any tag a tag-stripping filter deletes", () => {
  it.each([
    "1 un<x>ion sel<x>ect password fr<x>om users",
    "1 un<b></b>ion sel<b></b>ect password fr<b></b>om users",
    "-1 un<!---->ion sel<!---->ect password fr<!---->om users",
    "0 UNI<span class=a>ON ALL SEL<i>ECT name FR<br/>OM accounts",
    "9 uni</em>on se<u></u>lect 1,2#",
    "x' un<!-- c -->ion sel<q>ect token fr<s >om sessions--"
  ])("reads the word the filter leaves: %s", (value) => {
    expect(rules(value)).toContain("sql-112")
    expect(refused(value), value).toBe(true)
  })

  it.each([
    "<b>Union</b> Station is <i>closed</i> from 9 to 5",
    "Credit<br>Union select branch",
    "Sel<sup>2</sup> and Fr<sub>3</sub>",
    "if a<b and c>d then swap",
    "the <strong>European Union</strong> and <em>select</em> committee from Brussels"
  ])("passes markup around whole words and comparisons: %s", (value) => {
    expect(rules(value)).not.toContain("sql-112")
    expect(refused(value), value).toBe(false)
  })

  it("passes markup that bolds part of a word, read joined but with no statement around it", () => {
    expect(refused("Data<b>base</b> from the <i>Union</i>")).toBe(false)
  })
})

describe("sql family: a statement written without spaces between its words", () => {
  it.each([
    "SELECT\\NFROM`users`",
    "select\\N,\\Nfrom t where\\N=\\N",
    "SELECT-pw-0.FROM`accounts`",
    "select(name)from users",
    "1union select 1,2",
    "0.union select user()"
  ])("reads MySQL's NULL, a number or a parenthesis glued to the keyword: %s", (value) => {
    expect(rules(value)).toContain("sql-112")
    expect(refused(value), value).toBe(true)
  })

  it.each([
    "C:\\New folder\\Notes",
    "\\N is how mysqldump writes NULL",
    "2or3 people",
    "chapter 1.From the beginning",
    "(see above)and below",
    "select one (or more) from the list",
    "the 1st and 2nd from the left"
  ])("passes paths, counts and prose: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })
})

describe("sql family: a keyword cut by a join of string literals, for an application that joins the pieces", () => {
  it.each([
    "' un\\\",\\\"ion se\\\",\\\"lect 1,2,3",
    "5 UN\",\"ION SEL\",\"ECT user(),2",
    "x' un'+'ion sel'+'ect null--",
    "0 un'||'ion all se'||'lect 1,2",
    "1 uni\" & \"on sele\" & \"ct 7,8"
  ])("reads the word the pieces make: %s", (value) => {
    expect(rules(value)).toContain("sql-112")
    expect(refused(value), value).toBe(true)
  })

  it.each([
    "\"red\",\"green\",\"blue\"",
    "'a','b','c'",
    "Ann, \"Bo\", \"Cy\"",
    "tags: \"in\",\"to\",\"on\"",
    "she said \"un\",\"ion\" apart",
    "\"Hello, \" + name + \"!\""
  ])("passes lists and joined text: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })
})
