/**
 * The events of a turn beside its text: tool calls (stored for the HTTP record, and shown as one
 * line each in the streamed reply while `/verbose` is on), extension dialogs (stored, shown by the
 * observer, closed when the backend says so) and notifications. The turn runner hands each such
 * event here once, in order.
 */
import { log } from "../../shared/log";
import type { TurnEvent } from "../../shared/protocol";
import type { ToolLog } from "./tool-log";
import { toolLine } from "./tool-log";
import type { TurnObserver } from "./turn-observer";
import { answerLabel, type UiRequests } from "./ui-request";

export interface SideEventsContext {
  chatKey: string;
  messageSeq: number;
  turnId: string;
  observer: TurnObserver;
  dialogs: UiRequests;
  tools: ToolLog;
  /** Show tool lines in the streamed reply. */
  verbose: boolean;
  now: () => number;
}

export class TurnSideEvents {
  /** Tool lines and where in the reply text they happened. */
  private readonly lines: { at: number; line: string }[] = [];

  constructor(private readonly ctx: SideEventsContext) {}

  /** Applies one non-text event; true when the streamed display changed. `replyLength` is the reply text so far. */
  async apply(event: TurnEvent, replyLength: number): Promise<boolean> {
    const { ctx } = this;
    switch (event.type) {
      case "tool_start":
        ctx.tools.start(ctx.messageSeq, event.tool, event.args);
        if (!ctx.verbose) return false;
        this.lines.push({ at: replyLength, line: toolLine(event.tool, event.args) });
        return true;
      case "tool_end":
        ctx.tools.end(ctx.messageSeq, event.tool, !event.isError);
        return false;
      case "ui_request": {
        const { type: _type, seq: _seq, ...request } = event;
        const stored = ctx.dialogs.open(ctx.messageSeq, ctx.turnId, request, ctx.now());
        if (stored.promptId || stored.state !== "open") return false; // replayed after a restart: already shown
        const promptId = await this.safely("dialog_prompt_failed", () => ctx.observer.dialogOpened?.({ token: stored.token, request }));
        if (promptId) ctx.dialogs.setPrompt(stored.token, promptId);
        return false;
      }
      case "ui_closed": {
        const stored = ctx.dialogs.close(ctx.turnId, event.id, event.reason);
        if (!stored) return false;
        const label = event.reason === "timeout" ? "No answer in time: cancelled" : answerLabel(stored.answer);
        await this.safely("dialog_close_failed", () =>
          ctx.observer.dialogClosed?.({ token: stored.token, request: stored.request }, stored.promptId, event.reason, label),
        );
        return false;
      }
      case "notify":
        await this.safely("notify_failed", () => ctx.observer.notify?.(event.message, event.level));
        return false;
      default:
        return false;
    }
  }

  /** The reply as streamed: the text with each tool line where it happened. */
  display(reply: string): string {
    if (this.lines.length === 0) return reply;
    let out = "";
    let from = 0;
    for (const { at, line } of this.lines) {
      const before = reply.slice(from, at);
      out += before;
      if (out && !out.endsWith("\n")) out += "\n";
      out += `${line}\n`;
      from = at;
    }
    return out + reply.slice(from);
  }

  /** A platform failing to show a dialog must not fail the turn (the dialog still times out on the backend). */
  private async safely<T>(event: string, task: () => Promise<T> | undefined): Promise<T | undefined> {
    try {
      return await task();
    } catch (error) {
      log.warn(`delivery.${event}`, { chat: this.ctx.chatKey, turnId: this.ctx.turnId, error });
      return undefined;
    }
  }
}
