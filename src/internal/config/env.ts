/**
 * Reads a config input object from `GUARD_*` variables through Effect's `Config`, one variable per
 * field (`mutedEventTypes` -> `GUARD_MUTED_EVENT_TYPES`). The text of each variable is shaped by the
 * field's encoded schema: lists are comma separated, records are `k=v,k2=v2`, booleans and numbers
 * are parsed, and any value starting with `[` or `{` is read as JSON.
 *
 * @internal
 */
import { Config, Effect, Option, SchemaAST } from "effect"
import type { ConfigError as EffectConfigError } from "effect/ConfigError"

type Kind = "list" | "record" | "boolean" | "number" | "string" | "json"

export const envName = (field: string): string =>
  `GUARD_${field.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/([A-Z])([A-Z][a-z])/g, "$1_$2").toUpperCase()}`

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
      return kindOf(ast.from)
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

const parseText = (kind: Kind, raw: string): unknown => {
  const text = raw.trim()
  if ((text.startsWith("[") || text.startsWith("{")) && kind !== "string") {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  switch (kind) {
    case "list":
      return text === "" ? [] : text.split(",").map((s) => s.trim()).filter((s) => s !== "")
    case "record": {
      const out: Record<string, string> = {}
      for (const pair of text.split(",")) {
        const at = pair.indexOf("=")
        if (pair.trim() === "") continue
        if (at <= 0) return text // not k=v: let the schema report it
        out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim()
      }
      return out
    }
    case "boolean": {
      const lower = text.toLowerCase()
      if (["true", "1", "yes", "on"].includes(lower)) return true
      if (["false", "0", "no", "off"].includes(lower)) return false
      return text
    }
    case "number": {
      const n = Number(text)
      return text !== "" && Number.isFinite(n) ? n : text
    }
    default:
      return text
  }
}

/** Every field of `ast` (a struct schema) that has a `GUARD_*` variable set, parsed to its input shape. */
export const readEnvInput = (ast: SchemaAST.AST): Effect.Effect<Record<string, unknown>, EffectConfigError> => {
  const encoded = SchemaAST.encodedAST(ast)
  const literal = encoded._tag === "TypeLiteral" ? encoded : undefined
  const fields = literal?.propertySignatures ?? []
  return Effect.reduce(fields, {} as Record<string, unknown>, (acc, ps) => {
    const name = String(ps.name)
    return Config.option(Config.string(envName(name))).pipe(
      Effect.map((value) => (Option.isSome(value) ? { ...acc, [name]: parseText(kindOf(ps.type), value.value) } : acc))
    )
  })
}
