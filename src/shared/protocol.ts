/**
 * pi backend protocol v1: the contract between the Worker (client) and any pi backend (server).
 * Shared by src/worker/pi-client/client.ts and src/pi-server/. Documented in docs/pi-backend-protocol.md.
 */
import { z } from "zod";
import {
  attachmentLimit,
  base64DecodedBytes,
  formatBytes,
  IMAGE_MIME_TYPES,
  isBase64,
  isPromptImageType,
  isSafeAttachmentName,
  MAX_ATTACHMENTS,
  MAX_ATTACHMENTS_TOTAL_BYTES,
} from "./attachments";

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
  | { type: "turn_error"; code: TurnErrorCode; message: string; retryable: boolean };

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
  /** 409: a turn's files could not be saved in the workspace's `inbox/` (it is not a directory, or full of that name). */
  | "inbox_unavailable";

export interface ProtocolErrorBody {
  error: { code: ProtocolErrorCode | string; message: string; runningTurnId?: string };
}

/** Content type of the events stream. */
export const EVENTS_CONTENT_TYPE = "application/x-ndjson";

/** Minimum time a finished turn's events stay readable. */
export const FINISHED_TURN_RETENTION_MS = 10 * 60_000;

/**
 * Attachments of a turn (all decoded sizes; limits in src/shared/attachments.ts): an image goes to pi
 * as a prompt image, a file is written into the chat's workspace as `inbox/<name>` and named in the
 * prompt. The shape and the name are checked here (400); the sizes by `attachmentsTooLarge` (413).
 */
export const TurnAttachment = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("image"),
    mimeType: z.string().refine(isPromptImageType, `must be one of ${IMAGE_MIME_TYPES.join(", ")} (send other images as a file)`),
    data: z.string().refine(isBase64, "must be standard base64"),
    name: z.string().refine(isSafeAttachmentName, "must be a plain file name (no path, no leading dot)").optional(),
  }),
  z.object({
    kind: z.literal("file"),
    name: z.string().refine(isSafeAttachmentName, "must be a plain file name (no path, no leading dot)"),
    mimeType: z.string().max(255).optional(),
    data: z.string().refine(isBase64, "must be standard base64"),
  }),
]);
export type TurnAttachment = z.infer<typeof TurnAttachment>;

/**
 * The turn request as servers validate it: SubmitTurnRequest plus optional `attachments`, with which
 * `message` may be empty (a photo without a caption).
 */
export const SubmitTurnWithAttachments = SubmitTurnRequest.extend({
  message: z.string().max(MAX_MESSAGE_CHARS),
  attachments: z.array(TurnAttachment).max(MAX_ATTACHMENTS, `at most ${MAX_ATTACHMENTS} attachments per turn`).optional(),
}).refine((body) => body.message.length > 0 || (body.attachments?.length ?? 0) > 0, {
  path: ["message"],
  message: "must not be empty unless the turn has attachments",
});
export type SubmitTurnWithAttachments = z.infer<typeof SubmitTurnWithAttachments>;

/** Why these attachments are over a limit (the answer is 413 `too_large`), or undefined when they fit. */
export function attachmentsTooLarge(attachments: readonly TurnAttachment[]): string | undefined {
  let total = 0;
  for (const [i, attachment] of attachments.entries()) {
    const bytes = base64DecodedBytes(attachment.data);
    const limit = attachmentLimit(attachment.kind);
    if (bytes > limit) return `attachments.${i}: ${attachment.kind}s are at most ${formatBytes(limit)}, this one is ${formatBytes(bytes)}`;
    total += bytes;
  }
  if (total > MAX_ATTACHMENTS_TOTAL_BYTES) {
    return `attachments: at most ${formatBytes(MAX_ATTACHMENTS_TOTAL_BYTES)} in all per turn, these are ${formatBytes(total)}`;
  }
  return undefined;
}

/**
 * Largest body of `POST /v1/sessions/{id}/turns` (413 `too_large` past it): the attachments' total
 * as base64 (4/3), plus the message. Every other route keeps PROTOCOL_MAX_BODY_BYTES.
 */
export const PROTOCOL_MAX_TURN_BODY_BYTES = Math.ceil((MAX_ATTACHMENTS_TOTAL_BYTES * 4) / 3) + PROTOCOL_MAX_BODY_BYTES;
