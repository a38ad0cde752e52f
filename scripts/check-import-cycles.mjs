// Fails when the modules under src/ import each other in a circle, type-only imports included: a
// module's imports point one way (a store module depends on its service's Tag, never the reverse). A
// circle closed only by `import type` costs nothing at run time, but still says two modules cannot
// be read or moved apart, so it fails too; the report says which kind each circle is.
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const src = join(root, "src")

const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : path.endsWith(".ts") ? [path] : []
  })

const files = walk(src)
const known = new Set(files)

const resolveImport = (from, specifier) => {
  if (!specifier.startsWith(".")) return undefined
  const base = resolve(dirname(from), specifier)
  const candidates = [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")]
  return candidates.find((candidate) => known.has(candidate))
}

/** The relative modules `file` imports: `values` (kept at run time) and `all` (with type-only ones). */
const importsOf = (file) => {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false)
  const values = new Set()
  const all = new Set()
  for (const statement of source.statements) {
    let specifier
    let typeOnly = false
    if (ts.isImportDeclaration(statement)) {
      specifier = statement.moduleSpecifier
      const clause = statement.importClause
      typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && clause.namedBindings !== undefined &&
        ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 &&
        clause.namedBindings.elements.every((element) => element.isTypeOnly)))
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier !== undefined) {
      specifier = statement.moduleSpecifier
      typeOnly = statement.isTypeOnly || (statement.exportClause !== undefined && ts.isNamedExports(statement.exportClause) &&
        statement.exportClause.elements.length > 0 && statement.exportClause.elements.every((element) => element.isTypeOnly))
    }
    if (specifier === undefined || !ts.isStringLiteral(specifier)) continue
    const target = resolveImport(file, specifier.text)
    if (target === undefined) continue
    all.add(target)
    if (!typeOnly) values.add(target)
  }
  return { values: [...values], all: [...all] }
}

const imports = new Map(files.map((file) => [file, importsOf(file)]))

// Tarjan's strongly connected components: every component larger than one module is a circle.
const circlesOf = (edges) => {
  let index = 0
  const stack = []
  const onStack = new Set()
  const indices = new Map()
  const lowlinks = new Map()
  const circles = []
  const connect = (node) => {
    indices.set(node, index)
    lowlinks.set(node, index)
    index++
    stack.push(node)
    onStack.add(node)
    for (const next of edges.get(node) ?? []) {
      if (!indices.has(next)) {
        connect(next)
        lowlinks.set(node, Math.min(lowlinks.get(node), lowlinks.get(next)))
      } else if (onStack.has(next)) {
        lowlinks.set(node, Math.min(lowlinks.get(node), indices.get(next)))
      }
    }
    if (lowlinks.get(node) === indices.get(node)) {
      const component = []
      let member
      do {
        member = stack.pop()
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      if (component.length > 1 || (edges.get(node) ?? []).includes(node)) circles.push(component)
    }
  }
  for (const file of files) if (!indices.has(file)) connect(file)
  return circles
}

/** The circle's modules, and one path around it: the path makes the fix obvious. */
const describe = (edges, circle) => {
  const names = circle.map((file) => relative(root, file)).sort()
  const members = new Set(circle)
  const start = circle[0]
  const path = [start]
  const seen = new Set([start])
  let current = start
  for (;;) {
    const next = (edges.get(current) ?? []).find((target) => members.has(target) && (target === start || !seen.has(target)))
    if (next === undefined || next === start) break
    path.push(next)
    seen.add(next)
    current = next
  }
  return `import circle of ${names.length} modules:\n  ${names.join("\n  ")}\n  e.g. ${
    path.map((file) => relative(src, file)).join(" -> ")
  } -> ${relative(src, start)}`
}

const valueEdges = new Map([...imports].map(([file, i]) => [file, i.values]))
const allEdges = new Map([...imports].map(([file, i]) => [file, i.all]))
const valueCircles = circlesOf(valueEdges)
const inValueCircle = new Set(valueCircles.flat())
const typeCircles = circlesOf(allEdges).filter((circle) => !circle.some((file) => inValueCircle.has(file)))

if (valueCircles.length === 0 && typeCircles.length === 0) {
  console.log(`check-import-cycles: ${files.length} modules under src/, no import circle`)
} else {
  for (const circle of valueCircles) console.error(describe(valueEdges, circle))
  for (const circle of typeCircles) console.error(`(closed by type-only imports) ${describe(allEdges, circle)}`)
  process.exitCode = 1
}
