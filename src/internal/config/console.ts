/**
 * Config fields of the guard console (`GuardConsole`): off unless `consolePath` is set, and then it
 * refuses to start without `consoleToken` or a verifier given in code.
 *
 * @internal
 */
import { Schema } from "effect"
import { optional, PositiveInt, withDefault } from "./fields.js"

/**
 * Where the console is mounted: an absolute path of plain segments (it is written into the page,
 * so nothing that HTML or a URL would read differently), without a trailing slash.
 */
const ConsolePath = Schema.String.pipe(
  Schema.filter((s) =>
    /^(\/[A-Za-z0-9._~-]+)+$/.test(s) && !s.split("/").some((segment) => segment === "." || segment === "..")
      ? undefined
      : `consolePath must be an absolute path of letters, digits, ".", "_", "~" and "-" segments without a trailing slash (e.g. "/__guard"), got ${
        JSON.stringify(s.slice(0, 64))
      }`
  )
)

/** Long enough that guessing it over HTTP is hopeless; the message never echoes it. */
const ConsoleToken = Schema.String.pipe(
  Schema.filter((s) => s.length >= 16 || "consoleToken must be at least 16 characters")
)

export const consoleFields = {
  /** Mounts the guard console at this path (e.g. `/__guard`). Off when unset. */
  consolePath: optional(ConsolePath),
  /** The bearer token the console asks for; redacted once decoded. Required unless a verifier is given in code. */
  consoleToken: optional(Schema.Redacted(ConsoleToken)),
  /** Recent events the console keeps in memory; the oldest is dropped beyond. */
  consoleBufferSize: withDefault(PositiveInt.pipe(Schema.lessThanOrEqualTo(1_000_000)), () => 10_000)
} as const
