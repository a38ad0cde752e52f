import { describe, expect, it } from "@effect/vitest"
import { toAttributeValue } from "../../src/exporters/internal/telemetryShape.js"

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
