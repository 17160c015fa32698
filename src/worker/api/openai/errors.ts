/** Errors of the OpenAI-compatible endpoint in OpenAI's shape: `{"error":{"message","type","param","code"}}`. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { HttpError } from "../../../shared/http/http-error";
import { renderError } from "../../http/errors";

/** OpenAI's error `type` for an HTTP status. */
export function openAiErrorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** An OpenAI-shaped error body; `code` is ours (`invalid_field`, `unauthorized`, `llm_error`...). */
export function openAiError(status: number, code: string, message: string, param: string | null = null) {
  return { error: { message, type: openAiErrorType(status), param, code } };
}

/** The /v1 app's onError: renders what the Worker's onError would, reshaped for OpenAI clients. */
export async function renderOpenAiError(err: Error, c: Context): Promise<Response> {
  const res = renderError(err, c);
  const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
  const param = err instanceof HttpError && typeof err.extra.field === "string" ? err.extra.field : null;
  return c.json(
    openAiError(res.status, body.error.code, body.error.message, param),
    res.status as ContentfulStatusCode,
    Object.fromEntries(res.headers),
  );
}
