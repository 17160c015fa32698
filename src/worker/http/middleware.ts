/** Middleware shared by the authenticated routes. */

import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { requireBearer } from "../../shared/http/bearer";
import { jsonBodyReader } from "../../shared/http/json-body";
import { secret } from "../config/config";
import type { Env } from "../config/env";
import { ApiError } from "./errors";

/** Largest request body the Worker accepts, on /api and on the webhooks (the pi server's is PROTOCOL_MAX_BODY_BYTES). */
export const API_MAX_BODY_BYTES = 64 * 1024;

/**
 * Refuses a request another web site's page sent from someone's browser: such a page could
 * otherwise make the browser of a token holder talk to the agent. Requests without Origin
 * (curl, servers) and pages this Worker serves itself pass.
 */
export const rejectForeignOrigin = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const origin = c.req.header("origin");
  if (origin !== undefined && origin !== new URL(c.req.url).origin) {
    throw new ApiError(403, "forbidden_origin", `requests from ${origin} are not allowed; call the API from a server or the command line`);
  }
  await next();
});

/** `Authorization: Bearer <API_TOKEN>`, compared in constant time; a short API_TOKEN is a config_error, never a weak lock. */
export const requireApiToken = requireBearer<{ Bindings: Env }>({
  expected: (c) => secret(c.env, "API_TOKEN"),
  reject: () => new ApiError(401, "unauthorized", "missing or wrong bearer token (Authorization: Bearer <API_TOKEN>)"),
});

/**
 * POSTs (and PATCHes) must say `Content-Type: application/json`: a browser sends that only after a CORS
 * preflight, which nothing here answers, so a cross-site form or `text/plain` fetch cannot post.
 */
export const requireJsonPost = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  if ((c.req.method === "POST" || c.req.method === "PATCH") && !isJson(c.req.header("content-type"))) {
    throw new ApiError(415, "unsupported_media_type", `${c.req.method} bodies must be sent with Content-Type: application/json`);
  }
  await next();
});

/** `application/json`, with or without parameters such as `; charset=utf-8`. */
function isJson(contentType: string | undefined): boolean {
  return /^application\/json\s*(;|$)/i.test(contentType ?? "");
}

/** Refuses bodies over API_MAX_BODY_BYTES, whether or not Content-Length says so. */
export const limitBody = bodyLimit({
  maxSize: API_MAX_BODY_BYTES,
  onError: () => {
    throw new ApiError(413, "payload_too_large", `request body is larger than ${API_MAX_BODY_BYTES} bytes`);
  },
});

/** Reads, parses and validates a JSON body: 400 `invalid_json`, or 400 `invalid_field` naming the field. */
export const readBody = jsonBodyReader({
  notJson: { code: "invalid_json", message: "request body is not valid JSON" },
  invalidField: "invalid_field",
});
