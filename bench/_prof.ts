import { engineSettings, makeEngine } from "../src/internal/detection/engine.js"
const e = makeEngine(engineSettings({}, []))
let seed = 42
const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647
const WORDS = "the quick brown fox jumps over a lazy dog please select an option from our list and update your profile settings today it's great".split(" ")
const sentence = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(" ")
const items: Array<unknown> = []
while (JSON.stringify(items).length < 10_000) items.push({ id: Math.floor(random() * 1e6), name: sentence(4), description: sentence(18), email: `user${items.length}@example.com`, url: `https://example.com/items/${items.length}?ref=feed`, tags: ["sale", "new"], price: 1.5 })
const input = { path: "/api/v1/items/bulk", headers: { "content-type": "application/json" }, body: { kind: "json" as const, text: JSON.stringify({ items }) } }
const n = 4000
const t = performance.now(); for (let i = 0; i < n; i++) e(input); console.log("per call us:", (performance.now() - t) * 1000 / n)
