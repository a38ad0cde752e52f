/**
 * Static ReDoS vetting of regular expressions, by construction.
 *
 * A backtracking engine (V8's Irregexp) searching an unanchored pattern over `n` characters tries
 * every start position. This module parses a pattern and accepts it only when it can show that the
 * whole search is linear in `n`:
 *
 * 1. no backreferences (they are not regular);
 * 2. star height one: the body of a repetition that may iterate more than once contains no other
 *    quantifier (`?` included) and cannot match the empty string, and an alternation inside it is
 *    deterministic (its branches start with disjoint characters), so a run of text splits among the
 *    iterations in one way only. This is what rules out exponential backtracking, bounded or not:
 *    `(a|a){1,25}b` takes seconds on 25 characters although it never repeats more than 25 times;
 * 3. the product of the choices along the pattern (the `paths` bound, bounded repetitions counted by
 *    their number of possible iteration counts) stays below {@link MAX_PATHS};
 * 4. an unbounded repetition (`*`, `+`, `{n,}`) cannot make the search quadratic: it is last in
 *    the pattern (once it is reached the match succeeds, so no start position ever backtracks
 *    through it: `curl/.*`, `scanner[0-9]+`), or it is guarded (no character that can end the text
 *    before it is one it can read, so the runs it reads from different positions never overlap:
 *    `/[0-9.]+ \(`), or it is the one unguarded repetition of a pattern anchored with `^` (one start
 *    position only). Anything else (`\s+$`, `a.*b`, `\w+\d+`) is quadratic or worse.
 *
 * `recheck` and `redos-detector` were measured as replacements (see docs/configuration.md): the first
 * treats bounded repetitions as harmless, so it accepts `(a|a){1,25}b` and `(?:\w{1,64}\s?){1,64}$`
 * (172 s on 31 characters), and needs seconds per realistic pattern; the second refuses the bounded
 * shapes the detector is made of (`[^>]{0,200}>`) and `union\s+select`.
 *
 * The helpers the scanner derives from a pattern's syntax tree live in `requirements.ts` and
 * `joinedSearch.ts`; they are re-exported here.
 *
 * @internal
 */
import {
  type CharSet,
  EMPTY,
  firstSet,
  type Node,
  nullable,
  overlaps,
  parse,
  ParseFailure,
  union
} from "./regexAst.js"

export { type CharMask, hasCapturingGroup, requiredChars } from "./requirements.js"

/** The largest accepted bound on backtracking paths from one start position. */
export const MAX_PATHS = 1_000_000

/** The largest accepted bound (lower or upper) of one quantifier. */
export const MAX_REPEAT = 1024

/** The flags a vetted pattern may carry. */
export const ALLOWED_FLAGS = "imsu"

/** Why a pattern was rejected. */
export interface RedosVerdict {
  readonly safe: boolean
  readonly reason?: string
  /** The bound on backtracking paths from one start position (when computed). */
  readonly paths?: number
}

const containsQuantifier = (n: Node): boolean => {
  switch (n._tag) {
    case "Repeat":
      return true
    case "Seq":
      return n.items.some(containsQuantifier)
    case "Alt":
      return n.alts.some(containsQuantifier)
    case "Group":
    case "Look":
      return containsQuantifier(n.body)
    default:
      return false
  }
}

/** The characters a match of `n` can end with (the mirror of `firstSet`). */
const lastSet = (n: Node): CharSet => {
  switch (n._tag) {
    case "Char":
      return n.set
    case "Seq": {
      let acc = EMPTY
      for (let i = n.items.length - 1; i >= 0; i--) {
        const item = n.items[i]!
        acc = union(acc, lastSet(item))
        if (!nullable(item)) break
      }
      return acc
    }
    case "Alt":
      return n.alts.reduce((acc, a) => union(acc, lastSet(a)), EMPTY)
    case "Group":
    case "Repeat":
      return lastSet(n.body)
    default:
      return EMPTY
  }
}

/** Every character a match of `n` can read. */
const allChars = (n: Node): CharSet => {
  switch (n._tag) {
    case "Char":
      return n.set
    case "Seq":
      return n.items.reduce((acc, item) => union(acc, allChars(item)), EMPTY)
    case "Alt":
      return n.alts.reduce((acc, a) => union(acc, allChars(a)), EMPTY)
    case "Group":
    case "Look":
    case "Repeat":
      return allChars(n.body)
    default:
      return EMPTY
  }
}

/** Whether every match of `n` starts at the start of the input (`^` without the `m` flag). */
const anchoredAtStart = (n: Node): boolean => {
  switch (n._tag) {
    case "Assert":
      return n.kind === "^"
    case "Seq":
      return n.items[0] !== undefined && anchoredAtStart(n.items[0])
    case "Alt":
      return n.alts.every(anchoredAtStart)
    case "Group":
      return anchoredAtStart(n.body)
    default:
      return false
  }
}

const quote = (source: string, n: { readonly from: number; readonly end: number }): string =>
  `\`${source.slice(n.from, n.end)}\``

/** `[0-9]+` -> `[0-9]{1,64}`: the bounded form the advice of a message names. */
const bounded = (source: string, n: Extract<Node, { _tag: "Repeat" }>): string =>
  `\`${source.slice(n.from, n.at)}{${n.min},${Math.max(64, n.min)}}\``

/** Alternations inside a repeated body must be decidable by their first character. */
const ambiguousAlternation = (n: Node): boolean => {
  switch (n._tag) {
    case "Alt": {
      const firsts = n.alts.map(firstSet)
      for (let a = 0; a < firsts.length; a++) {
        for (let b = a + 1; b < firsts.length; b++) {
          if (overlaps(firsts[a]!, firsts[b]!)) return true
        }
      }
      return n.alts.some(ambiguousAlternation)
    }
    case "Seq":
      return n.items.some(ambiguousAlternation)
    case "Group":
    case "Look":
      return ambiguousAlternation(n.body)
    default:
      return false
  }
}

/**
 * Branches whose first characters are disjoint cannot both get past their first character at one
 * position, so only the branches of one cluster (branches linked by overlapping first sets) produce
 * paths; the bound is the largest cluster sum. A branch that can match empty joins every cluster.
 */
const altPaths = (alts: ReadonlyArray<Node>, paths: (n: Node) => number): number => {
  const clusters: Array<{ first: CharSet; paths: number }> = []
  let emptyPaths = 0
  for (const alt of alts) {
    const p = paths(alt)
    if (nullable(alt)) {
      emptyPaths += p
      continue
    }
    let merged = { first: firstSet(alt), paths: p }
    for (let c = clusters.length - 1; c >= 0; c--) {
      const cluster = clusters[c]!
      if (overlaps(cluster.first, merged.first)) {
        merged = { first: union(cluster.first, merged.first), paths: cluster.paths + merged.paths }
        clusters.splice(c, 1)
      }
    }
    clusters.push(merged)
  }
  return clusters.reduce((acc, c) => Math.max(acc, c.paths), 0) + emptyPaths
}

/** Where a node sits: what can precede its match (undefined: nothing, or anything) and whether it ends the pattern. */
interface Place {
  readonly before: CharSet | undefined
  readonly last: boolean
}

type RepeatNode = Extract<Node, { _tag: "Repeat" }>

/**
 * The checks of a parsed pattern. Throws a ParseFailure naming the first violation; returns the
 * paths bound and the unbounded repetitions that are neither last nor guarded.
 */
const analyse = (source: string, root: Node) => {
  const unguarded: Array<RepeatNode> = []

  const repeatChecks = (n: RepeatNode): void => {
    if (n.min > MAX_REPEAT || (n.max !== Infinity && n.max > MAX_REPEAT)) {
      throw new ParseFailure(`the bound of ${quote(source, n)} at offset ${n.from} exceeds ${MAX_REPEAT}`)
    }
    if (n.max <= 1) return
    if (n.body._tag === "Backref") return
    if (containsQuantifier(n.body)) {
      throw new ParseFailure(
        `nested quantifier: ${quote(source, n)} at offset ${n.from} repeats a group that holds another quantifier, so one run of text can be split among the iterations in exponentially many ways (catastrophic backtracking); repeat a single character class or a fixed string instead`
      )
    }
    if (nullable(n.body)) {
      throw new ParseFailure(
        `${quote(source, n)} at offset ${n.from} repeats a group that can match the empty string, so it can iterate in endlessly many ways`
      )
    }
    if (ambiguousAlternation(n.body)) {
      throw new ParseFailure(
        `${quote(source, n)} at offset ${n.from} repeats alternatives that can start with the same character, so one run of text can be matched by exponentially many sequences of alternatives (catastrophic backtracking); make the alternatives start differently`
      )
    }
  }

  /** Upper bound of backtracking paths from one start position, noting unguarded repetitions on the way. */
  const paths = (n: Node, place: Place): number => {
    switch (n._tag) {
      case "Char":
      case "Assert":
        return 1
      case "Backref":
        throw new ParseFailure(`the backreference at offset ${n.at} cannot be matched in linear time`)
      case "Seq": {
        let acc = 1
        let before = place.before
        n.items.forEach((item, i) => {
          acc = Math.min(acc * paths(item, { before, last: place.last && i === n.items.length - 1 }), Number.MAX_SAFE_INTEGER)
          const end = lastSet(item)
          before = nullable(item) ? (before === undefined ? undefined : union(before, end)) : end
        })
        return acc
      }
      case "Alt":
        return altPaths(n.alts, (alt) => paths(alt, place))
      case "Group":
        return paths(n.body, place)
      case "Look":
        // what a lookaround reads is read again by the pattern: no guard and no last position in it
        return paths(n.body, { before: undefined, last: false })
      case "Repeat": {
        repeatChecks(n)
        if (n.max <= 1) return paths(n.body, place) + 1
        const inner = paths(n.body, { before: undefined, last: false })
        if (n.max !== Infinity) return inner * (n.max - n.min + 1)
        const guarded = place.before !== undefined && !overlaps(place.before, allChars(n.body))
        if (!place.last && !guarded) unguarded.push(n)
        return inner
      }
    }
  }

  const bound = paths(root, { before: undefined, last: true })
  return { bound, unguarded }
}

/**
 * Decides whether `source` with `flags` is a valid regex whose unanchored search is linear-time.
 * The reason of a refusal names the construct, where it is, why it is slow and how to fix it.
 */
export const vetPattern = (source: string, flags = ""): RedosVerdict => {
  for (const f of flags) {
    if (!ALLOWED_FLAGS.includes(f)) return { safe: false, reason: `flag ${JSON.stringify(f)} is not allowed (use only ${ALLOWED_FLAGS})` }
  }
  try {
    new RegExp(source, flags)
  } catch (error) {
    return { safe: false, reason: `not a valid regular expression: ${error instanceof Error ? error.message : String(error)}` }
  }
  try {
    const ast = parse(source, flags.includes("i"), flags.includes("s"))
    const { bound, unguarded } = analyse(source, ast)
    const anchored = !flags.includes("m") && anchoredAtStart(ast)
    const culprit = unguarded[anchored ? 1 : 0]
    if (culprit !== undefined) {
      const why = anchored
        ? `${quote(source, unguarded[0]!)} at offset ${unguarded[0]!.from} and ${quote(source, culprit)} at offset ${culprit.from} both repeat without bound with more pattern after them, so a failing match tries every way to share one run of text between them (quadratic time)`
        : `${quote(source, culprit)} at offset ${culprit.from} repeats without bound with more pattern after it, and nothing before it stops the search from reaching it from every position of one run of text, so a failing search reads that run again from each of them (quadratic time)`
      return {
        safe: false,
        reason: `${why}; bound it (e.g. ${bounded(source, culprit)}), put it last in the pattern${anchored ? "" : ", anchor the pattern with ^"}, or precede it with a character it cannot match`,
        paths: bound
      }
    }
    if (bound > MAX_PATHS) {
      return { safe: false, reason: `too many backtracking paths per position (${bound} > ${MAX_PATHS}); use fewer or smaller quantifiers`, paths: bound }
    }
    if (nullable(ast)) return { safe: false, reason: "the pattern can match the empty string, so it matches every value" }
    return { safe: true, paths: bound }
  } catch (error) {
    if (error instanceof ParseFailure) return { safe: false, reason: error.reason }
    return { safe: false, reason: `cannot analyse the pattern: ${error instanceof Error ? error.message : String(error)}` }
  }
}
