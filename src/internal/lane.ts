/**
 * A lane: a bounded queue that never blocks its producers (a full lane drops and counts), drained by
 * one background fiber, with a way to wait until everything offered so far has been handled.
 *
 * The counters are `MutableRef`s because `offer` runs on the request fiber and must stay one
 * synchronous step: no fiber suspension, no allocation beyond the queue node.
 *
 * @internal
 */
import { Chunk, Deferred, Effect, MutableRef, Queue, Ref, Scheduler, type Scope } from "effect"

const LINGER_MS = 5

export interface Lane<A> {
  /** `false` when the lane was full and `a` was dropped. Never blocks. */
  readonly offer: (a: A) => Effect.Effect<boolean>
  /** The same as `offer`, for callers already inside a synchronous step. */
  readonly unsafeOffer: (a: A) => boolean
  /** Completes once every item offered before the call has been handled. */
  readonly awaitIdle: Effect.Effect<void>
  readonly dropped: Effect.Effect<number>
  readonly pending: Effect.Effect<number>
}

export const makeLane = <A>(options: {
  readonly name: string
  /** The most payloads the lane holds, counted with `weigh`. */
  readonly capacity: number
  /** How many payloads one item carries (default 1): a run of metrics travels as one item. */
  readonly weigh?: ((a: A) => number) | undefined
  readonly maxBatch?: number
  /** Handles what was waiting, in order (at most `maxBatch` at a time). */
  readonly handle: (batch: ReadonlyArray<A>) => Effect.Effect<void>
}): Effect.Effect<Lane<A>, never, Scope.Scope> =>
  Effect.gen(function*() {
    // bounded by weight below, not by the number of items
    const queue = yield* Queue.unbounded<A>()
    const weigh = options.weigh ?? (() => 1)
    const pending = MutableRef.make(0)
    const dropped = MutableRef.make(0)
    const waiters = yield* Ref.make<ReadonlyArray<Deferred.Deferred<void>>>([])

    const wakeIfIdle = Effect.suspend(() =>
      MutableRef.get(pending) > 0
        ? Effect.void
        : Effect.flatMap(Ref.getAndSet(waiters, []), (ds) =>
          Effect.forEach(ds, (d) => Deferred.succeed(d, undefined), { discard: true })))

    const maxBatch = options.maxBatch ?? 256
    const worker = Effect.gen(function*() {
      let batch = yield* Queue.takeBetween(queue, 1, maxBatch)
      if (batch.length < maxBatch) {
        // Let a few milliseconds of traffic gather, so that a batch costs its fixed price (a fiber
        // wake-up, an exporter timeout) once for many payloads instead of once per request. A real
        // timer, not `Effect.sleep`: a test clock must not be able to stall delivery.
        yield* Effect.async<void>((resume) => {
          const timer = setTimeout(() => resume(Effect.void), LINGER_MS)
          return Effect.sync(() => clearTimeout(timer))
        })
        batch = Chunk.appendAll(batch, yield* Queue.takeUpTo(queue, maxBatch - batch.length))
      }
      yield* Effect.catchAllCause(options.handle(Chunk.toReadonlyArray(batch)), (cause) =>
        Effect.logError(`telemetry lane ${options.name}: handler failed`, cause))
      let handled = 0
      for (const item of batch) handled += weigh(item)
      MutableRef.update(pending, (n) => n - handled)
      yield* wakeIfIdle
    }).pipe(Effect.forever)

    // Telemetry fibers drain on their own scheduler, in the event loop's check phase (after I/O):
    // sharing the default one would keep its microtask chain busy and push request fibers onto
    // 1 ms timers under load.
    yield* Effect.forkScoped(Effect.withScheduler(worker, Scheduler.makeBatched((runBatch) => setImmediate(runBatch))))
    yield* Effect.addFinalizer(() => Queue.shutdown(queue))

    const unsafeOffer = (a: A): boolean => {
      const weight = weigh(a)
      if (MutableRef.get(pending) + weight > options.capacity || !Queue.unsafeOffer(queue, a)) {
        MutableRef.update(dropped, (n) => n + weight)
        return false
      }
      MutableRef.update(pending, (n) => n + weight)
      return true
    }

    const awaitIdle = Effect.gen(function*() {
      if (MutableRef.get(pending) === 0) return
      const d = yield* Deferred.make<void>()
      yield* Ref.update(waiters, (ds) => [...ds, d])
      // the worker may have gone idle between the read above and the registration
      yield* wakeIfIdle
      yield* Deferred.await(d)
    })

    return {
      offer: (a: A) => Effect.sync(() => unsafeOffer(a)),
      unsafeOffer,
      awaitIdle,
      dropped: Effect.sync(() => MutableRef.get(dropped)),
      pending: Effect.sync(() => MutableRef.get(pending))
    }
  })
