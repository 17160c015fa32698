/** The one error shape of both servers: `{"error":{"code","message",...extra}}` with an HTTP status. */
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string } & Record<string, unknown>;
}

/** An error a handler throws to answer `status` with `toBody()`; each server's `onError` renders it. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    /** More fields of the error object, e.g. `field` or `runningTurnId`. */
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The JSON body for this error. */
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}
