/**
 * Issue 9 items 3 and 8: the backend restarted mid-turn forgets the turn it had accepted (404 unknown_turn,
 * or a terminal turn_error backend_lost_turn from a graceful shutdown). The message is submitted once more
 * under a new attempt, and on Telegram the same streamed message is edited: one reply.
 */
import { describe, expect, it } from "vitest";
import { backendLog, control, script, waitFor } from "../worker/helpers";
import { postTelegram, randomId, settledMessage, telegramCalls, telegramUpdate } from "../worker/platforms/helpers";

const messageCalls = async (chatId: number) =>
  (await telegramCalls(chatId)).filter((c) => c.method === "sendMessage" || c.method === "editMessageText");

describe("the backend restarted mid-turn", () => {
  it("re-submits the lost turn once and streams on into the same Telegram message", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    await script(chatKey, { deltas: ["first ", "attempt"], hold: true });
    const update = telegramUpdate({ chatId, text: "survive a restart" });
    await postTelegram(update);
    await waitFor(async () => (await messageCalls(chatId)).some((c) => c.body.text === "first attempt"), 10_000, "the streamed text");

    await script(chatKey, { deltas: ["second ", "attempt"] });
    await control("forget", { sessionId: chatKey });
    const record = await settledMessage(chatKey, `tg-${update.update_id}`, 20_000);
    expect(record).toMatchObject({ state: "done", reply: "second attempt", attempts: 2 });

    const calls = await messageCalls(chatId);
    expect(calls.filter((c) => c.method === "sendMessage")).toHaveLength(1);
    expect(new Set(calls.filter((c) => c.method === "editMessageText").map((c) => c.body.message_id)).size).toBe(1);
    expect(calls.at(-1)!.body.text).toBe("second attempt");
    const submits = (await backendLog(chatKey)).filter((e) => e.kind === "submit");
    expect(submits).toHaveLength(2);
    expect(submits[0]!.turnId).not.toBe(submits[1]!.turnId);
  });

  it("treats a terminal turn_error backend_lost_turn (graceful shutdown) the same way", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    await script(chatKey, { deltas: ["cut short"], hold: true, error: { code: "backend_lost_turn", message: "server shutting down" } });
    const update = telegramUpdate({ chatId, text: "shutdown" });
    await postTelegram(update);
    await waitFor(async () => (await backendLog(chatKey)).some((e) => e.kind === "turn_start"), 10_000);
    await script(chatKey, {});
    await control("release", { sessionId: chatKey });
    const record = await settledMessage(chatKey, `tg-${update.update_id}`, 20_000);
    expect(record).toMatchObject({ state: "done", reply: "echo: shutdown", attempts: 2 });
    const calls = await messageCalls(chatId);
    expect(calls.filter((c) => c.method === "sendMessage")).toHaveLength(1);
    expect(calls.at(-1)!.body.text).toBe("echo: shutdown");
  });
});
