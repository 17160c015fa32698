/** POST /webhooks/telegram: secret token, what is a message for the agent, deduplication, commands, allowlist. */
import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../../../src/worker/index";
import { backendLog, control, script, waitFor } from "../../helpers";
import {
  BOT_USERNAME,
  postTelegram,
  randomId,
  runPendingTurns,
  settledMessage,
  telegramCalls,
  telegramCommand,
  telegramUpdate,
} from "../helpers";

const submits = async (chatId: number) => (await backendLog(`telegram:${chatId}`)).filter((e) => e.kind === "submit");
const withoutCaption = (update: Record<string, unknown>) => {
  delete (update.message as { caption?: string }).caption;
  return update;
};
const sends = async (chatId: number) => (await telegramCalls(chatId)).filter((c) => c.method === "sendMessage");

describe("Telegram webhook authentication", () => {
  it.each([
    ["missing", null],
    ["wrong", "not-the-secret"],
    ["a prefix of the", "test-telegram"],
  ])("refuses a %s secret token with 401 and starts no turn", async (_what, secret) => {
    const chatId = randomId();
    const res = await postTelegram(telegramUpdate({ chatId, text: "forged" }), secret);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "unauthorized" } });
    expect(await submits(chatId)).toHaveLength(0);
    expect(await telegramCalls(chatId)).toHaveLength(0);
    expect(await env.CHAT_SESSION.getByName(`telegram:${chatId}`).snapshot()).toBeNull();
  });

  it("answers 404 when Telegram is not configured, before looking at the request", async () => {
    for (const missing of ["TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_BOT_TOKEN"] as const) {
      const ctx = createExecutionContext();
      const request = new Request("https://evie.test/webhooks/telegram", { method: "POST", body: "{}" });
      const res = await worker.fetch(request, { ...env, [missing]: undefined }, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
    }
  });

  it("answers 400 JSON for a body that is not an update", async () => {
    const bad = await postTelegram("{not json");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_json" } });
    const noId = await postTelegram({ message: { text: "hi" } });
    expect(noId.status).toBe(400);
    expect(await noId.json()).toMatchObject({ error: { code: "invalid_update" } });
  });
});

describe("Telegram messages", () => {
  it("stores a private text message, acks at once, and answers it once, quoting it", async () => {
    const chatId = randomId();
    const update = telegramUpdate({ chatId, text: "hello **there**" });
    const started = Date.now();
    const res = await postTelegram(update);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    const done = await settledMessage(`telegram:${chatId}`, `tg-${update.update_id}`);
    expect(done).toMatchObject({ state: "done", reply: "echo: hello **there**" });

    const sent = await sends(chatId);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toMatchObject({
      chat_id: chatId,
      text: "echo: hello <b>there</b>",
      parse_mode: "HTML",
      reply_parameters: { message_id: (update.message as { message_id: number }).message_id },
    });
    expect((await telegramCalls(chatId)).some((c) => c.method === "sendChatAction" && c.body.action === "typing")).toBe(true);
  });

  it("refreshes the typing action about every 4 s while a turn runs", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    await script(chatKey, { deltas: [], hold: true });
    await postTelegram(telegramUpdate({ chatId, text: "think hard" }));
    const typing = await waitFor(async () => {
      const calls = (await telegramCalls(chatId)).filter((c) => c.method === "sendChatAction");
      return calls.length >= 2 ? calls : null;
    }, 8000);
    await script(chatKey, {});
    await control("release", { sessionId: chatKey });
    const gap = typing[1]!.at - typing[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(3900);
    expect(gap).toBeLessThan(6000);
  });

  it("takes a photo's caption as the message", async () => {
    const chatId = randomId();
    const update = telegramUpdate({ chatId, caption: "what is in this picture?" });
    expect((await postTelegram(update)).status).toBe(200);
    expect(await settledMessage(`telegram:${chatId}`, `tg-${update.update_id}`)).toMatchObject({
      reply: expect.stringMatching(/^echo: what is in this picture\? \[image photo-\d+\.jpg\]$/),
    });
  });

  it("answers one reply per message across 5 deliveries of the same update, and again after a restart", async () => {
    const chatId = randomId();
    const update = telegramUpdate({ chatId, text: "only once" });
    const deliveries = await Promise.all(Array.from({ length: 5 }, () => postTelegram(update)));
    expect(deliveries.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    await settledMessage(`telegram:${chatId}`, `tg-${update.update_id}`);
    expect(await runPendingTurns(`telegram:${chatId}`)).toBe(0);
    expect(await submits(chatId)).toHaveLength(1);
    expect(await sends(chatId)).toHaveLength(1);

    // Restart the chat's object (memory gone, storage kept), then Telegram resends the update 5 more times.
    const stub = env.CHAT_SESSION.getByName(`telegram:${chatId}`);
    await runInDurableObject(stub, (_instance, state) => state.abort("simulated restart")).catch(() => {});
    for (let i = 0; i < 5; i++) expect((await postTelegram(update)).status).toBe(200);
    expect(await runPendingTurns(`telegram:${chatId}`)).toBe(0);
    expect(await submits(chatId)).toHaveLength(1);
    expect(await sends(chatId)).toHaveLength(1);
  });

  it.each([
    [
      "an edited message",
      (chatId: number) => ({ update_id: randomId(), edited_message: telegramUpdate({ chatId, text: "edit" }).message }),
    ],
    ["a message from a bot", (chatId: number) => telegramUpdate({ chatId, text: "beep", fromBot: true })],
    [
      "a message with neither text nor media (a service message)",
      (chatId: number) => {
        const update = withoutCaption(telegramUpdate({ chatId, caption: "x" }));
        delete (update.message as { photo?: unknown }).photo;
        return { ...update, message: { ...(update.message as object), new_chat_title: "renamed" } };
      },
    ],
    [
      "a group message not addressed to the bot",
      (chatId: number) => telegramUpdate({ chatId: -chatId, text: "hi all", chatType: "supergroup" }),
    ],
    ["a command for another bot", (chatId: number) => telegramCommand(-chatId, "/stop@other_bot", { chatType: "group" })],
  ])("acknowledges %s with 200 and ignores it", async (_what, build) => {
    const chatId = randomId();
    const update = build(chatId);
    const res = await postTelegram(update);
    expect(res.status).toBe(200);
    for (const id of [chatId, -chatId]) {
      expect(await env.CHAT_SESSION.getByName(`telegram:${id}`).snapshot()).toBeNull();
      expect(await submits(id)).toHaveLength(0);
      expect(await telegramCalls(id)).toHaveLength(0);
    }
  });

  it("answers a group message that mentions the bot, without the mention", async () => {
    const chatId = -randomId();
    const text = `@${BOT_USERNAME} what time is it?`;
    const update = telegramUpdate({
      chatId,
      text,
      chatType: "supergroup",
      entities: [{ offset: 0, length: BOT_USERNAME.length + 1, type: "mention" }],
    });
    expect((await postTelegram(update)).status).toBe(200);
    expect(await settledMessage(`telegram:${chatId}`, `tg-${update.update_id}`)).toMatchObject({ reply: "echo: what time is it?" });
  });

  it("answers a group message that replies to the bot", async () => {
    const chatId = -randomId();
    const update = telegramUpdate({ chatId, text: "and then?", chatType: "group", replyToBot: true });
    expect((await postTelegram(update)).status).toBe(200);
    expect(await settledMessage(`telegram:${chatId}`, `tg-${update.update_id}`)).toMatchObject({ reply: "echo: and then?" });
  });
});

describe("Telegram commands", () => {
  it("/stop aborts a held-open turn at once, keeps the queue, and answers once even if resent", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    await script(chatKey, { deltas: ["thinking"], hold: true });
    const first = telegramUpdate({ chatId, text: "long job" });
    const second = telegramUpdate({ chatId, text: "next job" });
    await postTelegram(first);
    await postTelegram(second);
    await waitFor(async () => (await backendLog(chatKey)).some((e) => e.kind === "turn_start"));
    await script(chatKey, {});

    const stop = telegramCommand(chatId, "/stop");
    const started = Date.now();
    expect((await postTelegram(stop)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await settledMessage(chatKey, `tg-${first.update_id}`)).toMatchObject({ state: "aborted" });
    expect((await backendLog(chatKey)).filter((e) => e.kind === "abort")).toHaveLength(1);

    const reply = await waitFor(async () => (await sends(chatId)).find((c) => String(c.body.text).includes("Stopped the running turn")));
    expect(reply.body.text).toContain("1 queued message stays queued");
    // The queued message still runs.
    expect(await settledMessage(chatKey, `tg-${second.update_id}`)).toMatchObject({ state: "done", reply: "echo: next job" });

    // Telegram resends the /stop update: no second abort, no second answer.
    for (let i = 0; i < 3; i++) expect((await postTelegram(stop)).status).toBe(200);
    expect((await backendLog(chatKey)).filter((e) => e.kind === "abort")).toHaveLength(1);
    expect((await sends(chatId)).filter((c) => String(c.body.text).includes("Stopped the running turn"))).toHaveLength(1);
    // The aborted turn's own reply says so, once.
    expect((await sends(chatId)).filter((c) => c.body.text === "thinking\n\n⏹ Stopped.")).toHaveLength(1);
  });

  it("/new resets the backend conversation in order; /status and /help answer", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    const hello = telegramUpdate({ chatId, text: "hello" });
    await postTelegram(hello);
    await settledMessage(chatKey, `tg-${hello.update_id}`);

    const fresh = telegramCommand(chatId, "/new");
    await postTelegram(fresh);
    await waitFor(async () => (await backendLog(chatKey)).some((e) => e.kind === "reset"));
    await waitFor(async () => (await sends(chatId)).find((c) => String(c.body.text).includes("fresh conversation")));

    await postTelegram(telegramCommand(chatId, `/status@${BOT_USERNAME}`));
    const status = await waitFor(async () => (await sends(chatId)).find((c) => String(c.body.text).startsWith("Status:")));
    expect(status.body.text).toMatch(/Status: idle \(idle for \d+ s\)\.\nQueued messages: 0\.\nBackend session: live\./);

    await postTelegram(telegramCommand(chatId, "/help"));
    const help = await waitFor(async () => (await sends(chatId)).find((c) => String(c.body.text).includes("/stop:")));
    expect(help.body.text).toContain("/new:");
    expect(await submits(chatId)).toHaveLength(1);
  });
});

describe("Telegram allowlist", () => {
  it("starts no turn for a stranger and tells them their id once per hour", async () => {
    const chatId = randomId();
    const stranger = 666_000 + (chatId % 1000);
    for (let i = 0; i < 3; i++) {
      expect((await postTelegram(telegramUpdate({ chatId, text: `let me in ${i}`, userId: stranger }))).status).toBe(200);
    }
    await postTelegram(telegramCommand(chatId, "/stop", { userId: stranger }));
    const notice = await waitFor(async () => (await sends(chatId))[0]);
    expect(notice.body.text).toContain(`your id is telegram:${stranger}`);
    expect(await sends(chatId)).toHaveLength(1);
    expect(await env.CHAT_SESSION.getByName(`telegram:${chatId}`).snapshot()).toBeNull();
    expect(await submits(chatId)).toHaveLength(0);
    expect((await backendLog(`telegram:${chatId}`)).filter((e) => e.kind === "abort")).toHaveLength(0);
  });
});
