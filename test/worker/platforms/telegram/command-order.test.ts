/**
 * Issue 9 finding: /new and /stop took effect in waitUntil, after the webhook's 200, so a message delivered
 * right after /new could be stored before its reset, and a deferred /stop (naming no turn) could abort the
 * next turn. They now take effect before the ack; /stop names the turn it stops.
 */
import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../../../src/worker/index";
import { backendLog, control, script, waitFor } from "../../helpers";
import { postTelegram, randomId, settledMessage, TELEGRAM_SECRET, telegramCommand, telegramUpdate } from "../helpers";

/** Delivers an update and returns as soon as the webhook answered, leaving its waitUntil work pending. */
async function ackOnly(update: unknown): Promise<{ status: number; deferred: Promise<void> }> {
  const ctx = createExecutionContext();
  const request = new Request("https://evie.test/webhooks/telegram", {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TELEGRAM_SECRET },
    body: JSON.stringify(update),
  });
  const res = await worker.fetch(request, env, ctx);
  return { status: res.status, deferred: waitOnExecutionContext(ctx) };
}

type Row = { id: string; kind: string; state: string; turn_id: string | null; seq: number };
function inboxRows(chatKey: string): Promise<Row[]> {
  return runInDurableObject(env.CHAT_SESSION.getByName(chatKey), (_instance, state) =>
    state.storage.sql.exec<Row>("SELECT id, kind, state, turn_id, seq FROM messages ORDER BY seq").toArray(),
  );
}

describe("commands that change order take effect before the webhook's ack", () => {
  it("/new is in the inbox when the webhook answers, so the next message goes to the new conversation", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    // A turn is running and the link is slow: /new's abort takes a while to answer.
    await script(chatKey, { deltas: ["old"], hold: true, abortAnswerDelayMs: 500 });
    const hello = telegramUpdate({ chatId, text: "old conversation" });
    await postTelegram(hello);
    await waitFor(async () => (await backendLog(chatKey)).some((e) => e.kind === "turn_start"));
    await script(chatKey, { abortAnswerDelayMs: 500 });

    const fresh = telegramCommand(chatId, "/new");
    const ack = await ackOnly(fresh);
    expect(ack.status).toBe(200);
    expect((await inboxRows(chatKey)).map((r) => r.kind)).toContain("reset");
    const next = telegramUpdate({ chatId, text: "new conversation" });
    const nextAck = await ackOnly(next);
    await Promise.all([ack.deferred, nextAck.deferred]);
    await settledMessage(chatKey, `tg-${next.update_id}`);

    const rows = await inboxRows(chatKey);
    const reset = rows.find((r) => r.id === `tg-${fresh.update_id}`)!;
    expect(reset.seq).toBeLessThan(rows.find((r) => r.id === `tg-${next.update_id}`)!.seq);
    const log = (await backendLog(chatKey)).filter((e) => e.kind === "reset" || e.kind === "submit").map((e) => e.kind);
    expect(log).toEqual(["submit", "reset", "submit"]);
  });

  it("/stop names the turn it stops; a redelivery after the next turn started stops nothing", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    await script(chatKey, { deltas: ["working"], hold: true });
    const first = telegramUpdate({ chatId, text: "long job" });
    const second = telegramUpdate({ chatId, text: "next job" });
    await postTelegram(first);
    await postTelegram(second);
    await waitFor(async () => (await backendLog(chatKey)).some((e) => e.kind === "turn_start"));
    const firstTurn = (await backendLog(chatKey)).find((e) => e.kind === "submit")!.turnId;

    const stop = telegramCommand(chatId, "/stop");
    const ack = await ackOnly(stop);
    // Before any deferred work ran: the abort went out and the stop is recorded, naming the turn.
    expect((await backendLog(chatKey)).filter((e) => e.kind === "abort")).toHaveLength(1);
    expect((await inboxRows(chatKey)).find((r) => r.id === `tg-${stop.update_id}`)).toMatchObject({ kind: "stop", turn_id: firstTurn });
    await ack.deferred;
    expect(await settledMessage(chatKey, `tg-${first.update_id}`)).toMatchObject({ state: "aborted" });

    // The second message's turn is held open; the same /stop is delivered again.
    await waitFor(async () => (await backendLog(chatKey)).filter((e) => e.kind === "turn_start").length === 2);
    for (let i = 0; i < 3; i++) expect((await postTelegram(stop)).status).toBe(200);
    expect((await backendLog(chatKey)).filter((e) => e.kind === "abort")).toHaveLength(1);
    await script(chatKey, {});
    await control("release", { sessionId: chatKey });
    expect(await settledMessage(chatKey, `tg-${second.update_id}`)).toMatchObject({ state: "done", reply: "working" });
  });
});
