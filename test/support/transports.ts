/**
 * One guarded application reached two ways, so every behaviour is tested on both: a real Node HTTP
 * server on loopback, sent raw requests (the path, method, headers and framing exactly as written,
 * which an HTTP client would normalise), and `HttpApp.toWebHandler`, sent fetch `Request`s.
 */
import { type HttpApi, HttpApiBuilder, HttpApp, type HttpRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Effect, Layer, type Scope } from "effect"
import {
  ClientIp,
  CompositeHandler,
  GuardConfig,
  type GuardConfigInput,
  GuardLive,
  guardMiddleware,
  type GuardServices,
  type SecurityEvent,
  TestExporter
} from "effect-guard"
import * as http from "node:http"
import * as net from "node:net"

/** A request as the attacker writes it. */
export interface Exchange {
  readonly method: string
  /** Sent as written on Node; parsed by `new Request` on the web. */
  readonly path: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string | Uint8Array
  /** Node only: send the body in chunks with `Transfer-Encoding: chunked` (no Content-Length). */
  readonly chunked?: boolean
  /** The client address: the web handler's `ClientIp`; on Node, `X-Forwarded-For` from the loopback proxy. */
  readonly from?: string
}

export interface Reply {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

export interface Transport {
  readonly name: "node" | "web"
  readonly send: (exchange: Exchange) => Effect.Effect<Reply>
  /** Events delivered so far (the composite drained first). */
  readonly events: Effect.Effect<ReadonlyArray<SecurityEvent>>
  /** `host:port` of the Node server; empty on the web. */
  readonly address: string
  /** The guard's services (`IpBans`, `EventBus`, ...), to act as the application would. */
  readonly context: Context.Context<GuardServices>
}

/** The guard's configuration for a transport: Node clients come through the loopback "proxy". */
const withProxy = (config: GuardConfigInput): GuardConfigInput => ({
  enableRateLimiting: false,
  trustedProxies: ["127.0.0.1", "::1"],
  ...config
})

/** What is served: a plain `HttpApp` (a router), or an `HttpApi` with its handlers' layer. */
export type Served =
  | { readonly _tag: "app"; readonly app: HttpApp.Default<unknown, HttpRouter.HttpRouter.DefaultServices> }
  | { readonly _tag: "api"; readonly api: Layer.Layer<HttpApi.Api> }

export interface GuardedOptions {
  readonly config?: GuardConfigInput
  /** Provided to `GuardLive` (routes, geo, ...). */
  readonly guard?: Layer.Layer<never, unknown> | Layer.Layer<any, any>
  /** Provided to the server alone, not to `GuardLive`. */
  readonly server?: Layer.Layer<any, any>
}

const guardLayer = (options: GuardedOptions) =>
  GuardLive.pipe(
    Layer.provideMerge(Layer.mergeAll(TestExporter.layer(), (options.guard ?? Layer.empty) as Layer.Layer<never>)),
    Layer.provideMerge(GuardConfig.layer(withProxy(options.config ?? {})))
  )

const drained = (context: Context.Context<CompositeHandler | TestExporter>) =>
  Effect.zipRight(Context.get(context, CompositeHandler).flush, Context.get(context, TestExporter).events)

const headerRecord = (headers: http.IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]))

/** Sends `exchange` exactly as written; the body is written in two chunks when `chunked`. */
export const rawRequest = (port: number, exchange: Exchange): Effect.Effect<Reply> =>
  Effect.async<Reply>((resume) => {
    const headers: Record<string, string> = { ...exchange.headers }
    if (exchange.from !== undefined) headers["x-forwarded-for"] = exchange.from
    const body = exchange.body === undefined ? undefined : typeof exchange.body === "string" ? Buffer.from(exchange.body) : Buffer.from(exchange.body)
    if (body !== undefined && exchange.chunked !== true && headers["content-length"] === undefined) headers["content-length"] = String(body.length)
    const request = http.request({ host: "127.0.0.1", port, method: exchange.method, path: exchange.path, headers, agent: false }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () =>
        resume(Effect.succeed({ status: response.statusCode ?? 0, headers: headerRecord(response.headers), body: Buffer.concat(chunks).toString("utf8") })))
      response.on("error", () => resume(Effect.succeed({ status: 0, headers: {}, body: "" })))
    })
    // a reset connection is an answer of its own: status 0
    request.on("error", () => resume(Effect.succeed({ status: 0, headers: {}, body: "" })))
    if (body !== undefined && exchange.chunked === true) {
      const half = Math.floor(body.length / 2)
      request.write(body.subarray(0, half))
      request.write(body.subarray(half))
    } else if (body !== undefined) {
      request.write(body)
    }
    request.end()
    return Effect.sync(() => request.destroy())
  })

/**
 * Writes `text` on a fresh connection and returns all the server sends until it closes (or 3 s
 * pass): for requests no HTTP client sends (a broken chunked framing, a body cut short).
 * `halfClose` ends the client's side after writing, as a client that gives up does.
 */
export const rawExchange = (port: number, text: string, options: { readonly halfClose: boolean }): Effect.Effect<string> =>
  Effect.async<string>((resume) => {
    const chunks: Array<Buffer> = []
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(text)
      if (options.halfClose) socket.end()
    })
    const done = () => resume(Effect.succeed(Buffer.concat(chunks).toString("latin1")))
    const timer = setTimeout(() => socket.destroy(), 3_000)
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.on("close", () => {
      clearTimeout(timer)
      done()
    })
    socket.on("error", () => undefined)
    return Effect.sync(() => {
      clearTimeout(timer)
      socket.destroy()
    })
  })

/** The application behind the guard on a real Node server on loopback (port 0). */
export const nodeGuarded = (served: Served, options: GuardedOptions = {}): Effect.Effect<Transport, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const serve = served._tag === "app"
      ? HttpServer.serve(served.app, guardMiddleware)
      : HttpApiBuilder.serve(guardMiddleware).pipe(Layer.provide(served.api))
    const layer = serve.pipe(
      Layer.provide((options.server ?? Layer.empty) as Layer.Layer<never>),
      Layer.provideMerge(guardLayer(options)),
      Layer.provideMerge(NodeHttpServer.layer(http.createServer, { port: 0 }))
    )
    const context = yield* Layer.build(layer as Layer.Layer<CompositeHandler | TestExporter | HttpServer.HttpServer, unknown>)
    const address = Context.get(context, HttpServer.HttpServer).address as HttpServer.TcpAddress
    return {
      name: "node",
      send: (exchange) => rawRequest(address.port, exchange),
      events: drained(context),
      address: `127.0.0.1:${address.port}`,
      context: context as Context.Context<GuardServices>
    }
  })

/** The application behind the guard under `HttpApp.toWebHandler`. */
export const webGuarded = (served: Served, options: GuardedOptions = {}): Effect.Effect<Transport, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const guard = guardLayer(options)
    const server = (options.server ?? Layer.empty) as Layer.Layer<never>
    const built = served._tag === "app"
      ? yield* Effect.gen(function*() {
        const runtime = yield* Layer.toRuntime(Layer.mergeAll(guard, server, NodeHttpServer.layerContext))
        return { handler: HttpApp.toWebHandlerRuntime(runtime)(served.app, guardMiddleware), context: runtime.context }
      })
      : yield* Effect.gen(function*() {
        const context = yield* Layer.build(guard)
        const web = HttpApiBuilder.toWebHandler(
          Layer.mergeAll(served.api, HttpServer.layerContext, server, Layer.succeedContext(context)) as Layer.Layer<HttpApi.Api | HttpServer.HttpServer | HttpRouter.HttpRouter.DefaultServices>,
          { middleware: guardMiddleware as never }
        )
        yield* Effect.addFinalizer(() => Effect.promise(() => web.dispose()))
        return { handler: web.handler as (request: Request, context?: Context.Context<never>) => Promise<Response>, context }
      })
    const send = (exchange: Exchange): Effect.Effect<Reply> =>
      Effect.promise(async () => {
        const init: RequestInit & { duplex?: "half" } = { method: exchange.method, headers: { ...exchange.headers } }
        if (exchange.body !== undefined) {
          // bytes, so that fetch adds no Content-Type the client did not send (as on Node)
          init.body = typeof exchange.body === "string" ? new TextEncoder().encode(exchange.body) : new Uint8Array(exchange.body)
          init.duplex = "half"
        }
        const response = await built.handler(
          new Request(`http://guarded.test${exchange.path}`, init),
          Context.make(ClientIp, exchange.from ?? "198.51.100.1") as Context.Context<never>
        )
        return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() }
      })
    return {
      name: "web",
      send,
      address: "",
      events: drained(built.context as Context.Context<CompositeHandler | TestExporter>),
      context: built.context as Context.Context<GuardServices>
    }
  })

/** Both transports, for `for (const transport of TRANSPORTS)`. */
export const TRANSPORTS = [
  { name: "node", make: nodeGuarded },
  { name: "web", make: webGuarded }
] as const
