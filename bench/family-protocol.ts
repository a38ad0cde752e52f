/**
 * Cost of the protocol, ldap and orm families alone, without the engine: the time to scan one 10 KB
 * string value that holds JSON text (as a JSON body with an embedded document hands it over), and
 * the doubling ratio from 128 KB to 1 MB on adversarial shapes (the cube root of t(1 MB) /
 * t(128 KB): a linear scanner stays near 2, a quadratic one near 4).
 *
 * Run: `npx tsx bench/family-protocol.ts`
 */
import type { DetectionFamily, ValueLocation } from "../src/internal/detection/families/contract.js"
import { family as ldap } from "../src/internal/detection/families/ldap/index.js"
import { family as orm } from "../src/internal/detection/families/orm/index.js"
import { family as protocol } from "../src/internal/detection/families/protocol/index.js"
import { LDAP_SHAPES, ORM_SHAPES, PROTOCOL_SHAPES } from "../test/detection/families/protocolShapes.js"

const scanOnce = (family: DetectionFamily, value: string, location: ValueLocation) => {
  if (family.mayMatch(value)) family.scan(value, { location, paranoia: 4 })
}

/** Mean CPU microseconds per scan over 2,000 scans, best of five (CPU time: a shared machine's preemption is not counted). */
const microseconds = (family: DetectionFamily, value: string, location: ValueLocation): number => {
  let best = Number.POSITIVE_INFINITY
  for (let round = 0; round < 5; round++) {
    const ms = cpuMs(() => {
      for (let i = 0; i < 2000; i++) scanOnce(family, value, location)
    })
    best = Math.min(best, (ms * 1000) / 2000)
  }
  return best
}

function cpuMs(f: () => void): number {
  const start = process.cpuUsage()
  f()
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1000
}

const doubling = (family: DetectionFamily, fragment: string, location: ValueLocation = "body"): number => {
  const shape = (size: number) => Buffer.from(fragment.repeat(Math.ceil(size / fragment.length)).slice(0, size)).toString()
  const small = shape(128 * 1024)
  const large = shape(1024 * 1024)
  let bestSmall = Number.POSITIVE_INFINITY
  let bestLarge = Number.POSITIVE_INFINITY
  for (let i = 0; i < 5; i++) {
    bestSmall = Math.min(bestSmall, cpuMs(() => { for (let k = 0; k < 8; k++) scanOnce(family, small, location) }) / 8)
    bestLarge = Math.min(bestLarge, cpuMs(() => scanOnce(family, large, location)))
  }
  return Math.cbrt(bestLarge / Math.max(bestSmall, 0.01))
}

const record = (i: number) =>
  JSON.stringify({ id: i, name: `user ${i}`, email: `u${i}@example.com`, tags: ["a", "b"], note: "ok (see docs): 50% off", url: "https://example.com/p?x=1" })
let text = "["
for (let i = 0; text.length < 10 * 1024; i++) text += `${i === 0 ? "" : ","}${record(i)}`
text = `${text}]`.slice(0, 10 * 1024)

console.log(`10 KB string value of JSON text (${text.length} chars), microseconds per scan:`)
for (const family of [protocol, ldap, orm]) console.log(`  ${family.name.padEnd(10)}${microseconds(family, text, "body").toFixed(1).padStart(8)}`)

const SHAPES: ReadonlyArray<readonly [string, string]> = [...LDAP_SHAPES, ...PROTOCOL_SHAPES, ["JSON text", text]]
console.log("\nDoubling ratio 128 KB -> 1 MB (linear ~2, quadratic ~4):")
for (const [name, fragment] of SHAPES) {
  console.log(`  ${name.padEnd(30)}protocol ${doubling(protocol, fragment).toFixed(2)}   ldap ${doubling(ldap, fragment).toFixed(2)}`)
}
console.log("\nDoubling ratio of the orm family on names (scanned as keys):")
for (const [name, fragment] of ORM_SHAPES) console.log(`  ${name.padEnd(30)}orm ${doubling(orm, fragment, "key").toFixed(2)}`)
