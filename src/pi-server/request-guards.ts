/**
 * Checks every request passes before routing, besides the token (auth.ts): the shape of the request
 * target, no browser, JSON bodies only, and not too much of them. The agent behind this server has a shell, so anything
 * ambiguous is refused rather than interpreted.
 */
import type { HttpBindings } from "@hono/node-server";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { BackendError, TooLargeError } from "./errors";

/** When served by @hono/node-server the raw Node request is available as `c.env.incoming`. */
export type BackendEnv = { Bindings: Partial<HttpBindings> };

/**
 * Why a request target (path and query as sent on the request line) is refused, or undefined when
 * its shape is fine. Clients and the URL parser disagree about these shapes (the parser resolves
 * `/x/%2E%2E/v1` to `/v1`, an absolute-form target to its path), and an id of `..` would address
 * another route; our client never sends any of them.
 */
export function requestTargetProblem(target: string): string | undefined {
  if (!target.startsWith("/")) return "send the request target as a path such as /v1/sessions, not an absolute URL";
  const path = target.split("?", 1)[0]!;
  if (/%(2f|2e|5c)/i.test(path) || path.includes("\\")) {
    return "the path must not contain encoded slashes, dots or backslashes (%2F, %2E, %5C); ids never need them";
  }
  if (path === "/") return undefined;
  for (const segment of path.slice(1).split("/")) {
    if (segment === "") return "the path must not contain empty segments (// or a trailing /)";
    if (segment === "." || segment === "..") return 'the path must not contain "." or ".." segments';
  }
  return undefined;
}

/** 400 for a request target of a refused shape, judged on the raw target before the URL parser normalises it. */
export const checkRequestTarget = createMiddleware<BackendEnv>(async (c, next) => {
  const problem = requestTargetProblem(rawTarget(c));
  if (problem) throw new BackendError(400, "invalid_request", problem);
  await next();
});

/** 403 for any request with an `Origin` header: only browsers send one, and the Worker never does. */
export const refuseBrowsers = createMiddleware<BackendEnv>(async (c, next) => {
  if (c.req.header("origin") !== undefined) {
    throw new BackendError(
      403,
      "forbidden_origin",
      "requests from web pages are refused: the pi backend serves only the Worker, which sends no Origin header",
    );
  }
  await next();
});

const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

/** 415 for a POST that is not `application/json`: a page cannot send that cross-origin without a preflight. */
export const requireJsonPosts = createMiddleware<BackendEnv>(async (c, next) => {
  if (c.req.method === "POST" && !JSON_CONTENT_TYPE.test(c.req.header("content-type") ?? "")) {
    throw new BackendError(415, "unsupported_media_type", "send POST bodies as JSON with Content-Type: application/json");
  }
  await next();
});

/**
 * 413 past `maxBytes`. A declared Content-Length is judged from the header alone: touching the body
 * would start node-server streaming it into a web stream nobody reads, and the connection could
 * then not be reused. A chunked body is counted as it streams in (hono's bodyLimit), so it is
 * never held whole: at most `maxBytes` are buffered before the 413.
 */
export function limitBody(maxBytes: number) {
  const countWhileStreaming = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new TooLargeError(maxBytes);
    },
  });
  return createMiddleware<BackendEnv>(async (c, next) => {
    if (c.req.header("transfer-encoding") !== undefined) return countWhileStreaming(c, next);
    if (Number(c.req.header("content-length") ?? 0) > maxBytes) throw new TooLargeError(maxBytes);
    await next();
  });
}

/** The request target as the client sent it; outside node-server (app.request in tests), the path and query of the URL. */
function rawTarget(c: Context<BackendEnv>): string {
  const sent = c.env?.incoming?.url;
  if (sent !== undefined) return sent;
  const url = c.req.url;
  const pathStart = url.indexOf("/", url.indexOf("://") + 3);
  return pathStart === -1 ? "/" : url.slice(pathStart);
}
