/** POST /api/chats/:chatId/stop and /reset. */
import { describe, expect, it } from "vitest";
import { api, backendLog, freshChat, releaseHeld, script, send, settled, waitFor } from "../helpers";

const post = (path: string, json: unknown = {}) => api(path, { method: "POST", json });

describe("POST /api/chats/:chatId/stop", () => {
  it("aborts the running turn at once and says what it stopped and how many are queued", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { hold: true });
    const running = await send(chat, "long");
    const queued = await send(chat, "next");
    await waitFor(async () => (await backendLog(`http:${chat}`)).some((e) => e.kind === "turn_start"));
    await script(`http:${chat}`, {});
    const res = await post(`/api/chats/${chat}/stop`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ chat: `http:${chat}`, stopped: running.messageId, queued: 1 });
    // A stopped message ends `aborted` (the ledger state of issue 9), not `failed`.
    expect(await settled(chat, running.messageId)).toMatchObject({ state: "aborted" });
    expect(await settled(chat, queued.messageId)).toMatchObject({ state: "done", reply: "echo: next" });
  });

  it("answers stopped: null when nothing runs", async () => {
    const chat = freshChat();
    const res = await post(`/api/chats/${chat}/stop`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ chat: `http:${chat}`, stopped: null, queued: 0 });
    expect((await post("/api/chats/bad.id/stop")).status).toBe(400);
    expect((await api(`/api/chats/${chat}/stop`, { method: "POST", auth: false })).status).toBe(401);
  });
});

describe("POST /api/chats/:chatId/reset", () => {
  it("queues a new conversation after what is already queued, without stopping the running turn", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { hold: true });
    const running = await send(chat, "old 1");
    const queued = await send(chat, "old 2");
    const res = await post(`/api/chats/${chat}/reset`, { id: "reset-1" });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ chat: `http:${chat}`, messageId: "reset-1", state: "queued", position: 2, queued: 1 });
    const after = await send(chat, "new 1");
    await script(`http:${chat}`, {});
    await releaseHeld(`http:${chat}`);
    expect(await settled(chat, running.messageId)).toMatchObject({ state: "done" });
    await settled(chat, after.messageId);
    const order = (await backendLog(`http:${chat}`)).filter((e) => e.kind === "submit" || e.kind === "reset" || e.kind === "abort");
    expect(order.map((e) => e.kind)).toEqual(["submit", "submit", "reset", "submit"]);
    expect((await settled(chat, queued.messageId)).state).toBe("done");
  });

  it("accepts an empty body and refuses a bad one", async () => {
    const chat = freshChat();
    const empty = await api(`/api/chats/${chat}/reset`, { method: "POST", headers: { "content-type": "application/json" } });
    expect(empty.status).toBe(202);
    const bad = await post(`/api/chats/${chat}/reset`, { id: 5 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_field" } });
  });
});

describe("GET /api/chats/:chatId/messages/:messageId while queued", () => {
  it("shows the position until the message runs", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { hold: true });
    await send(chat, "first");
    const second = await send(chat, "second");
    const queued = await api(`/api/chats/${chat}/messages/${second.messageId}`);
    expect(await queued.json()).toEqual({ messageId: second.messageId, state: "queued", position: 1, attempts: 0 });
    await script(`http:${chat}`, {});
    await releaseHeld(`http:${chat}`);
    expect(await settled(chat, second.messageId)).toEqual({
      messageId: second.messageId,
      state: "done",
      reply: "echo: second",
      attempts: 1,
    });
  });
});
