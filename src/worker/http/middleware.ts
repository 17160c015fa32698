/** Middleware shared by the authenticated routes. */
import { createMiddleware } from "hono/factory";
import { bodyLimit } from "hono/body-limit";
import { secret } from "../config/config";
import type { Env } from "../config/env";
import { secretsEqual } from "./timing-safe";
import { ApiError } from "./errors";

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 64 * 1024;

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
export const requireApiToken = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const expected = secret(c.env, "API_TOKEN");
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match || !(await secretsEqual(match[1]!.trim(), expected))) {
    throw new ApiError(401, "unauthorized", "missing or wrong bearer token (Authorization: Bearer <API_TOKEN>)");
  }
  await next();
});

/**
 * POSTs must say `Content-Type: application/json`: a browser sends that only after a CORS
 * preflight, which nothing here answers, so a cross-site form or `text/plain` fetch cannot post.
 */
export const requireJsonPost = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  if (c.req.method === "POST" && !isJson(c.req.header("content-type"))) {
    throw new ApiError(415, "unsupported_media_type", "POST bodies must be sent with Content-Type: application/json");
  }
  await next();
});

/** `application/json`, with or without parameters such as `; charset=utf-8`. */
function isJson(contentType: string | undefined): boolean {
  return /^application\/json\s*(;|$)/i.test(contentType ?? "");
}

/** Refuses bodies over MAX_BODY_BYTES, whether or not Content-Length says so. */
export const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new ApiError(413, "payload_too_large", `request body is larger than ${MAX_BODY_BYTES} bytes`);
  },
});

/** Reads and parses a JSON body, answering 400 on malformed JSON. */
export async function readJson(req: { text(): Promise<string> }): Promise<unknown> {
  const text = await req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "invalid_json", "request body is not valid JSON");
  }
}
