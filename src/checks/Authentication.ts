/**
 * `authentication`: a route with `requireAuth` (bearer or basic) or `apiKey` needs a credential that
 * its verifier (the route's, else the guard's `authVerifier`) accepts. Fails closed: no verifier, a
 * verifier that fails or dies, or a refusal all answer 401 with a `WWW-Authenticate` challenge.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { checkLogFor } from "../CheckLog.js"
import type { AuthVerifier } from "../internal/config/security.js"
import { anyRoute, type CheckEnv, type GuardRequest, pass, refuse, type SecurityCheck, type Verdict } from "../internal/pipeline.js"

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> => {
  if (!anyRoute(env, (s) => s.requireAuth !== undefined || s.apiKey !== undefined)) return Option.none()
  const log = checkLogFor(env.config.mutedCheckLogs)

  const fail = (req: GuardRequest, authType: string, reason: string, challenge: string): Effect.Effect<Verdict> =>
    refuse(env, req, {
      check: "authentication",
      event: "authentication_failed",
      reason,
      status: 401,
      message: "Authentication required",
      headers: { "www-authenticate": challenge },
      metadata: { auth_type: authType, violation_type: "require_auth" },
      emit: { decoratorType: "authentication" }
    })

  const verify = (req: GuardRequest, verifier: AuthVerifier | undefined, credential: string): Effect.Effect<boolean> => {
    const chosen = verifier ?? env.config.authVerifier
    if (chosen === undefined) return Effect.succeed(false)
    return Effect.suspend(() => chosen(credential, req.request)).pipe(
      Effect.catchAllCause((cause) => Effect.as(log("authentication", "auth verifier failed; request refused", { cause }), false))
    )
  }

  return Option.some({
    name: "authentication",
    onExcludedPaths: true,
    run: (req) => {
      const settings = req.route?.settings
      if (settings === undefined) return pass
      const { apiKey, requireAuth } = settings
      const checkAuth = (): Effect.Effect<Verdict> => {
        if (requireAuth === undefined) return pass
        const scheme = requireAuth.type === "basic" ? "basic" : "bearer"
        const challenge = scheme === "basic" ? "Basic realm=\"restricted\"" : "Bearer"
        const header = req.headers["authorization"] ?? ""
        const space = header.indexOf(" ")
        const given = space > 0 ? header.slice(0, space).toLowerCase() : ""
        const credential = space > 0 ? header.slice(space + 1).trim() : ""
        if (given !== scheme || credential === "") {
          return fail(req, scheme, `Missing or malformed ${scheme} credentials`, challenge)
        }
        if (env.config.authVerifier === undefined && requireAuth.verifier === undefined) {
          return fail(req, scheme, "No auth verifier configured; request refused", challenge)
        }
        return Effect.flatMap(verify(req, requireAuth.verifier, credential), (ok) =>
          ok ? pass : fail(req, scheme, `Invalid ${scheme} credentials`, challenge))
      }
      const checkApiKey = (): Effect.Effect<Verdict> => {
        if (apiKey === undefined) return pass
        const key = req.headers[apiKey.header.toLowerCase()] ?? ""
        const challenge = `ApiKey header="${apiKey.header}"`
        if (key.trim() === "") return fail(req, "api_key", `Missing API key header ${apiKey.header}`, challenge)
        if (env.config.authVerifier === undefined && apiKey.verifier === undefined) {
          return fail(req, "api_key", "No auth verifier configured; request refused", challenge)
        }
        return Effect.flatMap(verify(req, apiKey.verifier, key), (ok) =>
          ok ? pass : fail(req, "api_key", "Invalid API key", challenge))
      }
      return Effect.flatMap(checkAuth(), (verdict) => (Option.isSome(verdict) ? Effect.succeed(verdict) : checkApiKey()))
    }
  })
}
