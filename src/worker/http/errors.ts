/** HTTP errors with a machine-readable code, rendered by the one `app.onError` as `{"error":{"code","message"}}`. */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ConfigError } from "../../shared/config-error";
import { HttpError } from "../../shared/http/http-error";
import { log } from "../../shared/log";

/** An error of the Worker's HTTP interface; the shared toolkit's `HttpError` with the Worker's codes. */
export class ApiError extends HttpError {
  constructor(status: ContentfulStatusCode, code: string, message: string) {
    super(status, code, message);
  }
}

/** Renders every error as JSON; a user's mistake is never a 500, and internals are never shown. */
export function renderError(err: Error, c: Context): Response {
  if (err instanceof HttpError) return c.json(err.toBody(), err.status, err.headers);
  if (err instanceof HTTPException) {
    return c.json({ error: { code: codeFor(err.status), message: err.message || "request failed" } }, err.status as ContentfulStatusCode);
  }
  if (err instanceof ConfigError) {
    log.error("config.error", { message: err.message });
    return c.json({ error: { code: "config_error", message: err.message } }, 500);
  }
  log.error("request.unhandled", { method: c.req.method, path: c.req.path, error: err });
  return c.json({ error: { code: "internal", message: "internal error; the request was not processed" } }, 500);
}

function codeFor(status: number): string {
  return (
    (
      {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        413: "payload_too_large",
        415: "unsupported_media_type",
      } as Record<number, string>
    )[status] ?? "error"
  );
}
