import type { NotifyLevel, UiClosedReason, UiRequest } from "../../shared/protocol";

/** A dialog to show: the request, and our token for its buttons (`ui:<token>:<choice>`). */
export interface DialogPrompt {
  token: string;
  request: UiRequest;
}

/**
 * Receives one turn's progress, for delivering the reply somewhere (a chat platform).
 * The HTTP interface needs none: its clients poll the stored message.
 */
export interface TurnObserver {
  /** The turn is about to be submitted (or resumed after a restart). */
  started(): Promise<void>;
  /** The reply so far. Must not wait on a platform: called once per streamed delta. */
  progress(textSoFar: string): void;
  /** The turn ended; deliver the final text or the failure. */
  finished(outcome: TurnOutcome): Promise<void>;
  /**
   * The backend is unreachable: the message is kept and retried later by a new observer. Stop
   * streaming; when `tell` (once per outage), tell the user their message waits.
   */
  held?(tell: boolean): Promise<void>;
  /** An extension asks the user something; returns the platform id of the message showing it, if one was sent. */
  dialogOpened?(prompt: DialogPrompt): Promise<string | null>;
  /** The dialog was answered, cancelled or timed out; `promptId` is what dialogOpened returned, `answer` how it reads. */
  dialogClosed?(prompt: DialogPrompt, promptId: string | null, reason: UiClosedReason, answer: string): Promise<void>;
  /** An extension's notification, for the chat. */
  notify?(message: string, level: NotifyLevel): Promise<void>;
}

export type TurnOutcome = { ok: true; text: string } | ({ ok: false } & TurnFailure);

/**
 * Why a turn failed. `detail` may hold pi's stderr, file paths or a provider's error body: it goes
 * to the log and the stored message (read over the authenticated API), never into a chat.
 */
export interface TurnFailure {
  /** Machine-readable: a turn_error code (`llm_error`, …) or one of ours (`backend_lost_turn`, `config_error`, …). */
  code: string;
  detail: string;
}

/** The failure as the message record stores it: `code: detail`. */
export function describeFailure(failure: TurnFailure): string {
  return `${failure.code}: ${failure.detail}`;
}

/** Observer for messages that nobody streams to. */
export const silentObserver: TurnObserver = {
  async started() {},
  progress() {},
  async finished() {},
};

/**
 * Thrown by `finished` when the delivery cannot complete within the alarm invocation's budget (a long
 * rate-limit wait): the turn loop hands over, and the next invocation replays the terminal event and
 * delivers the rest (see alarm-budget.ts).
 */
export class DeliveryHandover extends Error {
  constructor(readonly waitMs: number) {
    super(`final delivery needs to wait ${waitMs} ms, past this alarm invocation's budget`);
  }
}
