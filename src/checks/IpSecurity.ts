/**
 * `ip_security`: always built. In order: an active ban (403 "IP address banned"), the dynamic-rule
 * blacklist, the route's IP and country rules, then the global whitelist (restrictive; a match
 * trusts the client for the later filtering checks) or blacklist, and the global and dynamic-rule
 * country rules. IPv6 and IPv4-mapped addresses match their CIDR blocks.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import type { ActiveRules } from "../DynamicRuleManager.js"
import { type IpMatcher, makeIpMatcher, parseIp } from "../internal/ip.js"
import { type CheckEnv, countryOf, type GuardRequest, pass, refuse, type SecurityCheck, type Verdict } from "../internal/pipeline.js"
import type { RouteSettings } from "../RouteGuard.js"
import type { StoreError } from "../StoreError.js"

const isLoopback = (ip: string): boolean => parseIp(ip)?.range() === "loopback"

const ROUTE_OK = Effect.succeed("ok" as const)

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> => {
  const { config } = env
  const whitelist = makeIpMatcher(config.whitelist)
  const blacklist = makeIpMatcher(config.blacklist)
  const ruleLists = new WeakMap<ActiveRules, { black: IpMatcher; white: IpMatcher; allowCountries: ReadonlySet<string> }>()
  const routeLists = new WeakMap<RouteSettings, { white: IpMatcher | undefined; black: IpMatcher | undefined }>()

  const listsOf = (active: ActiveRules) => {
    let lists = ruleLists.get(active)
    if (lists === undefined) {
      lists = {
        black: makeIpMatcher(active.rules.ipBlacklist),
        white: makeIpMatcher(active.rules.ipWhitelist),
        allowCountries: new Set(active.rules.whitelistCountries.map((c) => c.toUpperCase()))
      }
      ruleLists.set(active, lists)
    }
    return lists
  }
  const routeListsOf = (settings: RouteSettings) => {
    let lists = routeLists.get(settings)
    if (lists === undefined) {
      lists = {
        white: settings.ipWhitelist === undefined ? undefined : makeIpMatcher(settings.ipWhitelist),
        black: settings.ipBlacklist === undefined ? undefined : makeIpMatcher(settings.ipBlacklist)
      }
      routeLists.set(settings, lists)
    }
    return lists
  }

  const blocked = (req: GuardRequest, reason: string, metadata: Record<string, unknown>): Effect.Effect<Verdict> =>
    refuse(env, req, {
      check: "ip_security",
      event: "ip_blocked",
      reason,
      status: 403,
      message: "Forbidden",
      metadata: { ip_address: req.clientIp, ...metadata }
    })

  const routeDenied = (req: GuardRequest, reason: string, decoratorType: string, violation: string, extra: Record<string, unknown> = {}) =>
    refuse(env, req, {
      check: "ip_security",
      event: "access_denied",
      reason,
      status: 403,
      message: "Forbidden",
      metadata: { violation_type: violation, ...extra },
      emit: { decoratorType }
    })

  const countryBlocked = (req: GuardRequest, country: string | undefined, ruleType: string) =>
    refuse(env, req, {
      check: "ip_security",
      event: "country_blocked",
      reason: country === undefined ? "Country could not be determined and an allowlist applies" : ruleType === "country_whitelist" ? `Country ${country} not in allowed list` : `Country ${country} is blocked`,
      status: 403,
      message: "Forbidden",
      metadata: { country: country ?? null, rule_type: ruleType },
      ...(country === undefined ? {} : { emit: { country } })
    })

  /** Route rules: a refusal, or what they allowed (which relaxes the matching global gate). */
  type RouteOutcome = Verdict | "route-whitelisted" | "route-country-allowed" | "ok"
  const routeRules = (req: GuardRequest): Effect.Effect<RouteOutcome> => {
    const settings = req.route?.settings
    if (settings === undefined) return ROUTE_OK
    const lists = routeListsOf(settings)
    let whitelisted = false
    if (lists.white !== undefined && lists.white.size > 0) {
      if (lists.white.matches(req.clientIp)) whitelisted = true
      else return routeDenied(req, `IP ${req.clientIp} not in the route's allowlist`, "access_control", "ip_restriction")
    }
    if (!whitelisted && lists.black?.matches(req.clientIp) === true) {
      return routeDenied(req, `IP ${req.clientIp} in the route's blocklist`, "access_control", "ip_restriction")
    }
    if (settings.blockedCountries === undefined && settings.allowedCountries === undefined) {
      return Effect.succeed(whitelisted ? "route-whitelisted" : "ok")
    }
    return Effect.flatMap(countryOf(env, req), (country): Effect.Effect<RouteOutcome> => {
      const code = Option.getOrUndefined(country)
      if (code !== undefined && settings.blockedCountries?.has(code) === true) {
        return routeDenied(req, `Country ${code} blocked on this route`, "block_countries", "country_restriction", { country: code })
      }
      if (settings.allowedCountries !== undefined) {
        if (code === undefined || !settings.allowedCountries.has(code)) {
          return routeDenied(req, `Country ${code ?? "unknown"} not allowed on this route`, "allow_countries", "country_restriction", { country: code ?? null })
        }
        return Effect.succeed(whitelisted ? "route-whitelisted" : "route-country-allowed")
      }
      return Effect.succeed(whitelisted ? "route-whitelisted" : "ok")
    })
  }

  const globalRules = (req: GuardRequest, routeWhitelisted: boolean, routeCountryAllowed: boolean): Effect.Effect<Verdict> => {
    const rules = req.rules
    if (rules !== undefined) {
      const lists = listsOf(rules)
      if (lists.white.matches(req.clientIp)) {
        req.state.whitelisted = true
        return pass
      }
      if (lists.black.matches(req.clientIp)) {
        return blocked(req, `IP ${req.clientIp} blocked by dynamic rule ${rules.rules.ruleId}`, { filter_type: "dynamic_rule" })
      }
    }
    if (!routeWhitelisted) {
      if (whitelist.size > 0) {
        if (whitelist.matches(req.clientIp)) {
          req.state.whitelisted = true
          return pass
        }
        return blocked(req, `IP ${req.clientIp} not in whitelist`, { filter_type: "global" })
      }
      if (blacklist.matches(req.clientIp)) return blocked(req, `IP ${req.clientIp} is blacklisted`, { filter_type: "global" })
    }
    if (routeCountryAllowed || req.excluded) return pass
    const allowCountries = config.whitelistCountries.size > 0
      ? config.whitelistCountries
      : rules !== undefined && listsOf(rules).allowCountries.size > 0
      ? listsOf(rules).allowCountries
      : undefined
    const blockCountries = config.blockedCountries.size > 0 || (rules?.blockedCountries.size ?? 0) > 0
    if ((allowCountries === undefined && !blockCountries) || isLoopback(req.clientIp)) return pass
    return Effect.flatMap(countryOf(env, req), (country) => {
      const code = Option.getOrUndefined(country)
      if (allowCountries !== undefined && (code === undefined || !allowCountries.has(code))) {
        return countryBlocked(req, code, "country_whitelist")
      }
      if (code !== undefined && (config.blockedCountries.has(code) || rules?.blockedCountries.has(code) === true)) {
        return countryBlocked(req, code, "country_blacklist")
      }
      return pass
    })
  }

  // a function of the request, called once the ban is known: the rules run as soon as they are called
  const afterBan = (req: GuardRequest): Effect.Effect<Verdict> =>
    req.excluded
      ? globalRules(req, false, true)
      : req.route?.settings.bypass?.has("ip") === true
      ? pass
      : req.route === undefined
      // no route rules to wait for (most requests): no step for them
      ? globalRules(req, false, false)
      : Effect.flatMap(routeRules(req), (outcome) =>
        typeof outcome === "string"
          ? globalRules(req, outcome === "route-whitelisted", outcome === "route-country-allowed")
          : Effect.succeed(outcome))

  const run = (req: GuardRequest): Effect.Effect<Verdict, StoreError> => {
    if (req.route?.settings.bypass?.has("ip_ban") === true) return afterBan(req)
    return Effect.flatMap(env.bans.isBanned(req.clientIp), (ban) =>
      Option.isSome(ban)
        ? refuse(env, req, {
          check: "ip_security",
          event: "ip_blocked",
          reason: `Banned IP attempted access: ${req.clientIp}`,
          status: 403,
          message: "IP address banned",
          metadata: { ip_address: req.clientIp, filter_type: "banned", ban_reason: ban.value.reason }
        })
        : afterBan(req))
  }

  return Option.some({ name: "ip_security", onExcludedPaths: true, run })
}
