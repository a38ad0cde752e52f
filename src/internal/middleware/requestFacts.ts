/**
 * What the guard learns about a request before its checks run, once: who the client is (trusted
 * proxies only), the path, the route by the router's own rules, whether the path is excluded,
 * whether it came over HTTPS, and whether Node's parser frames its body.
 *
 * @internal
 */
import { HttpRouter, HttpServerRequest } from "@effect/platform"
import { Clock, Context, type Effect, type Fiber, Option } from "effect"
import { IncomingMessage } from "node:http"
import { ClientIp, makeClientIpResolver } from "../../ClientIp.js"
import { forwardedHttps } from "../forwarded.js"
import { makeIpMatcher, makeClientKeys } from "../ip.js"
import { pathOf } from "../path.js"
import type { CheckEnv, GuardRequest } from "../pipeline.js"

/** The facts of one request, and whether an untrusted peer sent `X-Forwarded-For` (its chain). */
export interface RequestFacts {
  readonly req: GuardRequest
  readonly spoofed: string | undefined
}

/** A Node request on a TLS socket (`tls.TLSSocket#encrypted`). */
const socketIsEncrypted = (source: unknown): boolean =>
  source instanceof IncomingMessage && (source.socket as { readonly encrypted?: unknown } | null)?.encrypted === true

/**
 * Whether a request came over HTTPS: a TLS socket on Node, an `https:` URL elsewhere (web handlers
 * get the full URL from their host), or, with `trustXForwardedProto`, `X-Forwarded-Proto: https`
 * from a trusted proxy, read at the client's place in `X-Forwarded-For` (`hop`, see
 * `forwardedHttps`). On Node the URL is the request target as the client wrote it, and a
 * plain-HTTP client may write it `https://host/path` (the absolute form): only the socket counts.
 */
export const makeIsHttps = (config: CheckEnv["config"]) => {
  const proxies = makeIpMatcher(config.trustedProxies.filter((p) => p !== "unix"))
  return (
    request: HttpServerRequest.HttpServerRequest,
    peer: string | undefined,
    headers: Readonly<Record<string, string | undefined>>,
    hop: number
  ): boolean => {
    if (request.source instanceof IncomingMessage ? socketIsEncrypted(request.source) : request.originalUrl.startsWith("https:")) return true
    return config.trustXForwardedProto && peer !== undefined && proxies.matches(peer) && forwardedHttps(headers["x-forwarded-proto"], hop)
  }
}

/** The function that reads a request's facts from its fiber. */
export const makeRequestFacts = (env: CheckEnv, reportUnguarded: (reason: string) => Effect.Effect<void>) => {
  const { config } = env
  const resolveIp = makeClientIpResolver(config)
  const clientKeys = makeClientKeys(config.ipv6Subnet)
  const isHttps = makeIsHttps(config)
  const excludes = config.excludePaths.map((p) => (p.endsWith("/") ? p.slice(0, -1) : p))
  const isExcluded = (path: string) => excludes.length > 0 && excludes.some((p) => path === p || path.startsWith(`${p}/`))

  return (fiber: Fiber.RuntimeFiber<unknown, unknown>): RequestFacts => {
    const context = fiber.currentContext
    const request = Context.unsafeGet(context, HttpServerRequest.HttpServerRequest)
    const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
    // web handlers have no socket: the host can pass the peer address as `ClientIp`
    const peer = Option.getOrUndefined(request.remoteAddress) ?? Option.getOrUndefined(Context.getOption(context, ClientIp))
    // read once: platform-node builds a fresh copy on every access
    const headers = request.headers
    const resolution = resolveIp({ remoteAddress: peer, headers })
    const path = pathOf(request.url)
    const startedAt = clock.unsafeCurrentTimeMillis()
    const routerConfig = fiber.getFiberRef(HttpRouter.currentRouterConfig)
    // the router's own rules, under the router config in force for this request
    const route = env.routes.find(request.method, request.url, routerConfig)
    const req: GuardRequest = {
      reportUnguarded,
      passive: config.passiveMode,
      request,
      headers,
      method: request.method,
      path,
      clientIp: resolution.ip,
      clientKey: clientKeys(resolution.ip),
      routerConfig,
      peerIp: peer,
      route,
      // by the route's pattern when one serves the request: a parametric route (`/:tenant/search`)
      // serving an excluded spelling (`/static/search`) is not an excluded subtree
      excluded: isExcluded(route === undefined ? path : route.path),
      // in force when the request arrived, read without a step
      rules: Option.getOrUndefined(env.rules.currentAt(startedAt)),
      startedAt,
      onNode: request.source instanceof IncomingMessage,
      secure: isHttps(request, peer, headers, resolution.hop ?? 0),
      clock,
      state: { whitelisted: false, country: Option.none(), body: undefined, rateLimits: undefined }
    }
    return { req, spoofed: resolution.spoofSuspected ? (resolution.forwardedChain ?? "") : undefined }
  }
}
