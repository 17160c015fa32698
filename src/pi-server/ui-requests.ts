/**
 * Extension dialogs of one turn. pi writes `extension_ui_request` and, for the dialog kinds
 * (select, confirm, input, editor), waits for an `extension_ui_response` with the same id. Each
 * dialog becomes a `ui_request` event; an answer from the client, an abort, or
 * UI_ANSWER_TIMEOUT_SECONDS without one closes it (`ui_closed`) and is passed to pi, so no turn
 * waits on a dialog nobody will answer. Fire-and-forget kinds never block: `notify` becomes a
 * `notify` event, the rest (setStatus, setWidget, setTitle, set_editor_text) are dropped.
 */
import {
  answerMismatch,
  type NotifyLevel,
  type TurnEventBody,
  type UiAnswer,
  type UiClosedReason,
  type UiRequest,
  type UiRequestKind,
} from "../shared/protocol";
import type { PiRecord } from "./pi-records";

const DIALOG_KINDS: readonly UiRequestKind[] = ["select", "confirm", "input", "editor"];
const NOTIFY_LEVELS: readonly NotifyLevel[] = ["info", "warning", "error"];
/** Longest title or text we forward; an extension could write anything there. */
const MAX_FIELD_CHARS = 4000;
const MAX_OPTIONS = 50;

/** What answering a dialog came to. */
export type UiAnswerResult = "answered" | "unknown_request" | { invalid: string };

/** The open dialogs of one running turn. */
export class TurnDialogs {
  private readonly open = new Map<string, { request: UiRequest; timer: NodeJS.Timeout }>();

  constructor(
    /** Writes a line to pi's stdin. */
    private readonly sendToPi: (command: Record<string, unknown>) => void,
    /** Appends an event to the turn. */
    private readonly push: (body: TurnEventBody) => void,
    private readonly answerTimeoutMs: number,
  ) {}

  /** Handles the record if it is an `extension_ui_request`; returns false for any other record. */
  onRecord(record: PiRecord): boolean {
    if (record.type !== "extension_ui_request") return false;
    const id = typeof record.id === "string" ? record.id : undefined;
    const method = String(record.method);
    if (!id) return true;
    if ((DIALOG_KINDS as readonly string[]).includes(method)) this.openDialog(id, method as UiRequestKind, record);
    else if (method === "notify") {
      const level = NOTIFY_LEVELS.find((l) => l === record.notifyType) ?? "info";
      this.push({ type: "notify", message: text(record.message), level });
    }
    return true;
  }

  /** Passes the client's answer to pi; `unknown_request` when the dialog is not (or no longer) open. */
  answer(requestId: string, answer: UiAnswer): UiAnswerResult {
    const dialog = this.open.get(requestId);
    if (!dialog) return "unknown_request";
    // A confirm answered with a value (or a select with `confirmed`) means the client misread the kind: pi would read it as "no".
    const invalid = answerMismatch(dialog.request, answer);
    if (invalid) return { invalid };
    this.close(requestId, "cancelled" in answer ? "cancelled" : "answered", answer);
    return "answered";
  }

  /** Cancels every open dialog (the turn is being aborted: pi cannot stop while a tool waits on one). */
  cancelAll(reason: UiClosedReason = "cancelled"): void {
    for (const id of [...this.open.keys()]) this.close(id, reason, { cancelled: true });
  }

  private openDialog(id: string, kind: UiRequestKind, record: PiRecord): void {
    const request: UiRequest = { id, kind, title: text(record.title) };
    if (kind === "confirm" && record.message !== undefined) request.message = text(record.message);
    if (kind === "select") request.options = (Array.isArray(record.options) ? record.options : []).slice(0, MAX_OPTIONS).map(text);
    if (kind === "input" && typeof record.placeholder === "string") request.placeholder = text(record.placeholder);
    if (kind === "editor" && typeof record.prefill === "string") request.prefill = text(record.prefill);
    // pi resolves a dialog with its own `timeout` itself; the dialog is closed for the client then too.
    const piTimeout = typeof record.timeout === "number" && record.timeout > 0 ? record.timeout : Number.POSITIVE_INFINITY;
    const waitMs = Math.min(this.answerTimeoutMs, piTimeout);
    const timer = setTimeout(() => this.close(id, "timeout", { cancelled: true }), waitMs);
    timer.unref();
    this.open.set(id, { request, timer });
    this.push({ type: "ui_request", ...request });
  }

  private close(id: string, reason: UiClosedReason, answer: UiAnswer): void {
    const dialog = this.open.get(id);
    if (!dialog) return;
    clearTimeout(dialog.timer);
    this.open.delete(id);
    this.sendToPi({ type: "extension_ui_response", id, ...answer });
    this.push({ type: "ui_closed", id, reason });
  }
}

function text(value: unknown): string {
  return (typeof value === "string" ? value : value === undefined || value === null ? "" : String(value)).slice(0, MAX_FIELD_CHARS);
}
