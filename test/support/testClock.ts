/**
 * Ordering proofs for code that waits on timers of its own (command timeouts, request budgets)
 * while talking to real sockets. The code under test runs on a `TestClock` that only the test moves,
 * so "it failed by the time the clock reached the timeout" and "it had not failed one millisecond
 * before" are facts about the code, not about how loaded the machine is. Sockets still take real
 * time: the only wall-clock limit is a generous one that detects a hang.
 */
import { Chunk, Clock, Duration, Effect, Exit, Fiber, Option, TestClock, TestContext } from "effect"

/** Far above anything a loaded machine adds: reaching it means the effect hung. */
export const HANG = Duration.seconds(20)

/** `effect` on a `TestClock` of its own, failing the test if it does not end within {@link HANG} of real time. */
export const onTestClock = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E | Error> =>
  effect.pipe(
    Effect.provide(TestContext.TestContext),
    Effect.timeoutFail({ duration: HANG, onTimeout: () => new Error(`hung for ${Duration.format(HANG)}`) })
  )

/** One real millisecond or so: time for fibers the test clock woke to run. */
export const tick = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 1)))

/**
 * What a fiber the test clock has just woken may take, in real time, to finish. Shorter than what
 * remains of any real timer the tests use (seconds), so a fiber done within it was ended by the
 * test clock.
 */
export const WOKEN = Duration.seconds(1)

const awaitWoken = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, at: string): Effect.Effect<Exit.Exit<A, E>> =>
  Effect.map(
    Effect.raceFirst(
      Effect.map(Fiber.await(fiber), Option.some),
      Effect.as(Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, Duration.toMillis(WOKEN)))), Option.none())
    ),
    Option.getOrElse(() => Exit.die(new Error(`not done when the clock reached ${at}`)))
  )

/** Waits (in real time) until `fiber` is done or has started waiting on the test clock. */
export const waitingOrDone = <A, E>(fiber: Fiber.RuntimeFiber<A, E>): Effect.Effect<void> =>
  Effect.gen(function*() {
    while (Option.isNone(yield* Fiber.poll(fiber)) && (yield* TestClock.sleeps()).length === 0) yield* tick
  })

/** Waits (in real time) until something sleeps on the test clock until `deadline` (ms). */
export const sleepingUntil = (deadline: number): Effect.Effect<void> =>
  Effect.gen(function*() {
    while (!Chunk.some(yield* TestClock.sleeps(), (at) => at === deadline)) yield* tick
  })

/**
 * The exit of `effect` once the test clock has moved by `by`: it must be done then, the clock
 * stopped there (within {@link WOKEN} of real time).
 */
export const exitBy = <A, E>(effect: Effect.Effect<A, E>, by: Duration.DurationInput) =>
  onTestClock(Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    yield* waitingOrDone(fiber)
    yield* TestClock.adjust(by)
    return yield* awaitWoken(fiber, Duration.format(Duration.decode(by)))
  }))

/**
 * The exit of `effect` that waits on the test clock: not done one millisecond before `at`, done at
 * `at`.
 */
export const exitExactlyAt = <A, E>(effect: Effect.Effect<A, E>, at: Duration.DurationInput) =>
  onTestClock(Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    yield* waitingOrDone(fiber)
    const millis = Duration.toMillis(Duration.decode(at))
    yield* TestClock.adjust(Duration.millis(millis - 1))
    // real time for whatever the clock woke to run: still waiting
    for (let i = 0; i < 20; i++) yield* tick
    if (Option.isSome(yield* Fiber.poll(fiber))) return Exit.die(new Error(`done before the clock reached ${millis} ms`))
    yield* TestClock.adjust(Duration.millis(1))
    return yield* awaitWoken(fiber, `${millis} ms`)
  }))

/** The exit of `effect` on a test clock that never moves: it answered without waiting on a timer. */
export const exitWithoutWaiting = <A, E>(effect: Effect.Effect<A, E>) => onTestClock(Effect.exit(effect))

/** `effect`'s exit and how long it took on the current clock (the test clock, under {@link onTestClock}). */
export const clocked = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const exit = yield* Effect.exit(effect)
    return { exit, millis: (yield* Clock.currentTimeMillis) - start }
  })
