/** Queue modes through the Worker in workerd, against the fake backend: followup, collect, steer, interrupt, and MAX_QUEUED. */
import { describe, expect, it } from "vitest";
import { api, backendLog, control, freshChat, getMessage, type MessageView, script, send, settled, waitFor } from "../helpers";

const patch = (chatId: string, body: unknown) => api(`/api/chats/${chatId}`, { method: "PATCH", json: body });

async function setMode(chatId: string, queueMode: string): Promise<void> {
  const res = await patch(chatId, { queueMode });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ chat: `http:${chatId}`, queueMode });
}

/** Holds the chat's first turn open at the backend and waits until it streams. */
async function holdFirstTurn(chatId: string, text = "a"): Promise<{ messageId: string }> {
  await script(`http:${chatId}`, { deltas: ["working"], hold: true });
  const first = await send(chatId, text);
  await waitFor(async () => (await backendLog(`http:${chatId}`)).some((e) => e.kind === "turn_start"), 10_000, "the first turn to start");
  await script(`http:${chatId}`, {});
  return first;
}

const release = (chatId: string) => control("release", { sessionId: `http:${chatId}` });
const submits = async (chatId: string) => (await backendLog(`http:${chatId}`)).filter((e) => e.kind === "submit");

describe("queue mode setting", () => {
  it("is followup by default; PATCH sets it and GET shows it with the counts", async () => {
    const chat = freshChat("mode");
    const before = await api(`/api/chats/${chat}`);
    expect(before.status).toBe(200);
    expect(await before.json()).toEqual({
      chat: `http:${chat}`,
      queueMode: "followup",
      maxQueued: 20,
      counts: { queued: 0, running: 0, done: 0, failed: 0, aborted: 0, merged: 0 },
    });
    await setMode(chat, "collect");
    await settled(chat, (await send(chat, "hi")).messageId);
    expect(await (await api(`/api/chats/${chat}`)).json()).toMatchObject({ queueMode: "collect", counts: { done: 1, queued: 0 } });
  });

  it.each([
    ["an unknown mode", { queueMode: "fifo" }, "queueMode: must be one of followup, collect, steer, interrupt"],
    ["a mode that is not a string", { queueMode: 3 }, "queueMode"],
    ["no mode", {}, "queueMode"],
    ["a field that is not a setting", { queueMode: "steer", maxQueued: 5 }, "maxQueued"],
  ])("refuses %s with 400 naming the problem", async (_label, body, mentions) => {
    const chat = freshChat("mode");
    const res = await patch(chat, body);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("invalid_field");
    expect(error.message).toContain(mentions);
    expect(await (await api(`/api/chats/${chat}`)).json()).toMatchObject({ queueMode: "followup" });
  });

  it("refuses a PATCH without a JSON content type, without a token, or for a malformed chat id", async () => {
    const chat = freshChat("mode");
    const plain = await api(`/api/chats/${chat}`, {
      method: "PATCH",
      body: '{"queueMode":"steer"}',
      headers: { "content-type": "text/plain" },
    });
    expect(plain.status).toBe(415);
    expect((await api(`/api/chats/${chat}`, { method: "PATCH", json: { queueMode: "steer" }, auth: false })).status).toBe(401);
    const badId = await patch("a.b", { queueMode: "steer" });
    expect(badId.status).toBe(400);
    expect(await badId.json()).toMatchObject({ error: { code: "invalid_chat_id" } });
    const notJson = await api(`/api/chats/${chat}`, { method: "PATCH", body: "{", headers: { "content-type": "application/json" } });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: { code: "invalid_json" } });
  });
});

describe("followup (default)", () => {
  it("runs messages sent during a turn each as its own turn, in order", async () => {
    const chat = freshChat("followup");
    const a = await holdFirstTurn(chat);
    const b = await send(chat, "b");
    const c = await send(chat, "c");
    await release(chat);
    expect((await settled(chat, a.messageId)).reply).toBe("working");
    expect(await settled(chat, b.messageId)).toMatchObject({ state: "done", reply: "echo: b" });
    expect(await settled(chat, c.messageId)).toMatchObject({ state: "done", reply: "echo: c" });
    expect(await submits(chat)).toHaveLength(3);
  });
});

describe("collect", () => {
  it("merges the messages sent during a turn into one next turn; they end merged into it", async () => {
    const chat = freshChat("collect");
    await setMode(chat, "collect");
    const a = await holdFirstTurn(chat);
    const b = await send(chat, "b");
    const c = await send(chat, "c");
    const d = await send(chat, "d");
    await release(chat);
    expect(await settled(chat, a.messageId)).toMatchObject({ state: "done", reply: "working" });
    expect(await settled(chat, b.messageId)).toMatchObject({ messageId: b.messageId, state: "done", reply: "echo: b\n\nc\n\nd" });
    for (const m of [c, d])
      expect(await getMessage(chat, m.messageId)).toMatchObject({ messageId: m.messageId, state: "merged", mergedInto: b.messageId });
    expect(await submits(chat)).toHaveLength(2);
    expect(await (await api(`/api/chats/${chat}`)).json()).toMatchObject({ counts: { done: 2, merged: 2, queued: 0 } });
  });
});

describe("steer", () => {
  it("sends a message into the running turn; it ends merged into that turn and starts none of its own", async () => {
    const chat = freshChat("steer");
    await setMode(chat, "steer");
    const a = await holdFirstTurn(chat);
    const b = await send(chat, "go left instead");
    expect(b).toMatchObject({ messageId: b.messageId, state: "merged", mergedInto: a.messageId });
    const steers = (await backendLog(`http:${chat}`)).filter((e) => e.kind === "steer");
    expect(steers.map((e) => e.message)).toEqual(["go left instead"]);
    await release(chat);
    expect(await settled(chat, a.messageId)).toMatchObject({ state: "done" });
    expect(await getMessage(chat, b.messageId)).toMatchObject({ messageId: b.messageId, state: "merged", mergedInto: a.messageId });
    expect(await submits(chat)).toHaveLength(1);
  });

  it("runs a message as its own turn when no turn is running", async () => {
    const chat = freshChat("steer");
    await setMode(chat, "steer");
    const a = await send(chat, "alone");
    expect(await settled(chat, a.messageId)).toMatchObject({ state: "done", reply: "echo: alone" });
    expect((await backendLog(`http:${chat}`)).filter((e) => e.kind === "steer")).toHaveLength(0);
  });

  it("queues as a follow-up when something already waits, so nothing is overtaken", async () => {
    const chat = freshChat("steer");
    const a = await holdFirstTurn(chat);
    const b = await send(chat, "queued while followup");
    await setMode(chat, "steer");
    const c = await send(chat, "would overtake b");
    expect(c.state).toBe("queued");
    await release(chat);
    for (const [m, reply] of [
      [b, "echo: queued while followup"],
      [c, "echo: would overtake b"],
    ] as const) {
      expect(await settled(chat, m.messageId)).toMatchObject({ state: "done", reply });
    }
    expect((await settled(chat, a.messageId)).state).toBe("done");
    expect((await backendLog(`http:${chat}`)).filter((e) => e.kind === "steer")).toHaveLength(0);
  });
});

describe("interrupt", () => {
  it("aborts the running turn and runs the newest message", async () => {
    const chat = freshChat("interrupt");
    await setMode(chat, "interrupt");
    const a = await holdFirstTurn(chat);
    const b = await send(chat, "never mind, do this");
    expect(await settled(chat, a.messageId)).toMatchObject({
      messageId: a.messageId,
      state: "aborted",
      reply: "working",
      error: `aborted: interrupted by message ${b.messageId}`,
    });
    expect(await settled(chat, b.messageId)).toMatchObject({ state: "done", reply: "echo: never mind, do this" });
    expect((await backendLog(`http:${chat}`)).filter((e) => e.kind === "abort")).toHaveLength(1);
  });

  it("aborts a turn whose submit was still in flight as soon as the backend has it", async () => {
    const chat = freshChat("interrupt");
    await setMode(chat, "interrupt");
    await script(`http:${chat}`, { deltas: ["slow start"], hold: true, submitDelayMs: 600 });
    const a = await send(chat, "a");
    await waitFor(async () => (await getMessage(chat, a.messageId)).state === "running", 5_000, "a to be running");
    expect(await submits(chat)).toHaveLength(0);
    await script(`http:${chat}`, {});
    const b = await send(chat, "b");
    expect(await settled(chat, a.messageId)).toMatchObject({ state: "aborted", error: `aborted: interrupted by message ${b.messageId}` });
    expect(await settled(chat, b.messageId)).toMatchObject({ state: "done", reply: "echo: b" });
  });

  it("supersedes the messages that were waiting: they end aborted and never run", async () => {
    const chat = freshChat("interrupt");
    const a = await holdFirstTurn(chat);
    const b = await send(chat, "waiting");
    await setMode(chat, "interrupt");
    const c = await send(chat, "newest");
    const ended: MessageView[] = [];
    for (const m of [a, b, c]) ended.push(await settled(chat, m.messageId));
    expect(ended.map((m) => m.state)).toEqual(["aborted", "aborted", "done"]);
    expect(ended[1]!.error).toBe(`aborted: superseded by message ${c.messageId}`);
    expect(await submits(chat)).toHaveLength(2);
  });
});

describe("MAX_QUEUED", () => {
  it("refuses the message past the limit with 429 queue_full and Retry-After, storing nothing; a resent id is still answered", async () => {
    const chat = freshChat("full");
    const a = await holdFirstTurn(chat);
    const queued = [];
    for (let i = 0; i < 20; i++) queued.push(await send(chat, `m${i}`, `m${i}`));
    const res = await api(`/api/chats/${chat}/messages`, { method: "POST", json: { text: "one too many", id: "extra" } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    const { error } = (await res.json()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ code: "queue_full", queued: 20, maxQueued: 20 });
    expect(String(error.message)).toContain("not stored");
    expect((await api(`/api/chats/${chat}/messages/extra`)).status).toBe(404);
    // A retry of a message that was stored is answered as before, full or not.
    const again = await api(`/api/chats/${chat}/messages`, { method: "POST", json: { text: "m3", id: "m3" } });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ messageId: "m3", state: "queued" });

    await release(chat);
    await settled(chat, a.messageId);
    for (const m of queued) expect((await settled(chat, m.messageId)).state).toBe("done");
    // Room again: the refused message can be sent now.
    expect((await api(`/api/chats/${chat}/messages`, { method: "POST", json: { text: "one too many", id: "extra" } })).status).toBe(202);
  });

  it("never lets more than MAX_QUEUED in when many arrive at once", async () => {
    const chat = freshChat("full");
    const a = await holdFirstTurn(chat);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => api(`/api/chats/${chat}/messages`, { method: "POST", json: { text: `p${i}` } })),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    await Promise.all(answers.map((r) => r.body?.cancel()));
    expect(await (await api(`/api/chats/${chat}`)).json()).toMatchObject({ counts: { queued: 20, running: 1 } });
    await release(chat);
    await settled(chat, a.messageId);
    await waitFor(
      async () => ((await (await api(`/api/chats/${chat}`)).json()) as { counts: { done: number } }).counts.done === 21,
      20_000,
    );
  });
});
