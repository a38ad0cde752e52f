/**
 * The application every server benchmark serves: a small GET and a JSON POST that reads its body.
 */
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"

export const router = HttpRouter.empty.pipe(
  HttpRouter.get("/hello", HttpServerResponse.text("hello")),
  HttpRouter.post("/items", Effect.flatMap(HttpServerRequest.HttpServerRequest, (req) =>
    Effect.map(req.json, (body) => HttpServerResponse.text(`stored ${Object.keys(body as object).length} fields`))))
)
