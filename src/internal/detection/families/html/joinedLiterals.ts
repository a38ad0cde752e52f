/**
 * String literals joined with `+` that spell, once joined, a word a filter looks for and that no
 * literal holds alone: `'jav'+'ascript:'`, `"<scr"+"ipt>"`, `'al'+'ert'`, `'docu'+'ment.cookie'`.
 * Code joins literals to build text (`'Hello, ' + name`), not to cut a sink's name in two; a word
 * cut across literals is written to pass a filter.
 *
 * @internal
 */

/** Words an XSS filter looks for: script schemes, tags that run script, handlers and sinks. */
const FILTERED_WORDS = [
  "javascript:",
  "vbscript:",
  "data:text/html",
  "<script",
  "</script",
  "<iframe",
  "<svg",
  "<img",
  "onerror",
  "onload",
  "alert",
  "prompt",
  "confirm",
  "eval",
  "fromcharcode",
  "document",
  "cookie",
  "innerhtml",
  "location"
]

/** The longest literal read as a piece: pieces of a cut word are short. */
const MAX_PIECE = 64
/** The most pieces judged in one run; a longer run is judged in runs of this many. */
const MAX_PIECES = 32
/** Spaces and line breaks allowed around each `+`. */
const MAX_SPACES = 4

const isQuote = (c: number): boolean => c === 39 || c === 34 || c === 96

const isSpaceOrBreak = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13

/** Index past the spaces and line breaks at `i`, at most `MAX_SPACES` of them. */
const skipSpaces = (value: string, i: number): number => {
  let j = i
  while (j < value.length && j - i < MAX_SPACES && isSpaceOrBreak(value.charCodeAt(j))) j++
  return j
}

const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90)

/**
 * Whether joining `pieces` cuts a filtered word between two of its letters: `'jav'+'ascript:'`.
 * A cut at the word's punctuation is how code builds text (`'javascript' + ':'`, `'<' + '/script>'`,
 * `'data:' + 'text/html'`).
 */
const cutsWord = (pieces: ReadonlyArray<string>): boolean => {
  if (pieces.length < 2) return false
  const joined = pieces.join("")
  // where each piece after the first starts in `joined`, if the cut there falls between two letters
  const letterCuts: Array<number> = []
  let at = 0
  for (let k = 0; k < pieces.length - 1; k++) {
    at += pieces[k]!.length
    if (isLetter(joined.charCodeAt(at - 1)) && isLetter(joined.charCodeAt(at))) letterCuts.push(at)
  }
  if (letterCuts.length === 0) return false
  for (const word of FILTERED_WORDS) {
    for (let start = joined.indexOf(word); start >= 0; start = joined.indexOf(word, start + 1)) {
      const end = start + word.length
      if (letterCuts.some((cut) => cut > start && cut < end)) return true
    }
  }
  return false
}

/**
 * Reads every run of quoted literals joined by `+`: each quote is tried as an opener once, a literal
 * ends at the next quote of its kind (none longer than `MAX_PIECE`), a run at the first thing that is
 * not `+` and another literal. The next quote of each kind is searched for only once passed, so the
 * whole reading is linear.
 */
export const hasCutWord = (value: string): boolean => {
  const lower = value.toLowerCase()
  // the next `'`, `"` and back-quote at or after where they were last searched from (-1: none left)
  const nextAt = new Map<number, number>()
  const closing = (quote: number, from: number): number => {
    const known = nextAt.get(quote)
    if (known !== undefined && (known < 0 || known >= from)) return known
    const found = lower.indexOf(String.fromCharCode(quote), from)
    nextAt.set(quote, found)
    return found
  }
  let pieces: Array<string> = []
  let i = 0
  while (i < lower.length) {
    const quote = lower.charCodeAt(i)
    if (!isQuote(quote)) {
      i++
      continue
    }
    const close = closing(quote, i + 1)
    if (close < 0 || close - i - 1 > MAX_PIECE) {
      // no piece opens here; the next character may open one (the far quote is found again, not rescanned)
      if (cutsWord(pieces)) return true
      pieces = []
      i++
      continue
    }
    pieces.push(lower.slice(i + 1, close))
    const plus = skipSpaces(lower, close + 1)
    const next = skipSpaces(lower, plus + 1)
    if (lower.charCodeAt(plus) === 43 && isQuote(lower.charCodeAt(next)) && pieces.length < MAX_PIECES) {
      i = next
      continue
    }
    if (cutsWord(pieces)) return true
    pieces = []
    // `x' + 'al'+'ert'`: the quote that closed this literal may open the next run
    i = close
  }
  return cutsWord(pieces)
}
