/**
 * `custom_validators`: a route's validators run in order; the first that returns a response refuses
 * the request with it. A validator that fails or dies is treated like any failing check.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { anyRoute, type CheckEnv, pass, refuse, type SecurityCheck, type Verdict } from "../internal/pipeline.js"

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> =>
  anyRoute(env, (s) => (s.customValidators?.length ?? 0) > 0)
    ? Option.some({
      name: "custom_validators",
      onExcludedPaths: true,
      run: (req) => {
        const validators = req.route?.settings.customValidators ?? []
        const loop = (i: number): Effect.Effect<Verdict> => {
          const validator = validators[i]
          if (validator === undefined) return pass
          return Effect.flatMap(Effect.suspend(() => validator(req.request)), (response) =>
            Option.isNone(response) ? loop(i + 1) : Effect.map(
              refuse(env, req, {
                check: "custom_validators",
                event: "decorator_violation",
                reason: `Custom validator ${validator.name || i} refused the request`,
                status: response.value.status,
                message: "",
                metadata: { violation_type: "custom_validation", validator_name: validator.name || `validator_${i}` },
                emit: { decoratorType: "content_filtering" }
              }),
              (verdict) => (Option.isSome(verdict) ? response : verdict)
            ))
        }
        return loop(0)
      }
    })
    : Option.none()
