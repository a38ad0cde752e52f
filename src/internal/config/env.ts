/**
 * Reads a config input object from `GUARD_*` variables through Effect's `Config`, one variable per
 * field (`mutedEventTypes` -> `GUARD_MUTED_EVENT_TYPES`). The text of each variable is shaped by the
 * field's schema:
 *
 * - lists are a JSON array, or comma separated where a comma inside `[...]`, `(...)` or `{...}`, or
 *   after a backslash, belongs to the item, so a regex such as `scanner[0-9]{1,8}` survives;
 * - records are `k=v,k2=v2`; booleans `true/false/1/0/yes/no/on/off`;
 * - numbers are plain decimals (`10`, `-3`, `0.5`), integers without a fraction: `0x10`, `1e3`,
 *   `+5`, ` 12 `, `012` and `12.0` are refused, never read as something else;
 * - any other value starting with `[` or `{` is read as JSON.
 *
 * It also finds the `GUARD_*` variables that no field reads, with the known name closest to each.
 *
 * @internal
 */
import { Config, Effect, HashSet, Option, Schema, SchemaAST } from "effect"
import type { ConfigError as EffectConfigError } from "effect/ConfigError"
import type { ConfigIssue } from "../../ConfigError.js"

type Kind = "list" | "record" | "boolean" | "integer" | "number" | "string" | "json"

export const envName = (field: string): string =>
  `GUARD_${field.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/([A-Z])([A-Z][a-z])/g, "$1_$2").toUpperCase()}`

const isInt = (ast: SchemaAST.AST): boolean =>
  Option.getOrUndefined(SchemaAST.getSchemaIdAnnotation(ast)) === Schema.IntSchemaId

const kindOf = (ast: SchemaAST.AST): Kind => {
  switch (ast._tag) {
    case "TupleType":
      return "list"
    case "TypeLiteral":
      return ast.indexSignatures.length > 0 && ast.propertySignatures.length === 0 ? "record" : "json"
    case "BooleanKeyword":
      return "boolean"
    case "NumberKeyword":
      return "number"
    case "Refinement":
      return isInt(ast) ? "integer" : kindOf(ast.from)
    case "Transformation":
      return kindOf(ast.from)
    case "Suspend":
      return kindOf(ast.f())
    case "Union": {
      const members = ast.types.filter((t) => t._tag !== "UndefinedKeyword")
      const kinds = new Set(members.map(kindOf))
      if (kinds.size === 1) return [...kinds][0]!
      if ([...kinds].every((k) => k === "string")) return "string"
      return members.some((m) => m._tag === "Literal" && typeof m.literal !== "string") ? "json" : "string"
    }
    case "Literal":
      return typeof ast.literal === "boolean" ? "boolean" : typeof ast.literal === "number" ? "number" : "string"
    default:
      return "string"
  }
}

/** The forms a list variable accepts, for error messages and docs. */
export const LIST_FORMS =
  "a list is a JSON array (e.g. [\"evilbot\",\"scanner[0-9]{1,8}\"]) or comma separated, where a comma inside [...], (...) or {...}, or written \\, stays in the item"

/**
 * Splits a list on the commas that are not inside `[...]`, `(...)` or `{...}` and not escaped by a
 * backslash (which stays, so `a\,b` is one item `a\,b`: a regex matching `a,b`). Items are trimmed;
 * empty ones are dropped.
 */
export const splitList = (text: string): Array<string> => {
  const items: Array<string> = []
  let depth = 0
  let inClass = false
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === "\\") {
      i++
    } else if (inClass) {
      if (c === "]") inClass = false
    } else if (c === "[") {
      inClass = true
    } else if (c === "(" || c === "{") {
      depth++
    } else if ((c === ")" || c === "}") && depth > 0) {
      depth--
    } else if (c === "," && depth === 0) {
      items.push(text.slice(start, i))
      start = i + 1
    }
  }
  items.push(text.slice(start))
  return items.map((s) => s.trim()).filter((s) => s !== "")
}

const DECIMAL_INTEGER = /^-?(?:0|[1-9][0-9]*)$/
const DECIMAL_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/

type Parsed = { readonly _tag: "value"; readonly value: unknown } | { readonly _tag: "refused"; readonly message: string }

const value = (v: unknown): Parsed => ({ _tag: "value", value: v })

const tryJson = (text: string): Option.Option<unknown> => {
  try {
    return Option.some(JSON.parse(text))
  } catch {
    return Option.none()
  }
}

const parseText = (name: string, kind: Kind, raw: string): Parsed => {
  switch (kind) {
    case "integer":
      return DECIMAL_INTEGER.test(raw) ? value(Number(raw)) : {
        _tag: "refused",
        message: `${name}=${JSON.stringify(raw)} is not a decimal integer; write digits only, e.g. 10 or -3 (no +, spaces, leading zeros, fraction, exponent or hex)`
      }
    case "number":
      return DECIMAL_NUMBER.test(raw) ? value(Number(raw)) : {
        _tag: "refused",
        message: `${name}=${JSON.stringify(raw)} is not a decimal number; write digits with an optional fraction, e.g. 30 or 0.5 (no +, spaces, leading zeros, exponent or hex)`
      }
    default:
      break
  }
  const text = raw.trim()
  if (kind === "list") {
    // a regex such as `[a-z]bot` starts with `[` too: only a JSON array is read as one
    const json = text.startsWith("[") ? tryJson(text) : Option.none()
    return value(Option.isSome(json) && Array.isArray(json.value) ? json.value : splitList(text))
  }
  if ((text.startsWith("[") || text.startsWith("{")) && kind !== "string") {
    return value(Option.getOrElse(tryJson(text), () => text))
  }
  switch (kind) {
    case "record": {
      const out: Record<string, string> = {}
      for (const pair of text.split(",")) {
        const at = pair.indexOf("=")
        if (pair.trim() === "") continue
        if (at <= 0) return value(text) // not k=v: let the schema report it
        out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim()
      }
      return value(out)
    }
    case "boolean": {
      const lower = text.toLowerCase()
      if (["true", "1", "yes", "on"].includes(lower)) return value(true)
      if (["false", "0", "no", "off"].includes(lower)) return value(false)
      return value(text)
    }
    default:
      return value(text)
  }
}

/** The struct's fields with their own schemas (refinements such as `Int` included). */
const fieldsOf = (ast: SchemaAST.AST): ReadonlyArray<SchemaAST.PropertySignature> => {
  const literal = ast._tag === "Transformation" ? ast.from : ast
  return literal._tag === "TypeLiteral" ? literal.propertySignatures : []
}

/** What the `GUARD_*` variables say: the fields they set, and the variables refused outright. */
export interface EnvInput {
  readonly input: Record<string, unknown>
  readonly issues: ReadonlyArray<ConfigIssue>
  /** Fields set from a list variable (their errors get the accepted list forms). */
  readonly lists: ReadonlySet<string>
}

/** Every field of `ast` (a struct schema) that has a `GUARD_*` variable set, parsed to its input shape. */
export const readEnvInput = (ast: SchemaAST.AST): Effect.Effect<EnvInput, EffectConfigError> =>
  Effect.reduce(
    fieldsOf(ast),
    { input: {}, issues: [], lists: new Set() } as EnvInput,
    (acc, ps) => {
      const field = String(ps.name)
      const name = envName(field)
      const kind = kindOf(ps.type)
      return Config.option(Config.string(name)).pipe(
        Effect.map((text): EnvInput => {
          if (Option.isNone(text)) return acc
          const parsed = parseText(name, kind, text.value)
          return parsed._tag === "refused"
            ? { ...acc, issues: [...acc.issues, { path: field, message: parsed.message }] }
            : {
              input: { ...acc.input, [field]: parsed.value },
              issues: acc.issues,
              lists: kind === "list" ? new Set([...acc.lists, field]) : acc.lists
            }
        })
      )
    }
  )

/** Optimal string alignment distance: edits, with a swap of two neighbours counted as one. */
const distance = (a: string, b: string): number => {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1)
      rows[i]![j] = d
    }
  }
  return rows[a.length]![b.length]!
}

/** The known name a misspelt one most likely meant, if any is close enough to be a typo. */
export const closestName = (name: string, known: ReadonlyArray<string>): string | undefined => {
  const scored = known.map((k) => ({ k, d: distance(name, k) })).sort((x, y) => x.d - y.d || x.k.localeCompare(y.k))
  const best = scored[0]
  return best !== undefined && best.d <= Math.max(2, Math.floor((name.length - "GUARD_".length) / 3)) ? best.k : undefined
}

/** A `GUARD_*` variable that no field reads. */
export interface UnknownVariable {
  readonly name: string
  readonly closest: string | undefined
}

/**
 * The `GUARD_*` variables the current `ConfigProvider` holds that are not in `known`, sorted. The
 * provider's key tree is walked with `enumerateChildren`, so it works whatever its path delimiter
 * (`fromEnv` splits names on `_`, `fromMap` keeps them whole); a provider that cannot enumerate
 * reports none.
 */
export const unknownVariables = (known: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<UnknownVariable>> =>
  Effect.configProviderWith((provider) => {
    const flat = provider.flattened
    const walk = (path: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>, EffectConfigError> =>
      flat.enumerateChildren(path).pipe(
        Effect.flatMap((children) =>
          Effect.forEach(
            [...HashSet.values(children)].filter((c) => path.length > 0 || c === "GUARD" || c.startsWith("GUARD_")),
            (child) => walk([...path, child]).pipe(Effect.map((below) => [[...path, child].join("_"), ...below]))
          )
        ),
        Effect.map((names) => names.flat())
      )
    return walk([]).pipe(
      Effect.flatMap((names) =>
        Effect.filter(
          [...new Set(names)].filter((n) => n.startsWith("GUARD_") && !known.includes(n)).sort(),
          (name) => Config.option(Config.string(name)).pipe(Effect.map(Option.isSome))
        )
      ),
      Effect.map((names) => names.map((name) => ({ name, closest: closestName(name, known) }))),
      Effect.orElseSucceed((): ReadonlyArray<UnknownVariable> => [])
    )
  })
