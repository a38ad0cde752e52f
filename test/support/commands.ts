/**
 * Child processes for the tests that drive npm, node and tsc (the packaging check, the demo). Every
 * command runs in its own process group (platform-node's `CommandExecutor` spawns it detached), under
 * a deadline, and leaves nothing behind: when its scope closes, whatever is left of the group gets
 * SIGTERM, then SIGKILL after a grace period, so a child that ignores SIGTERM cannot hang the suite.
 * The environment drops the variables of the npm and vitest runs that started the suite, so a nested
 * `npm install` reads none of their configuration.
 */
import { Command, type CommandExecutor } from "@effect/platform"
import { Data, Duration, Effect, Fiber, Option, Ref, Schedule, type Scope, Stream } from "effect"
import * as net from "node:net"

/** A command that could not start, exited with an error or outlived its deadline. */
export class CommandFailed extends Data.TaggedError("CommandFailed")<{
  readonly reason: "ExitCode" | "Timeout" | "Spawn"
  readonly command: string
  readonly output: string
}> {
  override get message(): string {
    const what = this.reason === "ExitCode" ? "exited with an error" : this.reason === "Timeout" ? "timed out" : "could not start"
    return `\`${this.command}\` ${what}:\n${tail(this.output)}`
  }
}

export interface CommandOptions {
  readonly cwd: string
  readonly timeout: Duration.DurationInput
  readonly env?: Record<string, string>
}

export interface CommandResult {
  readonly exitCode: number
  /** stdout and stderr, interleaved as written. */
  readonly output: string
  readonly stdout: string
}

/** The last lines of a command's output, enough to see why it failed. */
const tail = (output: string, lines = 60): string => output.trimEnd().split("\n").slice(-lines).join("\n")

const inheritedEnv = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] =>
      entry[1] !== undefined && !/^(npm_|vitest|node_env$|node_options$|init_cwd$|force_color$)/i.test(entry[0])
    )
  )

/** A port nothing listens on right now, for a child server to take. */
export const freePort = Effect.async<number>((resume) => {
  const server = net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** Whether any process of the group `pgid` still exists. */
export const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

const signalGroup = (pgid: number, signal: NodeJS.Signals) =>
  Effect.sync(() => {
    try {
      process.kill(-pgid, signal)
    } catch {
      // the group is gone already
    }
  })

/** Polls until the group is empty, for at most `within`. */
export const awaitGroupGone = (pgid: number, within: Duration.DurationInput) =>
  Effect.sync(() => groupAlive(pgid)).pipe(
    Effect.repeat({ while: (alive) => alive, schedule: Schedule.spaced("50 millis") }),
    Effect.timeoutOption(within),
    Effect.map(Option.isSome)
  )

/**
 * Starts `argv` in its own process group. Closing the scope ends the whole group, whatever state
 * the command left it in (a process that outlived its parent included).
 */
export const start = (
  argv: readonly [string, ...Array<string>],
  options: Omit<CommandOptions, "timeout">
): Effect.Effect<CommandExecutor.Process, CommandFailed, CommandExecutor.CommandExecutor | Scope.Scope> =>
  Command.make(...argv).pipe(
    Command.workingDirectory(options.cwd),
    Command.env({ ...inheritedEnv(), ...options.env }, { extendEnv: false }),
    Command.start,
    Effect.mapError((error) => new CommandFailed({ reason: "Spawn", command: argv.join(" "), output: String(error) })),
    Effect.tap((child) =>
      Effect.addFinalizer(() =>
        Effect.gen(function*() {
          if (!groupAlive(child.pid)) return
          yield* signalGroup(child.pid, "SIGTERM")
          if (!(yield* awaitGroupGone(child.pid, "5 seconds"))) yield* signalGroup(child.pid, "SIGKILL")
        })
      )
    )
  )

/**
 * Appends what the process writes, stdout and stderr interleaved, to `output` as it arrives (so a
 * command that times out still shows what it printed), and stdout alone to `stdout` if given.
 */
export const readOutput = (child: CommandExecutor.Process, output: Ref.Ref<string>, stdout?: Ref.Ref<string>) =>
  Stream.merge(
    child.stdout.pipe(Stream.decodeText(), Stream.map((text) => [text, true] as const)),
    child.stderr.pipe(Stream.decodeText(), Stream.map((text) => [text, false] as const))
  ).pipe(
    Stream.runForEach(([text, isStdout]) =>
      Effect.zipRight(
        Ref.update(output, (printed) => printed + text),
        isStdout && stdout !== undefined ? Ref.update(stdout, (printed) => printed + text) : Effect.void
      )
    ),
    Effect.ignore
  )

/**
 * Runs `argv` to completion within `options.timeout`, whatever its exit code; fails with
 * `CommandFailed` (carrying what it printed) at the deadline, after which its process group is ended.
 */
export const attempt = (
  argv: readonly [string, ...Array<string>],
  options: CommandOptions
): Effect.Effect<CommandResult, CommandFailed, CommandExecutor.CommandExecutor> => {
  const command = argv.join(" ")
  return Effect.scoped(
    Effect.gen(function*() {
      const child = yield* start(argv, options)
      const output = yield* Ref.make("")
      const stdout = yield* Ref.make("")
      const readers = yield* Effect.fork(readOutput(child, output, stdout))
      const exitCode = yield* child.exitCode.pipe(Effect.orElseSucceed(() => -1), Effect.timeoutOption(options.timeout))
      if (Option.isNone(exitCode)) {
        const printed = yield* Ref.get(output)
        const limit = Duration.format(Duration.decode(options.timeout))
        return yield* new CommandFailed({ reason: "Timeout", command, output: `no exit within ${limit}\n${printed}` })
      }
      // A descendant that inherited the pipes can keep them open after the command exits.
      yield* Fiber.join(readers).pipe(Effect.timeoutOption("5 seconds"))
      return { exitCode: exitCode.value, output: yield* Ref.get(output), stdout: yield* Ref.get(stdout) }
    })
  )
}

/** `attempt`, failing with `CommandFailed` on a non-zero exit code too. */
export const run = (
  argv: readonly [string, ...Array<string>],
  options: CommandOptions
): Effect.Effect<CommandResult, CommandFailed, CommandExecutor.CommandExecutor> =>
  attempt(argv, options).pipe(
    Effect.filterOrFail(
      (result) => result.exitCode === 0,
      (result) => new CommandFailed({ reason: "ExitCode", command: argv.join(" "), output: `exit code ${result.exitCode}\n${result.output}` })
    )
  )
