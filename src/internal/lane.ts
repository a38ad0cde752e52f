/**
 * A lane: a bounded buffer that never blocks its producers (a full lane drops and counts), drained
 * in batches by one background fiber, with a way to wait until everything offered so far has been
 * handled.
 *
 * A batch's fixed price (a fiber wake-up, and for an exporter its timeout) is paid once for every
 * item that arrived within {@link LINGER_MS} of the first. The buffer is a plain array owned by the
 * lane rather than an Effect `Queue`: `offer` runs on the request fiber and must stay one
 * synchronous step, and a `Queue` built a chain of `Chunk`s for every batch it handed over.
 *
 * @internal
 */
import { Clock, Deferred, Duration, Effect, MutableRef, Ref, Scheduler, type Scope } from "effect"

/**
 * How long a batch waits for more items after its first. Telemetry is not urgent (an OTLP span
 * processor holds spans for seconds); at a few thousand requests a second this gathers dozens of
 * requests per batch, which is what makes telemetry cheap per request.
 */
export const LINGER_MS = 20

export interface Lane<A> {
  /** `false` when the lane was full and `a` was dropped. Never blocks. */
  readonly offer: (a: A) => Effect.Effect<boolean>
  /** The same as `offer`, for callers already inside a synchronous step. */
  readonly unsafeOffer: (a: A) => boolean
  /** Completes once every item offered before the call has been handled; waiting items go at once. */
  readonly awaitIdle: Effect.Effect<void>
  readonly dropped: Effect.Effect<number>
  readonly pending: Effect.Effect<number>
}

/**
 * Telemetry fibers drain on their own scheduler, in the event loop's check phase (after I/O):
 * sharing the default one would keep its microtask chain busy and push request fibers onto 1 ms
 * timers under load. It asks whether to yield with the default scheduler's own function: the fiber
 * loop calls it before every step of every fiber, and with one function behind that call V8 inlines
 * it, where a second one (`makeBatched`'s default) made it a call of its own on every step of every
 * request (a GET under callgrind: 480 K -> 470 K instructions).
 */
const LANE_SCHEDULER = Scheduler.makeBatched((runBatch) => setImmediate(runBatch), Scheduler.defaultScheduler.shouldYield)

/** The machine's clock. */
const wallClock = Clock.make()

export const makeLane = <A>(options: {
  readonly name: string
  /** The most payloads the lane holds, counted with `weigh`. */
  readonly capacity: number
  /** How many payloads one item carries (default 1): a run of metrics travels as one item. */
  readonly weigh?: ((a: A) => number) | undefined
  readonly maxBatch?: number
  /** How long a batch waits for more items after its first (default {@link LINGER_MS}). */
  readonly lingerMs?: number
  /**
   * The clock the linger runs on. Default: the machine's, whatever `Clock` the fiber has, so a
   * `TestClock` in an application's tests cannot stall its telemetry; a lane's own tests pass theirs.
   */
  readonly clock?: Clock.Clock | undefined
  /** Handles what was waiting, in order (at most `maxBatch` at a time). */
  readonly handle: (batch: ReadonlyArray<A>) => Effect.Effect<void>
}): Effect.Effect<Lane<A>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const weigh = options.weigh ?? (() => 1)
    const maxBatch = options.maxBatch ?? 256
    const linger = Duration.millis(options.lingerMs ?? LINGER_MS)
    const clock = options.clock ?? wallClock
    // Offered and not yet handled. Mutable on purpose: producers push from inside their own
    // synchronous step; only the worker removes, when it runs.
    const items: Array<A> = []
    const pending = MutableRef.make(0)
    const dropped = MutableRef.make(0)
    const waiters = yield* Ref.make<ReadonlyArray<Deferred.Deferred<void>>>([])
    // the worker's wake-up while it waits: for a first item, or (lingering) for a reason to stop
    const wake = MutableRef.make<{ readonly until: "items" | "ready"; readonly resume: () => void } | undefined>(undefined)
    // someone awaits idleness: waiting items go without lingering
    const hurried = MutableRef.make(false)

    /** A batch goes without lingering: it is full, or someone awaits idleness. */
    const ready = (): boolean => items.length >= maxBatch || MutableRef.get(hurried)

    /** Wakes the worker if what it waits for has happened. Called on every offer: one synchronous step. */
    const schedule = (): void => {
      const waiting = MutableRef.get(wake)
      if (waiting === undefined || items.length === 0) return
      if (waiting.until === "items" || ready()) {
        MutableRef.set(wake, undefined)
        waiting.resume()
      }
    }

    const waitFor = (until: "items" | "ready") =>
      Effect.async<void>((resume) => {
        MutableRef.set(wake, { until, resume: () => resume(Effect.void) })
        schedule()
        return Effect.sync(() => MutableRef.set(wake, undefined))
      })

    // The items are taken when the worker runs, so an interrupted worker loses none.
    const nextBatch = Effect.gen(function*() {
      yield* waitFor("items")
      if (!ready()) yield* Effect.raceFirst(clock.sleep(linger), waitFor("ready"))
      return items.splice(0, maxBatch)
    })

    const wakeIfIdle = Effect.suspend(() => {
      if (MutableRef.get(pending) > 0) return Effect.void
      MutableRef.set(hurried, false)
      return Effect.flatMap(Ref.getAndSet(waiters, []), (ds) => Effect.forEach(ds, (d) => Deferred.succeed(d, undefined), { discard: true }))
    })

    const loop = Effect.gen(function*() {
      const batch = yield* nextBatch
      yield* Effect.catchAllCause(options.handle(batch), (cause) => Effect.logError(`telemetry lane ${options.name}: handler failed`, cause))
      let handled = 0
      for (const item of batch) handled += weigh(item)
      MutableRef.update(pending, (n) => n - handled)
      yield* wakeIfIdle
    }).pipe(Effect.forever)

    yield* Effect.forkScoped(Effect.withScheduler(loop, LANE_SCHEDULER))

    const unsafeOffer = (a: A): boolean => {
      const weight = weigh(a)
      if (MutableRef.get(pending) + weight > options.capacity) {
        MutableRef.update(dropped, (n) => n + weight)
        return false
      }
      MutableRef.update(pending, (n) => n + weight)
      items.push(a)
      schedule()
      return true
    }

    const awaitIdle = Effect.gen(function*() {
      if (MutableRef.get(pending) === 0) return
      const d = yield* Deferred.make<void>()
      yield* Ref.update(waiters, (ds) => [...ds, d])
      yield* Effect.sync(() => {
        MutableRef.set(hurried, true)
        schedule()
      })
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
