/** Telegram replies end to end: webhook → ChatSession turn (fake pi backend) → what the fake Bot API received. */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { loggedCalls } from "../../../fixtures/log-lines";
import { control, script, waitFor } from "../../helpers";
import { failTelegram, postTelegram, randomId, settledMessage, sleep, telegramCalls, telegramUpdate } from "../helpers";

/** sendMessage and editMessageText: the calls Telegram rate-limits per chat. */
const messageCalls = async (chatId: number) =>
  (await telegramCalls(chatId)).filter((c) => c.method === "sendMessage" || c.method === "editMessageText");
const gaps = (calls: { at: number }[]) => calls.slice(1).map((c, i) => c.at - calls[i]!.at);
/** What a failing pi leaves in its error: a provider's body, its stderr, our paths. None of it may reach a chat. */
const LEAKY_DETAIL =
  `provider said 401 {"error":{"message":"invalid x-api-key sk-ant-FAKE0000"}}; pi stderr: Error: ENOENT: ` +
  `open '/home/evie/.pi/agent/auth.json'`;
const LEAKS = ["sk-ant-FAKE0000", "/home/evie", "ENOENT", "stderr", "x-api-key"];

async function converse(text: string, setup: (chatKey: string, chatId: number) => Promise<void> = async () => {}) {
  const chatId = randomId();
  const chatKey = `telegram:${chatId}`;
  await setup(chatKey, chatId);
  const update = telegramUpdate({ chatId, text });
  expect((await postTelegram(update)).status).toBe(200);
  const record = await settledMessage(chatKey, `tg-${update.update_id}`, 25_000);
  return { chatId, chatKey, update, record };
}

describe("streaming a reply into Telegram", () => {
  it("shows typing, then edits one message at most once per second, ending on the turn_end text", async () => {
    const deltas = Array.from({ length: 10 }, (_, i) => `word${i} `);
    const { chatId, record } = await converse("stream please", (chatKey) => script(chatKey, { deltas, deltaDelayMs: 300 }));
    expect(record).toMatchObject({ state: "done", reply: deltas.join("") });

    const calls = await telegramCalls(chatId);
    expect(calls[0]!.method).toBe("sendChatAction");
    expect(calls[0]!.body).toMatchObject({ action: "typing" });
    const messages = await messageCalls(chatId);
    expect(messages.filter((c) => c.method === "sendMessage")).toHaveLength(1);
    expect(messages[0]!.method).toBe("sendMessage");
    const edits = messages.filter((c) => c.method === "editMessageText");
    expect(edits.length).toBeGreaterThanOrEqual(2);
    for (const gap of gaps(messages)) expect(gap).toBeGreaterThanOrEqual(1000);
    // Every edit targets the streamed message, and the last one shows the final text.
    expect(new Set(edits.map((c) => c.body.message_id)).size).toBe(1);
    expect(messages.at(-1)!.body.text).toBe(deltas.join(""));
    console.log(`telegram streaming: ${edits.length} edits, gaps between message calls (ms): ${gaps(messages).join(", ")}`);
  });

  it("waits out a 429's retry_after before the next edit", async () => {
    const deltas = Array.from({ length: 10 }, (_, i) => `step${i} `);
    const { chatId } = await converse("rate limited", async (chatKey, id) => {
      await script(chatKey, { deltas, deltaDelayMs: 300 });
      await failTelegram({
        chatId: id,
        method: "editMessageText",
        status: 429,
        description: "Too Many Requests: retry after 2",
        retryAfter: 2,
      });
    });
    const messages = await messageCalls(chatId);
    const limited = messages.findIndex((c) => c.status === 429);
    expect(limited).toBeGreaterThan(0);
    const next = messages[limited + 1]!;
    expect(next.at - messages[limited]!.at).toBeGreaterThanOrEqual(2000);
    expect(messages.at(-1)!.body.text).toBe(deltas.join(""));
    expect(messages.at(-1)!.status).toBe(200);
  });

  it("retries the final reply after a 429 instead of losing it", async () => {
    const { chatId } = await converse("quick", async (_chatKey, id) => {
      await failTelegram({
        chatId: id,
        method: "sendMessage",
        status: 429,
        description: "Too Many Requests: retry after 1",
        retryAfter: 1,
      });
    });
    const sends = (await messageCalls(chatId)).filter((c) => c.method === "sendMessage");
    expect(sends.map((c) => c.status)).toEqual([429, 200]);
    expect(sends[1]!.at - sends[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(sends[1]!.body.text).toBe("echo: quick");
  });

  it("sends the text plain when Telegram rejects its formatting", async () => {
    const markdown = "a **broken <b> reply** with `code`";
    const { chatId } = await converse("format", async (chatKey, id) => {
      await script(chatKey, { deltas: [markdown] });
      await failTelegram({
        chatId: id,
        method: "sendMessage",
        status: 400,
        description: 'Bad Request: can\'t parse entities: Unsupported start tag "b" at byte offset 9',
        onlyFormatted: true,
      });
    });
    const sends = (await messageCalls(chatId)).filter((c) => c.method === "sendMessage");
    expect(sends).toHaveLength(2);
    expect(sends[0]).toMatchObject({ status: 400, body: { parse_mode: "HTML" } });
    expect(sends[1]!.status).toBe(200);
    expect(sends[1]!.body.parse_mode).toBeUndefined();
    expect(sends[1]!.body.text).toBe(markdown);
  });

  it("splits a reply longer than 4096 characters at paragraph boundaries", async () => {
    const paragraphs = Array.from({ length: 30 }, (_, i) => `Paragraph ${i}: ${"lorem ipsum dolor sit amet ".repeat(11).trim()}.`);
    const text = paragraphs.join("\n\n");
    expect(text.length).toBeGreaterThan(2 * 4096);
    const { chatId, update } = await converse("long", (chatKey) => script(chatKey, { deltas: [text] }));
    const sends = (await messageCalls(chatId)).filter((c) => c.method === "sendMessage");
    expect(sends).toHaveLength(3);
    for (const call of sends) expect(String(call.body.text).length).toBeLessThanOrEqual(4096);
    // Whole paragraphs, in order, each exactly once; only the first part quotes the user's message.
    expect(sends.map((c) => c.body.text).join("\n\n")).toBe(text);
    expect(sends[0]!.body.reply_parameters).toMatchObject({ message_id: (update.message as { message_id: number }).message_id });
    expect(sends[1]!.body.reply_parameters).toBeUndefined();
  });

  it("reports a failed turn in the chat by its code and a human reason; the detail goes to the log and the record only", async () => {
    const logged = vi.spyOn(console, "error");
    const { chatId, chatKey, record } = await converse("fail", (chatKey) =>
      script(chatKey, { deltas: [], error: { code: "llm_error", message: LEAKY_DETAIL } }),
    );
    expect(record).toMatchObject({ state: "failed", error: `llm_error: ${LEAKY_DETAIL}` });
    const sends = (await messageCalls(chatId)).filter((c) => c.method === "sendMessage");
    expect(sends).toHaveLength(1);
    expect(sends[0]!.body.text).toBe(
      "⚠️ The agent failed (llm_error): the model provider returned an error. Try again, or /new to start over.",
    );
    for (const call of await telegramCalls(chatId)) {
      for (const leak of LEAKS) expect(JSON.stringify(call.body)).not.toContain(leak);
    }
    expect(loggedCalls(logged.mock.calls)).toContainEqual(
      expect.objectContaining({ level: "error", event: "turn.failed", chat: chatKey, code: "llm_error", detail: LEAKY_DETAIL }),
    );
    logged.mockRestore();
  });

  it("keeps streaming into the same message after a restart mid-turn, and replies once", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    await script(chatKey, { deltas: ["before ", "the restart"], hold: true });
    const update = telegramUpdate({ chatId, text: "survive" });
    await postTelegram(update);
    const first = await waitFor(async () => (await messageCalls(chatId)).find((c) => c.method === "sendMessage"));
    expect(first.body.text).toBe("before the restart");

    await runInDurableObject(env.CHAT_SESSION.getByName(chatKey), (_instance, state) => state.abort("simulated restart")).catch(() => {});
    await script(chatKey, {});
    await control("release", { sessionId: chatKey });
    expect(await settledMessage(chatKey, `tg-${update.update_id}`, 25_000)).toMatchObject({ state: "done", reply: "before the restart" });

    const messages = await messageCalls(chatId);
    expect(messages.filter((c) => c.method === "sendMessage")).toHaveLength(1);
    // The final text equals what the streamed message already shows: nothing more to send.
    expect(messages.filter((c) => c.method === "editMessageText")).toHaveLength(0);
  });

  it("finishes a split reply once when the object restarts between its parts", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    const paragraphs = Array.from({ length: 30 }, (_, i) => `Paragraph ${i}: ${"lorem ipsum dolor sit amet ".repeat(11).trim()}.`);
    await script(chatKey, { deltas: [paragraphs.join("\n\n")] });
    const update = telegramUpdate({ chatId, text: "long" });
    await postTelegram(update);
    await waitFor(async () => (await messageCalls(chatId)).length >= 1);
    // Parts go out a second apart: restart in the gap after the first one.
    await sleep(200);
    await runInDurableObject(env.CHAT_SESSION.getByName(chatKey), (_instance, state) => state.abort("simulated restart")).catch(() => {});
    const record = await settledMessage(chatKey, `tg-${update.update_id}`, 25_000);
    // The crash came during final delivery: the turn is replayed from its terminal event and ends done.
    expect(record.state).toBe("done");

    const sends = (await messageCalls(chatId)).filter((c) => c.method === "sendMessage");
    expect(sends).toHaveLength(3);
    expect(sends.map((c) => c.body.text).join("\n\n")).toBe(paragraphs.join("\n\n"));
  });
});
