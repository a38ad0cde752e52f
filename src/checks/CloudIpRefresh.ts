/**
 * `cloud_ip_refresh`: keeps cloud ranges loaded. `CloudRanges` refreshes on its own schedule; this
 * check only starts a refresh in the background when a provider has no ranges yet (its first load
 * failed), at most one at a time. Never blocks.
 *
 * @since 0.1.0
 */
import { Effect, MutableRef, Option } from "effect"
import { type CheckEnv, pass, type SecurityCheck } from "../internal/pipeline.js"

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> => {
  const cloud = env.cloud
  if (cloud === undefined) return Option.none()
  const refreshing = MutableRef.make(false)
  const refreshInBackground = Effect.suspend(() => {
    if (!MutableRef.compareAndSet(refreshing, false, true)) return Effect.void
    return cloud.refresh.pipe(Effect.ensuring(Effect.sync(() => MutableRef.set(refreshing, false))), Effect.forkDaemon, Effect.asVoid)
  })
  return Option.some({
    name: "cloud_ip_refresh",
    onExcludedPaths: false,
    run: () =>
      Effect.flatMap(cloud.status, (status) =>
        [...status.values()].some((s) => !s.ready) ? Effect.zipRight(refreshInBackground, pass) : pass)
  })
}
