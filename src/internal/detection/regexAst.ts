/**
 * A syntax tree of JavaScript regular expressions, for the static analyses of patterns: the ReDoS
 * vetting (`redos.ts`) and the scanner's pre-filters (`requirements.ts`, `joinedSearch.ts`).
 *
 * Character sets are approximated by an ASCII bitmap plus a "may contain non-ASCII" flag, which only
 * ever over-approximates, so an analysis that asks whether two sets overlap errs on the side of yes.
 *
 * @internal
 */

/** A set of characters: the ASCII ones exactly, the others as one flag. */
export interface CharSet {
  readonly ascii: bigint
  readonly nonAscii: boolean
}

/** A node of the syntax tree, with source offsets where a message needs to quote the pattern. */
export type Node =
  | { readonly _tag: "Char"; readonly set: CharSet }
  | { readonly _tag: "Seq"; readonly items: ReadonlyArray<Node> }
  | { readonly _tag: "Alt"; readonly alts: ReadonlyArray<Node> }
  | { readonly _tag: "Group"; readonly body: Node; readonly capturing: boolean }
  | { readonly _tag: "Look"; readonly body: Node; readonly behind: boolean; readonly negative: boolean }
  | {
    readonly _tag: "Repeat"
    readonly body: Node
    readonly min: number
    readonly max: number
    /** Offsets of the repeated atom, of its quantifier, and just past the quantifier. */
    readonly from: number
    readonly at: number
    readonly end: number
  }
  | { readonly _tag: "Assert"; readonly kind: "^" | "$" | "b" | "B" }
  | { readonly _tag: "Backref"; readonly at: number }

export const ALL_ASCII = (1n << 128n) - 1n
export const bit = (c: number): bigint => 1n << BigInt(c)
const range = (lo: number, hi: number): bigint => {
  let out = 0n
  for (let c = lo; c <= Math.min(hi, 127); c++) out |= bit(c)
  return out
}
const DIGIT = range(48, 57)
export const WORD = DIGIT | range(65, 90) | range(97, 122) | bit(95)
const SPACE = bit(9) | bit(10) | bit(11) | bit(12) | bit(13) | bit(32)
const UPPER = range(65, 90)
const LOWER = range(97, 122)

export const set = (ascii: bigint, nonAscii: boolean): CharSet => ({ ascii, nonAscii })
const ANY: CharSet = set(ALL_ASCII, true)
export const EMPTY: CharSet = set(0n, false)
export const union = (a: CharSet, b: CharSet): CharSet => set(a.ascii | b.ascii, a.nonAscii || b.nonAscii)
export const overlaps = (a: CharSet, b: CharSet): boolean => (a.ascii & b.ascii) !== 0n || (a.nonAscii && b.nonAscii)
const negate = (a: CharSet): CharSet => set(ALL_ASCII & ~a.ascii, true)
const foldCase = (a: CharSet): CharSet => {
  const upper = a.ascii & UPPER
  const lower = a.ascii & LOWER
  return set(a.ascii | (upper << 32n) | (lower >> 32n), a.nonAscii)
}
const single = (code: number): CharSet => (code < 128 ? set(bit(code), false) : set(0n, true))

/** A pattern the analyses cannot handle, and why. */
export class ParseFailure {
  constructor(readonly reason: string) {}
}


/** A recursive-descent parser for the JavaScript regex syntax (the pattern is already known valid). */
export const parse = (source: string, ignoreCase: boolean, dotAll: boolean): Node => {
  let i = 0
  const peek = (): string | undefined => source[i]
  const fold = (s: CharSet): CharSet => (ignoreCase ? foldCase(s) : s)

  const classEscape = (): CharSet => {
    // positioned after the backslash
    const c = source[i++] ?? ""
    switch (c) {
      case "d":
        return set(DIGIT, false)
      case "D":
        return negate(set(DIGIT, false))
      case "w":
        return set(WORD, false)
      case "W":
        return negate(set(WORD, false))
      case "s":
        return set(SPACE, true)
      case "S":
        return negate(set(SPACE, false))
      case "n":
        return single(10)
      case "r":
        return single(13)
      case "t":
        return single(9)
      case "f":
        return single(12)
      case "v":
        return single(11)
      case "0":
        return single(0)
      case "b":
        return single(8)
      case "c": {
        const letter = source[i++] ?? "@"
        return single(letter.charCodeAt(0) % 32)
      }
      case "x": {
        const hex = source.slice(i, i + 2)
        i += 2
        return single(parseInt(hex, 16))
      }
      case "u": {
        if (source[i] === "{") {
          const end = source.indexOf("}", i)
          const code = parseInt(source.slice(i + 1, end), 16)
          i = end + 1
          return single(code)
        }
        const hex = source.slice(i, i + 4)
        i += 4
        return single(parseInt(hex, 16))
      }
      case "p":
      case "P": {
        const end = source.indexOf("}", i)
        i = end + 1
        return ANY
      }
      default:
        return fold(single(c.charCodeAt(0)))
    }
  }

  const charClass = (): CharSet => {
    // positioned after "["
    let negated = false
    if (peek() === "^") {
      negated = true
      i++
    }
    let acc = EMPTY
    while (i < source.length && peek() !== "]") {
      let lo: CharSet
      let loCode: number | undefined
      if (peek() === "\\") {
        i++
        const before = i
        lo = classEscape()
        const consumed = source.slice(before, i)
        loCode = /^[dDwWsSpP]/.test(consumed) ? undefined : singleCode(lo, consumed)
      } else {
        loCode = source.codePointAt(i) ?? 0
        i += loCode > 0xffff ? 2 : 1
        lo = single(loCode)
      }
      if (peek() === "-" && source[i + 1] !== "]" && loCode !== undefined) {
        i++
        let hiCode: number | undefined
        if (peek() === "\\") {
          i++
          const before = i
          const hi = classEscape()
          hiCode = singleCode(hi, source.slice(before, i))
        } else {
          hiCode = source.codePointAt(i) ?? 0
          i += hiCode > 0xffff ? 2 : 1
        }
        const top = hiCode ?? 0x10ffff
        acc = union(acc, set(range(loCode, top), top > 127))
      } else {
        acc = union(acc, lo)
      }
    }
    i++ // "]"
    const folded = fold(acc)
    return negated ? negate(folded) : folded
  }

  const singleCode = (s: CharSet, consumed: string): number | undefined => {
    if (s.nonAscii) {
      const m = /^u\{?([0-9a-fA-F]{1,6})/.exec(consumed) ?? /^x([0-9a-fA-F]{2})/.exec(consumed)
      return m?.[1] !== undefined ? parseInt(m[1], 16) : undefined
    }
    for (let c = 0; c < 128; c++) if ((s.ascii & bit(c)) !== 0n) return c
    return undefined
  }

  const atom = (): Node => {
    const c = peek()
    const at = i
    if (c === "(") {
      i++
      if (source.startsWith("?:", i)) {
        i += 2
        const body = alternation()
        i++
        return { _tag: "Group", body, capturing: false }
      }
      if (source.startsWith("?=", i) || source.startsWith("?!", i)) {
        const negative = source[i + 1] === "!"
        i += 2
        const body = alternation()
        i++
        return { _tag: "Look", body, behind: false, negative }
      }
      if (source.startsWith("?<=", i) || source.startsWith("?<!", i)) {
        const negative = source[i + 2] === "!"
        i += 3
        const body = alternation()
        i++
        return { _tag: "Look", body, behind: true, negative }
      }
      if (source.startsWith("?<", i)) {
        i = source.indexOf(">", i) + 1
        const body = alternation()
        i++
        return { _tag: "Group", body, capturing: true }
      }
      if (source.startsWith("?", i)) throw new ParseFailure(`unsupported group syntax at offset ${at}`)
      const body = alternation()
      i++
      return { _tag: "Group", body, capturing: true }
    }
    if (c === "[") {
      i++
      return { _tag: "Char", set: charClass() }
    }
    if (c === ".") {
      i++
      return { _tag: "Char", set: dotAll ? ANY : set(ALL_ASCII & ~bit(10) & ~bit(13), true) }
    }
    if (c === "^" || c === "$") {
      i++
      return { _tag: "Assert", kind: c }
    }
    if (c === "\\") {
      i++
      const e = peek()
      if (e === "b" || e === "B") {
        i++
        return { _tag: "Assert", kind: e }
      }
      if (e !== undefined && /[1-9]/.test(e)) {
        return { _tag: "Backref", at }
      }
      if (e === "k" && source[i + 1] === "<") {
        return { _tag: "Backref", at }
      }
      return { _tag: "Char", set: classEscape() }
    }
    const code = source.codePointAt(i) ?? 0
    i += code > 0xffff ? 2 : 1
    return { _tag: "Char", set: fold(single(code)) }
  }

  const quantified = (): Node => {
    const from = i
    const body = atom()
    const at = i
    const c = peek()
    let min: number
    let max: number
    if (c === "*") {
      min = 0
      max = Infinity
      i++
    } else if (c === "+") {
      min = 1
      max = Infinity
      i++
    } else if (c === "?") {
      min = 0
      max = 1
      i++
    } else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i))
      if (m === null) return body
      min = Number(m[1])
      max = m[2] === undefined ? min : m[3] === "" || m[3] === undefined ? Infinity : Number(m[3])
      i += m[0].length
    } else {
      return body
    }
    if (peek() === "?") i++ // lazy
    return { _tag: "Repeat", body, min, max, from, at, end: i }
  }

  const sequence = (): Node => {
    const items: Array<Node> = []
    while (i < source.length && peek() !== "|" && peek() !== ")") items.push(quantified())
    return items.length === 1 && items[0] !== undefined ? items[0] : { _tag: "Seq", items }
  }

  const alternation = (): Node => {
    const alts: Array<Node> = [sequence()]
    while (peek() === "|") {
      i++
      alts.push(sequence())
    }
    return alts.length === 1 && alts[0] !== undefined ? alts[0] : { _tag: "Alt", alts }
  }

  const node = alternation()
  if (i < source.length) throw new ParseFailure(`unexpected ${JSON.stringify(source[i])} at offset ${i}`)
  return node
}

/** Whether `n` can match without consuming a character. */
export const nullable = (n: Node): boolean => {
  switch (n._tag) {
    case "Char":
      return false
    case "Seq":
      return n.items.every(nullable)
    case "Alt":
      return n.alts.some(nullable)
    case "Group":
      return nullable(n.body)
    case "Look":
    case "Assert":
    case "Backref":
      return true
    case "Repeat":
      return n.min === 0 || nullable(n.body)
  }
}

/** The characters a match of `n` can start with. */
export const firstSet = (n: Node): CharSet => {
  switch (n._tag) {
    case "Char":
      return n.set
    case "Seq": {
      let acc = EMPTY
      for (const item of n.items) {
        acc = union(acc, firstSet(item))
        if (!nullable(item)) break
      }
      return acc
    }
    case "Alt":
      return n.alts.reduce((acc, a) => union(acc, firstSet(a)), EMPTY)
    case "Group":
      return firstSet(n.body)
    case "Repeat":
      return firstSet(n.body)
    case "Look":
    case "Assert":
    case "Backref":
      return EMPTY
  }
}
