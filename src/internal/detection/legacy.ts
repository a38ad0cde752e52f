/**
 * The pattern table (patterns.ts) run as one more rule source beside the families: the categories
 * no family covers (LDAP, XML, NoSQL, SSRF, deserialization, ...), with their stable ids (`ldap.*`,
 * `nosql.*`). Patterns are grouped by where they apply and by their prefilter (characters every
 * match must contain, derived from the pattern's syntax tree); each group is one combined regex that
 * runs only when the value holds one of its prefilter's characters, and, on a long value, one of
 * the literal strings every match of one of its patterns holds (found for all groups in one pass,
 * literalScan.ts). Custom patterns (the user's
 * regexes, vetted linear-time by redos.ts) run here too.
 *
 * A pattern of weight `w` scores `5 × w`: weight 1 alone reaches the default threshold, two
 * weight-0.5 patterns must coincide.
 *
 * @internal
 */
import type { CustomPattern, DetectionLocationKind } from "./model.js"
import type { Paranoia } from "./families/contract.js"
import { type DetectionCategory, type PatternDef, Where, type WhereName } from "./patterns.js"
import { literalScanner } from "./literalScan.js"
import { requiredChars } from "./redos.js"
import { vetPattern } from "./redos.js"
import { requiredLiterals } from "./requirements.js"

/** Score of a weight-1 pattern: the default anomaly threshold. */
export const CRITICAL = 5

/** A rule of the table or a custom pattern, as the engine scores it. */
export interface RegexRule {
  readonly id: string
  readonly category: string
  readonly paranoia: Paranoia
  readonly score: number
  readonly weight: number
}

/** Receives the hits of `rule` at `index` (length `length`) of `text`. */
export interface RegexHit {
  readonly regexHit: (rule: RegexRule, text: string, index: number, length: number) => void
}

interface Group {
  readonly regex: RegExp
  readonly rules: ReadonlyArray<RegexRule>
  /** One sticky regex per pattern: after a hit of the combined regex, each is tried where it hit. */
  readonly singles: ReadonlyArray<RegExp>
  /** Undefined: the patterns can match letters alone, the group always runs. */
  readonly mask: Int32Array | undefined
  /** Per pattern, the literals (ids in the table's scanner) of which a match holds one; undefined: none known. */
  readonly literals: ReadonlyArray<Int32Array | undefined>
  /** One global regex per pattern, for long values: only the patterns whose literals are there run. */
  readonly globals: ReadonlyArray<RegExp>
}

/** Literal ids of the whole table: each distinct literal once. */
class LiteralIds {
  readonly ids = new Map<string, number>()
  of(defs: ReadonlyArray<PatternDef>): Int32Array | undefined {
    const out = new Set<number>()
    for (const def of defs) {
      const literals = requiredLiterals(def.source)
      if (literals === undefined) return undefined
      for (const literal of literals) {
        let id = this.ids.get(literal)
        if (id === undefined) this.ids.set(literal, id = this.ids.size)
        out.add(id)
      }
    }
    return Int32Array.from(out)
  }
}

/** Characters present in a text, as 4 words of ASCII bits and a non-ASCII flag. */
const PRESENCE = new Int32Array(5)

const setPresence = (text: string): void => {
  PRESENCE.fill(0)
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 128) PRESENCE[c >>> 5]! |= 1 << (c & 31)
    else PRESENCE[4] = 1
  }
}

const meets = (mask: Int32Array): boolean =>
  (mask[0]! & PRESENCE[0]!) !== 0 || (mask[1]! & PRESENCE[1]!) !== 0 || (mask[2]! & PRESENCE[2]!) !== 0 ||
  (mask[3]! & PRESENCE[3]!) !== 0 || (mask[4]! !== 0 && PRESENCE[4]! !== 0)

const MAX_HITS_PER_GROUP = 16

const ruleOf = (def: PatternDef): RegexRule => ({
  id: def.id,
  category: def.category,
  // a weak pattern (weight < 1) is a paranoia-2 signal on its own, but still counts at level 1
  paranoia: 1,
  score: CRITICAL * def.weight,
  weight: def.weight
})

/** Groups run on one kind of value, and the union of their prefilters. */
interface Groups {
  readonly list: ReadonlyArray<Group>
  /** Every character some group's prefilter names: a value with none runs only the unfiltered groups. */
  readonly union: Int32Array
}

const compileGroups = (defs: ReadonlyArray<PatternDef>, literalIds: LiteralIds): Groups => {
  const byMask = new Map<string, { mask: Int32Array | undefined; defs: Array<PatternDef> }>()
  for (const def of defs) {
    const chars = requiredChars(def.source)
    const mask = chars === undefined ? undefined : Int32Array.of(...chars.words, chars.nonAscii ? 1 : 0)
    const key = mask === undefined ? "*" : mask.join(",")
    const group = byMask.get(key)
    if (group === undefined) byMask.set(key, { mask, defs: [def] })
    else group.defs.push(def)
  }
  const list = [...byMask.values()].map(({ defs, mask }) => ({
    regex: new RegExp(defs.map((d) => `(${d.source})`).join("|"), "g"),
    rules: defs.map(ruleOf),
    singles: defs.map((d) => new RegExp(d.source, "y")),
    mask,
    literals: defs.map((d) => literalIds.of([d])),
    globals: defs.map((d) => new RegExp(d.source, "g"))
  }))
  const union = new Int32Array(5)
  for (const { mask } of list) if (mask !== undefined) for (let w = 0; w < 5; w++) union[w]! |= mask[w]!
  return { list, union }
}

/** Runs a group on `text`, reporting each of its patterns once (the first position it matches). */
const runGroup = (group: Group, text: string, hit: RegexHit): void => {
  const regex = group.regex
  regex.lastIndex = 0
  let m = regex.exec(text)
  if (m === null) return
  const seen = new Array<boolean>(group.rules.length).fill(false)
  let found = 0
  for (let hits = 0; m !== null && found < group.rules.length && hits < MAX_HITS_PER_GROUP; hits++) {
    // the combined regex reports one pattern per position: try the others at the same position
    for (let i = 0; i < group.rules.length; i++) {
      if (seen[i]) continue
      const single = group.singles[i]!
      single.lastIndex = m.index
      const at = m[i + 1] !== undefined ? m : single.exec(text)
      if (at === null) continue
      seen[i] = true
      found++
      hit.regexHit(group.rules[i]!, text, at.index, at[0].length)
    }
    regex.lastIndex = m.index + 1
    m = regex.exec(text)
  }
  regex.lastIndex = 0
}

/** One location kind's groups: for token-shaped values (no space) and for prose. */
interface Slot {
  readonly token: Groups
  readonly prose: Groups
}

export interface LegacyTable {
  /** Runs the patterns of `where` on folded text (decoded, lower case, whitespace collapsed). */
  readonly run: (text: string, where: WhereName, hit: RegexHit) => void
  /** Runs the always-on patterns (shellshock, JNDI): for the headers every browser sends. */
  readonly runAlways: (text: string, hit: RegexHit) => void
  /** Runs the patterns read in one header alone (`onlyHeader`), for that header's value. */
  readonly runHeader: (text: string, name: string, hit: RegexHit) => void
  /** The headers with patterns of their own. */
  readonly ownHeaders: ReadonlyArray<string>
  readonly rules: ReadonlyArray<RegexRule>
}

/**
 * From this length on, one pass of the literal scanner decides which groups run: below it, the
 * groups' character prefilters are cheaper than the pass.
 */
export const LITERAL_SCAN_FROM = 512

const runGroups = (groups: Groups, text: string, hit: RegexHit, literals: Literals): void => {
  let known = false
  // whether the text holds a character of some group's prefilter (most values hold none)
  let any = false
  const long = text.length >= literals.from
  if (long) literals.scan(text)
  for (const group of groups.list) {
    if (group.mask !== undefined) {
      if (!known) {
        setPresence(text)
        known = true
        any = meets(groups.union)
      }
      if (!any || !meets(group.mask)) continue
    }
    if (long) runPatterns(group, text, hit, literals)
    else runGroup(group, text, hit)
  }
}

/** Runs, each at its first match, the patterns of a group whose literals `text` holds. */
const runPatterns = (group: Group, text: string, hit: RegexHit, literals: Literals): void => {
  for (let i = 0; i < group.globals.length; i++) {
    const needed = group.literals[i]
    if (needed !== undefined && !literals.any(needed)) continue
    const regex = group.globals[i]!
    regex.lastIndex = 0
    const m = regex.exec(text)
    regex.lastIndex = 0
    if (m !== null) hit.regexHit(group.rules[i]!, text, m.index, m[0].length)
  }
}

/** The literals of a table and the ones the last scanned text holds. */
interface Literals {
  readonly from: number
  readonly scan: (text: string) => void
  readonly any: (ids: Int32Array) => boolean
}

const literalsOf = (ids: LiteralIds, from: number): Literals => {
  const scanner = literalScanner([...ids.ids.keys()])
  const found = new Uint8Array(scanner.size)
  return {
    from,
    scan: (text) => {
      found.fill(0)
      scanner.scan(text, found)
    },
    any: (list) => {
      for (let i = 0; i < list.length; i++) if (found[list[i]!] === 1) return true
      return false
    }
  }
}

/** The table's patterns of `categories`, compiled per location kind. */
export const legacyTable = (
  patterns: ReadonlyArray<PatternDef>,
  categories: ReadonlySet<DetectionCategory>,
  /** The length from which the literal scanner picks the patterns (tests compare both ways). */
  literalScanFrom = LITERAL_SCAN_FROM
): LegacyTable => {
  const enabled = patterns.filter((p) => categories.has(p.category))
  const active = enabled.filter((p) => p.onlyHeader === undefined)
  const slots = {} as Record<WhereName, Slot>
  const literalIds = new LiteralIds()
  for (const where of Object.keys(Where) as Array<WhereName>) {
    const bit = Where[where]
    const here = active.filter((p) => (p.where & bit) !== 0)
    // path, query and key values are always token-like: tokenOnly applies to the other locations
    const tokenOnlyApplies = where === "header" || where === "cookie" || where === "body"
    slots[where] = {
      token: compileGroups(here, literalIds),
      prose: compileGroups(tokenOnlyApplies ? here.filter((p) => !p.tokenOnly) : here, literalIds)
    }
  }
  const always = compileGroups(active.filter((p) => p.always), literalIds)
  const byHeader = new Map<string, Groups>()
  for (const name of new Set(enabled.flatMap((p) => p.onlyHeader === undefined ? [] : [p.onlyHeader]))) {
    byHeader.set(name, compileGroups(enabled.filter((p) => p.onlyHeader === name), literalIds))
  }
  const literals = literalsOf(literalIds, literalScanFrom)
  return {
    run: (text, where, hit) => {
      const slot = slots[where]
      runGroups(text.includes(" ") || text.includes("\n") ? slot.prose : slot.token, text, hit, literals)
    },
    runAlways: (text, hit) => runGroups(always, text, hit, literals),
    runHeader: (text, name, hit) => {
      const groups = byHeader.get(name)
      if (groups !== undefined) runGroups(groups, text, hit, literals)
    },
    ownHeaders: [...byHeader.keys()],
    rules: enabled.map(ruleOf)
  }
}

/** A custom pattern as the engine runs it. */
export interface CustomRule extends RegexRule {
  readonly regex: RegExp
  /** Bitmask of {@link Where}. */
  readonly where: number
}

const ALL_WHERE = Where.path | Where.query | Where.header | Where.cookie | Where.body | Where.key

/** A custom pattern as the engine runs it, or the reason it cannot run. */
export const compileCustom = (
  pattern: CustomPattern,
  index: number
): { readonly _tag: "ok"; readonly value: CustomRule } | { readonly _tag: "rejected"; readonly reason: string } => {
  const flags = [...new Set(`${pattern.flags ?? ""}i`)].join("")
  const verdict = vetPattern(pattern.pattern, flags)
  if (!verdict.safe) return { _tag: "rejected", reason: verdict.reason ?? "unsafe" }
  const where = pattern.locations === undefined
    ? ALL_WHERE
    : pattern.locations.reduce((acc, name: DetectionLocationKind) => acc | Where[name], 0)
  const weight = pattern.weight ?? 1
  return {
    _tag: "ok",
    value: {
      id: pattern.id ?? `custom.${index}`,
      category: pattern.category ?? "custom",
      paranoia: 1,
      score: CRITICAL * weight,
      weight,
      regex: new RegExp(pattern.pattern, flags),
      where
    }
  }
}

/** Runs the custom patterns that apply to `where` on folded text. */
export const runCustom = (rules: ReadonlyArray<CustomRule>, text: string, where: WhereName, hit: RegexHit): void => {
  const bit = Where[where]
  for (const rule of rules) {
    if ((rule.where & bit) === 0) continue
    rule.regex.lastIndex = 0
    const m = rule.regex.exec(text)
    if (m !== null) hit.regexHit(rule, text, m.index, m[0].length)
  }
}
