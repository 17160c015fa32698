/**
 * pi backend protocol v1: the contract between the Worker (client) and any pi backend (server).
 * Shared by src/worker/pi-client/client.ts and src/pi-server/. Documented in docs/pi-backend-protocol.md.
 */
import { z } from "zod";
import type { NotifyLevel, UiClosedReason, UiRequest } from "./protocol-agent";

/** Session ids are chat keys such as `telegram:42`; turn ids follow the same pattern. */
export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** True when `id` is a valid sessionId/turnId (`.` and `..` are refused so an id is always file-safe). */
export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id) && id !== "." && id !== "..";
}

export const MAX_MESSAGE_CHARS = 100_000;

/** Largest request body the pi server accepts (413 `too_large` past it); a 100,000-character message escaped as JSON fits comfortably. */
export const PROTOCOL_MAX_BODY_BYTES = 1024 * 1024;

export const SubmitTurnRequest = z.object({
  turnId: z.string().refine(isValidId, "must match [A-Za-z0-9._:-]{1,128}"),
  message: z.string().min(1).max(MAX_MESSAGE_CHARS),
});
export type SubmitTurnRequest = z.infer<typeof SubmitTurnRequest>;

export const SteerRequest = z.object({ message: z.string().min(1).max(MAX_MESSAGE_CHARS) });
export type SteerRequest = z.infer<typeof SteerRequest>;

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

export type TurnErrorCode = "llm_error" | "process_crashed" | "aborted" | "timeout";

/** Which turn_error codes a client may retry with a new turn. */
export const RETRYABLE: Record<TurnErrorCode, boolean> = {
  llm_error: false,
  process_crashed: true,
  aborted: false,
  timeout: false,
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
  | "internal"
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

export * from "./protocol-agent";
