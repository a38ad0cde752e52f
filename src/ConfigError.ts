/**
 * The one error every configuration problem becomes: a decode failure of `GuardConfig`, a bad
 * environment variable, or a dangerous custom pattern.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * One problem found in the configuration: where (`path`, e.g. `mutedEventTypes[0]`) and what.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConfigIssue {
  readonly path: string
  readonly message: string
}

/**
 * `_tag` is `"ConfigError"`; `message` lists every issue, one per line, each prefixed by its field.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly message: string
  readonly issues: ReadonlyArray<ConfigIssue>
}> {
  /**
   * @since 0.1.0
   */
  static fromIssues(issues: ReadonlyArray<ConfigIssue>): ConfigError {
    const message = issues.map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`)).join("\n")
    return new ConfigError({ message: `Invalid effect-guard configuration\n${message}`, issues })
  }
}
