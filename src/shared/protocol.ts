/**
 * pi backend protocol v1: the contract between the Worker (client) and any pi backend (server).
 * Shared by src/worker/pi-client/client.ts and src/pi-server/. Documented in docs/pi-backend-protocol.md.
 */
import { MAX_ATTACHMENTS_TOTAL_BYTES } from "./attachments";
import type { NotifyLevel, UiClosedReason, UiRequest } from "./protocol-agent";

export { ID_PATTERN, isValidId } from "./ids";

export const MAX_MESSAGE_CHARS = 100_000;

/** Largest request body the pi server accepts (413 `too_large` past it); a 100,000-character message escaped as JSON fits comfortably. */
export const PROTOCOL_MAX_BODY_BYTES = 1024 * 1024;

export type TurnState = "running" | "done" | "failed";

/** 202 on a new turn, 200 when the turnId was already known. */
export interface SubmitTurnResponse {
  turnId: string;
  state: TurnState;
}

export type SessionState = "starting" | "idle" | "running";

export interface SessionInfo {
  sessionId: string;
  state: SessionState;
  pid: number | null;
  startedAt: string;
  lastActivity: string;
}

export interface ListSessionsResponse {
  sessions: SessionInfo[];
}

export interface HealthResponse {
  ok: true;
  sessions: number;
}

export type TurnErrorCode = "llm_error" | "process_crashed" | "aborted" | "timeout" | "backend_lost_turn";

/** Which turn_error codes a client may retry with a new turn. */
export const RETRYABLE: Record<TurnErrorCode, boolean> = {
  llm_error: false,
  process_crashed: true,
  aborted: false,
  timeout: false,
  // The backend stopped (graceful shutdown) before the turn ended: a new turn on the restarted backend may succeed.
  backend_lost_turn: true,
};

export type TurnEventBody =
  | { type: "turn_start" }
  | { type: "text_delta"; delta: string }
  | { type: "tool_start"; tool: string; args: unknown }
  | { type: "tool_end"; tool: string; isError: boolean }
  | { type: "turn_end"; text: string }
  | { type: "turn_error"; code: TurnErrorCode; message: string; retryable: boolean }
  | ({ type: "ui_request" } & UiRequest)
  | { type: "ui_closed"; id: string; reason: UiClosedReason }
  | { type: "notify"; message: string; level: NotifyLevel };

/** One line of the events stream; `seq` counts from 1 within a turn. */
export type TurnEvent = TurnEventBody & { seq: number };

export function isTerminal(event: TurnEventBody): event is Extract<TurnEventBody, { type: "turn_end" | "turn_error" }> {
  return event.type === "turn_end" || event.type === "turn_error";
}

/** Error codes used in `{"error":{"code","message"}}` bodies. */
export type ProtocolErrorCode =
  | "unauthorized"
  | "forbidden_origin"
  | "unsupported_media_type"
  | "invalid_request"
  | "not_found"
  | "unknown_turn"
  | "busy"
  | "not_running"
  | "capacity"
  | "too_large"
  | "shutting_down"
  | "internal"
  /** 409: a turn's files could not be saved in the workspace's `inbox/` (it is not a directory, or full of that name). */
  | "inbox_unavailable"
  | "unknown_request"
  | "unknown_model"
  | "pi_refused";

export interface ProtocolErrorBody {
  error: { code: ProtocolErrorCode | string; message: string; runningTurnId?: string };
}

/** Content type of the events stream. */
export const EVENTS_CONTENT_TYPE = "application/x-ndjson";

/** Minimum time a finished turn's events stay readable. */
export const FINISHED_TURN_RETENTION_MS = 10 * 60_000;

export { isValidTraceId, TRACE_ID_HEADER } from "./trace-id";

/**
 * A keep-alive line on an events stream: written whenever nothing else was written for
 * PI_HEARTBEAT_SECONDS (default 15). It has no `seq`, is never stored in the turn's log and never
 * replayed; a client ignores it except to know the stream is alive (its stall timer restarts).
 */
export interface HeartbeatLine {
  type: "heartbeat";
}

/** The exact line a heartbeat is written as. */
export const HEARTBEAT_LINE = `${JSON.stringify({ type: "heartbeat" } satisfies HeartbeatLine)}\n`;

/** Default seconds of silence on an events stream before the backend writes a heartbeat. */
export const DEFAULT_HEARTBEAT_SECONDS = 15;

/** One line of an events stream as read: a numbered turn event or a heartbeat. */
export type StreamLine = TurnEvent | HeartbeatLine;

/** True for a heartbeat line (which carries no event). */
export function isHeartbeat(line: { type: string }): line is HeartbeatLine {
  return line.type === "heartbeat";
}

/**
 * Largest body of `POST /v1/sessions/{id}/turns` (413 `too_large` past it): the attachments' total
 * as base64 (4/3), plus the message. Every other route keeps PROTOCOL_MAX_BODY_BYTES.
 */
export const PROTOCOL_MAX_TURN_BODY_BYTES = Math.ceil((MAX_ATTACHMENTS_TOTAL_BYTES * 4) / 3) + PROTOCOL_MAX_BODY_BYTES;

export * from "./protocol-agent";
