/**
 * Back-quotes in prose: Markdown's inline code (`` Run it with `--help` to see ``, `` Node.js `< 8` ``).
 * A family that reads a back-quote as a quote (MySQL identifiers, shell substitution) asks this first:
 * in text whose every back-quote opens or closes a short span between words, they are code spans.
 *
 * @internal
 */

/** The longest inline code span read as one. */
const MAX_SPAN = 120
/** What may stand before a span's opening back-quote and after its closing one. */
const BEFORE_SPAN = /[\s([*_"]/
const AFTER_SPAN = /^(?:[\s)\]*_"'-]|[.,:;!?](?:\s|$)|$)/
/** A word of prose: letters only. */
const WORD = /[a-z]{2,}/gi
/** Words of prose outside the spans a value needs: a value that is only a span is not prose. */
const MIN_WORDS = 2

/**
 * Whether `value` has back-quotes and each of them opens or closes an inline code span: at the start
 * or after a space or bracket, closed on the same line within `MAX_SPAN` characters, followed by a
 * space, a sentence's punctuation or the end, with words of prose outside. `` x` or 1=1 -- `` fails (a letter
 * before), as does a value that is only `` `' or 1=1 --` ``. Linear: each back-quote is looked at once.
 */
export const backQuotesAreCodeSpans = (value: string): boolean => {
  let open = value.indexOf("`")
  if (open < 0) return false
  const outside: Array<string> = []
  let from = 0
  while (open >= 0) {
    const close = value.indexOf("`", open + 1)
    if (close < 0 || close - open > MAX_SPAN) return false
    const before = open === 0 ? " " : value.charAt(open - 1)
    // a sentence's punctuation ends the span; `` `schema`.tables `` goes on as an identifier
    if (!BEFORE_SPAN.test(before) || !AFTER_SPAN.test(value.slice(close + 1, close + 3))) return false
    const inner = value.slice(open + 1, close)
    if (inner.trim() === "" || inner.includes("\n")) return false
    outside.push(value.slice(from, open))
    from = close + 1
    open = value.indexOf("`", from)
  }
  outside.push(value.slice(from))
  return (outside.join(" ").match(WORD)?.length ?? 0) >= MIN_WORDS
}
