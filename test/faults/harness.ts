/**
 * The fault suite's harness: the real Worker under `wrangler dev` (restartable on the same state),
 * the fake backend, fake Telegram and fake Slack in this process, and the three checks every case
 * makes: zero lost (every message `done`), zero duplicated (pi ran each message once and the user
 * got one reply), order kept (pi saw each chat's messages in the order they were sent).
 */
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { FAKE_BACKEND_TOKEN, FakeBackend, type Script } from "../fixtures/fake-backend";
import { FAKE_SLACK_TOKEN, FakeSlack } from "../fixtures/fake-slack";
import { FAKE_TELEGRAM_TOKEN, FakeTelegram } from "../fixtures/fake-telegram";
import { freePort, startWranglerDev, type WranglerDev } from "../fixtures/wrangler-dev";

export const API_TOKEN = "faults-api-token-0123456789";
export const TELEGRAM_SECRET = "faults-telegram-secret_01";
export const SLACK_SIGNING_SECRET = "faults-slack-signing-secret-01";
const headers = { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" };

/** A message sent through the HTTP API. */
export interface Sent {
  chat: string;
  text: string;
  id: string;
}

/** A message record as the API answers it. */
export interface MessageRecord {
  state: string;
  reply?: string;
  error?: string;
  attempts?: number;
}

export class FaultStack {
  readonly backend = new FakeBackend();
  readonly telegram = new FakeTelegram();
  readonly slack = new FakeSlack();
  dev!: WranglerDev;
  private backendPort = 0;
  private telegramPort = 0;
  private slackPort = 0;
  private port = 0;
  private readonly persistTo = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "evie-faults-"));

  constructor(private readonly vars: Record<string, string> = {}) {}

  async start(): Promise<void> {
    [this.backendPort, this.telegramPort, this.slackPort, this.port] = await Promise.all([
      this.backend.start(),
      this.telegram.start(),
      this.slack.start(),
      freePort(),
    ]);
    await this.startWorker();
  }

  /** Starts (or starts again, on the same state and port) `wrangler dev`. */
  async startWorker(): Promise<void> {
    this.dev = await startWranglerDev({
      port: this.port,
      persistTo: this.persistTo,
      vars: {
        PI_BACKEND_URL: `http://127.0.0.1:${this.backendPort}`,
        PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN,
        API_TOKEN,
        IDLE_TIMEOUT_SECONDS: "900",
        TELEGRAM_BOT_TOKEN: FAKE_TELEGRAM_TOKEN,
        TELEGRAM_WEBHOOK_SECRET: TELEGRAM_SECRET,
        TELEGRAM_API_BASE: `http://127.0.0.1:${this.telegramPort}`,
        SLACK_SIGNING_SECRET,
        SLACK_BOT_TOKEN: FAKE_SLACK_TOKEN,
        SLACK_API_BASE: `http://127.0.0.1:${this.slackPort}/api`,
        ALLOWED_USERS: "telegram:1001,slack:U0ALLOWED1",
        ...this.vars,
      },
    });
  }

  /** Stops the backend's listener (every connection cut) and starts it again on the same port, its turns kept. */
  async restartBackend(downMs = 0): Promise<void> {
    await this.backend.stop();
    if (downMs) await sleep(downMs);
    await this.backend.start(this.backendPort);
  }

  async close(): Promise<void> {
    await this.dev?.stop("SIGKILL");
    await Promise.all([this.backend.stop(), this.telegram.stop(), this.slack.stop()]);
    rmSync(this.persistTo, { recursive: true, force: true });
  }

  script(sessionId: string, script: Script): void {
    this.backend.script(sessionId, script);
  }

  async send(chat: string, text: string): Promise<Sent> {
    const res = await fetch(`${this.dev.url}/api/chats/${chat}/messages`, { method: "POST", headers, body: JSON.stringify({ text }) });
    expect(res.status).toBe(202);
    return { chat, text, id: ((await res.json()) as { messageId: string }).messageId };
  }

  async record(sent: Sent): Promise<MessageRecord> {
    return (await (await fetch(`${this.dev.url}/api/chats/${sent.chat}/messages/${sent.id}`, { headers })).json()) as MessageRecord;
  }

  /** Waits until every message is terminal (done, failed, aborted), or the time is up; returns the records. */
  async settle(sent: Sent[], timeoutMs = 60_000): Promise<MessageRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const records = await Promise.all(sent.map((s) => this.record(s).catch(() => ({ state: "unreadable" }))));
      if (records.every((r) => ["done", "failed", "aborted"].includes(r.state)) || Date.now() > deadline) return records;
      await sleep(200);
    }
  }

  /** A Telegram update from the allowed user, with the secret; `post` delivers it (as often as you call it). */
  telegramUpdate(updateId: number, chatId: number, text: string): () => Promise<Response> {
    const body = JSON.stringify({
      update_id: updateId,
      message: {
        message_id: updateId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: "private" },
        from: { id: 1001, is_bot: false, first_name: "F" },
        text,
      },
    });
    return () =>
      fetch(`${this.dev.url}/webhooks/telegram`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TELEGRAM_SECRET },
        body,
      });
  }

  /** A signed Slack message event; `post` delivers it (as often as you call it, as Slack retries do). */
  slackEvent(eventId: string, channel: string, text: string): (retry?: number) => Promise<Response> {
    const body = JSON.stringify({
      type: "event_callback",
      team_id: "T0FAULTS",
      event_id: eventId,
      event: { type: "message", channel, channel_type: "im", user: "U0ALLOWED1", text, ts: `${Math.floor(Date.now() / 1000)}.000200` },
    });
    return (retry = 0) => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = createHmac("sha256", SLACK_SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest("hex");
      return fetch(`${this.dev.url}/webhooks/slack`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-slack-request-timestamp": timestamp,
          "x-slack-signature": `v0=${signature}`,
          ...(retry ? { "x-slack-retry-num": String(retry), "x-slack-retry-reason": "http_timeout" } : {}),
        },
        body,
      });
    };
  }

  /** Calls the Worker made to a fake platform API for one chat (Telegram chat id or Slack channel). */
  async platformCalls(platform: "telegram" | "slack", chat: string): Promise<{ method: string; body: Record<string, unknown> }[]> {
    const port = platform === "telegram" ? this.telegramPort : this.slackPort;
    const param = platform === "telegram" ? "chatId" : "channel";
    const res = await fetch(`http://127.0.0.1:${port}/_control/calls?${param}=${encodeURIComponent(chat)}`);
    return ((await res.json()) as { calls: { method: string; body: Record<string, unknown> }[] }).calls;
  }

  /** The messages pi saw start for a session, in order (`turn_start` entries of the fake backend). */
  startsFor(sessionId: string): string[] {
    return this.backend.log.filter((e) => e.kind === "turn_start" && e.sessionId === sessionId).map((e) => e.detail ?? "");
  }
}

/**
 * The three promises of the fault suite for HTTP messages: every one done with its own reply
 * (zero lost), pi ran each exactly once (zero duplicated), and in each chat in the order sent.
 */
export function expectExactlyOnceInOrder(stack: FaultStack, sent: Sent[], records: MessageRecord[]): void {
  const states = records.map((r, i) => `${sent[i]!.text}: ${r.state}${r.error ? ` (${r.error})` : ""}`);
  expect(
    states.filter((s) => !s.endsWith(": done")),
    "lost messages",
  ).toEqual([]);
  expect(records.map((r) => r.reply)).toEqual(sent.map((s) => `echo: ${s.text}`));
  for (const chat of new Set(sent.map((s) => s.chat))) {
    const texts = sent.filter((s) => s.chat === chat).map((s) => s.text);
    expect(stack.startsFor(`http:${chat}`), `pi's view of ${chat}: once each, in order`).toEqual(texts);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
