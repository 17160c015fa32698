/** The server's log lines of one turn, carrying the trace id the client sent (`X-Trace-Id`) or one of our own. */
import { log } from "../shared/log";
import { isValidTraceId } from "../shared/protocol";
import type { Turn } from "./turn";

/** The client's trace id when it is well-formed; otherwise a fresh one, so every turn's lines can be found. */
export function traceIdOf(header: string | undefined): string {
  return header !== undefined && isValidTraceId(header) ? header : crypto.randomUUID().replaceAll("-", "");
}

/** Writes `turn.start` now and `turn.end` (outcome, code, ms) when the turn's terminal event is pushed. */
export function logTurn(turn: Turn, traceId: string, now: () => number = Date.now): void {
  const started = now();
  const fields = { session: turn.sessionId, turnId: turn.turnId, traceId };
  log.info("turn.start", fields);
  void turn.finished().then((terminal) => {
    const ms = now() - started;
    if (terminal.type === "turn_end") log.info("turn.end", { ...fields, outcome: "done", ms });
    else if (terminal.type === "turn_error") log.warn("turn.end", { ...fields, outcome: "failed", code: terminal.code, ms });
  });
}
