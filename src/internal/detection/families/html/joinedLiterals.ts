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
/** Spaces allowed around each `+`. */
const MAX_SPACES = 4

const isQuote = (c: number): boolean => c === 39 || c === 34 || c === 96

/** Index past the spaces at `i`, at most `MAX_SPACES` of them. */
const skipSpaces = (value: string, i: number): number => {
  let j = i
  while (j < value.length && j - i < MAX_SPACES && (value.charCodeAt(j) === 32 || value.charCodeAt(j) === 9)) j++
  return j
}

/** Whether joining `pieces` makes a filtered word none of them holds. */
const cutsWord = (pieces: ReadonlyArray<string>): boolean => {
  if (pieces.length < 2) return false
  const joined = pieces.join("")
  for (const word of FILTERED_WORDS) {
    if (joined.includes(word) && !pieces.some((piece) => piece.includes(word))) return true
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
      // no piece opens here; the closing quote may open the next literal
      if (cutsWord(pieces)) return true
      pieces = []
      i = close < 0 ? i + 1 : close
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
