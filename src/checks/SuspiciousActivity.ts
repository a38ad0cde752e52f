/**
 * `suspicious_activity`: scans the request (path, query, headers, cookies and, when small and
 * textual, the body) with the `ThreatDetector`. A threat counts toward the client's auto-ban; at the
 * threshold the client is banned (403 "IP has been banned"), otherwise the request is refused with
 * 400. Skipped for whitelisted clients, routes that turn detection off, and excluded paths unless
 * their route turns it on.
 *
 * @since 0.1.0
 */
import { Data, Duration, Effect, LogLevel, Option } from "effect"
import {
  anyRoute,
  autoBanPolicy,
  banClient,
  type CheckEnv,
 
  type GuardRequest,
  pass,
  refuse,
  type Refusal,
  type SecurityCheck,
  type Verdict
} from "../internal/pipeline.js"
import { checkLogFor } from "../CheckLog.js"
import { textReadBefore } from "../internal/bodyPeek.js"
import { ABSOLUTE_ORIGIN, servedTarget } from "../internal/path.js"
import { bodyOf, hasNoBody, READ_BEFORE, scannableBody } from "../internal/scanBody.js"
import type { StoreError } from "../StoreError.js"
import type { DetectionBody, DetectionInput, DetectionResult } from "../ThreatDetector.js"

/**
 * How long the guard waits for the platform's cached text of a body read before it: a text the
 * platform holds resolves at once; an uncached read of a consumed stream would never end.
 */
const READ_BEFORE_WAIT = Duration.millis(5)

/**
 * The query as the router reads it: find-my-way takes what follows the first `?`, `;` or `#` as the
 * search parameters the handler gets (`/search;q=...`), `URL` what follows `?`; from the first of the
 * three, both are in it.
 */
const queryOf = (url: string): string => {
  const cut = firstOf(firstOf(url.indexOf("?"), url.indexOf(";")), url.indexOf("#"))
  return cut < 0 ? "" : url.slice(cut + 1)
}

/**
 * The path and query the detector reads: the path the router serves (`req.path`) and its query. An
 * absolute-form target (`GET http://host/x`, which Node hands the application as written) has its
 * scheme and authority scanned with that path, so `http://h?/admin` is read as `http://h/admin`
 * (never as the path `http://h` with the query `/admin`); what it holds from its first `?` or `#` on,
 * which the application reads as the URL's query, is scanned as query text besides the served query.
 */
const scannedTarget = (req: GuardRequest): { readonly path: string; readonly query: string } => {
  const url = req.request.url
  if (url.charCodeAt(0) === 47) return { path: req.path, query: queryOf(url) }
  const origin = ABSOLUTE_ORIGIN.exec(url)?.[0]
  if (origin === undefined) {
    // no route serves it (`HTTP://...`, `*`): the target up to its query is what there is to read
    const q = url.indexOf("?")
    return { path: q < 0 ? url : url.slice(0, q), query: queryOf(url) }
  }
  const served = queryOf(servedTarget(url))
  const cut = origin.search(/[?#]/)
  if (cut < 0) return { path: origin.slice(0, -1) + req.path, query: served }
  const before = queryOf(url)
  return { path: origin.slice(0, cut) + req.path, query: served === "" ? before : `${before}&${served}` }
}

/** The earlier of two `indexOf` answers, either of which may be -1 (not found). */
const firstOf = (a: number, b: number): number => (a < 0 ? b : b < 0 ? a : Math.min(a, b))

/** The detector could not scan the request: the check's failure, handled as every check's is. */
class DetectorFailed extends Data.TaggedError("DetectorFailed")<{ readonly reason: string }> {
  override get message(): string {
    return `the detector failed on the request: ${this.reason}`
  }
}

const triggerInfo = (result: DetectionResult): string => {
  const first = result.matches[0]
  const where = first === undefined ? "" : ` in ${first.location}: ${JSON.stringify(first.preview)}`
  return `${result.categories.join(", ")}${where}`
}

/** Whether the request held more values or characters than the detector's budget scans. */
const overBudget = (result: DetectionResult): boolean =>
  result.skipped.reasons.includes("bytes") || result.skipped.reasons.includes("values")

/**
 * A request the detector could not scan whole: refused as a body over `detectionMaxBodyBytes` is,
 * so that no payload hides behind padding (`detectionOversizedBody: "scanPrefix"` lets it through).
 */
const budgetRefusal = (result: DetectionResult): Refusal => ({
  check: "suspicious_activity",
  event: "content_filtered",
  reason: `Request exceeds the detection budget (${result.skipped.values} values, ${result.skipped.bytes} characters not scanned)`,
  status: 413,
  message: "Request too large",
  metadata: { violation_type: "detection_budget", skipped_values: result.skipped.values, skipped_bytes: result.skipped.bytes },
  emit: { decoratorType: "content_filtering" }
})

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> => {
  const { config } = env
  if (!config.enablePenetrationDetection && !config.enableDynamicRules && !anyRoute(env, (s) => s.suspiciousDetection === true)) {
    return Option.none()
  }
  const log = checkLogFor(config.mutedCheckLogs)
  const debug = (message: string) => log("suspicious_activity", message, { level: LogLevel.Debug })

  const bodyOptions = { limit: config.detectionMaxBodyBytes, oversized: config.detectionOversizedBody }

  /**
   * The body a stream before the guard has read already (a middleware inside the server): scanned
   * when it was read to its end as text, from the platform's `request.text` (which holds it, and
   * answers at once; a bound of a few milliseconds in case it does not), not otherwise.
   */
  const readBefore = (req: GuardRequest): Effect.Effect<DetectionBody | undefined> =>
    !textReadBefore(req.request) ? Effect.as(debug("body not scanned: it is read by something before the guard"), undefined) : req.request.text.pipe(
      Effect.timeoutFail({ duration: READ_BEFORE_WAIT, onTimeout: () => new Error("it was read by something before the guard, and its text is not held") }),
      Effect.flatMap((text) => bodyOf(new TextEncoder().encode(text), req.headers["content-type"] ?? "", false)),
      Effect.map((view) => ("body" in view ? view.body : undefined)),
      Effect.catchAll((error) => Effect.as(debug(`body not scanned: ${error.message}`), undefined))
    )

  /** The request as the detector sees it, or the refusal of a body that cannot be scanned. */
  type Scanned = { readonly input: DetectionInput; readonly truncated: boolean } | Refusal
  // without a body to read (most requests) the request is known at once: no step before the detector
  const inputOf = (req: GuardRequest): Scanned | Effect.Effect<Scanned> => {
    const base = { ...scannedTarget(req), headers: req.headers }
    if (!config.detectionScanBody || hasNoBody(req)) return { input: base, truncated: false }
    return Effect.flatMap(scannableBody(req, bodyOptions), (scan): Effect.Effect<Scanned> => {
      switch (scan._tag) {
        case "refuse":
          return Effect.succeed(scan.refusal)
        case "none":
          if (scan.why === undefined) return Effect.succeed({ input: base, truncated: false })
          return scan.why === READ_BEFORE
            ? Effect.map(readBefore(req), (body) => ({ input: body === undefined ? base : { ...base, body }, truncated: false }))
            : Effect.as(debug(`body not scanned: ${scan.why}`), { input: base, truncated: false })
        case "body":
          return Effect.succeed({ input: { ...base, body: scan.body }, truncated: scan.truncated })
      }
    })
  }

  const threat = (req: GuardRequest, result: DetectionResult, prefixOnly: boolean): Effect.Effect<Verdict, StoreError> => {
    const categories = result.categories.length === 0 ? ["uncategorized"] : result.categories
    const policy = autoBanPolicy(env, req)
    const info = triggerInfo(result)
    const metadata = {
      trigger_info: info,
      categories: result.categories,
      pattern_ids: result.patternIds.slice(0, 16),
      rule_ids: result.ruleIds.slice(0, 16),
      threat_score: result.score,
      ...(result.truncated ? { scan_truncated: true, skipped: result.skipped.reasons } : {}),
      ...(prefixOnly ? { body_prefix_only: true } : {})
    }
    if (config.passiveMode) {
      return refuse(env, req, {
        check: "suspicious_activity",
        event: "penetration_attempt",
        reason: `Suspicious pattern detected (passive mode): ${info}`,
        status: 400,
        message: "Suspicious activity detected",
        metadata
      })
    }
    return Effect.gen(function*() {
      // one request is one violation (filed under its first category), however many categories matched
      // the attack is refused either way: a store that cannot count only costs the auto-ban
      const counts = yield* env.violations.record(req.clientKey, categories[0]!).pipe(
        Effect.catchAll((error) => Effect.as(log("suspicious_activity", "auto-ban counting skipped: state store unavailable", { cause: error.message }), { total: 0 }))
      )
      const banned = policy.enabled && counts.total >= policy.threshold
        ? yield* banClient(env, req, "suspicious_activity", policy.duration, `penetration_attempt:${categories[0]}`).pipe(
          Effect.catchAll((error) => Effect.as(log("suspicious_activity", "auto-ban skipped: state store unavailable", { cause: error.message }), false))
        )
        : false
      if (banned) {
        yield* Effect.ignore(env.violations.reset(req.clientKey))
        return yield* refuse(env, req, {
          check: "suspicious_activity",
          event: "penetration_attempt",
          action: "banned",
          reason: `Penetration attempt detected, client banned: ${info}`,
          status: 403,
          message: "IP has been banned",
          metadata: { ...metadata, request_count: counts.total }
        })
      }
      return yield* refuse(env, req, {
        check: "suspicious_activity",
        event: "penetration_attempt",
        reason: `Penetration attempt detected: ${info}`,
        status: 400,
        message: "Suspicious activity detected",
        metadata: { ...metadata, request_count: counts.total }
      })
    })
  }

  /** The detector's verdict on the request as scanned (or the refusal of a body it cannot scan). */
  const detected = (req: GuardRequest, scan: Scanned): Effect.Effect<Verdict, StoreError> => {
    if (!("input" in scan)) return refuse(env, req, scan)
    const { input, truncated } = scan
    return Effect.flatMap(env.detector.detect(input), (result) => {
      if (result.isThreat) return threat(req, result, truncated)
      // a detector that failed on the request scanned none or part of it: the check failed, as one
      // that dies does (500 under fail-secure), so that an input that trips it is no way past it
      if (result.skipped.reasons.includes("error")) return Effect.die(new DetectorFailed({ reason: result.error ?? "a rule family failed" }))
      if (config.detectionOversizedBody === "refuse" && overBudget(result)) return refuse(env, req, budgetRefusal(result))
      return result.truncated || truncated
        ? Effect.zipRight(debug(`request not fully scanned (${truncated ? "body prefix only" : result.skipped.reasons.join(", ")})`), pass)
        : pass
    })
  }

  return Option.some({
    name: "suspicious_activity",
    // a route's own suspiciousDetection holds on an excluded path, the global and dynamic ones do not
    onExcludedPaths: true,
    run: (req) => {
      if (req.state.whitelisted || req.route?.settings.bypass?.has("penetration") === true) return pass
      const enabled = req.route?.settings.suspiciousDetection ??
        (!req.excluded && (req.rules?.rules.enablePenetrationDetection ?? config.enablePenetrationDetection))
      if (!enabled) return pass
      const scanned = inputOf(req)
      return Effect.isEffect(scanned) ? Effect.flatMap(scanned, (scan) => detected(req, scan)) : detected(req, scanned)
    }
  })
}
