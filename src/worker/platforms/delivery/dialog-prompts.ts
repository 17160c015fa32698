/**
 * Extension dialogs and notifications in a chat: a dialog is a message with buttons (Yes/No for a
 * confirm, one per option for a select, Cancel for input and editor, which take the user's next
 * message as the answer); when the backend closes it, the buttons are replaced by the outcome.
 */
import type { NotifyLevel, UiClosedReason, UiRequest } from "../../../shared/protocol";
import type { Choice } from "../../chat/agent-commands";
import { DIALOG_DATA_PREFIX } from "../../chat/interactions";
import type { DialogPrompt, TurnObserver } from "../../chat/turn-observer";
import type { Outbound, ReplyTarget } from "../adapter";

const NOTIFY_ICONS: Record<NotifyLevel, string> = { info: "ℹ️", warning: "⚠️", error: "❗" };

/** The dialog's question as Markdown. */
export function dialogText(request: UiRequest): string {
  const lines = [`❓ **${request.title || "The agent asks"}**`];
  if (request.message) lines.push(request.message);
  if (request.kind === "editor" && request.prefill) lines.push("```", request.prefill, "```");
  if (request.kind === "input" || request.kind === "editor") {
    lines.push(`_Reply with your answer${request.placeholder ? ` (${request.placeholder})` : ""}, or press Cancel._`);
  }
  return lines.join("\n");
}

/** The dialog's buttons; each carries `ui:<token>:<choice>`. */
export function dialogChoices(request: UiRequest, token: string): Choice[][] {
  const data = (choice: string) => `${DIALOG_DATA_PREFIX}${token}:${choice}`;
  const cancel = { label: "Cancel", data: data("c") };
  switch (request.kind) {
    case "confirm":
      return [
        [
          { label: "Yes", data: data("y") },
          { label: "No", data: data("n") },
        ],
      ];
    case "select":
      return [...(request.options ?? []).map((option, i) => [{ label: option, data: data(String(i)) }]), [cancel]];
    default:
      return [[cancel]];
  }
}

/** Shows dialogs and notifications of one turn in its chat. */
export class DialogPrompts {
  constructor(
    private readonly outbound: Outbound,
    private readonly target: ReplyTarget,
  ) {}

  async opened(prompt: DialogPrompt): Promise<string | null> {
    return this.outbound.sendChoices(this.target, dialogText(prompt.request), dialogChoices(prompt.request, prompt.token));
  }

  async closed(prompt: DialogPrompt, promptId: string | null, reason: UiClosedReason, answer: string): Promise<void> {
    if (!promptId) return;
    const mark = reason === "answered" ? "✅" : reason === "timeout" ? "⏱" : "✖️";
    await this.outbound.closeChoices(this.target, promptId, `${dialogText(prompt.request)}\n\n${mark} ${answer}`);
  }

  async notify(message: string, level: NotifyLevel): Promise<void> {
    await this.outbound.send(this.target, `${NOTIFY_ICONS[level]} ${message}`);
  }
}

/** `stream` with dialogs and notifications shown by `prompts`. */
export function withDialogs(stream: TurnObserver, prompts: DialogPrompts): TurnObserver {
  return {
    started: () => stream.started(),
    progress: (text) => stream.progress(text),
    finished: (outcome) => stream.finished(outcome),
    ...(stream.held ? { held: (tell: boolean) => stream.held!(tell) } : {}),
    dialogOpened: (prompt) => prompts.opened(prompt),
    dialogClosed: (prompt, promptId, reason, answer) => prompts.closed(prompt, promptId, reason, answer),
    notify: (message, level) => prompts.notify(message, level),
  };
}
