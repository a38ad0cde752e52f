/**
 * What keeps the Logfire Node SDK contained inside a library: every Node auto-instrumentation it would
 * switch on is switched off (the guard must not start tracing the host's HTTP, database or logger
 * calls), and the process listeners it installs are taken off again (the scope does the flushing, and
 * an `unhandledRejection` listener would change how the host process treats unhandled rejections).
 *
 * @internal
 */

/** Every instrumentation `@opentelemetry/auto-instrumentations-node` 0.81 knows, disabled. */
export const DISABLED_AUTO_INSTRUMENTATIONS = {
  "@opentelemetry/instrumentation-amqplib": { enabled: false },
  "@opentelemetry/instrumentation-aws-lambda": { enabled: false },
  "@opentelemetry/instrumentation-aws-sdk": { enabled: false },
  "@opentelemetry/instrumentation-bunyan": { enabled: false },
  "@opentelemetry/instrumentation-cassandra-driver": { enabled: false },
  "@opentelemetry/instrumentation-connect": { enabled: false },
  "@opentelemetry/instrumentation-cucumber": { enabled: false },
  "@opentelemetry/instrumentation-dataloader": { enabled: false },
  "@opentelemetry/instrumentation-dns": { enabled: false },
  "@opentelemetry/instrumentation-express": { enabled: false },
  "@opentelemetry/instrumentation-fs": { enabled: false },
  "@opentelemetry/instrumentation-generic-pool": { enabled: false },
  "@opentelemetry/instrumentation-graphql": { enabled: false },
  "@opentelemetry/instrumentation-grpc": { enabled: false },
  "@opentelemetry/instrumentation-hapi": { enabled: false },
  "@opentelemetry/instrumentation-host-metrics": { enabled: false },
  "@opentelemetry/instrumentation-http": { enabled: false },
  "@opentelemetry/instrumentation-ioredis": { enabled: false },
  "@opentelemetry/instrumentation-kafkajs": { enabled: false },
  "@opentelemetry/instrumentation-knex": { enabled: false },
  "@opentelemetry/instrumentation-koa": { enabled: false },
  "@opentelemetry/instrumentation-lru-memoizer": { enabled: false },
  "@opentelemetry/instrumentation-memcached": { enabled: false },
  "@opentelemetry/instrumentation-mongodb": { enabled: false },
  "@opentelemetry/instrumentation-mongoose": { enabled: false },
  "@opentelemetry/instrumentation-mysql": { enabled: false },
  "@opentelemetry/instrumentation-mysql2": { enabled: false },
  "@opentelemetry/instrumentation-nestjs-core": { enabled: false },
  "@opentelemetry/instrumentation-net": { enabled: false },
  "@opentelemetry/instrumentation-openai": { enabled: false },
  "@opentelemetry/instrumentation-oracledb": { enabled: false },
  "@opentelemetry/instrumentation-pg": { enabled: false },
  "@opentelemetry/instrumentation-pino": { enabled: false },
  "@opentelemetry/instrumentation-redis": { enabled: false },
  "@opentelemetry/instrumentation-restify": { enabled: false },
  "@opentelemetry/instrumentation-router": { enabled: false },
  "@opentelemetry/instrumentation-runtime-node": { enabled: false },
  "@opentelemetry/instrumentation-socket.io": { enabled: false },
  "@opentelemetry/instrumentation-tedious": { enabled: false },
  "@opentelemetry/instrumentation-undici": { enabled: false },
  "@opentelemetry/instrumentation-winston": { enabled: false }
} as const

const PROCESS_EVENTS = ["beforeExit", "SIGTERM", "uncaughtExceptionMonitor", "unhandledRejection"] as const

type ProcessEvent = (typeof PROCESS_EVENTS)[number]

// the four events have different listener signatures; one view of them is enough here
const listenersOf = (name: ProcessEvent): ReadonlyArray<unknown> => process.listeners(name as NodeJS.Signals)
const removeListener = (name: ProcessEvent, listener: unknown): void => {
  process.removeListener(name as NodeJS.Signals, listener as NodeJS.SignalsListener)
}

/**
 * Runs `configure` and removes every listener it added to the process events the Logfire SDK hooks.
 */
export const withoutNewProcessListeners = <A>(configure: () => A): A => {
  const before = new Map(PROCESS_EVENTS.map((name) => [name, new Set(listenersOf(name))]))
  const result = configure()
  for (const name of PROCESS_EVENTS) {
    const known = before.get(name)
    for (const listener of listenersOf(name)) {
      if (known?.has(listener) !== true) removeListener(name, listener)
    }
  }
  return result
}
