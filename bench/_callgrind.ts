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
 * Walks a callgrind dump's cost lines: `visit(fn, undefined, cost)` for a function's own cost,
 * `visit(fn, callee, cost)` for the inclusive cost of its calls to `callee` (the cost line after a
 * `calls=` line). Names are given once per id, and pass through `rename` (bench/get-instructions.ts
 * names JIT code from V8's perf map).
 */
const walkDump = (dump: string, rename: (name: string) => string, visit: (fn: string, callee: string | undefined, cost: number) => void): void => {
  const names = new Map<string, string>()
  let current = ""
  let target = ""
  let afterCall = false
  for (const line of dump.split("\n")) {
    const named = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line)
    if (named !== null) {
      if (named[2] !== undefined) names.set(named[1]!, rename(named[2]))
      if (line.startsWith("fn=")) current = names.get(named[1]!) ?? ""
      else target = names.get(named[1]!) ?? ""
    } else if (line.startsWith("calls=")) {
      afterCall = true
    } else if (/^[0-9+*-]/.test(line)) {
      visit(current, afterCall ? target : undefined, Number(line.split(" ")[1] ?? 0))
      afterCall = false
    }
  }
}

/** Own cost per function in a callgrind dump, names through `rename`. */
export const functionCosts = (dump: string, rename: (name: string) => string = (name) => name): Map<string, number> => {
  const costs = new Map<string, number>()
  walkDump(dump, rename, (fn, callee, cost) => {
    if (callee === undefined) costs.set(fn, (costs.get(fn) ?? 0) + cost)
  })
  return costs
}

/**
 * Who calls the functions whose names match `callee`: per callee and caller (`callee <- caller`),
 * the inclusive cost of the calls, names through `rename`.
 */
export const callerCosts = (dump: string, callee: RegExp, rename: (name: string) => string = (name) => name): Map<string, number> => {
  const costs = new Map<string, number>()
  walkDump(dump, rename, (fn, target, cost) => {
    if (target === undefined || !callee.test(target)) return
    const key = `${target} <- ${fn}`
    costs.set(key, (costs.get(key) ?? 0) + cost)
  })
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
