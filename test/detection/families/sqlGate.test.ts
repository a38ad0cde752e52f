import { describe, expect, it } from "@effect/vitest"
import { CUT_CONDITION, MAY_MATCH, mayMatch } from "../../../src/internal/detection/families/sql/index.js"
import { loadCorpus } from "../externalCorpus.js"

/** What the pre-filter answers when every expression is tested: the one-pass gate must agree. */
const byTesting = (value: string): boolean =>
  MAY_MATCH.some(({ pattern }) => pattern.test(value)) || (value.includes("/*") && CUT_CONDITION.test(value))

/** Words, pieces and punctuation the expressions look for, and their neighbours. */
const PIECES = [
  ..."union select insert delete drop exec execute declare waitfor sleep benchmark pg_sleep extractvalue updatexml load_file information_schema having procedure iif if case when order group by truncate shutdown ascii ord substr substring mid char concat version database user db_name xp_cmdshell sys sysobjects syscolumns pg_user lo_import mysql sqlite_master dbms_pipe utl_http randomblob or and xor not like rlike regexp glob between sounds is null varchar nvarchar2 openrowset sp_who values then as from tempdb msdb northwind sysaux schema current_user session_user system_user current_database current_schema update create alter replace"
    .split(" "),
  ..."ord1 xor_ 1or UNIunionON selselectect xselectx unionx Union SELECT OrDeR Sys. 0x41414 0X1f2 1.e( 2.e. 9.5 0x $ne [$where $a".split(" "),
  ..."' \" ` # -- - @@ @ :: : && & || | != <= >= == << >> <> = < > /* */ /*! ** ( ) ; \\ [ ] . , _ \n \t \u00a0 \u212a \u017f é".split(" "),
  "1", "42", "a", "x", "it's", "user12@example.com", "https://example.com/items/3?ref=feed"
]

/** A deterministic stream of values of 1 to 8 pieces, joined by nothing or spaces. */
const generated = (count: number): Array<string> => {
  let seed = 7
  const random = (n: number) => (seed = (seed * 16807) % 2147483647) % n
  return Array.from({ length: count }, () => {
    const pieces = Array.from({ length: 1 + random(8) }, () => PIECES[random(PIECES.length)]!)
    return pieces.reduce((acc, p) => acc + ["", " ", "", "  ", "("][random(5)] + p, "")
  })
}

describe("sql family: the one-pass pre-filter", () => {
  it("answers what testing every expression answers, on generated values", () => {
    const disagreeing = generated(60_000).filter((value) => mayMatch(value) !== byTesting(value))
    expect(disagreeing).toEqual([])
  })

  it("answers what testing every expression answers, on the external corpus", () => {
    const values = loadCorpus().flatMap((row) => (typeof row.value === "string" ? [row.value] : []))
    expect(values.filter((value) => mayMatch(value) !== byTesting(value))).toEqual([])
  })

  it.each(["42", "2026-12-07T10:16:04Z", "user12@example.com", "https://example.com/items/3?ref=feed", "the quick brown fox jumps"])(
    "rejects an ordinary value: %s",
    (value) => {
      expect(mayMatch(value)).toBe(false)
    }
  )
})
