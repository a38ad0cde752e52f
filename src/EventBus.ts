/**
 * Emits security events. Inside a request it fills in what the request knows (client IP, user agent,
 * endpoint, method, country when a `GeoIpLookup` is present, and the incoming `traceparent` /
 * `tracestate` in metadata); outside one the caller says what it knows. A muted type returns before
 * anything is built, and emission never blocks or fails the caller.
 *
 * @since 0.1.0
 */
import { HttpServerRequest } from "@effect/platform"
import { Context, Effect, type Fiber, Layer, Option, type Types } from "effect"
import { randomUUID } from "node:crypto"
import { ClientIp, type ClientIpInput, type ClientIpOptions, type ClientIpResolution, makeClientIpResolver, UNKNOWN_CLIENT_IP } from "./ClientIp.js"
import { currentEvaluation } from "./internal/evaluation.js"
import { CompositeHandler } from "./CompositeHandler.js"
import type { EventType } from "./EventTypes.js"
import type { GeoIpLookup } from "./GeoIpLookup.js"
import { GuardConfig, type GuardConfigShape } from "./GuardConfig.js"
import { pathOf } from "./internal/path.js"
import { SecurityEvent } from "./SecurityEvent.js"

/**
 * What the emitter says about an event; the rest comes from the request in context.
 *
 * @since 0.1.0
 * @category models
 */
export interface EmitOptions {
  readonly actionTaken: string
  readonly reason: string
  readonly metadata?: Readonly<Record<string, unknown>>
  /** Overrides the request's client IP (e.g. `"system"` for events no client caused). */
  readonly ipAddress?: string
  readonly country?: string
  readonly decoratorType?: string
  readonly ruleType?: string
  readonly handlerName?: string
  readonly statusCode?: number
  readonly responseTime?: number
  readonly patternMatched?: string
  readonly endpoint?: string
  readonly method?: string
}

/**
 * @since 0.1.0
 * @category tags
 */
export class EventBus extends Context.Tag("effect-guard/EventBus")<EventBus, {
  /** Builds the event from `options` and the current request, and hands it to the composite. */
  readonly emit: (eventType: EventType, options: EmitOptions) => Effect.Effect<void>
  /** Whether `eventType` is muted (callers may skip building expensive metadata). */
  readonly isMuted: (eventType: EventType) => boolean
}>() {
  /**
   * The bus in front of the `CompositeHandler`: muted types are never built, and a request the guard
   * did not resolve names its client by `clientIp` (the guard's trusted proxies). `geoIp`, when
   * given, fills in the events' `country`.
   *
   * @since 0.2.0
   */
  static layer(options: EventBusOptions): Layer.Layer<EventBus, never, CompositeHandler> {
    return Layer.effect(
      EventBus,
      Effect.gen(function*() {
        const composite = yield* CompositeHandler
        // the composite's mute filter (every type while no exporter runs): a muted event is never built
        return make({
          muted: composite.mutedEventTypes,
          send: composite.sendEvent,
          geo: options.geoIp,
          resolveClientIp: makeClientIpResolver(options.clientIp)
        })
      })
    )
  }

  /**
   * {@link EventBus.layer} with the trusted proxies of `GuardConfig` (no country lookups).
   *
   * @since 0.1.0
   */
  static readonly layerConfig: Layer.Layer<EventBus, never, GuardConfig | CompositeHandler> = Layer.unwrapEffect(
    Effect.map(GuardConfig, (config) => EventBus.layer(optionsFromConfig(config)))
  )
}

/**
 * Options of {@link EventBus.layer}.
 *
 * @since 0.2.0
 * @category models
 */
export interface EventBusOptions {
  /** Who the client of a request the guard did not resolve is: the guard's own proxy rules. */
  readonly clientIp: ClientIpOptions
  /** Fills in the events' `country`. */
  readonly geoIp?: GeoIpLookup["Type"] | undefined
}

/**
 * The bus's options from a decoded `GuardConfig`: `trustedProxies` and `trustedProxyDepth`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const optionsFromConfig = (config: GuardConfigShape): EventBusOptions => ({
  clientIp: { trustedProxies: config.trustedProxies, trustedProxyDepth: config.trustedProxyDepth }
})

type Mutable<A> = Types.Mutable<A>

const TRACE_HEADERS = ["traceparent", "tracestate"] as const

const lookupCountry = (geo: GeoIpLookup["Type"] | undefined, ip: string): Effect.Effect<string | undefined> =>
  geo === undefined || ip === UNKNOWN_CLIENT_IP || ip === ""
    ? Effect.succeed(undefined)
    : geo.country(ip).pipe(
      Effect.map(Option.getOrUndefined),
      Effect.catchAllCause((cause) => Effect.as(Effect.logDebug("country lookup failed for event", cause), undefined))
    )

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: {
  readonly muted: ReadonlySet<EventType>
  readonly send: (event: SecurityEvent) => Effect.Effect<void>
  readonly geo?: GeoIpLookup["Type"] | undefined
  /** Who the client of a request the guard did not resolve is. Default: its socket address. */
  readonly resolveClientIp?: ((input: ClientIpInput) => ClientIpResolution) | undefined
}): EventBus["Type"] => {
  const { geo, muted, send } = options
  const resolveClientIp = options.resolveClientIp ?? makeClientIpResolver({ trustedProxies: [] })
  /**
   * The client the guard resolved for the request this fiber serves (it travels with the fiber, so
   * a middleware inside the guard that rewrites the request's address cannot choose it), else
   * `ClientIp` from the context, else the request's own address.
   */
  const clientIpOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>, request: HttpServerRequest.HttpServerRequest | undefined): string => {
    const evaluated = fiber.getFiberRef(currentEvaluation)
    if (evaluated !== undefined) return evaluated.clientIp
    const context = fiber.currentContext
    const given = Option.getOrUndefined(Context.getOption(context, ClientIp))
    if (given !== undefined || request === undefined) return given ?? UNKNOWN_CLIENT_IP
    return resolveClientIp({ remoteAddress: request.remoteAddress, headers: request.headers }).ip
  }
  // Built in one synchronous step from the fiber's context and clock: emission is on the request path.
  const build = (
    eventType: EventType,
    o: EmitOptions,
    request: HttpServerRequest.HttpServerRequest | undefined,
    ip: string,
    now: number,
    country: string | undefined
  ) => {
    const metadata: Record<string, unknown> = { ...o.metadata }
    if (request !== undefined) {
      // read once: every access builds a fresh copy of the headers
      const headers = request.headers
      for (const name of TRACE_HEADERS) {
        const value = headers[name]
        if (value !== undefined && !(name in metadata)) metadata[name] = value
      }
    }
    const props: Mutable<ConstructorParameters<typeof SecurityEvent>[0]> = {
      idempotencyKey: randomUUID(),
      timestamp: new Date(now),
      eventType,
      ipAddress: ip,
      actionTaken: o.actionTaken,
      reason: o.reason,
      metadata,
      handlerName: o.handlerName ?? (request === undefined ? "guard" : "middleware")
    }
    const userAgent = request?.headers["user-agent"]
    const endpoint = o.endpoint ?? (request === undefined ? undefined : pathOf(request.url))
    const method = o.method ?? request?.method
    if (country !== undefined) props.country = country
    if (userAgent !== undefined) props.userAgent = userAgent
    if (endpoint !== undefined) props.endpoint = endpoint
    if (method !== undefined) props.method = method
    if (o.statusCode !== undefined) props.statusCode = o.statusCode
    if (o.responseTime !== undefined) props.responseTime = o.responseTime
    if (o.decoratorType !== undefined) props.decoratorType = o.decoratorType
    if (o.ruleType !== undefined) props.ruleType = o.ruleType
    if (o.patternMatched !== undefined) props.patternMatched = o.patternMatched
    return new SecurityEvent(props, true)
  }

  const emit = (eventType: EventType, o: EmitOptions): Effect.Effect<void> =>
    muted.has(eventType) ? Effect.void : Effect.clockWith((clock) =>
      Effect.withFiberRuntime((fiber) => {
        const now = clock.unsafeCurrentTimeMillis()
        const request = Option.getOrUndefined(Context.getOption(fiber.currentContext, HttpServerRequest.HttpServerRequest))
        const ip = o.ipAddress ?? clientIpOf(fiber, request)
        if (geo === undefined || o.country !== undefined) return send(build(eventType, o, request, ip, now, o.country))
        return Effect.flatMap(lookupCountry(geo, ip), (country) => send(build(eventType, o, request, ip, now, country)))
      })
    ).pipe(Effect.catchAllCause((cause) => Effect.logError("failed to emit security event", cause)))
  return EventBus.of({ emit, isMuted: (t) => muted.has(t) })
}
