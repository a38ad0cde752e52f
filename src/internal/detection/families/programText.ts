/**
 * Whether a value reads as a whole program: a bundle or a source file uploaded as text, or the
 * sources a source map carries in JSON. Long, with a statement or block ending every hundred
 * characters or so, which prose, JSON data, CSV and base64 never have.
 *
 * The weak signs of code that an injection carries (`function(){`, `module.exports=`, `process.env`)
 * are what every program is made of, so the families skip those in a program; the strong ones
 * (`child_process`, `eval(String.fromCharCode(`, a page sink) still count there.
 *
 * @internal
 */

/** Shorter values are never programs: every payload of the corpora is shorter. */
const PROGRAM_LENGTH = 2048
/** At least one `;` or `}` per this many characters. */
const CHARACTERS_PER_STATEMENT = 100

const countUpTo = (value: string, char: string, limit: number): number => {
  let count = 0
  for (let at = value.indexOf(char); at >= 0 && count < limit; at = value.indexOf(char, at + 1)) count++
  return count
}

export const isProgramText = (value: string): boolean => {
  if (value.length < PROGRAM_LENGTH) return false
  const needed = Math.ceil(value.length / CHARACTERS_PER_STATEMENT)
  const semicolons = countUpTo(value, ";", needed)
  return semicolons >= needed || semicolons + countUpTo(value, "}", needed - semicolons) >= needed
}

/** A line that ends a statement or opens or closes a block: `;`, `{`, `}`, `,`, `(` or `)` before the line break. */
const CODE_LINE_END = /[;{},()][ \t]{0,16}\r?\n/g
/**
 * Whether a value reads as a snippet of several lines of code, as README and issue bodies carry:
 * three lines or more that end a statement or a block. Injected payloads are one line; one spread over
 * lines still meets the strong signs (`child_process`, `eval(`, `require('fs')`).
 */
export const isSourceSnippet = (value: string): boolean => {
  if (!value.includes("\n")) return false
  CODE_LINE_END.lastIndex = 0
  let lines = 0
  while (lines < 3 && CODE_LINE_END.exec(value) !== null) lines++
  return lines >= 3
}
