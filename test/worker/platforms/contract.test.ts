/**
 * The adapter contract, run against every platform adapter: configuration, verification of the
 * raw body, parsing into a chat message / command / ignore, stable delivery ids, and an outbound
 * client that sends, edits, shows typing, tells the sender alone, and reports rate limits.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { adapters } from "../../../src/worker/adapters";
import type { Env } from "../../../src/worker/config/env";
import { MalformedPayloadError, RateLimitError, type ReplyTarget, VerificationError } from "../../../src/worker/platforms/adapter";
import {
  failSlack,
  failTelegram,
  randomId,
  SLACK_SIGNING_SECRET,
  slackCalls,
  slackChannel,
  slackDirectMessage,
  slackSignature,
  TELEGRAM_SECRET,
  telegramCalls,
  telegramCommand,
  telegramUpdate,
} from "./helpers";

interface Fixture {
  /** Secrets whose absence makes the platform unconfigured. */
  secrets: (keyof Env)[];
  /** A request carrying `body` as the platform would send it (signed), or forged. */
  request(body: string, forged?: boolean): Promise<Request>;
  message(seed: number, text: string): unknown;
  command(seed: number): unknown;
  ignored(seed: number): unknown;
  target(seed: number): ReplyTarget;
  calls(seed: number): Promise<{ method: string; body: Record<string, unknown> }[]>;
  failNext(seed: number, method: "send" | "edit"): Promise<void>;
}

const slackChannels = new Map<number, string>();
const channelOf = (seed: number) => {
  if (!slackChannels.has(seed)) slackChannels.set(seed, slackChannel("D"));
  return slackChannels.get(seed)!;
};

const fixtures: Record<keyof typeof adapters, Fixture> = {
  telegram: {
    secrets: ["TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"],
    request: async (body, forged) =>
      new Request("https://evie.test/webhooks/telegram", {
        method: "POST",
        headers: { "x-telegram-bot-api-secret-token": forged ? "forged" : TELEGRAM_SECRET },
        body,
      }),
    message: (seed, text) => telegramUpdate({ chatId: seed, text, updateId: seed }),
    command: (seed) => telegramCommand(seed, "/stop"),
    ignored: (seed) => ({ update_id: seed, edited_message: telegramUpdate({ chatId: seed, text: "x" }).message }),
    target: (seed) => ({ platform: "telegram", chatId: seed, replyTo: 1 }),
    calls: (seed) => telegramCalls(seed),
    failNext: (seed, method) =>
      failTelegram({
        chatId: seed,
        method: method === "send" ? "sendMessage" : "editMessageText",
        status: 429,
        description: "Too Many Requests: retry after 3",
        retryAfter: 3,
      }),
  },
  slack: {
    secrets: ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"],
    request: async (body, forged) => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = await slackSignature(forged ? "forged" : SLACK_SIGNING_SECRET, timestamp, body);
      return new Request("https://evie.test/webhooks/slack", {
        method: "POST",
        headers: { "x-slack-request-timestamp": timestamp, "x-slack-signature": signature },
        body,
      });
    },
    message: (seed, text) => slackDirectMessage({ channel: channelOf(seed), text, eventId: `Ev${seed}` }),
    command: (seed) => slackDirectMessage({ channel: channelOf(seed), text: "stop" }),
    ignored: (seed) => slackDirectMessage({ channel: channelOf(seed), text: "x", extra: { subtype: "message_changed" } }),
    target: (seed) => ({ platform: "slack", channel: channelOf(seed), user: "U0ALLOWED1" }),
    calls: (seed) => slackCalls(channelOf(seed)),
    failNext: (seed, method) =>
      failSlack({ channel: channelOf(seed), method: method === "send" ? "chat.postMessage" : "chat.update", status: 429, retryAfter: 3 }),
  },
};

describe.each(Object.entries(adapters))("adapter contract: %s", (platform, adapter) => {
  const fixture = fixtures[platform as keyof typeof adapters];
  const bytes = (body: string) => new TextEncoder().encode(body);

  it("is configured by its secrets, and only then", () => {
    expect(adapter.platform).toBe(platform);
    expect(adapter.configured(env)).toBe(true);
    for (const secret of fixture.secrets) expect(adapter.configured({ ...env, [secret]: undefined })).toBe(false);
  });

  it("verifies the raw body it was given and refuses a forged request (the webhook answers 401)", async () => {
    const body = JSON.stringify(fixture.message(randomId(), "hi"));
    await expect(adapter.verify(await fixture.request(body), bytes(body), env, Date.now())).resolves.toBeUndefined();
    const forged = adapter.verify(await fixture.request(body, true), bytes(body), env, Date.now());
    await expect(forged).rejects.toBeInstanceOf(VerificationError);
  });

  it("parses a message into a chat key, a user, a stable delivery id and a reply target", async () => {
    const seed = randomId();
    const body = JSON.stringify(fixture.message(seed, "hello agent"));
    const request = await fixture.request(body);
    const parsed = await adapter.parse(request, bytes(body), env);
    const again = await adapter.parse(request, bytes(body), env);
    expect(parsed).toMatchObject({ kind: "message", text: "hello agent", command: null });
    if (parsed.kind !== "message" || again.kind !== "message") throw new Error("not a message");
    expect(parsed.chatKey.startsWith(`${platform}:`)).toBe(true);
    expect(parsed.userId.startsWith(`${platform}:`)).toBe(true);
    expect(again.messageId).toBe(parsed.messageId);
    expect(parsed.target.platform).toBe(platform);
    expect(JSON.parse(JSON.stringify(parsed.target))).toEqual(parsed.target);
  });

  it("recognises a command and ignores what is not for the agent", async () => {
    const seed = randomId();
    const command = JSON.stringify(fixture.command(seed));
    expect(await adapter.parse(await fixture.request(command), bytes(command), env)).toMatchObject({ kind: "message", command: "stop" });
    const ignored = JSON.stringify(fixture.ignored(seed));
    expect(await adapter.parse(await fixture.request(ignored), bytes(ignored), env)).toMatchObject({ kind: "ignore" });
  });

  it("refuses a verified body that is not JSON as malformed (the webhook answers 400)", async () => {
    await expect(adapter.parse(await fixture.request("{nope"), bytes("{nope"), env)).rejects.toBeInstanceOf(MalformedPayloadError);
  });

  it("sends, edits, shows typing and tells the sender, through the platform's API", async () => {
    const seed = randomId();
    const outbound = adapter.outbound(env);
    const target = fixture.target(seed);
    expect(outbound.maxLength).toBeGreaterThan(1000);
    const id = await outbound.send(target, "first **draft**", { quote: true });
    expect(id).toBeTruthy();
    await outbound.edit(target, id, "final text");
    await outbound.typing(target);
    await outbound.notice(target, "just for you");
    const texts = (await fixture.calls(seed)).map((c) => c.body.text).filter(Boolean);
    expect(texts).toHaveLength(3);
    expect(texts[0]).not.toContain("**");
    expect(texts[1]).toBe("final text");
    expect(texts[2]).toBe("just for you");
  });

  it("reports a rate limit as RateLimitError with the platform's wait", async () => {
    const seed = randomId();
    const outbound = adapter.outbound(env);
    await fixture.failNext(seed, "send");
    const error = await outbound.send(fixture.target(seed), "hi").catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(3000);
  });
});
