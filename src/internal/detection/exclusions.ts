/**
 * Exclusions: "rule X does not apply here", so that one false positive costs one rule on one route
 * or parameter, not detection as a whole. An exclusion names a rule id (or a prefix ending in `*`,
 * e.g. `sql-*`), and optionally a route (a path, or a prefix ending in `*`), a parameter (query
 * parameter, form field, cookie, header or JSON key, case-insensitive) and a location kind.
 *
 * @internal
 */
import type { DetectionExclusion } from "./model.js"
import type { ValueLocation } from "./families/contract.js"

/** Where a finding was made, as exclusions see it. */
export interface FindingPlace {
  readonly location: ValueLocation
  readonly parameter: string | undefined
}

interface Compiled {
  readonly rule: (id: string) => boolean
  readonly parameter: string | undefined
  readonly location: ValueLocation | undefined
}

const matcher = (pattern: string, normalise: (s: string) => string): ((s: string) => boolean) => {
  if (pattern.endsWith("*")) {
    const prefix = normalise(pattern.slice(0, -1))
    return (s) => normalise(s).startsWith(prefix)
  }
  const exact = normalise(pattern)
  return (s) => normalise(s) === exact
}

const identity = (s: string): string => s
/** `/search/` and `/search` are one route. */
const routeForm = (s: string): string => (s.length > 1 && s.endsWith("/") ? s.slice(0, -1) : s)

/**
 * The exclusions that apply to a request's path, as one test on a finding; undefined when none
 * does (the common case costs nothing per finding).
 */
export type ExclusionsFor = (path: string) => ((ruleId: string, place: FindingPlace) => boolean) | undefined

export const compileExclusions = (exclusions: ReadonlyArray<DetectionExclusion>): ExclusionsFor => {
  if (exclusions.length === 0) return () => undefined
  const compiled = exclusions.map((e) => ({
    route: e.route === undefined ? undefined : matcher(e.route, routeForm),
    entry: {
      rule: matcher(e.ruleId, identity),
      parameter: e.parameter?.toLowerCase(),
      location: e.location
    } satisfies Compiled
  }))
  return (path) => {
    const here = compiled.filter((c) => c.route === undefined || c.route(path)).map((c) => c.entry)
    if (here.length === 0) return undefined
    return (ruleId, place) =>
      here.some((e) =>
        e.rule(ruleId) &&
        (e.location === undefined || e.location === place.location) &&
        (e.parameter === undefined || (place.parameter !== undefined && place.parameter.toLowerCase() === e.parameter))
      )
  }
}
