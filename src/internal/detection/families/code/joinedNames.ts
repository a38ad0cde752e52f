/**
 * A script host's sink cut across string literals joined with `&`, VBScript's and VBA's concatenation:
 * `Ex"&"ecute(...)`, `CreateOb"&"ject("WScr"&"ipt.Shell")`. Pasted into an ASP page's string
 * (`"...VALUE..."`), each `"&"` closes the literal and opens the next, so the page runs the word the
 * filter never saw whole. Code joins literals to build text (`"Dear " & name`), not to cut a name in two.
 *
 * @internal
 */

/** A join of two literals: a quote, `&`, a quote, with a few spaces around the `&`. */
const JOIN = /"[ \t]{0,4}&[ \t]{0,4}"/g

/**
 * The names a filter for ASP and VBScript looks for: what runs code or starts programs. `Request` is
 * left out: reading input is no sink, and `"Re" & "quest sent"` is a word like another.
 */
const SINKS: ReadonlyArray<string> = [
  "execute",
  "executeglobal",
  "eval",
  "createobject",
  "getobject",
  "wscript",
  "shell.application",
  "filesystemobject",
  "adodb.stream",
  "xmlhttp"
]

const isLetter = (c: number): boolean => c >= 97 && c <= 122

/**
 * The sink a join cuts between two of its letters, or undefined. Each cut is compared with the few
 * places a sink could span it, so the reading is linear in the value's length.
 */
export const cutSinkName = (value: string): string | undefined => {
  if (!value.includes("&")) return undefined
  const lower = value.toLowerCase()
  let joined = ""
  let last = 0
  const cuts: Array<number> = []
  for (const match of lower.matchAll(JOIN)) {
    joined += lower.slice(last, match.index)
    last = match.index + match[0].length
    if (isLetter(joined.charCodeAt(joined.length - 1)) && isLetter(lower.charCodeAt(last))) cuts.push(joined.length)
  }
  if (cuts.length === 0) return undefined
  joined += lower.slice(last)
  for (const cut of cuts) {
    for (const sink of SINKS) {
      for (let k = 1; k < sink.length; k++) if (joined.startsWith(sink, cut - k)) return sink
    }
  }
  return undefined
}
