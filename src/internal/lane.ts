/**
 * A lane: a bounded queue that never blocks its producers (a full lane drops and counts), drained by
 * one background fiber, with a way to wait until everything offered so far has been handled.
 *
 * @internal
 */
import { Deferred, Effect, Queue, Ref, type Scope } from "effect"

export interface Lane<A> {
  /** `false` when the lane was full and `a` was dropped. Never blocks. */
  readonly offer: (a: A) => Effect.Effect<boolean>
  /** Completes once every item offered before the call has been handled. */
  readonly awaitIdle: Effect.Effect<void>
  readonly dropped: Effect.Effect<number>
  readonly pending: Effect.Effect<number>
}

export const makeLane = <A>(options: {
  readonly name: string
  readonly capacity: number
  readonly maxBatch?: number
  readonly handle: (a: A) => Effect.Effect<void>
}): Effect.Effect<Lane<A>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* Queue.dropping<A>(options.capacity)
    const pending = yield* Ref.make(0)
    const dropped = yield* Ref.make(0)
    const waiters = yield* Ref.make<ReadonlyArray<Deferred.Deferred<void>>>([])

    const wakeIfIdle = Effect.flatMap(Ref.get(pending), (n) =>
      n > 0 ? Effect.void : Effect.flatMap(Ref.getAndSet(waiters, []), (ds) => Effect.forEach(ds, (d) => Deferred.succeed(d, undefined), { discard: true })))

    const worker = Effect.gen(function*() {
      const batch = yield* Queue.takeBetween(queue, 1, options.maxBatch ?? 256)
      for (const item of batch) {
        yield* Effect.catchAllCause(options.handle(item), (cause) =>
          Effect.logError(`telemetry lane ${options.name}: handler failed`, cause))
      }
      yield* Ref.update(pending, (n) => n - batch.length)
      yield* wakeIfIdle
    }).pipe(Effect.forever)

    yield* Effect.forkScoped(worker)
    yield* Effect.addFinalizer(() => Queue.shutdown(queue))

    const offer = (a: A) =>
      Effect.flatMap(Ref.update(pending, (n) => n + 1), () =>
        Effect.flatMap(Queue.offer(queue, a), (accepted) =>
          accepted ? Effect.succeed(true) : Ref.update(pending, (n) => n - 1).pipe(
            Effect.zipRight(Ref.update(dropped, (n) => n + 1)),
            Effect.as(false)
          )))

    const awaitIdle = Effect.gen(function*() {
      if ((yield* Ref.get(pending)) === 0) return
      const d = yield* Deferred.make<void>()
      yield* Ref.update(waiters, (ds) => [...ds, d])
      // the worker may have gone idle between the read above and the registration
      yield* wakeIfIdle
      yield* Deferred.await(d)
    })

    return { offer, awaitIdle, dropped: Ref.get(dropped), pending: Ref.get(pending) }
  })
