/**
 * `suspicious_activity`: scans the request (path, query, headers, cookies and, when small and
 * textual, the body) with the `ThreatDetector`. A threat counts toward the client's auto-ban; at the
 * threshold the client is banned (403 "IP has been banned"), otherwise the request is refused with
 * 400. Skipped for whitelisted clients, excluded paths and routes that turn detection off.
 *
 * @since 0.1.0
 */
import { HttpIncomingMessage } from "@effect/platform"
import { Effect, Exit, Option } from "effect"
import { anyRoute, autoBanPolicy, banClient, type CheckEnv, flatMapNow, type GuardRequest, maxBodyOf, pass, refuse, type SecurityCheck, type Verdict } from "../internal/pipeline.js"
import type { StoreError } from "../StoreError.js"
import { type DetectionBody, type DetectionInput, type DetectionResult, syncDetects } from "../ThreatDetector.js"

type TextKind = "json" | "form" | "text"

const bodyKind = (contentType: string | undefined): TextKind | undefined => {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase()
  if (type === "application/json" || type.endsWith("+json")) return "json"
  if (type === "application/x-www-form-urlencoded") return "form"
  if (type.startsWith("text/") || type === "application/xml" || type.endsWith("+xml")) return "text"
  return undefined
}

const toBody = (kind: TextKind, text: string): DetectionBody =>
  kind === "json" ? { kind, text } : kind === "form" ? { kind, text } : { kind, text }

const triggerInfo = (result: DetectionResult): string => {
  const first = result.matches[0]
  const where = first === undefined ? "" : ` in ${first.location}: ${JSON.stringify(first.preview)}`
  return `${result.categories.join(", ")}${where}`
}

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> => {
  const { config } = env
  if (!config.enablePenetrationDetection && !config.enableDynamicRules && !anyRoute(env, (s) => s.suspiciousDetection === true)) {
    return Option.none()
  }
  const maxBody = config.detectionMaxBytes
  const detectNow = syncDetects.of(env.detector)

  /** `text` is memoised by the platform: the handler can still read the body, or gets the same error. */
  const withBody = (request: GuardRequest["request"], kind: TextKind, base: DetectionInput, cap: number | undefined) =>
    (cap === undefined ? request.text : HttpIncomingMessage.withMaxBodySize(request.text, Option.some(cap))).pipe(
      Effect.map((text): DetectionInput => ({ ...base, body: toBody(kind, text) })),
      Effect.catchAll((error) => Effect.as(Effect.logDebug(`body not scanned: ${error.message}`), base))
    )

  const inputOf = (req: GuardRequest): Effect.Effect<DetectionInput> => {
    const { request } = req
    const q = request.url.indexOf("?")
    const { headers } = req
    const base = { path: req.path, query: q < 0 ? "" : request.url.slice(q + 1), headers }
    if (!config.detectionScanBody) return Effect.succeed(base)
    const declared = headers["content-length"]
    if (declared === undefined) {
      // A body of unknown size (chunked) is read only under the cap the application's own read
      // has (`maxRequestSize`): the guard then buffers no more than the application would.
      // Passive mode reads none: a read over the cap would cut the request short.
      const cap = maxBodyOf(config, req)
      if (cap === undefined || config.passiveMode || headers["transfer-encoding"] === undefined) return Effect.succeed(base)
      const kind = bodyKind(headers["content-type"])
      return kind === undefined ? Effect.succeed(base) : withBody(request, kind, base, cap)
    }
    const length = Number(declared)
    const kind = Number.isFinite(length) && length > 0 && length <= maxBody ? bodyKind(headers["content-type"]) : undefined
    return kind === undefined ? Effect.succeed(base) : withBody(request, kind, base, undefined)
  }

  const threat = (req: GuardRequest, result: DetectionResult): Effect.Effect<Verdict, StoreError> => {
    const categories = result.categories.length === 0 ? ["uncategorized"] : result.categories
    const policy = autoBanPolicy(env, req)
    const info = triggerInfo(result)
    const metadata = {
      trigger_info: info,
      categories: result.categories,
      pattern_ids: result.patternIds.slice(0, 16),
      threat_score: result.score,
      ...(result.truncated ? { scan_truncated: true, skipped: result.skipped.reasons } : {})
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
      const counts = yield* env.violations.record(req.clientIp, categories[0]!).pipe(
        Effect.catchAll((error) => Effect.as(Effect.logWarning("auto-ban counting skipped: state store unavailable", error.message), { total: 0 }))
      )
      const banned = policy.enabled && counts.total >= policy.threshold
        ? yield* banClient(env, req, policy.duration, `penetration_attempt:${categories[0]}`).pipe(
          Effect.catchAll((error) => Effect.as(Effect.logWarning("auto-ban skipped: state store unavailable", error.message), false))
        )
        : false
      if (banned) {
        yield* Effect.ignore(env.violations.reset(req.clientIp))
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

  return Option.some({
    name: "suspicious_activity",
    onExcludedPaths: false,
    run: (req) => {
      if (req.state.whitelisted || req.route?.settings.bypass?.has("penetration") === true) return pass
      const enabled = req.route?.settings.suspiciousDetection ??
        req.rules?.rules.enablePenetrationDetection ?? config.enablePenetrationDetection
      if (!enabled) return pass
      return flatMapNow(inputOf(req), (input) =>
        flatMapNow(detectNow === undefined ? env.detector.detect(input) : Exit.succeed(detectNow(input)), (result) => {
          if (result.isThreat) return threat(req, result)
          return result.truncated
            ? Effect.zipRight(Effect.logDebug(`request not fully scanned (${result.skipped.reasons.join(", ")})`), pass)
            : pass
        }))
    }
  })
}
