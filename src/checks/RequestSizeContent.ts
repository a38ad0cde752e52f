/**
 * `request_size_content`: refuses a declared body larger than the route's (or the global)
 * `maxRequestSize` with 413, an unparseable `Content-Length` with 400, and a content type outside
 * the route's `allowedContentTypes` with 415. A body sent without `Content-Length` (chunked), and
 * any body of a web request (whose stream no parser holds to its header), is read up to the cap
 * first and left for the application, so that one over the cap gets a 413 too: on a Node server the
 * platform's own capped read would reset the connection, and a web handler's read has no cap at all.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { anyRoute, type CheckEnv, maxBodyOf, mediaType, pass, peekedBody, refuse, type SecurityCheck } from "../internal/pipeline.js"

/**
 * @since 0.1.0
 * @category checks
 */
export const make = (env: CheckEnv): Option.Option<SecurityCheck> => {
  if (env.config.maxRequestSize === undefined && !anyRoute(env, (s) => s.maxRequestSize !== undefined || s.allowedContentTypes !== undefined)) {
    return Option.none()
  }
  const allowedByRoute = new WeakMap<object, ReadonlySet<string>>()
  return Option.some({
    name: "request_size_content",
    onExcludedPaths: true,
    run: (req) => {
      const settings = req.route?.settings
      const max = maxBodyOf(env.config, req)
      const length = req.headers["content-length"]
      if (length !== undefined && !/^\d{1,15}$/.test(length.trim())) {
        return refuse(env, req, {
          check: "request_size_content",
          event: "content_filtered",
          reason: "Invalid Content-Length header",
          status: 400,
          message: "Invalid Content-Length",
          metadata: { violation_type: "invalid_content_length" },
          emit: { decoratorType: "content_filtering" }
        })
      }
      if (max !== undefined && length !== undefined && Number(length) > max) {
        return refuse(env, req, {
          check: "request_size_content",
          event: "content_filtered",
          reason: `Request size ${length} exceeds limit ${max}`,
          status: 413,
          message: "Request too large",
          metadata: { violation_type: "max_request_size", content_length: Number(length), max_request_size: max },
          emit: { decoratorType: "content_filtering" }
        })
      }
      const allowed = settings?.allowedContentTypes
      if (settings !== undefined && allowed !== undefined) {
        let set = allowedByRoute.get(allowed)
        if (set === undefined) {
          set = new Set(allowed.map((t) => mediaType(t)))
          allowedByRoute.set(allowed, set)
        }
        const type = mediaType(req.headers["content-type"])
        if (!set.has(type)) {
          return refuse(env, req, {
            check: "request_size_content",
            event: "content_filtered",
            reason: `Content type ${JSON.stringify(type)} not allowed`,
            status: 415,
            message: "Unsupported content type",
            metadata: { violation_type: "content_type", content_type: type, allowed_content_types: [...set] },
            emit: { decoratorType: "content_filtering" }
          })
        }
      }
      // Passive mode must leave the request as it came: a body over the cap would be cut short.
      // A body sent without Content-Length (chunked) is measured before anyone reads it, and so is
      // every body of a web request: its stream is the host's, framed by no parser that holds it to
      // the header, and the platform reads it with no cap.
      const measured = max === undefined || env.config.passiveMode || (length !== undefined && req.onNode)
        ? undefined
        : peekedBody(req, max, "discard")
      if (measured === undefined) return pass
      // a web handler's request may stream its body without saying how (no Transfer-Encoding);
      // the client's header goes into exported events, so only its start
      const encoding = req.headers["transfer-encoding"]?.slice(0, 64)
      return Effect.flatMap(measured, (size) =>
        size._tag !== "tooLarge" ? pass : refuse(env, req, {
          check: "request_size_content",
          event: "content_filtered",
          reason: `Request body exceeds limit ${max} (sent without Content-Length)`,
          status: 413,
          message: "Request too large",
          // the rest of the body is discarded, not read: the connection cannot carry another request
          headers: { connection: "close" },
          metadata: {
            violation_type: "max_request_size",
            ...(encoding === undefined ? {} : { transfer_encoding: encoding }),
            bytes_read: size.read,
            max_request_size: max
          },
          emit: { decoratorType: "content_filtering" }
        }))
    }
  })
}
