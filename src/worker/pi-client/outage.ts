/**
 * Which backend failures are an outage — the agent's machine asleep, restarting or off the network —
 * and so are held and retried rather than failing the message: the connection refused or cut, a call
 * timed out, or any 5xx (a tunnel's 502/504, the backend's 503). Everything else (401, 404, 409, 400)
 * is an answer, and handled as one.
 */
import { BackendError } from "./client";

export function isBackendOutage(err: unknown): boolean {
  if (!(err instanceof BackendError)) return false;
  return err.code === "unreachable" || err.code === "timeout" || err.status >= 500;
}

/** A short line for the status API and the log: what the outage looked like. */
export function outageSummary(err: BackendError): string {
  if (err.status) return `${err.code} (HTTP ${err.status})`;
  return err.code;
}
