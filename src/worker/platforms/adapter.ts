/**
 * The one interface every chat platform implements, so that a platform is one file:
 * verify the raw request, parse it into a chat message (or an explicit "ignore"), and
 * talk back through an outbound client (send, edit, typing, notice).
 */

import type { AgentCommand, Choice } from "../chat/agent-commands";
import type { NewAttachment } from "../chat/attachment-store";
import type { ChatSessionCore } from "../chat/chat-session";
import type { ChatSessions, Env } from "../config/env";

export type Platform = "telegram" | "slack";

/** What the platforms call on a chat's Durable Object: the core, plus the one-time claims the Worker entry adds. */
export interface PlatformChatSession extends ChatSessionCore {
  claim(key: string, ttlMs: number): Promise<boolean>;
}

/** The bindings the webhook pipeline and the commands use. */
export type PlatformEnv = Env & ChatSessions<PlatformChatSession>;

/** The chat commands every platform understands. */
export type Command = "new" | "stop" | "status" | "help" | "queue" | AgentCommand;

/** Where a platform delivers a reply; stored with the inbox message as JSON. */
export type ReplyTarget =
  | { platform: "telegram"; chatId: number; replyTo: number; threadId?: number }
  | { platform: "slack"; channel: string; user: string; threadTs?: string; replyTo?: string };

/** A message for the agent, or a command, from someone on a platform. */
export interface ChatMessage {
  kind: "message";
  /** The ChatSession's name, made by chat-key.ts: `telegram:<chatId>`, `slack:<team>:<channel>[:<thread_ts>]`. */
  chatKey: string;
  /** The sender as the allowlist spells it: `telegram:<userId>`, `slack:<userId>`. */
  userId: string;
  /** The platform's delivery id (`tg-<update_id>`, `slack-<event_id>`): a redelivery carries the same one. */
  messageId: string;
  text: string;
  command: Command | null;
  /** The command's argument when the platform parsed it apart from `text` (Slack); else read from `text`. */
  args?: string;
  target: ReplyTarget;
  /** Set when the platform wants the command's reply as the webhook's own response (Slack slash commands). */
  answer?: (text: string) => unknown;
  /** Photos and files, as references the platform's `download` fetches when the turn runs. */
  attachments?: NewAttachment[];
  /**
   * Set when the message holds something the agent cannot take (a voice note, a sticker, a file too large): answered with this line, no
   * turn.
   */
  unsupported?: string;
}

/** Someone pressed one of our buttons (a dialog's answer, or a command's choice). */
export interface ButtonPress {
  kind: "button";
  chatKey: string;
  /** The presser as the allowlist spells it. */
  userId: string;
  /** The platform's id of this press (Telegram's callback query id): a redelivery carries the same one. */
  pressId: string;
  /** What the button carries: `ui:<token>:<choice>` or `cmd:<command>:<args>`. */
  data: string;
  /** The chat, for replies; `replyTo` is the message that holds the buttons. */
  target: ReplyTarget;
  /** Platform id of the message that holds the buttons. */
  buttonsMessageId: string;
}

/** What a verified request turned out to be. */
export type Inbound =
  | ChatMessage
  | ButtonPress
  /** Acknowledged with 200 and dropped, so the platform does not retry it. */
  | { kind: "ignore"; reason: string }
  /** Answered directly with this JSON (e.g. Slack's url_verification challenge). */
  | { kind: "answer"; body: unknown };

/** A platform's webhook side. */
export interface PlatformAdapter {
  readonly platform: Platform;
  /** Whether the secrets for this platform are set; an unconfigured platform's webhook answers 404. */
  configured(env: Env): boolean;
  /** Throws VerificationError unless the request was signed by the platform; `rawBody` is the body exactly as received. */
  verify(request: Request, rawBody: Uint8Array, env: Env, now: number): Promise<void>;
  /** Parses a verified body; throws MalformedPayloadError on a malformed one. */
  parse(request: Request, rawBody: Uint8Array, env: Env): Promise<Inbound>;
  /** The client that sends replies on this platform. */
  outbound(env: Env): Outbound;
  /** Downloads an attachment from the reference `parse` stored, refusing more than `maxBytes` (throws AttachmentError). */
  download?(env: Env, ref: string, maxBytes: number): Promise<Uint8Array>;
}

/** Sends to a platform. Markdown in, the platform's own formatting out (plain text when the platform rejects it). */
export interface Outbound {
  /** Longest text one message may carry. */
  readonly maxLength: number;
  /** Posts a message, quoting the user's message when `quote`; returns the platform's id of the new message. */
  send(target: ReplyTarget, markdown: string, options?: { quote?: boolean }): Promise<string>;
  /** Replaces the text of a message sent earlier. */
  edit(target: ReplyTarget, messageId: string, markdown: string): Promise<void>;
  /** Shows that the bot is working (a no-op where the platform has no such thing for bots). */
  typing(target: ReplyTarget): Promise<void>;
  /** Tells the sender alone (ephemeral where the platform can), e.g. that they are not authorized. */
  notice(target: ReplyTarget, text: string): Promise<void>;
  /** Posts a message with rows of buttons; returns its id. */
  sendChoices(target: ReplyTarget, markdown: string, choices: Choice[][]): Promise<string>;
  /** Replaces a message sent with buttons by `markdown` alone (the buttons go away). */
  closeChoices(target: ReplyTarget, messageId: string, markdown: string): Promise<void>;
  /** Answers a button press where the platform expects it (Telegram's callback query: a short toast); a no-op elsewhere. */
  acknowledge(pressId: string, text: string): Promise<void>;
}

/** The request was not signed by the platform (missing or wrong secret, stale timestamp); the webhook answers 401. */
export class VerificationError extends Error {
  readonly code = "unauthorized";
}

/** A verified request whose body is not what the platform sends; the webhook answers 400 with `code`. */
export class MalformedPayloadError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Too many requests: try again after `retryAfterMs`. */
export class RateLimitError extends Error {
  readonly code = "rate_limited";
  constructor(
    readonly retryAfterMs: number,
    message: string,
  ) {
    super(message);
  }
}

/** A platform refused a call for good (bad token, chat gone, bot blocked); retrying will not help. */
export class PlatformError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** An Inbound the webhook acknowledges and drops, logging `reason`. */
export function ignore(reason: string): Inbound {
  return { kind: "ignore", reason };
}

/** Parses a verified raw body as JSON; MalformedPayloadError when it is not. */
export function parseJsonBody(rawBody: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(rawBody));
  } catch {
    throw new MalformedPayloadError("invalid_json", "request body is not valid JSON");
  }
}
