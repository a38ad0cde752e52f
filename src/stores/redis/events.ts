/**
 * `GuardRedis`'s connection notices as security events: `redis_connection` and `redis_error` with
 * ip `system`, through the `EventBus`, so they are muted, enriched and exported like any other event.
 *
 * A layer of its own because the connection sits below the event pipeline (the enricher's behaviour
 * tracker uses it): the connection publishes, and this layer, built once both exist, forwards.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Queue } from "effect"
import { EventBus } from "../../EventBus.js"
import { GuardRedis } from "../../Redis.js"

/**
 * Forwards every notice, the ones published before it was built included (the last 16), until the
 * scope closes.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { GuardRedis } from "effect-guard/Redis"
 * import { layerRedisEvents } from "effect-guard/stores/redis"
 *
 * const Events = layerRedisEvents.pipe(Layer.provide(GuardRedis.layer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRedisEvents: Layer.Layer<never, never, GuardRedis | EventBus> = Layer.scopedDiscard(
  Effect.gen(function*() {
    const redis = yield* GuardRedis
    const bus = yield* EventBus
    const notices = yield* redis.notices
    yield* Queue.take(notices).pipe(
      Effect.flatMap((notice) =>
        bus.emit(notice.type, {
          actionTaken: notice.actionTaken,
          reason: notice.reason,
          ipAddress: "system",
          handlerName: "redis",
          metadata: notice.metadata
        })
      ),
      Effect.forever,
      Effect.forkScoped
    )
  })
)
