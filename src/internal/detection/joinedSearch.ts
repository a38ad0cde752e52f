/**
 * The search of many values at once: values are joined by a separator no value holds, and a
 * pattern is rewritten so that it finds, inside each value, the match it would find in that value
 * alone.
 *
 * @internal
 */
import { type Node, parse } from "./regexAst.js"

/**
 * The character values are joined with for a joined search (see {@link joinedSource}). It must occur
 * in none of them, and it is not a word character.
 */
export const JOIN_SEPARATOR = "\u0000"

/** `^` and `$` for a joined search: the edges of the text or of a value (next to the separator). */
const JOINED_START = "(?<![^\\x00])"
const JOINED_END = "(?![^\\x00])"
/** `.`, `\S`, `\W` and `\D` for a joined search: the same characters but the separator. */
const JOINED_ESCAPES: Readonly<Record<string, string>> = {
  ".": "[^\\n\\r\\u2028\\u2029\\x00]",
  "\\S": "[^\\s\\x00]",
  "\\W": "[^\\w\\x00]",
  "\\D": "[^\\d\\x00]"
}

/**
 * The source of `source` for a search over values joined by {@link JOIN_SEPARATOR}, such that a
 * match starts inside every value where the pattern finds one on its own; undefined when no such
 * source is known. A match inside a value consumes only that value's characters, so only assertions
 * can see the separator: `\b` and `\B` treat it exactly as the edge of a string (neither is a word
 * character), `^` and `$` are rewritten to assert the edge of a value, and a positive lookahead
 * made of such parts matches the same characters as within the value. What can differ is only a
 * match that runs on across the separator, which the caller must check value by value; negated
 * classes, `.`, `\S`, `\W` and `\D` are rewritten not to match the separator, so that only a
 * literal separator or a positive class that names it can cross, and a bounded repetition cannot
 * wander through the following values (which would cost time, not results). Negative
 * lookarounds and lookbehinds could change their answer next to the separator, so a pattern with any
 * of them is refused, as are flags other than `g` and `i` (`m` would change `^` and `$`).
 */
export const joinedSource = (source: string, flags = ""): string | undefined => {
  if (!/^[gi]*$/.test(flags)) return undefined
  const safe = (n: Node): boolean => {
    switch (n._tag) {
      case "Assert":
      case "Char":
        return true
      case "Look":
        return !n.behind && !n.negative && safe(n.body)
      case "Backref":
        return false
      case "Seq":
        return n.items.every(safe)
      case "Alt":
        return n.alts.every(safe)
      case "Group":
      case "Repeat":
        return safe(n.body)
    }
  }
  try {
    if (!safe(parse(source, flags.includes("i"), false))) return undefined
  } catch {
    return undefined
  }
  let out = ""
  // inside a class: 1 positive, 2 negated
  let inClass = 0
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!
    if (c === "\\") {
      const escape = source.slice(i, i + 2)
      out += inClass === 0 ? JOINED_ESCAPES[escape] ?? escape : escape
      i++
    } else if (inClass !== 0) {
      if (c === "]") {
        if (inClass === 2) out += "\\x00"
        inClass = 0
      }
      out += c
    } else if (c === "[") {
      inClass = source[i + 1] === "^" ? 2 : 1
      out += c
    } else {
      out += c === "^" ? JOINED_START : c === "$" ? JOINED_END : c === "." ? JOINED_ESCAPES["."] : c
    }
  }
  return out
}


/**
 * Whether a match of `source` can read the separator (a lookahead included): a literal NUL or a
 * class that names it. A joined source (see {@link joinedSource}) that cannot finds, in each value,
 * the same first match as the pattern searching the value alone: every construct then fails on the
 * separator exactly as it fails at the end of a string.
 */
export const readsSeparator = (source: string, flags = ""): boolean => {
  const reads = (n: Node): boolean => {
    switch (n._tag) {
      case "Char":
        return (n.set.ascii & 1n) !== 0n
      case "Seq":
        return n.items.some(reads)
      case "Alt":
        return n.alts.some(reads)
      case "Group":
      case "Look":
      case "Repeat":
        return reads(n.body)
      case "Backref":
        return true
      case "Assert":
        return false
    }
  }
  try {
    return reads(parse(source, flags.includes("i"), flags.includes("s")))
  } catch {
    return true
  }
}
