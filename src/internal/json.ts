/**
 * A JSON-safe copy of arbitrary metadata, the one every exporter serialises (the agent's payload, the
 * OTel and Logfire attributes): sensitive keys redacted, bigints as strings, functions and symbols
 * dropped, depth bounded, cycles cut. A non-finite number (`NaN`, `Infinity`) becomes `null`, as
 * `JSON.stringify` writes it, so every exporter says the same thing about it.
 *
 * @internal
 */

/** Metadata keys whose values never leave the process (compared case-insensitively, at any depth). */
export const SENSITIVE_KEYS: ReadonlySet<string> = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key"
])

export const REDACTED = "[REDACTED]"

export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

const MAX_DEPTH = 8

/** A JSON-safe copy: sensitive keys redacted, bigints as strings, functions and symbols dropped, cycles cut. */
export const toJsonSafe = (value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): Json | undefined => {
  if (value === null) return null
  switch (typeof value) {
    case "string":
    case "boolean":
      return value
    case "number":
      return Number.isFinite(value) ? value : null
    case "bigint":
      return value.toString()
    case "undefined":
    case "function":
    case "symbol":
      return undefined
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString()
  if (value instanceof Error) return value.message
  const object = value as object
  if (depth >= MAX_DEPTH) return "[Truncated]"
  if (seen.has(object)) return "[Circular]"
  seen.add(object)
  try {
    if (Array.isArray(object) || object instanceof Set) {
      const out: Array<Json> = []
      for (const item of object) out.push(toJsonSafe(item, depth + 1, seen) ?? null)
      return out
    }
    const entries = object instanceof Map ? [...object.entries()] : Object.entries(object)
    const out: Record<string, Json> = {}
    for (const [k, v] of entries) {
      const key = String(k)
      if (SENSITIVE_KEYS.has(key.toLowerCase())) {
        out[key] = REDACTED
        continue
      }
      const safe = toJsonSafe(v, depth + 1, seen)
      if (safe !== undefined) out[key] = safe
    }
    return out
  } finally {
    seen.delete(object)
  }
}
