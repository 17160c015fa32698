/**
 * The `X-Trace-Id` request header of protocol v1, in a module of its own (no validator library), so
 * the Worker can send it without bundling the protocol's request schemas. Re-exported by protocol.ts.
 */

/**
 * Request header carrying the client's trace id for a turn (optional): the backend writes it on its
 * log lines for that turn, so one message can be followed through both logs.
 */
export const TRACE_ID_HEADER = "x-trace-id";

/** A trace id the backend accepts and logs: 1-128 of `[A-Za-z0-9._:-]`; anything else is ignored. */
export function isValidTraceId(id: string): boolean {
  return /^[A-Za-z0-9._:-]{1,128}$/.test(id);
}
