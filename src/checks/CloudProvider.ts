/**
 * `cloud_provider`: refuses clients whose address is in a blocked cloud provider's published ranges
 * (the route's `blockClouds` overrides the global `blockCloudProviders`; dynamic rules add to it).
 * Skipped for whitelisted clients and routes that bypass `clouds`.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import type { CloudProvider } from "../CloudRanges.js"
import { type CheckEnv, pass, refuse, type SecurityCheck } from "../internal/pipeline.js"

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> => {
  const cloud = env.cloud
  if (cloud === undefined) return Option.none()
  const global: ReadonlySet<string> = env.config.blockCloudProviders
  return Option.some({
    name: "cloud_provider",
    // on an excluded path the route's own blockClouds holds, the global and dynamic sets do not
    onExcludedPaths: true,
    run: (req) => {
      if (req.state.whitelisted || req.route?.settings.bypass?.has("clouds") === true) return pass
      const fromRoute: ReadonlySet<string> | undefined = req.route?.settings.blockClouds
      if (req.excluded && fromRoute === undefined) return pass
      const fromRules = req.excluded ? [] : req.rules?.rules.blockedCloudProviders ?? []
      const providers = fromRoute ?? global
      if (providers.size === 0 && fromRules.length === 0) return pass
      return Effect.flatMap(cloud.provider(req.clientIp), (network) => {
        if (Option.isNone(network)) return pass
        const provider: CloudProvider = network.value.provider
        if (!providers.has(provider) && !fromRules.includes(provider)) return pass
        return refuse(env, req, {
          check: "cloud_provider",
          event: "cloud_blocked",
          reason: `IP belongs to blocked cloud provider: ${provider}`,
          status: 403,
          message: "Cloud provider IP not allowed",
          metadata: { cloud_provider: provider, network: network.value.network, ...(fromRoute === undefined ? {} : { violation_type: "cloud_provider" }) },
          ...(fromRoute === undefined ? {} : { emit: { decoratorType: "access_control" } })
        })
      })
    }
  })
}
