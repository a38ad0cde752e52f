/**
 * Markdown code in developer prose: fences (```` ```bash ````) and inline code (`` Run `ls -la` in
 * the folder ``). A shell reads those backticks as command substitution; a person writing docs, a
 * comment or an issue means "this is code". Telling the two apart is what keeps the shell family from
 * refusing every README while `` `id` ``, `` a;`id` `` and `` name=`whoami` `` stay substitutions.
 *
 * @internal
 */
import { INTERPRETERS, isCommand, PREFIX_COMMANDS } from "./commands.js"

export interface MarkdownCode {
  /** The value with fence lines emptied and inline code spans cut out. */
  readonly prose: string
  /** The text of each inline code span, read on its own as a value that is only that command. */
  readonly spans: ReadonlyArray<string>
}

/**
 * A fence line: up to three spaces, three or more backticks, an optional info string. Anchored at a
 * line start, so each line is tried once.
 */
const FENCE_LINE = /^ {0,3}`{3,}([a-z0-9_+.#-]{0,24})[ \t]*(?=\r?\n|$)/gim

/**
 * Whether a fence's info string is a language tag. A tag that is a command other than an interpreter
 * stays (```` ```id ```` runs `id` in a shell); an interpreter there only reads the lines that follow,
 * and those lines are still read as commands after a line break.
 */
const isLanguageTag = (info: string): boolean => {
  const tag = info.toLowerCase()
  return tag === "" || !isCommand(tag) || INTERPRETERS.has(tag)
}

/** A sentence word: letters only, not something a shell would run. */
const PROSE_WORD = /^[a-z]{2,24}$/i
const isProseWord = (word: string): boolean =>
  PROSE_WORD.test(word) && !isCommand(word.toLowerCase()) && !PREFIX_COMMANDS.has(word.toLowerCase())

/** Spans read as inline code per value; beyond that backticks keep their shell meaning. */
const MAX_SPANS = 16
/** The longest inline code span: a short command, not a script. */
const MAX_SPAN = 120
/** Words of prose (outside code) a value needs before its backticks count as markdown. */
const MIN_PROSE_WORDS = 3
/** A list item describes its code term in two words at least: `- \`id\` is` is a substitution and a word. */
const MIN_LIST_WORDS = 2

const SENTENCE_END = /[.,:!?)]/
const CLAUSE_END = /[.,:]/

/** The word ending just before `end` (exclusive), read back at most 24 characters. */
const wordBefore = (text: string, end: number): string => {
  let start = end
  while (start > 0 && end - start < 25 && /[a-z]/i.test(text.charAt(start - 1))) start--
  return text.slice(start, end)
}

/** The word starting at `start`, read at most 24 characters. */
const wordAt = (text: string, start: number): string => {
  let end = start
  while (end < text.length && end - start < 25 && /[a-z]/i.test(text.charAt(end))) end++
  return text.slice(start, end)
}

/**
 * A Markdown list item's marker and the spaces after it, as the whole of the line before a code span
 * (or before a link whose text is the span).
 */
const LIST_MARKER = /^[ \t]{0,6}(?:[-*+]|\d{1,3}[.)])[ \t]{1,4}\[?$/

/** What goes on after a list item's code span: a word, a dash or a parenthesis that describes it. */
const ITEM_GOES_ON = /^[ \t]{1,4}(?:[a-z]{2,24}\b|[-\u2013\u2014:(]|`)|^[:,]/i

/**
 * Whether the backticks at `open` and `close` start a Markdown list item that names a term and goes
 * on to describe it (`` - `env` `` in a list of options, `` * `id` - (String) UUID ``): API docs and
 * changelogs list names this way. The item must go on after the span, or the next line must be
 * another item: `` - `id` `` alone stays a substitution.
 */
const isListItemCode = (text: string, open: number, close: number): boolean => {
  // the line's start, read back at most the marker's length: each backtick costs a bounded step
  let lineStart = open
  while (lineStart > 0 && open - lineStart < 16 && text.charAt(lineStart - 1) !== "\n") lineStart--
  if (lineStart > 0 && text.charAt(lineStart - 1) !== "\n") return false
  if (!LIST_MARKER.test(text.slice(lineStart, open))) return false
  if (text.slice(open + 1, close).includes("\n")) return false
  const after = text.startsWith("]", close + 1) ? close + 2 : close + 1
  const rest = text.slice(after, after + 30)
  if (ITEM_GOES_ON.test(rest)) return true
  const lineEnd = rest.search(/\r?\n/)
  return lineEnd >= 0 && rest.slice(0, lineEnd).trim() === "" && LIST_MARKER_START.test(text.slice(after + lineEnd, after + lineEnd + 40).trimStart())
}

/** A line that opens another list item. */
const LIST_MARKER_START = /^(?:[-*+]|\d{1,3}[.)])[ \t]/

/**
 * Whether the backticks at `open` and `close` wrap inline code in a sentence: a prose word and a
 * space before, and after it the sentence goes on (a space and a prose word) or ends (punctuation).
 * `echo `id``, `a;`id``, `x=`id`` and a value that is only `` `id` `` fail this.
 */
const isInlineCode = (text: string, open: number, close: number): boolean => {
  // a link's text: [`mysql`](https://...), its target cut by `withoutLinkTargets`
  if (text.charAt(open - 1) === "[" && text.startsWith("]", close + 1)) return !text.slice(open + 1, close).includes("\n")
  if (open < 2 || text.charAt(open - 1) !== " ") return false
  // a sentence's word, or one ending a clause or an abbreviation (`Eg. \`dd\``, `Note: \`x\``)
  const wordEnd = CLAUSE_END.test(text.charAt(open - 2)) ? open - 2 : open - 1
  if (!isProseWord(wordBefore(text, wordEnd))) return false
  const inner = text.slice(open + 1, close)
  if (inner.trim() === "" || inner.includes("\n")) return false
  const after = text.charAt(close + 1)
  if (after === "") return true
  // what follows is an argument of the sentence, run by nothing: a verb that is also a command
  // (`\`-xy\` expand to`, `\`a\` install b`) reads as a word there
  if (after === " ") return PROSE_WORD.test(wordAt(text, close + 2))
  if (SENTENCE_END.test(after)) {
    const next = text.charAt(close + 2)
    return next === "" || next === " " || next === "\n" || next === "\r"
  }
  return false
}

const countProseWords = (text: string): number => {
  let count = 0
  for (const word of text.split(/[\s.,:!?()]+/)) {
    if (isProseWord(word) && ++count >= MIN_PROSE_WORDS) break
  }
  return count
}

/**
 * A Markdown link's target, `](https://www.npmjs.com/package/mysql)`: an address to read, not a path
 * to run after a `(`. Only characters of a plain URL, none a shell gives meaning to (`;`, `|`, `$`).
 */
const LINK_TARGET = /\]\((?:https?:)?\/\/[\w.~:/?#@%+=,-]{1,400}\)/g

/**
 * An HTML tag's link in quotes, `<a href="/search?q=1&sort">`: a URL whose `&` separates its parameters,
 * not commands. Only inside a real start tag (`<a ...` before it, its `>` after it) and only a URL that
 * starts as one (scheme, `//`, `/`, `?`, `#`, `./`) and holds no character a shell gives meaning to
 * besides `&` (`;`, `|`, `$`, a back-quote, a space). `LINK_PARAMETERS` then judges the `&`.
 */
const TAG_LINK = /(<[a-z][\w-]{0,20}(?:\s[^<>]{0,400}?)?\s(?:href|src|action|formaction|poster|background|cite)\s{0,4}=\s{0,4})("(?:https?:\/\/|\/|\?|#|\.\.?\/)[\w.~:/?#@%+=,&!*'()[\]-]{0,2000}"(?!")|'(?:https?:\/\/|\/|\?|#|\.\.?\/)[\w.~:/?#@%+=,&!*"()[\]-]{0,2000}'(?!'))(?=[^<>]{0,400}>)/gi

/**
 * The URL's parameters after its first `&`, read as an application that quotes the value reads them:
 * the link's own quotes close the application's, so the URL sits outside any quote. A parameter
 * between two `&` is then a command of its own unless it is an assignment (`size=20`); the last one is
 * glued to the rest of the tag after the closing quote, so a bare flag there (`&sort"`) names no command;
 * `TAG_LINK` wants that rest non-empty (no `""` after the link, a `>` further on): `&id"" x` would run `id`.
 */
const LINK_PARAMETERS = /^(?:&[\w.~%+,!*[\]-]+=[^&]*)*(?:&[\w.~%+,!*[\]-]*(?:=[^&]*)?)?$/

const emptyTagLink = (match: string, before: string, link: string): string => {
  const firstAmpersand = link.indexOf("&")
  return firstAmpersand < 0 || LINK_PARAMETERS.test(link.slice(firstAmpersand, -1)) ? `${before}""` : match
}

/** The value with Markdown link targets cut down to their `]`, and quoted links of HTML tags emptied. */
export const withoutLinkTargets = (value: string): string => {
  const text = value.includes("](") ? value.replace(LINK_TARGET, "]") : value
  return text.includes("&") && text.includes("=") && text.includes("<") ? text.replace(TAG_LINK, emptyTagLink) : text
}

/** Splits markdown code out of a value with backticks; linear, each backtick looked at once. */
export const markdownCode = (value: string): MarkdownCode => {
  const text = value.includes("```") ? value.replace(FENCE_LINE, (line, info: string) => (isLanguageTag(info) ? "" : line)) : value
  const spans: Array<string> = []
  const pieces: Array<string> = []
  // a list of code terms has few prose words: its items stand in for the sentence around them
  let listed = false
  let linked = false
  let from = 0
  let open = text.indexOf("`")
  while (open >= 0 && spans.length < MAX_SPANS) {
    const close = text.indexOf("`", open + 1)
    if (close < 0) break
    if (close - open > MAX_SPAN || text.charAt(close + 1) === "`" || text.charAt(open + 1) === "`") {
      open = close
      continue
    }
    const item = isListItemCode(text, open, close)
    if (item || isInlineCode(text, open, close)) {
      listed ||= item
      // `- [\`mysql\`](https://...) versions` (its target cut to `]`): a link's label, the link
      // describing it as a word would
      linked ||= item && text.charAt(open - 1) === "[" && text.startsWith("]", close + 1)
      pieces.push(text.slice(from, open), " ")
      spans.push(text.slice(open + 1, close))
      from = close + 1
      open = text.indexOf("`", close + 1)
    } else {
      open = close
    }
  }
  if (spans.length === 0) return { prose: text, spans }
  pieces.push(text.slice(from))
  const prose = pieces.join("")
  // Two words around a backtick are not a sentence: `foo `id` bar` stays a substitution.
  if (countProseWords(prose) < (listed ? MIN_LIST_WORDS - (linked ? 1 : 0) : MIN_PROSE_WORDS)) return { prose: text, spans: [] }
  return { prose, spans }
}
