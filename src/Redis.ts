/**
 * `GuardRedis`: one Redis connection (ioredis) shared by the Redis-backed stores, so several instances
 * of a guarded service share rate-limit windows, bans, violation counts and behaviour counts.
 *
 * The connection lives in a `Scope`: it is opened when the layer is built (failing with a clear
 * `StoreError` when Redis is required and cannot be reached) and closed with `QUIT` (then a hard
 * disconnect, each within a second) when the scope ends. While the layer lives, ioredis reconnects
 * with a capped exponential backoff.
 *
 * No caller waits on Redis longer than the command timeout, and no request longer than
 * `requestBudget` (1.5 command timeouts) over all its commands, whatever Redis does:
 *
 * - commands never wait for a connection (the offline queue is off): a closed or refused connection
 *   fails at once;
 * - every command is bounded by `Effect.timeout` on the caller's `Clock` (ioredis' own timer starts
 *   only when an auto-pipelined batch is written, which a hung server can delay by a full timeout);
 * - a command that times out marks Redis as not answering: from then on commands fail at once,
 *   without touching the connection, until a background `PING` is answered (or ioredis reconnects);
 * - within a request (an `HttpServerRequest` in context) the time spent waiting on Redis adds up, and
 *   a command gets only what is left of the request's budget.
 *
 * Connection changes are published as {@link RedisNotice}s (the last 16 are replayed to a new
 * subscriber); `layerRedisEvents` (`effect-guard/stores/redis`) turns them into `redis_connection` /
 * `redis_error` events on the `EventBus`. State changes are logged once each.
 *
 * ioredis is loaded when the layer is built, never when this module is imported, so applications
 * that do not enable Redis do not need it installed.
 *
 * @since 0.1.0
 */
import { HttpServerRequest } from "@effect/platform"
import { Clock, Context, Duration, Effect, Either, FiberSet, Layer, Option, PubSub, type Queue, Redacted, Ref, Schedule, type Scope } from "effect"
import type { Redis as IORedis, RedisOptions } from "ioredis"
import { createHash } from "node:crypto"
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
   * How long one request may wait on Redis over all its commands (the guard's checks and the
   * handler's own calls). Default 1.5 command timeouts.
   */
  readonly requestBudget?: Duration.DurationInput
  /** How often Redis is asked whether it answers again after a command timed out. Default 250 ms. */
  readonly probeInterval?: Duration.DurationInput
  /**
   * Whether the layer fails when Redis cannot be reached at start (default `true`). When `false` the
   * layer starts anyway, operations fail with `StoreError` until the background reconnection
   * succeeds, and a `redis_error` notice is published.
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
 * A change of the connection, for the `EventBus` (`layerRedisEvents`) or anyone who listens:
 * `redis_connection` (`connected`, `disconnected`, `reconnected`, `not_answering`, `answering`) or
 * `redis_error` (at most one per 10 s, plus the first of each outage).
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisNotice {
  readonly type: "redis_connection" | "redis_error"
  readonly actionTaken: string
  readonly reason: string
  readonly metadata: Readonly<Record<string, unknown>>
}

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
   * `Protocol`). Fails at once while the connection is down or Redis is known not to answer, and
   * otherwise within the command timeout (less, when the current request has used its budget).
   */
  readonly use: <A>(operation: string, f: (client: RedisClient) => Promise<A>) => Effect.Effect<A, StoreError>
  /** Prepares a Lua script taking `numberOfKeys` keys. */
  readonly script: (name: string, lua: string, numberOfKeys: number) => RedisScript
  /** How many keys exist under `${prefix}${namespace}:` (by `SCAN`, never `KEYS`). */
  readonly countKeys: (namespace: string) => Effect.Effect<number, StoreError>
  /** Whether the connection is ready and Redis answers. */
  readonly isReady: Effect.Effect<boolean>
  /** Connection changes from now on, after the last 16 that happened before. */
  readonly notices: Effect.Effect<Queue.Dequeue<RedisNotice>, never, Scope.Scope>
}>() {
  /**
   * Connects on build, quits when the scope ends.
   *
   * @example
   * ```ts
   * import { Layer } from "effect"
   * import { GuardRedis } from "effect-guard/Redis"
   * import { layerRateLimitStore } from "effect-guard/stores/redis"
   *
   * const Stores = layerRateLimitStore.pipe(
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

const REPLAYED_NOTICES = 16
const ERROR_REPORT_INTERVAL_MS = 10_000
const CLOSE_STEP = Duration.seconds(1)

/**
 * Whether Redis answers: `Down` from a command that timed out (or a lost connection) until a `PING`
 * is answered or ioredis is ready again.
 */
type Health = { readonly _tag: "Up" } | { readonly _tag: "Down"; readonly since: number; readonly why: "not_answering" | "disconnected" }

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
  const budgetMillis = Math.max(commandMillis, Math.round(Duration.toMillis(options.requestBudget ?? Duration.millis(commandMillis * 1.5))))
  const probeInterval = Duration.decode(options.probeInterval ?? "250 millis")
  const maxDelay = Math.max(10, Math.round(Duration.toMillis(options.maxReconnectDelay ?? "2 seconds")))
  const required = options.required ?? true

  // every fiber started from an ioredis callback belongs to the layer's scope
  const run = yield* FiberSet.makeRuntime<never>()
  const notices = yield* PubSub.sliding<RedisNotice>({ capacity: 64, replay: REPLAYED_NOTICES })
  const lastErrorReport = yield* Ref.make<number | undefined>(undefined)
  const health = yield* Ref.make<Health>({ _tag: "Up" })
  /** Milliseconds each request in flight has waited on Redis so far. */
  const waited = new WeakMap<HttpServerRequest.HttpServerRequest, number>()

  const publish = (notice: RedisNotice) => PubSub.publish(notices, notice)
  const connection = (actionTaken: string, reason: string, extra: Record<string, unknown> = {}) =>
    publish({ type: "redis_connection", actionTaken, reason, metadata: { url: displayUrl, status: actionTaken, prefix, ...extra } })

  const reportError = (error: unknown, context: string): Effect.Effect<void> =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const report = yield* Ref.modify(lastErrorReport, (last): [boolean, number | undefined] =>
        last === undefined || now - last >= ERROR_REPORT_INTERVAL_MS ? [true, now] : [false, last])
      if (!report) return
      const message = messageOf(error)
      yield* Effect.logWarning(`Redis ${context} failed (${displayUrl}): ${message}`)
      yield* publish({
        type: "redis_error",
        actionTaken: "redis_error",
        reason: `Redis ${context} failed: ${message}`,
        metadata: { url: displayUrl, error: message, operation: context, error_type: classify(error) }
      })
    })

  /**
   * Marks Redis down; logs and publishes only the change. A server that stopped answering is asked
   * again (`probe`) from a fiber of the layer's that runs only while it is down.
   */
  const markDown = (why: "not_answering" | "disconnected") =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.flatMap(
        Ref.modify(health, (h): [boolean, Health] => (h._tag === "Down" ? [false, h] : [true, { _tag: "Down", since: now, why }])),
        (changed) =>
          !changed ? Effect.void : why === "not_answering"
            ? Effect.all([
              Effect.logWarning(`Redis at ${displayUrl} did not answer within ${commandMillis} ms; its commands fail at once until it answers again`),
              connection("not_answering", `Redis did not answer within ${commandMillis} ms; commands fail at once until it does`),
              Effect.sync(() => run(Effect.repeat(probe, { schedule: Schedule.spaced(probeInterval), until: (up) => up })))
            ], { discard: true })
            : Effect.zipRight(
              Effect.logWarning(`Redis connection lost (${displayUrl}); reconnecting`),
              connection("disconnected", "Redis connection lost; reconnecting")
            )
      ))

  /** Marks Redis up; returns for how long it was down (none if it was up). */
  const markUp = Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Ref.modify(health, (h): [Option.Option<number>, Health] => (h._tag === "Down" ? [Option.some(now - h.since), { _tag: "Up" }] : [Option.none(), h])))

  /** Whether Redis is up: a PING sent now is answered in time (or it is up already). */
  // (runs only once `client` below exists: it is started when a command of the client times out)
  const probe: Effect.Effect<boolean> = Effect.suspend(() =>
    Effect.gen(function*() {
      if ((yield* Ref.get(health))._tag === "Up") return true
      if (client.status !== "ready") return false
        const answered = yield* Effect.tryPromise(() => client.ping()).pipe(Effect.interruptible, Effect.timeout(commandTimeout), Effect.either)
      if (Either.isLeft(answered)) return false
      const downFor = yield* markUp
      if (Option.isSome(downFor)) {
        yield* Effect.logInfo(`Redis at ${displayUrl} answers again after ${downFor.value} ms`)
        yield* connection("answering", `Redis answers again after ${downFor.value} ms`, { down_ms: downFor.value })
      }
      return true
    })
  )

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
        run(Effect.gen(function*() {
          yield* Ref.set(lastErrorReport, undefined)
          const downFor = yield* markUp
          yield* Effect.logInfo(`Redis ${reconnected ? "reconnected" : "connected"} (${displayUrl})${Option.match(downFor, { onNone: () => "", onSome: (ms) => ` after ${ms} ms` })}`)
          yield* connection(reconnected ? "reconnected" : "connected", reconnected ? "Redis connection re-established" : "Redis connection established")
        }))
      })
      client.on("error", (error: unknown) => {
        if (!closing) run(reportError(error, "connection"))
      })
      client.on("close", () => {
        if (closing || !up) return
        up = false
        run(markDown("disconnected"))
      })
      const markClosing = () => {
        closing = true
      }
      return { client, markClosing }
    }),
    ({ client, markClosing }) =>
      Effect.gen(function*() {
        markClosing()
        if (client.status === "end") return
        // only a live socket has an "end" to wait for; between reconnection attempts there is none
        const live = client.status === "ready" || client.status === "connect" || client.status === "connecting"
        const ended = live ? Effect.async<void>((resume) => {
          const done = () => resume(Effect.void)
          client.once("end", done)
          return Effect.sync(() => void client.off("end", done))
        }) : Effect.void
        // a finalizer is uninterruptible: the waits must be made interruptible for their deadlines to cut them
        if (client.status === "ready") yield* Effect.ignore(Effect.timeout(Effect.interruptible(Effect.tryPromise(() => client.quit())), CLOSE_STEP))
        client.disconnect()
        yield* Effect.ignore(Effect.timeout(Effect.interruptible(ended), CLOSE_STEP))
      })
  ).pipe(Effect.map(({ client }) => client))

  yield* Effect.tryPromise({ try: () => client.connect(), catch: (cause) => cause }).pipe(
    Effect.interruptible,
    Effect.timeoutFail({ duration: Duration.millis(connectMillis + 250), onTimeout: () => new Error(`connect timed out after ${connectMillis + 250} ms`) }),
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


  const failFast = (operation: string, why: Health & { readonly _tag: "Down" }) =>
    Effect.fail(
      new StoreError({
        reason: "Unavailable",
        message: why.why === "not_answering"
          ? `Redis ${operation} not sent: Redis did not answer within ${commandMillis} ms and has not answered since`
          : `Redis ${operation} not sent: the connection is down`
      })
    )

  /** The command on the client, bounded by `millis`; a full-length timeout marks Redis down. */
  const command = <A>(operation: string, f: (client: RedisClient) => Promise<A>, millis: number, cut: boolean) =>
    Effect.tryPromise({
      try: () => f(client),
      catch: (cause) => new StoreError({ reason: classify(cause), message: `Redis ${operation} failed: ${messageOf(cause)}`, cause })
    }).pipe(
      // @effect/platform runs a request uninterruptibly, where a timeout would wait for the promise;
      // a promise given up on is safe to leave (its answer is ignored)
      Effect.interruptible,
      Effect.timeoutFail({
        duration: Duration.millis(millis),
        onTimeout: () =>
          new StoreError({
            reason: "Timeout",
            message: cut
              ? `Redis ${operation} cut after ${millis} ms: the request has waited on Redis for ${budgetMillis} ms in all`
              : `Redis ${operation} timed out after ${millis} ms`
          })
      }),
      Effect.tapError((error) =>
        error.reason === "Protocol"
          ? Effect.void
          : Effect.zipRight(cut || error.reason !== "Timeout" ? Effect.void : markDown("not_answering"), reportError(error, operation)))
    )

  // No span per command: measured, a span costs more than a loopback round trip; the stores' own
  // operations (`RateLimitStore.hit`, ...) are traced.
  const use = <A>(operation: string, f: (client: RedisClient) => Promise<A>): Effect.Effect<A, StoreError> =>
    Effect.flatMap(Ref.get(health), (current) => {
      if (current._tag === "Down") return failFast(operation, current)
      return Effect.clockWith((clock) => Effect.withFiberRuntime<A, StoreError>((fiber) => {
        const request = Option.getOrUndefined(Context.getOption(fiber.currentContext, HttpServerRequest.HttpServerRequest))
        if (request === undefined) return command(operation, f, commandMillis, false)
        const before = waited.get(request) ?? 0
        const allowance = Math.min(commandMillis, budgetMillis - before)
        if (allowance <= 0) {
          return Effect.fail(
            new StoreError({ reason: "Timeout", message: `Redis ${operation} not sent: the request has waited on Redis for ${before} ms already` })
          )
        }
        const start = clock.unsafeCurrentTimeMillis()
        return command(operation, f, allowance, allowance < commandMillis).pipe(
          Effect.ensuring(Effect.sync(() => void waited.set(request, before + clock.unsafeCurrentTimeMillis() - start)))
        )
      }))
    })

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
    isReady: Effect.map(Ref.get(health), (h) => h._tag === "Up" && client.status === "ready"),
    notices: PubSub.subscribe(notices)
  })
})
