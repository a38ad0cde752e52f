/**
 * Adversarial shapes for the protocol, ldap and orm families: fragments that, repeated to a
 * megabyte, make a careless scanner revisit what it has read. Shared by the families' linear-time
 * tests and bench/family-protocol.ts.
 */

export const PROTOCOL_SHAPES: ReadonlyArray<readonly [string, string]> = [
  ["entity declarations", "<!entity a"],
  ["doctypes", "<!doctype a "],
  ["declarations without an end", "<?xml encoding="],
  ["UTF-7 brackets", "+ADw-"],
  ["UTF-16 markup", "<\u0000a\u0000"],
  ["parameter entity lookalikes", " %ab"],
  ["data bindings without an end", "<a datasrc"],
  ["dollar words", "$ne "],
  ["line breaks", "\nx"],
  ["prototype words", "__proto__ "],
  ["constructor paths", "constructor."],
  ["URLs", "http://127.0.0.1/"],
  ["names ending in an address", "http://a.example.10.0.0.1 "],
  ["hosts of dotted numbers", "http://1.2.3.4.5.6.7.8.9"],
  ["schemes without hosts", "gopher:"],
  ["quotes and returns", "';return"],
  ["cookie writes", ".cookie="]
]

export const LDAP_SHAPES: ReadonlyArray<readonly [string, string]> = [
  ["filter closers", ")("],
  ["almost operators", "(|x"],
  ["wildcard closers", "*)"],
  ["long attribute names", `${"a".repeat(70)}=`],
  ["escapes", "\\29\\2"],
  ["metacharacters only", "*(|"],
  ["almost extensible matches", "(a:b:1.2.3.4.5 x:="],
  ["almost named matching rules", `\\28a :${"b".repeat(58)}matc:=`]
]

/** Names, scanned as keys. */
export const ORM_SHAPES: ReadonlyArray<readonly [string, string]> = [
  ["underscore runs", "a__"],
  ["long chains", "a__b__c__d__e__"],
  ["lookups", "x__gte "]
]
