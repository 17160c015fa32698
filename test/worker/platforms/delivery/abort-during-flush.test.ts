/**
 * Issue 9 finding: the live-stream map was module-level, so after the chat's object was reset during an
 * in-flight Telegram call, the resumed turn awaited the dead stream's flush forever inside the turn lock.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { control, script, waitFor } from "../../helpers";
import { failTelegram, postTelegram, randomId, settledMessage, telegramCalls, telegramUpdate } from "../helpers";

describe("an object reset while a Telegram call is in flight", () => {
  it("does not wedge the chat: the turn finishes, its reply is delivered and the next message runs", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    await script(chatKey, { deltas: ["streamed ", "text"], hold: true });
    // The first streamed send never returns: the object is reset while it is in flight.
    await failTelegram({ chatId, method: "sendMessage", status: 200, description: "hang", hang: true });
    const first = telegramUpdate({ chatId, text: "first" });
    const second = telegramUpdate({ chatId, text: "second" });
    await postTelegram(first);
    await postTelegram(second);
    await waitFor(async () => (await telegramCalls(chatId)).some((c) => c.method === "sendMessage"), 10_000, "the hung send");

    await runInDurableObject(env.CHAT_SESSION.getByName(chatKey), (_instance, state) => state.abort("simulated reset")).catch(() => {});
    await script(chatKey, {});
    await control("release", { sessionId: chatKey });

    expect(await settledMessage(chatKey, `tg-${first.update_id}`, 25_000)).toMatchObject({ state: "done", reply: "streamed text" });
    expect(await settledMessage(chatKey, `tg-${second.update_id}`, 25_000)).toMatchObject({ state: "done", reply: "echo: second" });
    const answered = (await telegramCalls(chatId)).filter(
      (c) => (c.method === "sendMessage" || c.method === "editMessageText") && c.status === 200,
    );
    expect(answered.map((c) => c.body.text)).toContain("streamed text");
  });
});
