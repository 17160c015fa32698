/**
 * Issue 9 items 2 and 8: the backend down when a message arrives and back ~10 s later. The message is held
 * (queued, retried from the ChatSession's alarm with backoff), the user is told once, and answered once.
 * Runs in the `faults` project: retries back off from 0.2 s to 1 s, calls time out after 1 s.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { OUTAGE_NOTICE } from "../../src/worker/platforms/delivery/failure-notice";
import { api, backendLog, control, freshChat, getMessage, send, settled, waitFor } from "../worker/helpers";
import { postTelegram, randomId, settledMessage, telegramCalls, telegramUpdate } from "../worker/platforms/helpers";

interface StatusBody {
  backend: { reachable: boolean; since: string; lastError?: string };
}
const backendStatus = async () => ((await (await api("/api/status")).json()) as StatusBody).backend;
const messageCalls = async (chatId: number) =>
  (await telegramCalls(chatId)).filter((c) => c.method === "sendMessage" || c.method === "editMessageText");

describe("the backend down when a message arrives", () => {
  it("holds the message, tells the user once, and answers once when the backend is back ~10 s later", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    await control("outage", { sessionId: chatKey, mode: "refuse", forMs: 10_000 });
    const update = telegramUpdate({ chatId, text: "are you there?" });
    expect((await postTelegram(update)).status).toBe(200);

    const notice = await waitFor(async () => (await messageCalls(chatId)).find((c) => c.body.text === OUTAGE_NOTICE), 8_000, "the notice");
    expect(notice.method).toBe("sendMessage");
    expect((await env.CHAT_SESSION.getByName(chatKey).getMessage(`tg-${update.update_id}`))!.state).toBe("queued");
    const down = await waitFor(async () => {
      const b = await backendStatus();
      return b.reachable ? null : b;
    });
    expect(down.lastError).toBe("unreachable");
    expect(Date.parse(down.since)).toBeGreaterThan(0);

    expect(await settledMessage(chatKey, `tg-${update.update_id}`, 25_000)).toMatchObject({ state: "done", reply: "echo: are you there?" });
    const calls = await messageCalls(chatId);
    // One message in the chat: the notice, edited into the reply. The notice went out once despite many retries.
    expect(calls.filter((c) => c.method === "sendMessage")).toHaveLength(1);
    expect(calls.filter((c) => c.body.text === OUTAGE_NOTICE)).toHaveLength(1);
    expect(calls.at(-1)!.body).toMatchObject({ text: "echo: are you there?" });
    const log = await backendLog(chatKey);
    expect(log.filter((e) => e.kind === "refused").length).toBeGreaterThanOrEqual(4);
    expect(log.filter((e) => e.kind === "submit")).toHaveLength(1);
    await waitFor(async () => (await backendStatus()).reachable, 5_000, "reachable again");
  });

  it("holds an HTTP message through 503s at submit and answers it when they stop", async () => {
    const chat = freshChat("down");
    await control("outage", { sessionId: `http:${chat}`, mode: 503, forMs: 3_000 });
    const sent = await send(chat, "hello");
    await waitFor(async () => (await backendLog(`http:${chat}`)).filter((e) => e.kind === "refused").length >= 2);
    expect((await getMessage(chat, sent.messageId)).state).toBe("queued");
    expect(await settled(chat, sent.messageId, 15_000)).toMatchObject({ state: "done", reply: "echo: hello" });
  });

  it("fails the message backend_unreachable after BACKEND_OUTAGE_HOLD_SECONDS, telling the user", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    await control("outage", { sessionId: chatKey, mode: "hang", forMs: 120_000 });
    const update = telegramUpdate({ chatId, text: "too late" });
    await postTelegram(update);
    await waitFor(async () => (await messageCalls(chatId)).some((c) => c.body.text === OUTAGE_NOTICE), 8_000, "the notice");
    // Age the outage and the message by two hours, through storage (the hold here is 60 s).
    await runInDurableObject(env.CHAT_SESSION.getByName(chatKey), (_instance, state) => {
      const sql = state.storage.sql;
      const outage = JSON.parse(sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'outage'").one().value);
      outage.since -= 2 * 3_600_000;
      sql.exec("UPDATE meta SET value = ? WHERE key = 'outage'", JSON.stringify(outage));
      sql.exec("UPDATE messages SET created_at = created_at - ?", 2 * 3_600_000);
    });
    const failed = await settledMessage(chatKey, `tg-${update.update_id}`, 15_000);
    expect(failed.state).toBe("failed");
    expect(failed.error).toMatch(/^backend_unreachable: the pi backend was unreachable for \d+ s \(last: timeout\)/);
    const calls = await messageCalls(chatId);
    expect(calls.filter((c) => c.method === "sendMessage")).toHaveLength(1);
    expect(String(calls.at(-1)!.body.text)).toContain("The agent failed (backend_unreachable)");
    await control("outage", { sessionId: chatKey, mode: "hang", forMs: 0 });
  });
});
