/**
 * `custom_request`: the guard's `customRequestCheck`, run last. A response it returns refuses the
 * request (and is what the client gets); built only when the hook is set.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { type CheckEnv, refuse, type SecurityCheck } from "../internal/pipeline.js"

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> => {
  const hook = env.config.customRequestCheck
  if (hook === undefined) return Option.none()
  return Option.some({
    name: "custom_request",
    onExcludedPaths: false,
    run: (req) =>
      Effect.flatMap(Effect.suspend(() => hook(req.request)), (response) =>
        Option.isNone(response) ? Effect.succeed(response) : Effect.map(
          refuse(env, req, {
            check: "custom_request",
            event: "custom_request_check",
            reason: "Custom request check returned blocking response",
            status: response.value.status,
            message: "",
            metadata: { response_status: response.value.status, check_function: hook.name || "anonymous" }
          }),
          (verdict) => (Option.isSome(verdict) ? response : verdict)
        ))
  })
}
