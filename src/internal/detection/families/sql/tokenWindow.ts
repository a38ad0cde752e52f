/**
 * The SQL token stream as the fingerprint checks read it: a bounded window over the tokenizer's
 * output, and the small steps every check takes on it (skipping openers, closers, an arithmetic
 * expression; telling a value or the end of a statement).
 *
 * @internal
 */
import type { Token, TokenSource } from "./tokenizer.js"

export const NONE: Token = { type: "?", text: "", flag: false }

/** How many tokens the window keeps: every check looks at most this far back and ahead. */
const RING = 256

/**
 * The token stream seen through a bounded window: tokens are pulled from the tokenizer as the checks
 * look ahead, and only the last `RING` are kept. What the checks need of the whole stream (its
 * length, its last token, whether it holds prose) is tracked as it passes.
 */
export interface Tokens {
  at(i: number): Token
  /** The number of tokens when there are at most `limit`, otherwise `Infinity`. */
  lengthUpTo(limit: number): number
  /** Reads to the end of the value. */
  finish(): { readonly length: number; readonly last: Token; readonly prose: boolean; readonly telling: boolean }
  /** Tokens read through the window so far: what the linearity tests count. */
  reads(): number
  /** Where token `i` ends in the value (`Infinity` once it left the window). */
  endOf(i: number): number
}

export const windowOf = (source: TokenSource): Tokens => new TokenWindow(source)

/** The window's state as an object: a long value is read in many short windows (see `windowOf`). */
class TokenWindow implements Tokens {
  private readonly ring: Array<Token> = []
  private readonly ends: Array<number> = []
  private count = 0
  private ended = false
  private last = NONE
  private prose = false
  private telling = false
  private readCount = 0

  constructor(private readonly source: TokenSource) {}

  private pull(): void {
    const t = this.source.next()
    if (t === undefined) {
      this.ended = true
      return
    }
    // a comment only ever ends the stream (the tokenizer folds the others away)
    if (t.type === "b" || t.type === "?") this.prose = true
    if (t.type === "&" || t.type === "E" || t.type === "f" || t.type === "v" || t.type === "U") this.telling = true
    this.ring[this.count % RING] = t
    this.ends[this.count % RING] = this.source.offset()
    this.last = t
    this.count++
  }

  at(i: number): Token {
    this.readCount++
    // a check never looks further ahead than the window holds
    if (i < 0 || i >= this.count + RING / 2) return NONE
    while (i >= this.count && !this.ended) this.pull()
    return i < this.count && i >= this.count - RING ? this.ring[i % RING] ?? NONE : NONE
  }

  lengthUpTo(limit: number): number {
    this.at(limit)
    return this.ended && this.count <= limit ? this.count : Infinity
  }

  finish(): { readonly length: number; readonly last: Token; readonly prose: boolean; readonly telling: boolean } {
    while (!this.ended) this.pull()
    return { length: this.count, last: this.last, prose: this.prose, telling: this.telling }
  }

  reads(): number {
    return this.readCount
  }

  endOf(i: number): number {
    return this.at(i) === NONE ? Infinity : this.ends[i % RING] ?? Infinity
  }
}

export const at = (tokens: Tokens, i: number): Token => tokens.at(i)

/** Skips `(` and `not` (what may open a condition). */
export const skipOpeners = (tokens: Tokens, i: number): number => {
  let j = i
  while (at(tokens, j) !== NONE && j - i < 8 && (at(tokens, j).type === "(" || at(tokens, j).text === "not" || at(tokens, j).text === "!" || at(tokens, j).text === "binary")) j++
  return j
}

/** Skips `)` (what closes the statement's own parentheses after a break-out). */
export const skipClosers = (tokens: Tokens, i: number): number => {
  let j = i
  while (at(tokens, j) !== NONE && j - i < 8 && at(tokens, j).type === ")") j++
  return j
}

/**
 * Skips an arithmetic expression (`1'+'12'`, `HOPE*1`, `8-9`, `pi()`): operands, non-comparing
 * operators and parentheses, at most a few tokens.
 */
export const skipExpression = (tokens: Tokens, i: number): number => {
  let j = i
  while (at(tokens, j) !== NONE && j - i < 16) {
    const t = at(tokens, j)
    if (t.type === "n" || t.type === "s" || t.type === "v" || t.type === "f" || t.type === "(" || t.type === ")" || (t.type === "o" && !t.flag)) j++
    else if (t.type === "b" && at(tokens, j - 1).type !== "b" && j > i) j++
    else break
  }
  return j
}

export const isValueToken = (t: Token): boolean => t.type === "n" || t.type === "s" || t.type === "v" || t.type === ")" || t.type === "f"

export const isEnd = (tokens: Tokens, i: number): boolean => {
  const t = at(tokens, i)
  return t === NONE || t.type === "c" || (t.type === "s" && !t.flag && at(tokens, i + 1) === NONE) || t.type === ";"
}
