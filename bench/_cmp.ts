import { engineSettings, makeEngine } from "../src/internal/detection/engine.js"
import * as old from "/tmp/oldeng/src/internal/detection/engine.js"
let seed = 42
const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647
const WORDS = "the quick brown fox jumps over a lazy dog please select an option from our list and update your profile settings today it's great".split(" ")
const sentence = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(" ")
const items: Array<unknown> = []
while (JSON.stringify(items).length < 10_000) items.push({ id: Math.floor(random() * 1e6), name: sentence(4), description: sentence(18), email: `user${items.length}@example.com`, url: `https://example.com/items/${items.length}?ref=feed`, tags: ["sale", "new"], price: 1.5 })
const json = { path: "/api/v1/items/bulk", headers: { "content-type": "application/json" }, body: { kind: "json" as const, text: JSON.stringify({ items }) } }
const get = { path: "/api/v1/products/1234", query: "page=2&sort=price_asc&category=shoes&q=running+shoes", headers: { host: "shop.example.com", "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", accept: "application/json", "accept-language": "en-US,en;q=0.9", "sec-ch-ua": "\"Chromium\";v=\"124\", \"Not-A.Brand\";v=\"99\"", authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl", "x-request-id": "4bf92f3577b34da6a3ce929d0e0e4736", "x-client-version": "5.2.1", cookie: "session=s%3Aabc123def456; theme=dark; _ga=GA1.2.123.456" } }
const engines = { new: makeEngine(engineSettings({}, [])), old: old.makeEngine(old.engineSettings({}, [])) }
const best: Record<string, number> = {}
for (let round = 0; round < 8; round++) {
  for (const [name, e] of Object.entries(engines)) {
    for (const [label, input, n] of [["get", get, 20000], ["json", json, 400]] as const) {
      const t = performance.now(); for (let i = 0; i < n; i++) e(input as never)
      const us = (performance.now() - t) * 1000 / n
      const k = `${name} ${label}`; best[k] = Math.min(best[k] ?? Infinity, us)
    }
  }
}
for (const [k, v] of Object.entries(best)) console.log(k, v.toFixed(1))
console.log("json new/old", (best["new json"]! / best["old json"]!).toFixed(2), "get new/old", (best["new get"]! / best["old get"]!).toFixed(2))
