/**
 * `required_headers`: a route's `requireHeaders` must be present (`"required"`) or equal to the given
 * value; otherwise 400. The received value is never echoed.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { anyRoute, type CheckEnv, pass, refuse, type SecurityCheck, type Verdict } from "../internal/pipeline.js"

const kindOf = (header: string) =>
  header === "x-api-key"
    ? { decoratorType: "authentication", violation: "api_key_required" }
    : header === "authorization"
    ? { decoratorType: "authentication", violation: "required_header" }
    : { decoratorType: "advanced", violation: "required_header" }

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> =>
  anyRoute(env, (s) => s.requireHeaders !== undefined)
    ? Option.some({
      name: "required_headers",
      onExcludedPaths: true,
      run: (req) => {
        const required = req.route?.settings.requireHeaders
        if (required === undefined) return pass
        for (const [name, expected] of Object.entries(required)) {
          const header = name.toLowerCase()
          const value = req.headers[header]
          const missing = value === undefined || value.trim() === ""
          if (!missing && (expected === "required" || value === expected)) continue
          const kind = kindOf(header)
          const verdict: Effect.Effect<Verdict> = refuse(env, req, {
            check: "required_headers",
            event: "decorator_violation",
            reason: missing ? `Missing required header: ${name}` : `Header '${name}' does not match the required value`,
            status: 400,
            message: missing ? `Missing required header: ${name}` : `Header '${name}' does not match the required value`,
            metadata: { violation_type: kind.violation, [missing ? "missing_header" : "mismatched_header"]: name },
            emit: { decoratorType: kind.decoratorType }
          })
          return verdict
        }
        return pass
      }
    })
    : Option.none()
