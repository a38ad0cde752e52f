import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { Effect, Layer, Schema, TestClock } from "effect"
import { GuardTesting, RouteGuard } from "effect-guard"

const Api = HttpApi.make("shop").add(
  HttpApiGroup.make("orders").add(
    HttpApiEndpoint.post("create", "/orders")
      .setPayload(Schema.Struct({ item: Schema.String }))
      .addSuccess(Schema.Struct({ id: Schema.Number }))
      .annotate(RouteGuard, { rateLimit: { requests: 1, window: 300 } })
  )
)
const OrdersLive = HttpApiBuilder.group(Api, "orders", (handlers) => handlers.handle("create", () => Effect.succeed({ id: 1 })))
const ApiLive = HttpApiBuilder.api(Api).pipe(Layer.provide(OrdersLive))

it.effect("an HttpApi endpoint's settings apply, and its payload is scanned", () =>
  Effect.gen(function*() {
    const app = yield* GuardTesting.apiApp
    const order = (item: string) =>
      GuardTesting.request(app, {
        ip: "198.51.100.7",
        method: "POST",
        path: "/orders",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ item })
      })

    const created = yield* order("shoes")
    expect([created.status, JSON.parse(created.body)]).toEqual([200, { id: 1 }])
    expect((yield* order("socks")).status).toBe(429)
    yield* TestClock.adjust("5 minutes")
    expect((yield* order("'; DROP TABLE orders; --")).status).toBe(400)
  }).pipe(Effect.provide(Layer.merge(GuardTesting.layer({}), GuardTesting.layerApi(ApiLive)))))
