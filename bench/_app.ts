/**
 * The application every server benchmark serves: a small GET, a JSON POST that reads its body, and
 * the same POST gzip-encoded, which it decodes itself (the platform does not).
 */
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { gunzipSync } from "node:zlib"

export const router = HttpRouter.empty.pipe(
  HttpRouter.get("/hello", HttpServerResponse.text("hello")),
  HttpRouter.post("/items", Effect.flatMap(HttpServerRequest.HttpServerRequest, (req) =>
    Effect.map(req.json, (body) => HttpServerResponse.text(`stored ${Object.keys(body as object).length} fields`)))),
  HttpRouter.post("/items-gz", Effect.flatMap(HttpServerRequest.HttpServerRequest, (req) =>
    Effect.map(req.arrayBuffer, (buffer) => {
      const body = JSON.parse(gunzipSync(new Uint8Array(buffer)).toString("utf8")) as object
      return HttpServerResponse.text(`stored ${Object.keys(body).length} fields`)
    })))
)
