/**
 * Protocol v1 additions for talking to the agent beyond prompts (issue 10): extension dialogs that
 * wait for the user (`ui_request` / `ui_closed` events, answered by POST .../ui/{requestId}), pi's
 * notifications, and the agent settings routes (models, thinking level, stats, compaction).
 * Documented in docs/pi-backend-protocol.md; re-exported by protocol.ts.
 */
/** The extension dialogs that block pi until answered. */
export type UiRequestKind = "select" | "confirm" | "input" | "editor";

/** A dialog an extension opened; `id` is pi's request id. */
export interface UiRequest {
  id: string;
  kind: UiRequestKind;
  title: string;
  /** confirm: the question under the title. */
  message?: string;
  /** select: the choices, answered with one of them as `value`. */
  options?: string[];
  /** input: a hint for the text. */
  placeholder?: string;
  /** editor: the text to start from. */
  prefill?: string;
}

/** Why a dialog is no longer open: answered (by anyone), cancelled (abort), or nobody answered in time. */
export type UiClosedReason = "answered" | "cancelled" | "timeout";

export type NotifyLevel = "info" | "warning" | "error";

/** Longest answer text (an editor's content). */
export const MAX_UI_ANSWER_CHARS = 100_000;

/**
 * The body of `POST /v1/sessions/{id}/turns/{turnId}/ui/{requestId}`: exactly one of the three
 * (schema: `UiAnswerBody` in protocol-schemas.ts).
 */
export type UiAnswer = { value: string } | { confirmed: boolean } | { cancelled: true };

/** Why `answer` does not fit `request` (a confirm takes `confirmed`, the others `value`, a select one of its options), or null. */
export function answerMismatch(request: UiRequest, answer: UiAnswer): string | null {
  if ("cancelled" in answer) return null;
  if (request.kind === "confirm") return "confirmed" in answer ? null : "a confirm is answered with confirmed (true or false) or cancelled";
  if (!("value" in answer)) return `a ${request.kind} is answered with value or cancelled`;
  if (request.kind === "select" && !request.options?.includes(answer.value)) return "value must be one of the request's options";
  return null;
}

/** 200 answer of the ui route. */
export interface UiAnswerResponse {
  answered: true;
}

/** A model pi can use. */
export interface ModelInfo {
  provider: string;
  id: string;
  name: string;
  /** Whether the model supports thinking levels. */
  reasoning: boolean;
}

/** `GET /v1/sessions/{id}/models` */
export interface ModelsResponse {
  models: ModelInfo[];
  current: ModelInfo | null;
  thinkingLevel: ThinkingLevel;
}

export const THINKING_LEVELS = ["off", "minimal", "low", "medium", "high", "xhigh"] as const;
export type ThinkingLevel = (typeof THINKING_LEVELS)[number];

/** `POST /v1/sessions/{id}/model` body (schema: `SetModelBody` in protocol-schemas.ts). */
export interface SetModelRequest {
  provider: string;
  modelId: string;
}

/** `POST /v1/sessions/{id}/thinking` body (schema: `SetThinkingBody` in protocol-schemas.ts). */
export interface SetThinkingRequest {
  level: ThinkingLevel;
}

/** When a setting takes effect: at once (no turn running), or when the running turn has ended. */
export type AppliesTo = "now" | "next_turn";

/** `POST /v1/sessions/{id}/model` */
export interface SetModelResponse {
  model: ModelInfo;
  appliesTo: AppliesTo;
}

/** `POST /v1/sessions/{id}/thinking` */
export interface SetThinkingResponse {
  level: ThinkingLevel;
  appliesTo: AppliesTo;
}

/** `GET /v1/sessions/{id}/stats` */
export interface StatsResponse {
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number; total: number };
  /** USD, as pi computes it from the model's prices. */
  cost: number;
  /** How full the context window is; null when pi does not know (no model, or right after compaction). */
  context: { tokens: number | null; window: number; percent: number | null } | null;
  messages: number;
}

/** `POST /v1/sessions/{id}/compact` */
export interface CompactResponse {
  compacted: true;
  tokensBefore: number;
}
