/**
 * Reading a callgrind dump of a Node process: its instructions split into the request's own work
 * and the parts that come in lumps (garbage collection, JIT compilation), by function name.
 */

/** What a count is made of: everything, and the parts that come in lumps. */
export interface Count {
  readonly total: number
  /** The garbage collector's functions (V8's heap, scavenger, marker, sweeper, its walks of the roots). */
  readonly gc: number
  /** V8's optimising compilers, still at work long after start-up. */
  readonly jit: number
}

const GC_FUNCTION =
  /v8::internal::(?:Heap|Scaveng|MarkCompact|Marking|ConcurrentMarking|Sweep|Evacuat|MemoryChunk|Page::|FreeList|heap::|GlobalHandles::Iterate|SerializerDeserializer::Iterate|RootScavengeVisitor|\(anonymous namespace\)::IterateObjectCache)|^heap::base::|cppgc::/
const JIT_FUNCTION = /v8::internal::(?:compiler|maglev|baseline)::|v8::internal::Turbofan|v8::internal::Maglev/

/**
 * Own cost per function in a callgrind dump: a function's own cost lines count; the line after a
 * `calls=` line is the callee's inclusive cost and is skipped. Names are given once per id, and
 * pass through `rename` (bench/get-instructions.ts names JIT code from V8's perf map).
 */
export const functionCosts = (dump: string, rename: (name: string) => string = (name) => name): Map<string, number> => {
  const names = new Map<string, string>()
  const costs = new Map<string, number>()
  let current = ""
  let afterCall = false
  for (const line of dump.split("\n")) {
    if (line.startsWith("fn=")) {
      const m = /^fn=\((\d+)\)(?: (.*))?$/.exec(line)
      if (m === null) continue
      if (m[2] !== undefined) names.set(m[1]!, rename(m[2]))
      current = names.get(m[1]!) ?? ""
    } else if (line.startsWith("cfn=")) {
      const m = /^cfn=\((\d+)\) (.*)$/.exec(line)
      if (m !== null) names.set(m[1]!, rename(m[2]!))
    } else if (line.startsWith("calls=")) {
      afterCall = true
    } else if (/^[0-9+*-]/.test(line)) {
      if (afterCall) {
        afterCall = false
        continue
      }
      costs.set(current, (costs.get(current) ?? 0) + Number(line.split(" ")[1] ?? 0))
    }
  }
  return costs
}

/**
 * Who calls the functions whose names match `callee`: per callee and caller (`callee <- caller`),
 * the inclusive cost of the calls (a `calls=` line's next cost line), names through `rename` as in
 * {@link functionCosts}.
 */
export const callerCosts = (dump: string, callee: RegExp, rename: (name: string) => string = (name) => name): Map<string, number> => {
  const names = new Map<string, string>()
  const costs = new Map<string, number>()
  let current = ""
  let target = ""
  let afterCall = false
  for (const line of dump.split("\n")) {
    if (line.startsWith("fn=")) {
      const m = /^fn=\((\d+)\)(?: (.*))?$/.exec(line)
      if (m === null) continue
      if (m[2] !== undefined) names.set(m[1]!, rename(m[2]))
      current = names.get(m[1]!) ?? ""
    } else if (line.startsWith("cfn=")) {
      const m = /^cfn=\((\d+)\)(?: (.*))?$/.exec(line)
      if (m === null) continue
      if (m[2] !== undefined) names.set(m[1]!, rename(m[2]))
      target = names.get(m[1]!) ?? ""
    } else if (line.startsWith("calls=")) {
      afterCall = true
    } else if (afterCall && /^[0-9+*-]/.test(line)) {
      afterCall = false
      if (callee.test(target)) {
        const key = `${target} <- ${current}`
        costs.set(key, (costs.get(key) ?? 0) + Number(line.split(" ")[1] ?? 0))
      }
    }
  }
  return costs
}

/** Splits a callgrind dump's instructions into the lumps of garbage collection and JIT compilation. */
export const countOf = (dump: string, total: number): Count => {
  let gc = 0
  let jit = 0
  for (const [name, cost] of functionCosts(dump)) {
    if (GC_FUNCTION.test(name)) gc += cost
    else if (JIT_FUNCTION.test(name)) jit += cost
  }
  return { total, gc, jit }
}
