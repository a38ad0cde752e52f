/**
 * Which of many literal strings a text contains, in one pass (Aho–Corasick): the pattern table's
 * prefilter for long values. Each pattern has literals of which every match contains one
 * (`requiredLiterals`), so on a 10 KB value one pass over the characters tells which of the
 * table's regexes can match at all, instead of each regex scanning the value to find out.
 *
 * @internal
 */

/** The automaton for a fixed list of ASCII literals. */
export interface LiteralScanner {
  /** Marks in `found` (one byte per literal) the literals `text` contains. */
  readonly scan: (text: string, found: Uint8Array) => void
  readonly size: number
}

export const literalScanner = (literals: ReadonlyArray<string>): LiteralScanner => {
  // characters that occur in some literal get a class each; every other character is class 0
  const classOf = new Int32Array(128)
  let classes = 1
  for (const literal of literals) {
    for (let i = 0; i < literal.length; i++) {
      const c = literal.charCodeAt(i)
      if (c < 128 && classOf[c] === 0) classOf[c] = classes++
    }
  }
  const children: Array<Map<number, number>> = [new Map()]
  const outputs: Array<Array<number>> = [[]]
  literals.forEach((literal, id) => {
    let state = 0
    for (let i = 0; i < literal.length; i++) {
      const c = literal.charCodeAt(i)
      const k = c < 128 ? classOf[c]! : 0
      let next = children[state]!.get(k)
      if (next === undefined) {
        next = children.length
        children.push(new Map())
        outputs.push([])
        children[state]!.set(k, next)
      }
      state = next
    }
    outputs[state]!.push(id)
  })
  // rows of a power-of-two width, so a row's state is a shift away
  let shift = 0
  while (1 << shift < classes) shift++
  classes = 1 << shift
  const states = children.length
  const delta = new Int32Array(states * classes)
  const fail = new Int32Array(states)
  const queue: Array<number> = []
  for (let k = 1; k < classes; k++) {
    const child = children[0]!.get(k)
    if (child !== undefined) {
      delta[k] = child
      queue.push(child)
    }
  }
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head]!
    outputs[state]!.push(...outputs[fail[state]!]!)
    for (let k = 1; k < classes; k++) {
      const child = children[state]!.get(k)
      if (child === undefined) {
        delta[state * classes + k] = delta[fail[state]! * classes + k]!
      } else {
        fail[child] = delta[fail[state]! * classes + k]!
        delta[state * classes + k] = child
        queue.push(child)
      }
    }
  }
  const out = outputs.map((list) => Int32Array.from(new Set(list)))
  // each entry holds the next state's row offset, bitwise negated when that state has outputs
  const table = new Int32Array(states * classes)
  for (let i = 0; i < table.length; i++) {
    const next = delta[i]!
    table[i] = out[next]!.length > 0 ? ~(next * classes) : next * classes
  }
  // a state's outputs are marked once per scan
  const stamp = new Int32Array(states)
  let generation = 0
  return {
    size: literals.length,
    scan: (text, found) => {
      generation = generation === 0x7fffffff ? 1 : generation + 1
      if (generation === 1) stamp.fill(0)
      let row = 0
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i)
        row = table[row + (c < 128 ? classOf[c]! : 0)]!
        if (row < 0) {
          row = ~row
          const state = row >> shift
          if (stamp[state] !== generation) {
            stamp[state] = generation
            const list = out[state]!
            for (let k = 0; k < list.length; k++) found[list[k]!] = 1
          }
        }
      }
    }
  }
}
