/** Live replies over SSE: order, ids, resume with Last-Event-ID, several subscribers, tools, failures, queue positions. */
import { describe, expect, it } from "vitest";
import { readAll, type SseEvent, sseEvents } from "../../fixtures/sse";
import { api, freshChat, releaseHeld, script, send, settled, waitFor } from "../helpers";

const events = (chat: string, id: string, lastEventId?: string) =>
  api(`/api/chats/${chat}/messages/${encodeURIComponent(id)}/events`, lastEventId ? { headers: { "last-event-id": lastEventId } } : {});

const text = (list: SseEvent[]) =>
  list
    .filter((e) => e.event === "delta")
    .map((e) => (JSON.parse(e.data) as { text: string }).text)
    .join("");

/** Reads `n` events from a fresh subscription, then drops it. */
async function firstEvents(chat: string, id: string, n: number, lastEventId?: string): Promise<SseEvent[]> {
  const res = await events(chat, id, lastEventId);
  const got: SseEvent[] = [];
  for await (const e of sseEvents(res.body!)) {
    got.push(e);
    if (got.length === n) break;
  }
  return got;
}

describe("GET /api/chats/:chatId/messages/:messageId/events", () => {
  it("streams state, deltas and done with ids, then closes", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { deltas: ["Hel", "lo ", "there"], deltaDelayMs: 30, hold: true });
    const { messageId } = await send(chat, "hi");
    const res = await events(chat, messageId);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const all = readAll(res.body!);
    await waitFor(async () => (await getState(chat, messageId)) === "running");
    await releaseHeld(`http:${chat}`);
    const list = await all;
    expect(list.map((e) => e.event).filter((e) => e !== "delta")).toEqual(
      ["state", "state", "done"].slice(list[0]!.data.includes("queued") ? 0 : 1),
    );
    expect(text(list)).toBe("Hello there");
    expect(JSON.parse(list.at(-1)!.data)).toEqual({ reply: "Hello there" });
    expect(list.every((e) => e.id)).toBe(true);
    expect(new Set(list.map((e) => e.id)).size).toBe(list.length);
  });

  it("gives a later subscriber the whole reply so far and every subscriber every event", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { deltas: ["a", "b", "c"], hold: true });
    const { messageId } = await send(chat, "x");
    const a = readAll((await events(chat, messageId)).body!);
    await waitFor(async () => (await getState(chat, messageId)) === "running");
    const b = readAll((await events(chat, messageId)).body!);
    const gone = await events(chat, messageId); // goes away without reading: costs the turn nothing
    await gone.body!.cancel();
    await releaseHeld(`http:${chat}`);
    const [la, lb] = await Promise.all([a, b]);
    expect(text(la)).toBe("abc");
    expect(text(lb)).toBe("abc");
    expect(la.at(-1)!.event).toBe("done");
    expect(lb.at(-1)!.event).toBe("done");
    expect((await settled(chat, messageId)).reply).toBe("abc");
  });

  it("resumes after Last-Event-ID without repeats or gaps", async () => {
    const chat = freshChat();
    const deltas = ["one ", "two ", "three ", "four ", "five"];
    await script(`http:${chat}`, { deltas, deltaDelayMs: 20, hold: true });
    const { messageId } = await send(chat, "count");
    await waitFor(async () => (await getState(chat, messageId)) === "running");
    const head = await firstEvents(chat, messageId, 3);
    await releaseHeld(`http:${chat}`);
    await settled(chat, messageId);
    const rest = await readAll((await events(chat, messageId, head.at(-1)!.id)).body!);
    const ids = [...head, ...rest].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(text(head) + text(rest)).toBe(deltas.join(""));
    expect(rest.at(-1)!.event).toBe("done");
  });

  it("resumes by the text offset when the id is from another instance (a restart)", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { deltas: ["0123", "4567", "89"], hold: true });
    const { messageId } = await send(chat, "n");
    await waitFor(async () => (await getState(chat, messageId)) === "running");
    await waitFor(async () => text(await firstEvents(chat, messageId, 4)) === "0123456789");
    const resumed = readAll((await events(chat, messageId, "deadbeef.2.6")).body!);
    await releaseHeld(`http:${chat}`);
    const list = await resumed;
    expect(text(list)).toBe("6789");
    expect(list.at(-1)!.event).toBe("done");
  });

  it("streams tool events and a failure", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, {
      tools: [{ tool: "bash", args: { command: "ls" } }],
      deltas: ["partial"],
      error: { code: "llm_error", message: "model overloaded" },
      hold: true,
    });
    const { messageId } = await send(chat, "run ls");
    const all = readAll((await events(chat, messageId)).body!);
    await waitFor(async () => (await getState(chat, messageId)) === "running");
    await releaseHeld(`http:${chat}`);
    const list = await all;
    const tools = list.filter((e) => e.event === "tool").map((e) => JSON.parse(e.data));
    expect(tools).toEqual([
      { tool: "bash", phase: "start", args: { command: "ls" } },
      { tool: "bash", phase: "end", isError: false },
    ]);
    expect(list.at(-1)).toMatchObject({ event: "failed" });
    expect(JSON.parse(list.at(-1)!.data).error).toContain("llm_error");
  });

  it("reports a queued message's position until it runs", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { hold: true });
    const first = await send(chat, "first");
    const second = await send(chat, "second");
    const all = readAll((await events(chat, second.messageId)).body!);
    await waitFor(async () => (await getState(chat, first.messageId)) === "running");
    await script(`http:${chat}`, {});
    await releaseHeld(`http:${chat}`);
    const list = await all;
    const states = list.filter((e) => e.event === "state").map((e) => JSON.parse(e.data));
    expect(states[0]).toEqual({ state: "queued", position: 1 });
    expect(states.at(-1)).toMatchObject({ state: "running" });
    expect(list.at(-1)).toMatchObject({ event: "done" });
    expect(text(list)).toBe("echo: second");
  });

  it("answers a finished message with its terminal event at once", async () => {
    const chat = freshChat();
    const { messageId } = await send(chat, "old");
    await settled(chat, messageId);
    const list = await readAll((await events(chat, messageId)).body!);
    expect(list.at(-1)).toMatchObject({ event: "done", data: JSON.stringify({ reply: "echo: old" }) });
  });

  it("answers 404 for an unknown message, 401 without the token, 400 for a bad chat id", async () => {
    const res = await events(freshChat(), "nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
    expect((await api(`/api/chats/${freshChat()}/messages/x/events`, { auth: false })).status).toBe(401);
    expect((await events("bad.id", "x")).status).toBe(400);
  });
});

async function getState(chat: string, id: string): Promise<string> {
  const res = await api(`/api/chats/${chat}/messages/${encodeURIComponent(id)}`);
  return ((await res.json()) as { state: string }).state;
}
