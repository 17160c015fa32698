/**
 * What a chat does besides queueing prompts (issue 10): answering extension dialogs (buttons, typed
 * replies, HTTP), running the agent commands, and the per-turn side events. The ChatSession core
 * holds one and delegates to it, so its own file stays about the inbox and the turn loop.
 */
import type { UiAnswer, UiRequest } from "../../shared/protocol";
import type { PiBackendClient } from "../pi-client/client";
import { type AgentCommand, type CommandReply, runAgentCommand } from "./agent-commands";
import { ChatSettings } from "./chat-settings";
import type { InboxMessage } from "./inbox";
import { ToolLog, type ToolRecord } from "./tool-log";
import type { TurnObserver } from "./turn-observer";
import { TurnSideEvents } from "./turn-side-events";
import { type AnswerResult, answerDialog, answerFromChoice, answerFromText } from "./ui-answers";
import { UiRequests } from "./ui-request";

/** Button data that answers a dialog: `ui:<token>:<choice>`. */
export const DIALOG_DATA_PREFIX = "ui:";

/** What the HTTP record adds for a message: the open dialog and the tool calls. */
export interface InteractionFields {
  request?: UiRequest;
  tools?: ToolRecord[];
}

export class ChatInteractions {
  readonly dialogs: UiRequests;
  readonly tools: ToolLog;
  readonly settings: ChatSettings;

  constructor(sql: SqlStorage) {
    this.dialogs = new UiRequests(sql);
    this.tools = new ToolLog(sql);
    this.settings = new ChatSettings(sql);
  }

  /** The side-event handler for one message's turn. */
  sideEventsFor(chatKey: string, message: InboxMessage, observer: TurnObserver): TurnSideEvents {
    return new TurnSideEvents({
      chatKey,
      messageSeq: message.seq,
      turnId: message.turnId ?? "",
      observer,
      dialogs: this.dialogs,
      tools: this.tools,
      verbose: this.settings.verbose,
      now: Date.now,
    });
  }

  /** The turn of `messageSeq` ended: its dialogs can no longer be answered. */
  turnEnded(messageSeq: number): void {
    this.dialogs.closeAllOf(messageSeq);
  }

  /** The dialog a running message's turn waits on, if any (its record's state is then `input_required`). */
  requestOf(message: InboxMessage): InteractionFields["request"] | undefined {
    return message.state === "running" ? this.dialogs.openOne(message.seq)?.request : undefined;
  }

  /** The record's extra fields: the open dialog while one waits, and the tool calls. */
  fieldsOf(message: InboxMessage): InteractionFields {
    const fields: InteractionFields = {};
    const request = this.requestOf(message);
    if (request) fields.request = request;
    const tools = this.tools.list(message.seq);
    if (tools.length) fields.tools = tools;
    return fields;
  }

  /** Answers the dialog open for `message` (the HTTP answer route). */
  async answerMessage(client: PiBackendClient, chatKey: string, message: InboxMessage, answer: UiAnswer): Promise<AnswerResult> {
    const open = this.dialogs.openOne(message.seq);
    if (!open) return { ok: false, code: "no_open_request", message: `message ${message.id} is not waiting for an answer` };
    return answerDialog({ client, chatKey, dialogs: this.dialogs }, open, answer);
  }

  /** A dialog button was pressed: `data` is `ui:<token>:<choice>`. */
  async pressButton(client: PiBackendClient, chatKey: string, data: string): Promise<AnswerResult> {
    const [, token = "", choice = ""] = data.split(":");
    const stored = this.dialogs.byToken(token);
    const answer = stored ? answerFromChoice(stored.request, choice) : null;
    if (!stored || !answer) return { ok: false, code: "no_open_request", message: "That button belongs to no open question." };
    return answerDialog({ client, chatKey, dialogs: this.dialogs }, stored, answer);
  }

  /**
   * A chat message typed while a dialog waits, if it answers it (any text for input/editor, an
   * option for select, yes/no for confirm); null when the message is a prompt like any other.
   */
  async answerTyped(client: PiBackendClient, chatKey: string, text: string): Promise<AnswerResult | null> {
    const open = this.dialogs.openOne();
    const answer = open ? answerFromText(open.request, text) : null;
    if (!open || !answer) return null;
    return answerDialog({ client, chatKey, dialogs: this.dialogs }, open, answer);
  }

  runCommand(client: PiBackendClient, chatKey: string, command: AgentCommand, args: string): Promise<CommandReply> {
    return runAgentCommand({ client, chatKey, settings: this.settings }, command, args);
  }
}
