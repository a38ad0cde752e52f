/**
 * `GuardRedis`: one Redis connection (ioredis) shared by the Redis-backed stores, so several instances
 * of a guarded service share rate-limit windows, bans, violation counts and behaviour counts.
 *
 * The connection lives in a `Scope`: it is opened when the layer is built (failing with a clear
 * `StoreError` when Redis is required and cannot be reached) and closed with `QUIT` (then a hard
 * disconnect after a deadline) when the scope ends. While the layer lives, ioredis reconnects with a
 * capped exponential backoff. Commands never wait for a connection (the offline queue is off) and
 * never outlive the command timeout, so every operation either succeeds or fails with a `StoreError`
 * promptly; the guard pipeline then fails open or closed.
 *
 * Connection changes become `redis_connection` / `redis_error` events (ipAddress `"system"`) sent
 * through the `EventBus`, so they are muted, enriched and exported like any other event.
 *
 * ioredis is loaded when the layer is built, never when this module is imported, so applications
 * that do not enable Redis do not need it installed.
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Layer, Option, Redacted, Ref, Runtime } from "effect"
import type { Redis as IORedis, RedisOptions } from "ioredis"
import { createHash } from "node:crypto"
import type { EmitOptions } from "./EventBus.js"
import { EventBus } from "./EventBus.js"
import { GuardConfig, type GuardConfigShape } from "./GuardConfig.js"
import { StoreError } from "./StoreError.js"

/**
 * The ioredis client the stores talk to.
 *
 * @since 0.1.0
 * @category models
 */
export type RedisClient = IORedis

/**
 * @since 0.1.0
 * @category models
 */
export interface GuardRedisOptions {
  /** `redis://` or `rediss://` URL. Default `redis://127.0.0.1:6379`. */
  readonly url?: string | Redacted.Redacted<string>
  /** Prefix of every key. Default `effect_guard:`. */
  readonly prefix?: string
  /** How long connecting may take. Default 2 seconds. */
  readonly connectTimeout?: Duration.DurationInput
  /** How long one command may take before it fails with a `Timeout` `StoreError`. Default 500 ms. */
  readonly commandTimeout?: Duration.DurationInput
  /**
   * Whether the layer fails when Redis cannot be reached at start (default `true`). When `false` the
   * layer starts anyway, operations fail with `StoreError` until the background reconnection
   * succeeds, and a `redis_error` event is reported.
   */
  readonly required?: boolean
  /** ioredis auto-pipelining: commands issued in the same tick share one write. Default `true`. */
  readonly autoPipelining?: boolean
  /** Longest delay between two reconnection attempts. Default 2 seconds. */
  readonly maxReconnectDelay?: Duration.DurationInput
}

/**
 * Runs one Lua script (by `EVALSHA`, falling back to `EVAL` when the server does not have it yet).
 *
 * @since 0.1.0
 * @category models
 */
export type RedisScript = (
  keys: ReadonlyArray<string>,
  args: ReadonlyArray<string | number>
) => Effect.Effect<unknown, StoreError>

/**
 * @since 0.1.0
 * @category tags
 */
export class GuardRedis extends Context.Tag("effect-guard/GuardRedis")<GuardRedis, {
  /** The key prefix (`redisPrefix`). */
  readonly prefix: string
  /** The URL with any credentials removed, safe to log. */
  readonly displayUrl: string
  /** The per-command timeout. */
  readonly commandTimeout: Duration.Duration
  /** `${prefix}${namespace}:${id}`. */
  readonly key: (namespace: string, id: string) => string
  /**
   * Runs `f` on the client. A rejection becomes a `StoreError` (`Timeout`, `Unavailable` or
   * `Protocol`). Every command fails by itself once the command timeout has passed, and at once while
   * the connection is down (no offline queue).
   */
  readonly use: <A>(operation: string, f: (client: RedisClient) => Promise<A>) => Effect.Effect<A, StoreError>
  /** Prepares a Lua script taking `numberOfKeys` keys. */
  readonly script: (name: string, lua: string, numberOfKeys: number) => RedisScript
  /** How many keys exist under `${prefix}${namespace}:` (by `SCAN`, never `KEYS`). */
  readonly countKeys: (namespace: string) => Effect.Effect<number, StoreError>
  /** Whether the connection is ready now. */
  readonly isReady: Effect.Effect<boolean>
  /**
   * Sends connection events to `bus` from now on, including those that happened before (at most 16
   * kept). Done by the layers when an `EventBus` is in context, or by `GuardRedis.layerEvents`.
   */
  readonly reportTo: (bus: EventBus["Type"]) => Effect.Effect<void>
}>() {
  /**
   * Connects on build, quits when the scope ends.
   *
   * @example
   * ```ts
   * import { Layer } from "effect"
   * import { GuardRedis, RateLimitStore } from "effect-guard"
   *
   * const Stores = RateLimitStore.layerRedis.pipe(
   *   Layer.provide(GuardRedis.layer({ url: "redis://127.0.0.1:6379", prefix: "shop:" }))
   * )
   * ```
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (options: GuardRedisOptions = {}): Layer.Layer<GuardRedis, StoreError> =>
    Layer.scoped(GuardRedis, make(options))

  /**
   * From `GuardConfig`: `redisUrl`, `redisPrefix`, `redisConnectTimeoutMs`, `redisCommandTimeoutMs`;
   * Redis is required at start unless `redisFailOpen` is on.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerConfig: Layer.Layer<GuardRedis, StoreError, GuardConfig> = Layer.scoped(
    GuardRedis,
    Effect.flatMap(GuardConfig, (config) => make(optionsFromConfig(config)))
  )

  /**
   * Forwards connection events to the `EventBus` (for compositions where `GuardRedis` is built
   * before the bus, as in `GuardLive`).
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerEvents: Layer.Layer<never, never, GuardRedis | EventBus> = Layer.effectDiscard(
    Effect.gen(function*() {
      const redis = yield* GuardRedis
      const bus = yield* EventBus
      yield* redis.reportTo(bus)
    })
  )
}

/**
 * The `GuardRedis` options a configuration asks for.
 *
 * @since 0.1.0
 * @category constructors
 */
export const optionsFromConfig = (config: GuardConfigShape): GuardRedisOptions => ({
  url: config.redisUrl,
  prefix: config.redisPrefix,
  connectTimeout: Duration.millis(config.redisConnectTimeoutMs),
  commandTimeout: Duration.millis(config.redisCommandTimeoutMs),
  required: !config.redisFailOpen
})

/**
 * A Redis URL with its credentials replaced by `***`, for messages and events.
 *
 * @since 0.1.0
 * @category utils
 */
export const displayRedisUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.username !== "" || parsed.password !== "") {
      parsed.username = "***"
      parsed.password = ""
    }
    return parsed.toString()
  } catch {
    return "<invalid redis url>"
  }
}

/** Escapes the glob characters of `SCAN MATCH`. */
const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, (c) => `\\${c}`)

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** Classifies an ioredis rejection. */
const classify = (error: unknown): StoreError["reason"] => {
  const message = messageOf(error)
  if (/timed? ?out/i.test(message)) return "Timeout"
  if (error instanceof Error && error.name === "ReplyError") return "Protocol"
  return "Unavailable"
}

const MAX_PENDING_NOTICES = 16
const ERROR_REPORT_INTERVAL_MS = 10_000

interface Notices {
  readonly bus: Option.Option<EventBus["Type"]>
  readonly pending: ReadonlyArray<readonly ["redis_connection" | "redis_error", EmitOptions]>
}

const withDeadline = <A>(promise: Promise<A>, millis: number, what: string): Promise<A> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${millis} ms`)), millis)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

/**
 * Opens a connection and builds the service; the connection is closed when the scope ends.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("GuardRedis.make")(function*(options: GuardRedisOptions) {
  const rawUrl = options.url === undefined
    ? "redis://127.0.0.1:6379"
    : Redacted.isRedacted(options.url)
    ? Redacted.value(options.url)
    : options.url
  const displayUrl = displayRedisUrl(rawUrl)
  const prefix = options.prefix ?? "effect_guard:"
  const connectTimeout = Duration.decode(options.connectTimeout ?? "2 seconds")
  const commandTimeout = Duration.decode(options.commandTimeout ?? "500 millis")
  const connectMillis = Math.max(1, Math.round(Duration.toMillis(connectTimeout)))
  const commandMillis = Math.max(1, Math.round(Duration.toMillis(commandTimeout)))
  const maxDelay = Math.max(10, Math.round(Duration.toMillis(options.maxReconnectDelay ?? "2 seconds")))
  const required = options.required ?? true

  const runtime = yield* Effect.runtime<never>()
  const runFork = Runtime.runFork(runtime)
  const notices = yield* Ref.make<Notices>({ bus: Option.none(), pending: [] })
  const lastErrorReport = yield* Ref.make<number | undefined>(undefined)

  const notify = (type: "redis_connection" | "redis_error", emit: EmitOptions): Effect.Effect<void> =>
    Effect.flatMap(
      Ref.modify(notices, (state): [Option.Option<EventBus["Type"]>, Notices] =>
        Option.isSome(state.bus)
          ? [state.bus, state]
          : [Option.none(), { ...state, pending: [...state.pending, [type, emit] as const].slice(-MAX_PENDING_NOTICES) }]),
      Option.match({ onNone: () => Effect.void, onSome: (bus) => bus.emit(type, emit) })
    )

  const reportError = (error: unknown, context: string): Effect.Effect<void> =>
    Effect.gen(function*() {
      // real time: a reporting throttle, not guard logic
      const now = Date.now()
      const report = yield* Ref.modify(lastErrorReport, (last): [boolean, number | undefined] =>
        last === undefined || now - last >= ERROR_REPORT_INTERVAL_MS ? [true, now] : [false, last])
      if (!report) return
      const message = messageOf(error)
      yield* Effect.logWarning(`Redis ${context} failed (${displayUrl}): ${message}`)
      yield* notify("redis_error", {
        actionTaken: "redis_error",
        reason: `Redis ${context} failed: ${message}`,
        ipAddress: "system",
        handlerName: "redis",
        metadata: { url: displayUrl, error: message, operation: context, error_type: classify(error) }
      })
    })

  const { Redis } = yield* Effect.tryPromise({
    try: () => import("ioredis"),
    catch: (cause) =>
      new StoreError({
        reason: "Unavailable",
        message: "enableRedis needs the ioredis package: npm install ioredis",
        cause
      })
  })

  const clientOptions: RedisOptions = {
    lazyConnect: true,
    connectTimeout: connectMillis,
    commandTimeout: commandMillis,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // a command that failed for the caller must not run later: a resent rate-limit hit would count twice
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: options.autoPipelining ?? true,
    retryStrategy: (times) => Math.min(maxDelay, 50 * 2 ** Math.min(times, 16)),
    reconnectOnError: () => false
  }

  const client = yield* Effect.acquireRelease(
    Effect.sync(() => {
      const client = new Redis(rawUrl, clientOptions)
      let readyBefore = false
      let closing = false
      let up = false
      client.on("ready", () => {
        up = true
        const reconnected = readyBefore
        readyBefore = true
        runFork(Effect.zipRight(
          Ref.set(lastErrorReport, undefined),
          Effect.zipRight(
            Effect.logInfo(`Redis ${reconnected ? "reconnected" : "connected"} (${displayUrl})`),
            notify("redis_connection", {
              actionTaken: reconnected ? "reconnected" : "connected",
              reason: reconnected ? "Redis connection re-established" : "Redis connection established",
              ipAddress: "system",
              handlerName: "redis",
              metadata: { url: displayUrl, status: reconnected ? "reconnected" : "connected", prefix }
            })
          )
        ))
      })
      client.on("error", (error: unknown) => {
        if (!closing) runFork(reportError(error, "connection"))
      })
      client.on("close", () => {
        if (closing || !up) return
        up = false
        runFork(Effect.zipRight(
          Effect.logWarning(`Redis connection lost (${displayUrl}); reconnecting`),
          notify("redis_connection", {
            actionTaken: "disconnected",
            reason: "Redis connection lost; reconnecting",
            ipAddress: "system",
            handlerName: "redis",
            metadata: { url: displayUrl, status: "disconnected", prefix }
          })
        ))
      })
      const markClosing = () => {
        closing = true
      }
      return { client, markClosing }
    }),
    ({ client, markClosing }) =>
      Effect.promise(async () => {
        markClosing()
        if (client.status === "end") return
        // only a live socket has an "end" to wait for; between reconnection attempts there is none
        const live = client.status === "ready" || client.status === "connect" || client.status === "connecting"
        const ended = live ? new Promise<void>((resolve) => client.once("end", () => resolve())) : Promise.resolve()
        if (client.status === "ready") await withDeadline(client.quit(), 1000, "QUIT").catch(() => undefined)
        client.disconnect()
        await withDeadline(ended, 1000, "disconnect").catch(() => undefined)
      })
  ).pipe(Effect.map(({ client }) => client))

  yield* Effect.tryPromise({
    try: () => withDeadline(client.connect(), connectMillis + 250, "connect"),
    catch: (cause) => cause
  }).pipe(
    Effect.catchAll((cause) =>
      required
        ? Effect.zipRight(
          Effect.sync(() => client.disconnect()),
          Effect.fail(
            new StoreError({
              reason: classify(cause) === "Timeout" ? "Timeout" : "Unavailable",
              message:
                `Redis is required (enableRedis is on and redisFailOpen is off) but ${displayUrl} could not be reached within ${connectMillis} ms: ${
                  messageOf(cause)
                }`,
              cause
            })
          )
        )
        : Effect.zipRight(
          Effect.logWarning(`Redis at ${displayUrl} is unreachable at start; running degraded and reconnecting`),
          reportError(cause, "connect")
        )
    )
  )

  const bus = yield* Effect.serviceOption(EventBus)
  const reportTo = (bus: EventBus["Type"]): Effect.Effect<void> =>
    Effect.flatMap(
      Ref.getAndSet(notices, { bus: Option.some(bus), pending: [] }),
      (previous) => Effect.forEach(previous.pending, ([type, emit]) => bus.emit(type, emit), { discard: true })
    )
  if (Option.isSome(bus)) yield* reportTo(bus.value)

  // No span per command: measured, a span costs more than a loopback round trip; the stores' own
  // operations (`RateLimitStore.hit`, ...) are traced. ioredis' `commandTimeout` bounds every command.
  const use = <A>(operation: string, f: (client: RedisClient) => Promise<A>): Effect.Effect<A, StoreError> =>
    Effect.tryPromise({
      try: () => f(client),
      catch: (cause) =>
        new StoreError({ reason: classify(cause), message: `Redis ${operation} failed: ${messageOf(cause)}`, cause })
    }).pipe(Effect.tapError((error) => error.reason === "Protocol" ? Effect.void : reportError(error.cause, operation)))

  const script = (name: string, lua: string, numberOfKeys: number): RedisScript => {
    const sha = createHash("sha1").update(lua).digest("hex")
    return (keys, args) =>
      use(name, (client) =>
        client.evalsha(sha, numberOfKeys, ...keys, ...args).catch((error: unknown) =>
          messageOf(error).startsWith("NOSCRIPT")
            ? client.eval(lua, numberOfKeys, ...keys, ...args)
            : Promise.reject(error)
        ))
  }

  const countKeys = (namespace: string) =>
    use("scan", async (client) => {
      const match = `${escapeGlob(prefix)}${escapeGlob(namespace)}:*`
      const seen = new Set<string>()
      let cursor = "0"
      do {
        const [next, keys] = await client.scan(cursor, "MATCH", match, "COUNT", 1000)
        for (const key of keys) seen.add(key)
        cursor = next
      } while (cursor !== "0")
      return seen.size
    })

  return GuardRedis.of({
    prefix,
    displayUrl,
    commandTimeout,
    key: (namespace, id) => `${prefix}${namespace}:${id}`,
    use,
    script,
    countKeys,
    isReady: Effect.sync(() => client.status === "ready"),
    reportTo
  })
})
