import { describe, expect, it } from "@effect/vitest"
import type { ValueLocation } from "../../../src/internal/detection/families/contract.js"
import { family, RULES } from "../../../src/internal/detection/families/ldap/index.js"
import { LDAP_SHAPES } from "./protocolShapes.js"
import { catalogueProblems, doublingRatio, ORDINARY_VALUES, repeated, rulesOf, scoreOf, THRESHOLD } from "./pathsHarness.js"

const refused = (value: string, location: ValueLocation = "query") => expect(scoreOf(family, value, location)).toBeGreaterThanOrEqual(THRESHOLD)
const passed = (value: string, location: ValueLocation = "query") => expect(scoreOf(family, value, location)).toBeLessThan(THRESHOLD)

describe("ldap family", () => {
  describe("closing the application's filter and opening another", () => {
    it.each([
      ["a wildcard that closes the filter", "*)(uid=*"],
      ["an OR branch for any password", "admin)(|(userPassword=*)"],
      ["an always-true AND after a wildcard", "*)(&"],
      ["the absolute true filter", "jdoe)(&)"],
      ["a negated branch", "x)(!(cn=nobody)"],
      ["nested opens", "admin))((mail=*"],
      ["an approximate match", "bob)(cn~=alice"],
      ["an extensible match", "x)(cn:dn:=admins"],
      ["a bitwise matching rule", "x)(userAccountControl:1.2.840.113556.1.4.803:=2"],
      ["blind attribute probing", "*)(description=a*"],
      ["spaces a lenient server skips", "admin) ( | (uid = *"],
      ["RFC 4515 escapes an application unescapes", "admin\\29\\28|\\28uid=\\2a"],
      ["a value in a JSON body", "*)(objectClass=*"]
    ])("refuses %s", (_, value) => refused(value, _ === "a value in a JSON body" ? "body" : "query"))

    it("refuses it in a path segment and a header", () => {
      refused("*)(uid=*", "path")
      refused("admin)(|(cn=*", "header")
    })
  })

  describe("whole filters, truncation and probes", () => {
    it.each([
      ["an OR filter", "(|(uid=*)(cn=admin))"],
      ["an AND filter", "(&(objectClass=person)(uid=*))"],
      ["a NOT filter", "(!(cn=x))"],
      ["a NUL after closing", "admin*))\u0000"],
      ["the NUL a decoder leaves as %00", "*))%00"],
      ["an escaped NUL", "admin)\\00"],
      ["a string of filter metacharacters", "*)(|&"],
      ["a wildcard ORed with the application's assertion", "*|"],
      ["a wildcard with a negation", "!*"],
      ["a fuzzing string with a quote", "*()|&'"]
    ])("refuses %s", (_, value) => refused(value))

    it.each([
      ["a wildcard that closes the assertion and goes on", "**)*"],
      ["a wildcard group closed once too often", "(*)**)"],
      ["two closes after a wildcard", "*))"],
      ["spaces a lenient server skips", "* ) *"],
      ["an escaped close", "*\\29*"]
    ])("refuses metacharacters whose wildcard closes a parenthesis it did not open: %s", (_, value) => {
      expect(rulesOf(family, value)).toContain(RULES.wildcardClose.id)
      refused(value)
    })

    it.each([
      ["a wildcard and a close alone", "*)"],
      ["a balanced wildcard group", "(*)"],
      ["a balanced group then a wildcard", "(*)*"],
      ["a smiley after a word", "great *)*"],
      ["a footnote in text", "see note (*)*"]
    ])("passes %s", (_, value) => {
      expect(rulesOf(family, value)).not.toContain(RULES.wildcardClose.id)
      passed(value)
    })

    it.each([
      ["a match on the entry's DN", "(ou:dn:=Staff)"],
      ["a named matching rule", "(sn:caseExactMatch:=Smith)"],
      ["a rule alone with the DN", "(:dn:2.5.13.5:=root)"],
      ["Active Directory's bitwise rule", "(userAccountControl:1.2.840.113556.1.4.804:=16)"],
      ["a numeric attribute and rule", "(2.5.4.3:2.5.13.2:=x)"],
      ["spaces a lenient server skips", "( mail:dn :=a)"],
      ["RFC 4515 escapes an application unescapes", "\\28cn:dn:=admin\\29"],
      ["escapes around a rule of its own", "x\\29\\28uid:caseIgnoreMatch:=root\\29"],
      ["a space before the DN flag", "x)(cn :dn:=admin"],
      ["a rule name in capitals", "(SN:CASEEXACTMATCH:=x)"]
    ])("refuses an extensible match filter: %s", (_, value) => {
      expect(rulesOf(family, value)).toContain(RULES.extensible.id)
      refused(value)
    })

    it.each([
      ["Go's short assignment", "if (err:=run()) != nil {"],
      ["Python's walrus", "while (line := f.readline()):"],
      ["Pascal's default with spaces", "procedure p(a: integer := 5)"],
      ["a time", "meet (10:30:=late)"],
      ["a labelled note", "(Note: =see above)"],
      ["Pascal's default without spaces", "procedure P(X:Integer:=0);"],
      ["a Pascal variable with a default", "var (i:integer:=0)"],
      ["Delphi's typed default", "function Count(Step:Word:=10): Boolean;"],
      ["a chat face", "(:P:= lol"],
      ["another chat face", "haha (:D:=)"]
    ])("passes assignments and times: %s", (_, value) => {
      expect(rulesOf(family, value)).not.toContain(RULES.extensible.id)
      passed(value)
    })

    it("refuses a filter parenthesis alone only from level 2; a wildcard, an operator or a header value passes", () => {
      for (const value of ["(", ")", " ( "]) {
        expect(rulesOf(family, value), value).not.toContain(RULES.lone.id)
        expect(rulesOf(family, value, "query", 2), value).toContain(RULES.lone.id)
      }
      expect(rulesOf(family, ")", "body", 2)).toContain(RULES.lone.id)
      for (const value of ["*", "!", "|", "&"]) expect(rulesOf(family, value, "query", 2), value).not.toContain(RULES.lone.id)
      expect(rulesOf(family, "(", "header", 2)).not.toContain(RULES.lone.id)
      expect(rulesOf(family, "!!", "query", 2)).not.toContain(RULES.lone.id)
      expect(rulesOf(family, "(a)", "query", 2)).not.toContain(RULES.lone.id)
    })

    it("scores presence and trailing-wildcard assertions only at level 2", () => {
      expect(rulesOf(family, "cn=*)")).toEqual([])
      expect(rulesOf(family, "cn=*)", "query", 2)).toEqual([RULES.presence.id])
      expect(rulesOf(family, "admin*)", "query", 2)).toEqual([RULES.presence.id])
    })
  })

  describe("benign values", () => {
    it.each([
      ["parentheses in prose", "(a)(b)"],
      ["an enumeration", "choose (1) or (2)"],
      ["math", "f(x)(y) = 2"],
      ["an e-mail search filter", "(from:alice)(subject:report)"],
      ["a search engine query", "title:(foo OR bar) -(draft)"],
      ["a markdown link", "[docs](https://example.com)"],
      ["a wildcard search", "jo*"],
      ["a smiley", "ok :)(:"],
      ["a footnote marker", "(*)"],
      ["a phone number", "(555) 123-4567"],
      ["code", "if (a && (b || c)) { f(x) }"],
      ["a Windows path", "C:\\2a\\files (x86)"],
      ["a user agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"],
      ["a company name", "Johnson & Johnson (J&J)"],
      // one metacharacter alone is an ordinary search or path: `q=*`, `q=/`
      ["a lone wildcard", "*"],
      ["a lone slash", "/"],
      ["a lone parenthesis", "("],
      ["a lone bang", "!"],
      ["a lone ampersand", "&"],
      ["a lone bar", "|"],
      ["two wildcards", "**"],
      ["a media range", "*/*"]
    ])("passes %s", (_, value) => passed(value))

    it("ignores names: a key is not a filter value", () => {
      expect(rulesOf(family, "*)(uid=*", "key")).toEqual([])
    })
  })

  describe("catalogue and pre-filter", () => {
    it("gives every rule a stable ldap-NNN id in the ldap category", () => {
      expect(catalogueProblems(family, "ldap", ["ldap"])).toEqual([])
    })

    it("rejects values without a parenthesis before scanning", () => {
      expect(ORDINARY_VALUES.filter(family.mayMatch)).toEqual([])
      expect(family.mayMatch("admin*")).toBe(false)
    })
  })

  describe("linear time", () => {
    it.each(LDAP_SHAPES)("%s", (_, fragment) => {
      expect(doublingRatio(family, repeated(fragment))).toBeLessThan(2.5)
    })
  })
})
