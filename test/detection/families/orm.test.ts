import { describe, expect, it } from "@effect/vitest"
import { family, RULES } from "../../../src/internal/detection/families/orm/index.js"
import { ORM_SHAPES } from "./protocolShapes.js"
import { catalogueProblems, doublingRatio, ORDINARY_VALUES, repeated, rulesOf } from "./pathsHarness.js"

describe("orm family", () => {
  it.each([
    ["a prefix probe on a password", "password__startswith"],
    ["a regex on a related user's API key", "owner__api_key__regex"],
    ["a comparison on a reset token", "reset_token__gt"],
    ["a bracketed form parameter", "filter[user__password__istartswith]"]
  ])("refuses %s at level 1", (_, name) => {
    expect(rulesOf(family, name, "key")).toContain(RULES.secretLookup.id)
  })

  it.each([
    ["a chain of relations", "author__employer__owner__email__icontains"],
    ["a JSON field probe through a relation", "account__settings__has_key"],
    ["two relations and a comparison", "order__customer__credit__gte"]
  ])("refuses %s at level 2 only", (_, name) => {
    expect(rulesOf(family, name, "key")).toEqual([])
    expect(rulesOf(family, name, "key", 2)).toEqual([RULES.relationLookup.id])
  })

  it("scores a single lookup only at level 3, and never exact or in alone", () => {
    expect(rulesOf(family, "price__lte", "key", 2)).toEqual([])
    expect(rulesOf(family, "price__lte", "key", 3)).toEqual([RULES.lookup.id])
    expect(rulesOf(family, "name__exact", "key", 4)).toEqual([])
    expect(rulesOf(family, "city__in", "key", 4)).toEqual([])
  })

  it.each([
    ["a dunder method", "__init__"],
    ["a prototype key", "__proto__"],
    ["a private field", "_meta__x"],
    ["an unknown suffix", "user__profile__avatar"],
    ["a snake_case name", "created_at"],
    ["a BEM class name", "card__title--active"]
  ])("passes %s at every level", (_, name) => {
    expect(rulesOf(family, name, "key", 4)).toEqual([])
  })

  it("reads names only: prose about lookups in a value passes", () => {
    expect(rulesOf(family, "filter with user__password__startswith", "body", 4)).toEqual([])
  })

  it("gives every rule a stable orm-NNN id and rejects ordinary values before scanning", () => {
    expect(catalogueProblems(family, "orm", ["orm_injection"])).toEqual([])
    expect(ORDINARY_VALUES.filter(family.mayMatch)).toEqual([])
  })

  it.each(ORM_SHAPES)("scans %s in linear time", (_, fragment) => {
    expect(doublingRatio(family, repeated(fragment), "key")).toBeLessThan(2.5)
  })
})
