/**
 * `suspicious_activity`: scans the request (path, query, headers, cookies and, when small and
 * textual, the body) with the `ThreatDetector`. A threat counts toward the client's auto-ban; at the
 * threshold the client is banned (403 "IP has been banned"), otherwise the request is refused with
 * 400. Skipped for whitelisted clients, excluded paths and routes that turn detection off.
 *
 * @since 0.1.0
 */
import { HttpIncomingMessage, HttpServerError, type HttpServerRequest } from "@effect/platform"
import { Effect, Exit, Option } from "effect"
import {
  anyRoute,
  autoBanPolicy,
  banClient,
  type CheckEnv,
  flatMapNow,
  type GuardRequest,
  maxBodyOf,
  mediaType,
  pass,
  peekedBody,
  refuse,
  type SecurityCheck,
  type Verdict
} from "../internal/pipeline.js"
import type { StoreError } from "../StoreError.js"
import { type DetectionBody, type DetectionInput, type DetectionResult, syncDetects } from "../ThreatDetector.js"

type TextKind = "json" | "form" | "text"

const bodyKind = (contentType: string | undefined): TextKind | undefined => {
  const type = mediaType(contentType)
  if (type === "application/json" || type.endsWith("+json")) return "json"
  if (type === "application/x-www-form-urlencoded") return "form"
  if (type.startsWith("text/") || type === "application/xml" || type.endsWith("+xml")) return "text"
  return undefined
}

/** platform-node's and the web platform's request: the text of its body, once read, is cached here. */
interface TextCache {
  textEffect?: unknown
}

/** Whether the platform already holds the text of `request`'s body. */
const alreadyRead = (request: HttpServerRequest.HttpServerRequest): boolean => (request as TextCache).textEffect !== undefined

/**
 * Hands the body's text to platform-node's cache of it on this request object, so that the
 * application's `request.text` (and `json`, `urlParamsBody`) takes it instead of reading the body a
 * second time, as it did when the guard read through `request.text`. The bytes stay in the stream
 * too, for a request object without the cache (a mounted router's copy) or a read as a stream. A
 * cap the application puts on its own read (`withMaxBodySize`) still applies, as the platform would.
 */
const holdText = (request: HttpServerRequest.HttpServerRequest, text: string, bytes: number): void => {
  const cache = request as TextCache
  if (!Object.hasOwn(cache, "textEffect") || cache.textEffect !== undefined) return
  cache.textEffect = Effect.flatMap(HttpIncomingMessage.MaxBodySize, (max) =>
    // as platform-node reads a cap: zero is none
    Option.isSome(max) && Number(max.value) > 0 && bytes > Number(max.value)
      ? Effect.fail(new HttpServerError.RequestError({ request, reason: "Decode", cause: new Error("maxBytes exceeded") }))
      : Effect.succeed(text))
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

  /**
   * `base` with the body, read up to `max` bytes and left for the application. A body the guard
   * cannot leave unread (a stream something before the guard reads or has read) is not scanned,
   * unless the platform holds its text for this request already. A read over `max` discards the
   * rest of the body; it never happens to a body the application gets: a declared length on Node is
   * the read's `max`, and a chunked body has been measured under the same cap by
   * `request_size_content`, which runs first and shares its read (over the cap it answers 413).
   */
  const withBody = (req: GuardRequest, kind: TextKind, base: DetectionInput, max: number): Effect.Effect<DetectionInput> => {
    const withText = (text: string): DetectionInput => ({ ...base, body: toBody(kind, text) })
    const read = peekedBody(req, max)
    if (read === undefined) {
      return alreadyRead(req.request)
        ? req.request.text.pipe(
          Effect.map(withText),
          Effect.catchAll((error) => Effect.as(Effect.logDebug(`body not scanned: ${error.message}`), base))
        )
        : Effect.as(Effect.logDebug("body not scanned: it is read by something before the guard"), base)
    }
    return flatMapNow(read, (size) => {
      if (size._tag !== "fits") {
        return Effect.as(Effect.logDebug(`body not scanned: ${size._tag === "tooLarge" ? "over the size cap" : "the stream failed"}`), base)
      }
      const text = size.text()
      // the web platform reads the original (the guard read a clone), with no cap: left as it is
      if (size.fromNode) holdText(req.request, text, size.bytes)
      return Effect.succeed(withText(text))
    })
  }

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
      return kind === undefined ? Effect.succeed(base) : withBody(req, kind, base, cap)
    }
    const length = Number(declared)
    const kind = Number.isFinite(length) && length > 0 && length <= maxBody ? bodyKind(headers["content-type"]) : undefined
    // Node's parser reads exactly the declared length; a web host may not hold a body to it
    return kind === undefined ? Effect.succeed(base) : withBody(req, kind, base, req.onNode ? length : maxBody)
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
      const counts = yield* env.violations.record(req.clientKey, categories[0]!).pipe(
        Effect.catchAll((error) => Effect.as(Effect.logWarning("auto-ban counting skipped: state store unavailable", error.message), { total: 0 }))
      )
      const banned = policy.enabled && counts.total >= policy.threshold
        ? yield* banClient(env, req, policy.duration, `penetration_attempt:${categories[0]}`).pipe(
          Effect.catchAll((error) => Effect.as(Effect.logWarning("auto-ban skipped: state store unavailable", error.message), false))
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
