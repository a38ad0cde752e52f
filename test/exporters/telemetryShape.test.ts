import { describe, expect, it } from "@effect/vitest"
import { eventToWire } from "../../src/exporters/agent/wire.js"
import { toAttributeValue } from "../../src/exporters/internal/telemetryShape.js"
import { makeEvent } from "../support/events.js"

describe("metadata as span attributes", () => {
  it("primitives stay as they are and absent values are dropped", () => {
    expect(toAttributeValue("x")).toBe("x")
    expect(toAttributeValue(3)).toBe(3)
    expect(toAttributeValue(null)).toBeUndefined()
    expect(toAttributeValue(undefined)).toBeUndefined()
  })

  it("objects become the same JSON-safe text the agent sends: secrets redacted", () => {
    expect(toAttributeValue({ headers: { cookie: "session=1", accept: "*/*" } })).toBe(
      "{\"headers\":{\"cookie\":\"[REDACTED]\",\"accept\":\"*/*\"}}"
    )
  })

  it("a cyclic object is cut instead of throwing", () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic["self"] = cyclic
    expect(toAttributeValue(cyclic)).toBe("{\"a\":1,\"self\":\"[Circular]\"}")
  })
})

describe("non-finite numbers, the same in every exporter", () => {
  it("are null in the agent's JSON, at the top of metadata and nested", () => {
    const event = makeEvent("pattern_detected", { metadata: { ratio: Number.NaN, nested: { limit: Infinity, floor: -Infinity } } })
    const wire = eventToWire(event)
    expect(wire._tag).toBe("Right")
    if (wire._tag === "Right") {
      expect(wire.right["metadata"]).toEqual({ ratio: null, nested: { limit: null, floor: null } })
    }
  })

  it("are no attribute at the top, and null inside an object's JSON text", () => {
    expect(toAttributeValue(Number.NaN)).toBeUndefined()
    expect(toAttributeValue(Infinity)).toBeUndefined()
    expect(toAttributeValue({ limit: Infinity, ratio: Number.NaN, ok: 1 })).toBe("{\"limit\":null,\"ratio\":null,\"ok\":1}")
    expect(toAttributeValue([1, -Infinity])).toBe("[1,null]")
  })
})
