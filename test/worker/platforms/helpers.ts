/**
 * Helpers for the platform tests: payloads shaped like Telegram's and Slack's documented
 * objects, signed webhook calls into the Worker, and what the fake platform APIs recorded.
 */
import { createExecutionContext, env, runDurableObjectAlarm, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { inject } from "vitest";
import { toBase64 } from "../../../src/shared/attachments";
import worker from "../../../src/worker/index";
import type { RecordedCall } from "../../fixtures/fake-platform-api";
import { waitFor } from "../helpers";

export const TELEGRAM_SECRET = "test-telegram-secret_1";
export const SLACK_SIGNING_SECRET = "test-slack-signing-secret";
/** On ALLOWED_USERS in vitest.config.mts. */
export const ALLOWED_TELEGRAM_USER = 1001;
export const ALLOWED_SLACK_USER = "U0ALLOWED1";
export const BOT_ID = 123456789;
export const BOT_USERNAME = "evie_test_bot";
export const TEAM = "T061EG9R6";

/** A random positive integer, for chat ids and update ids no other test uses. */
export function randomId(): number {
  return 100_000 + Math.floor(Math.random() * 2_000_000_000);
}

// ---------------------------------------------------------------- Telegram

export interface TelegramMessageInput {
  chatId: number;
  text?: string;
  caption?: string;
  userId?: number;
  updateId?: number;
  chatType?: "private" | "group" | "supergroup";
  entities?: Array<Record<string, unknown>>;
  replyToBot?: boolean;
  fromBot?: boolean;
}

/** An Update with a Message, as in https://core.telegram.org/bots/api#update. */
export function telegramUpdate(input: TelegramMessageInput): Record<string, unknown> & { update_id: number } {
  const userId = input.userId ?? ALLOWED_TELEGRAM_USER;
  const chatType = input.chatType ?? "private";
  const from = { id: userId, is_bot: input.fromBot ?? false, first_name: "Ada", username: "ada", language_code: "en" };
  const chat =
    chatType === "private"
      ? { id: input.chatId, first_name: "Ada", username: "ada", type: "private" }
      : { id: input.chatId, title: "Evie testers", type: chatType };
  const message: Record<string, unknown> = {
    message_id: Math.floor(Math.random() * 10_000) + 1,
    from,
    chat,
    date: Math.floor(Date.now() / 1000),
  };
  if (input.text !== undefined) message.text = input.text;
  if (input.caption !== undefined) {
    message.photo = [{ file_id: "AgACAgIAAxkBAAIB", file_unique_id: "AQADx", file_size: 1234, width: 90, height: 67 }];
    message.caption = input.caption;
  }
  if (input.entities) message[input.caption !== undefined ? "caption_entities" : "entities"] = input.entities;
  if (input.replyToBot) {
    message.reply_to_message = {
      message_id: 7,
      from: { id: BOT_ID, is_bot: true, first_name: "Evie", username: BOT_USERNAME },
      chat,
      date: Math.floor(Date.now() / 1000) - 60,
      text: "an earlier answer",
    };
  }
  return { update_id: input.updateId ?? randomId(), message };
}

/** A `/command` message with its bot_command entity. */
export function telegramCommand(chatId: number, command: string, extra: Partial<TelegramMessageInput> = {}) {
  return telegramUpdate({
    chatId,
    text: command,
    entities: [{ offset: 0, length: command.split(" ")[0]!.length, type: "bot_command" }],
    ...extra,
  });
}

/**
 * POSTs an update (a string is sent as the raw body) to the Worker's Telegram webhook with the secret token (or `secret`, or none when
 * null).
 */
export function postTelegram(update: unknown, secret: string | null = TELEGRAM_SECRET): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (secret !== null) headers["x-telegram-bot-api-secret-token"] = secret;
  const body = typeof update === "string" ? update : JSON.stringify(update);
  return deliver(new Request("https://evie.test/webhooks/telegram", { method: "POST", headers, body }));
}

/** Every Bot API call the fake saw for this chat. */
export function telegramCalls(chatId: number): Promise<RecordedCall[]> {
  return recordedCalls(inject("fakeTelegramPort"), "chatId", String(chatId));
}

/** Makes the fake fail the next matching call(s). */
export function failTelegram(failure: {
  chatId: number;
  method: string;
  status: number;
  description: string;
  retryAfter?: number;
  times?: number;
  onlyFormatted?: boolean;
  hang?: boolean;
}): Promise<void> {
  return scriptFailure(inject("fakeTelegramPort"), failure);
}

/** Makes the fake Telegram serve `bytes` for `fileId` (getFile then the file link); `fileSize` overrides the size getFile reports. */
export async function telegramFile(fileId: string, bytes: Uint8Array, fileSize?: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${inject("fakeTelegramPort")}/_control/file`, {
    method: "POST",
    body: JSON.stringify({ fileId, base64: toBase64(bytes), fileSize }),
  });
  await res.body?.cancel();
}

// ---------------------------------------------------------------- Slack

/** Makes the fake Slack serve `bytes` as file `id` (or its sign-in page, with `signIn`); returns its url_private. */
export async function slackFile(id: string, name: string, bytes: Uint8Array, options: { signIn?: boolean } = {}): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${inject("fakeSlackPort")}/_control/file`, {
    method: "POST",
    body: JSON.stringify({ id, name, base64: toBase64(bytes), ...options }),
  });
  return ((await res.json()) as { url: string }).url;
}

/** A direct message event, as in Slack's message.im example. */
export function slackDirectMessage(input: {
  channel: string;
  text: string;
  user?: string;
  eventId?: string;
  extra?: Record<string, unknown>;
}) {
  const ts = slackTs();
  return eventCallback(input.eventId, {
    type: "message",
    channel: input.channel,
    user: input.user ?? ALLOWED_SLACK_USER,
    text: input.text,
    ts,
    event_ts: ts,
    channel_type: "im",
    ...input.extra,
  });
}

/** An app_mention event, as in Slack's app_mention example. */
export function slackMention(input: { channel: string; text: string; user?: string; eventId?: string; threadTs?: string }) {
  const ts = slackTs();
  return eventCallback(input.eventId, {
    type: "app_mention",
    user: input.user ?? ALLOWED_SLACK_USER,
    text: input.text,
    ts,
    channel: input.channel,
    event_ts: ts,
    ...(input.threadTs ? { thread_ts: input.threadTs } : {}),
  });
}

function eventCallback(eventId: string | undefined, event: Record<string, unknown>) {
  return {
    token: "one-long-verification-token",
    team_id: TEAM,
    api_app_id: "A0PNCHHK2",
    event,
    type: "event_callback",
    authed_teams: [TEAM],
    event_id: eventId ?? `Ev${randomId()}`,
    event_time: Math.floor(Date.now() / 1000),
  };
}

export function slackTs(): string {
  return `${Math.floor(Date.now() / 1000)}.${String(randomId() % 1_000_000).padStart(6, "0")}`;
}

/** A random channel id of the given kind (D: direct message, C: channel). */
export function slackChannel(kind: "D" | "C"): string {
  return `${kind}${randomId().toString(36).toUpperCase()}`;
}

/** `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`, computed here independently of the Worker's code. */
export async function slackSignature(secret: string, timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`v0:${timestamp}:${body}`));
  return `v0=${[...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

type SlackPostOptions = { timestamp?: number; signature?: string | null; retryNum?: number; body?: string };

/** POSTs a payload to the Worker's Slack webhook, signed unless told otherwise. */
export function postSlack(payload: unknown, options: SlackPostOptions = {}): Promise<Response> {
  return postSlackTo(deliver, payload, options);
}

/** As postSlack, through `send` (e.g. the Worker called with other bindings). */
export async function postSlackTo(
  send: (request: Request) => Promise<Response>,
  payload: unknown,
  options: SlackPostOptions = {},
): Promise<Response> {
  const body = options.body ?? JSON.stringify(payload);
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = { "content-type": "application/json", "x-slack-request-timestamp": timestamp };
  const signature = options.signature === undefined ? await slackSignature(SLACK_SIGNING_SECRET, timestamp, body) : options.signature;
  if (signature !== null) headers["x-slack-signature"] = signature;
  if (options.retryNum !== undefined) {
    headers["x-slack-retry-num"] = String(options.retryNum);
    headers["x-slack-retry-reason"] = "http_timeout";
  }
  return send(new Request("https://evie.test/webhooks/slack", { method: "POST", headers, body }));
}

/** POSTs a signed form body (slash commands, interactivity `payload=`) to the Worker's Slack webhook. */
export async function postSlackForm(form: URLSearchParams, options: { signature?: string | null } = {}): Promise<Response> {
  const body = form.toString();
  const timestamp = String(Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": timestamp };
  const signature = options.signature === undefined ? await slackSignature(SLACK_SIGNING_SECRET, timestamp, body) : options.signature;
  if (signature !== null) headers["x-slack-signature"] = signature;
  return deliver(new Request("https://evie.test/webhooks/slack", { method: "POST", headers, body }));
}

/** A Telegram callback_query update: someone pressed an inline button under message `messageId`. */
export function telegramButtonPress(chatId: number, messageId: number, data: string, extra: { userId?: number; queryId?: string } = {}) {
  const from = { id: extra.userId ?? ALLOWED_TELEGRAM_USER, is_bot: false, first_name: "Ada" };
  return {
    update_id: randomId(),
    callback_query: {
      id: extra.queryId ?? String(randomId()),
      from,
      chat_instance: "-1234567890",
      data,
      message: {
        message_id: messageId,
        from: { id: BOT_ID, is_bot: true, first_name: "Evie" },
        chat: { id: chatId, type: "private" },
        date: 0,
        text: "?",
      },
    },
  };
}

/** Every Web API call the fake saw for this channel. */
export function slackCalls(channel: string): Promise<RecordedCall[]> {
  return recordedCalls(inject("fakeSlackPort"), "channel", channel);
}

/** Makes the fake fail the next matching call(s). */
export function failSlack(failure: {
  channel: string;
  method: string;
  status?: number;
  error?: string;
  retryAfter?: number;
  times?: number;
}): Promise<void> {
  return scriptFailure(inject("fakeSlackPort"), failure);
}

/**
 * Calls the Worker and returns once the work it deferred past the response (command replies,
 * notices) is done too, so a test can check that nothing else happened without sleeping.
 */
async function deliver(request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

// ---------------------------------------------------------------- fake platform APIs (fake-platform-api.ts)

async function recordedCalls(port: number, chatParam: string, chat: string): Promise<RecordedCall[]> {
  const res = await fetch(`http://127.0.0.1:${port}/_control/calls?${new URLSearchParams({ [chatParam]: chat })}`);
  return ((await res.json()) as { calls: RecordedCall[] }).calls;
}

async function scriptFailure(port: number, failure: object): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/_control/fail`, { method: "POST", body: JSON.stringify(failure) });
  await res.body?.cancel();
}

// ---------------------------------------------------------------- ChatSession

/** Waits until the chat's stored message `messageId` is done or failed, and returns it. */
export function settledMessage(chatKey: string, messageId: string, timeoutMs = 15_000) {
  return waitFor(
    async () => {
      const record = await env.CHAT_SESSION.getByName(chatKey).getMessage(messageId);
      return record && record.state !== "queued" && record.state !== "running" && record.state !== "input_required" ? record : null;
    },
    timeoutMs,
    `${messageId} in ${chatKey} to finish`,
  );
}

/**
 * Runs the chat's alarm while one is set for turns. A turn only ever starts from the alarm, so once
 * this returns (and the inbox has nothing queued) no further turn can start: "nothing more happens"
 * without a sleep. The retention check, days away, is left alone. Returns how many alarm runs it took.
 */
export async function runPendingTurns(chatKey: string): Promise<number> {
  const stub = env.CHAT_SESSION.getByName(chatKey);
  let runs = 0;
  const turnAlarmSet = async () => {
    const at = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    return at !== null && at < Date.now() + RETENTION_CHECK_HORIZON_MS;
  };
  while ((await turnAlarmSet()) && (await runDurableObjectAlarm(stub))) runs++;
  return runs;
}

/** An alarm further away than this is retention's check, not a turn (retention counts in days). */
const RETENTION_CHECK_HORIZON_MS = 12 * 60 * 60 * 1000;

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
