/**
 * Necessary conditions on the characters of a value for a pattern to match it, derived from the
 * pattern's syntax tree: the scanner tests them before running a regex, so most values never reach
 * one. Each is implied by every match (it errs on the side of "may match").
 *
 * @internal
 */
import { bit, type CharSet, EMPTY, type Node, parse, union, WORD } from "./regexAst.js"

/** True when the pattern contains a capturing group (built-ins must not, they are combined). */
export const hasCapturingGroup = (source: string): boolean => {
  try {
    const walk = (n: Node): boolean => {
      switch (n._tag) {
        case "Group":
          return n.capturing || walk(n.body)
        case "Look":
          return walk(n.body)
        case "Repeat":
          return walk(n.body)
        case "Seq":
          return n.items.some(walk)
        case "Alt":
          return n.alts.some(walk)
        default:
          return false
      }
    }
    return walk(parse(source, false, false))
  } catch {
    return true
  }
}

/** A set of ASCII characters as four 32-bit words, plus whether non-ASCII characters are included. */
export interface CharMask {
  readonly words: readonly [number, number, number, number]
  readonly nonAscii: boolean
}

const toMask = (s: CharSet): CharMask => ({
  words: [
    Number(s.ascii & 0xffffffffn) | 0,
    Number((s.ascii >> 32n) & 0xffffffffn) | 0,
    Number((s.ascii >> 64n) & 0xffffffffn) | 0,
    Number((s.ascii >> 96n) & 0xffffffffn) | 0
  ],
  nonAscii: s.nonAscii
})

/** How common a character is in ordinary text: letters, digits and spaces make poor prefilters. */
const COMMON = (WORD & ~bit(95)) | bit(32)
const popcount = (x: bigint): number => {
  let n = 0
  let v = x
  while (v !== 0n) {
    v &= v - 1n
    n++
  }
  return n
}
const cost = (s: CharSet): number =>
  (s.nonAscii ? 50 : 0) + 10 * popcount(s.ascii & COMMON) + popcount(s.ascii & ~COMMON)

/** A set such that every match contains at least one of its characters (undefined: no such set). */
const needed = (n: Node): CharSet | undefined => {
  switch (n._tag) {
    case "Char":
      return n.set
    case "Seq": {
      let best: CharSet | undefined
      let bestCost = Infinity
      for (const item of n.items) {
        const need = needed(item)
        if (need === undefined) continue
        const c = cost(need)
        if (c < bestCost) {
          best = need
          bestCost = c
        }
      }
      return best
    }
    case "Alt": {
      let acc = EMPTY
      for (const a of n.alts) {
        const need = needed(a)
        if (need === undefined) return undefined
        acc = union(acc, need)
      }
      return acc
    }
    case "Group":
      return needed(n.body)
    case "Repeat":
      return n.min >= 1 ? needed(n.body) : undefined
    default:
      return undefined
  }
}

/**
 * The prefilter of a pattern: characters of which every match contains at least one, chosen to be
 * as rare as possible in ordinary text. Undefined when the pattern can match letters alone.
 */
export const requiredChars = (source: string, flags = ""): CharMask | undefined => {
  try {
    const need = needed(parse(source, flags.includes("i"), flags.includes("s")))
    if (need === undefined || (need.ascii & COMMON) !== 0n) return undefined
    return toMask(need)
  } catch {
    return undefined
  }
}

/** The one ASCII character a set holds, or -1. */
const singleAscii = (s: CharSet): number => {
  if (s.nonAscii || s.ascii === 0n || (s.ascii & (s.ascii - 1n)) !== 0n) return -1
  let c = 0
  while ((s.ascii >> BigInt(c)) !== 1n) c++
  return c
}

/** Prefer longer literals (rarer in text), then fewer of them. */
const literalScore = (set: ReadonlyArray<string>): number => Math.min(...set.map((l) => l.length)) * 1000 - set.length

const better = (a: ReadonlyArray<string> | undefined, b: ReadonlyArray<string> | undefined) =>
  a === undefined ? b : b === undefined ? a : literalScore(b) > literalScore(a) ? b : a

/** Strings of which every match contains at least one (undefined: no such set is known). */
const neededLiterals = (n: Node): ReadonlyArray<string> | undefined => {
  switch (n._tag) {
    case "Char": {
      const c = singleAscii(n.set)
      return c < 0 ? undefined : [String.fromCharCode(c)]
    }
    case "Seq": {
      let best: ReadonlyArray<string> | undefined
      let run = ""
      for (const item of n.items) {
        // assertions take no characters: the characters around them are still next to each other
        if (item._tag === "Assert" || item._tag === "Look") continue
        const c = item._tag === "Char" ? singleAscii(item.set) : -1
        if (c >= 0) {
          run += String.fromCharCode(c)
          continue
        }
        if (run !== "") best = better(best, [run])
        run = ""
        best = better(best, neededLiterals(item))
      }
      return run === "" ? best : better(best, [run])
    }
    case "Alt": {
      const all: Array<string> = []
      for (const a of n.alts) {
        const need = neededLiterals(a)
        if (need === undefined) return undefined
        all.push(...need)
      }
      return [...new Set(all)]
    }
    case "Group":
      return neededLiterals(n.body)
    case "Repeat":
      return n.min >= 1 ? neededLiterals(n.body) : undefined
    default:
      return undefined
  }
}

/**
 * Literal strings of which every match of the pattern contains at least one, chosen as long as the
 * syntax tree allows; undefined when none is known. Sound, not complete: it errs on "may match".
 */
export const requiredLiterals = (source: string): ReadonlyArray<string> | undefined => {
  try {
    return neededLiterals(parse(source, false, false))
  } catch {
    return undefined
  }
}
