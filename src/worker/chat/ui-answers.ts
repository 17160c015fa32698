/**
 * Answering an extension dialog from the chat: a button (`ui:<token>:<choice>`), a typed reply, or
 * the HTTP answer route. The dialog is claimed in storage before the backend is called, so the
 * same press delivered twice answers once; a backend that cannot be reached gives the claim back.
 */
import { answerMismatch, type UiAnswer, type UiRequest } from "../../shared/protocol";
import { BackendError, type PiBackendClient } from "../pi-client/client";
import { answerLabel, type StoredUiRequest, type UiRequests } from "./ui-request";

export type AnswerResult =
  | { ok: true; label: string }
  | { ok: false; code: "no_open_request" | "already_answered" | "invalid_answer" | "backend_error"; message: string };

export interface AnswerDeps {
  client: PiBackendClient;
  chatKey: string;
  dialogs: UiRequests;
}

/** Passes `answer` to the backend once. */
export async function answerDialog(deps: AnswerDeps, stored: StoredUiRequest, answer: UiAnswer): Promise<AnswerResult> {
  const invalid = answerMismatch(stored.request, answer);
  if (invalid) return { ok: false, code: "invalid_answer", message: invalid };
  if (stored.state !== "open" || !deps.dialogs.markAnswered(stored.token, answer)) {
    return stored.state === "closed"
      ? { ok: false, code: "no_open_request", message: "That question is no longer open." }
      : {
          ok: false,
          code: "already_answered",
          message: `Already answered: ${answerLabel(deps.dialogs.byToken(stored.token)?.answer ?? null)}.`,
        };
  }
  try {
    await deps.client.answerUi(deps.chatKey, stored.turnId, stored.request.id, answer);
    return { ok: true, label: answerLabel(answer) };
  } catch (err) {
    if (err instanceof BackendError && err.status === 404) {
      deps.dialogs.close(stored.turnId, stored.request.id, "timeout");
      return { ok: false, code: "no_open_request", message: "That question is no longer open (it timed out or the turn ended)." };
    }
    deps.dialogs.reopen(stored.token);
    if (err instanceof BackendError && err.status === 400) return { ok: false, code: "invalid_answer", message: err.message };
    return { ok: false, code: "backend_error", message: `Could not pass the answer on: ${(err as Error).message}` };
  }
}

/** The answer a button's choice stands for: `y`, `n`, `c` (cancel) or an option's index; null when it fits no answer. */
export function answerFromChoice(request: UiRequest, choice: string): UiAnswer | null {
  if (choice === "c") return { cancelled: true };
  if (request.kind === "confirm" && (choice === "y" || choice === "n")) return { confirmed: choice === "y" };
  if (request.kind === "select" && /^\d{1,2}$/.test(choice)) {
    const option = request.options?.[Number(choice)];
    return option === undefined ? null : { value: option };
  }
  return null;
}

/**
 * A typed message as the answer to the open dialog: any text for input and editor, an option's
 * text for select, yes/no for confirm; null when the message is not an answer (it is then a prompt).
 */
export function answerFromText(request: UiRequest, text: string): UiAnswer | null {
  const t = text.trim();
  if (request.kind === "input" || request.kind === "editor") return t ? { value: request.kind === "editor" ? text : t } : null;
  if (request.kind === "select") {
    const option = request.options?.find((o) => o.toLowerCase() === t.toLowerCase());
    return option === undefined ? null : { value: option };
  }
  if (/^(y|yes)$/i.test(t)) return { confirmed: true };
  if (/^(n|no)$/i.test(t)) return { confirmed: false };
  return null;
}
