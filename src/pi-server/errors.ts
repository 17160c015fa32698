/** Errors the backend answers with, each carrying its HTTP status and protocol error code. */
import { HttpError } from "../shared/http/http-error";
import { FINISHED_TURN_RETENTION_MS, type ProtocolErrorBody, type ProtocolErrorCode } from "../shared/protocol";

/** An error of protocol v1: the shared toolkit's `HttpError`, limited to the protocol's statuses and codes. */
export class BackendError extends HttpError {
  constructor(
    override readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 500 | 503,
    override readonly code: ProtocolErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(status, code, message, extra, headers);
  }

  /** The JSON body for this error. */
  override toBody(): ProtocolErrorBody {
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}

/** 409: another turn is running in this session. */
export class BusyError extends BackendError {
  constructor(runningTurnId: string) {
    super(409, "busy", `turn ${runningTurnId} is still running in this session; wait for it, or abort it`, { runningTurnId });
  }
}

/** 404: the turn is not (or no longer) known. */
export class UnknownTurnError extends BackendError {
  constructor(sessionId: string, turnId: string) {
    const minutes = FINISHED_TURN_RETENTION_MS / 60_000;
    super(
      404,
      "unknown_turn",
      `no turn ${turnId} in session ${sessionId} (finished turns are kept for ${minutes} minutes; a restarted backend forgets them)`,
    );
  }
}

/** 413: the request body is over the limit (counted while it streams in). */
export class TooLargeError extends BackendError {
  constructor(limitBytes: number) {
    super(413, "too_large", `the body is larger than ${limitBytes} bytes; send a shorter message or smaller attachments`);
  }
}

/** 503: MAX_SESSIONS pi processes are all busy. */
export class CapacityError extends BackendError {
  constructor(retryAfterSeconds: number) {
    super(503, "capacity", "every pi process is busy with a turn; retry later", {}, { "retry-after": String(retryAfterSeconds) });
  }
}

/** 503: the server is shutting down; running turns may still finish, new ones go to the next start. */
export class ShuttingDownError extends BackendError {
  constructor(retryAfterSeconds: number) {
    super(
      503,
      "shutting_down",
      "the pi server is shutting down; send the turn again once it is back",
      {},
      {
        "retry-after": String(retryAfterSeconds),
      },
    );
  }
}
