/** The HTTP interface's dialogs (input_required, answer), tool records and agent commands, against the fake backend. */
import { describe, expect, it } from "vitest";
import { api, backendLog, freshChat, getMessage, script, send, settled, waitFor } from "../helpers";

const answer = (chat: string, messageId: string, body: unknown) =>
  api(`/api/chats/${chat}/messages/${messageId}/answer`, { method: "POST", json: body });
const command = (chat: string, body: unknown) => api(`/api/chats/${chat}/commands`, { method: "POST", json: body });

/** Waits until the message's record shows `input_required`. */
const waitingFor = (chat: string, messageId: string) =>
  waitFor(
    async () => {
      const record = (await getMessage(chat, messageId)) as unknown as { state: string; request?: Record<string, unknown> };
      return record.state === "input_required" ? record : null;
    },
    15_000,
    "input_required",
  );

describe("extension dialogs over HTTP", () => {
  it("shows input_required with the request; the answer goes to the backend once and the turn ends", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { deltas: ["checking"], dialog: { kind: "confirm", title: "Allow rm?", message: "rm -rf build" } });
    const { messageId } = await send(chat, "clean up");
    const waiting = await waitingFor(chat, messageId);
    expect(waiting.request).toMatchObject({ kind: "confirm", title: "Allow rm?", message: "rm -rf build", id: expect.any(String) });
    await expect(answer(chat, messageId, { value: "yes" }).then((r) => r.status)).resolves.toBe(400);
    const res = await answer(chat, messageId, { confirmed: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ messageId, answer: "Yes" });
    const again = await answer(chat, messageId, { confirmed: false });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toMatch(/already_answered|no_open_request/);
    const done = await settled(chat, messageId);
    expect(done).toMatchObject({ state: "done", reply: 'checking\n(answer: {"confirmed":true})' });
    expect(done).not.toHaveProperty("request");
    expect((await backendLog(`http:${chat}`)).filter((e) => e.kind === "ui_answer")).toHaveLength(1);
  });

  it("a dialog nobody answers times out on the backend and the turn ends", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, {
      deltas: ["asking"],
      dialog: { kind: "select", title: "Pick", options: ["A", "B"] },
      dialogTimeoutMs: 500,
    });
    const { messageId } = await send(chat, "pick one");
    expect((await waitingFor(chat, messageId)).request).toMatchObject({ kind: "select", options: ["A", "B"] });
    expect(await settled(chat, messageId)).toMatchObject({ state: "done", reply: 'asking\n(answer: "timeout")' });
    const late = await answer(chat, messageId, { value: "A" });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: { code: "no_open_request" } });
  });

  it("answers 404 for an unknown message and 400 for a body that is no answer", async () => {
    const chat = freshChat();
    expect((await answer(chat, "nope", { cancelled: true })).status).toBe(404);
    const bad = await answer(chat, "nope", { cancelled: false });
    expect(bad.status).toBe(400);
  });

  it("records the turn's tool calls: name, args, ok", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, {
      tools: [
        { name: "bash", args: { command: "ls -la src" }, ok: true },
        { name: "read", args: { path: "missing.txt" }, ok: false },
      ],
    });
    const done = await settled(chat, (await send(chat, "look around")).messageId);
    expect((done as unknown as { tools: unknown }).tools).toEqual([
      { name: "bash", args: { command: "ls -la src" }, ok: true },
      { name: "read", args: { path: "missing.txt" }, ok: false },
    ]);
  });
});

describe("POST /api/chats/:chatId/commands", () => {
  it("lists models, switches, sets thinking, shows stats, compacts and toggles verbose", async () => {
    const chat = freshChat();
    const list = (await (await command(chat, { command: "model" })).json()) as {
      text: string;
      choices: { label: string; data: string }[][];
    };
    expect(list.text).toContain("Fake One (fake/fake-1)");
    expect(list.choices.flat().map((c) => c.data)).toEqual(["cmd:model:fake/fake-1", "cmd:model:fake/fake-2"]);
    const set = await (await command(chat, { command: "model", args: "fake-2" })).json();
    expect(set).toMatchObject({ command: "model", text: "Model: Fake Two (fake/fake-2).", data: { appliesTo: "now" } });
    expect(await (await command(chat, { command: "model", args: "gpt-9" })).json()).toMatchObject({
      text: expect.stringContaining("No model"),
    });
    expect(await (await command(chat, { command: "thinking", args: "high" })).json()).toMatchObject({ text: "Thinking level: high." });
    const stats = (await (await command(chat, { command: "stats" })).json()) as { text: string };
    expect(stats.text).toContain("Tokens: 1,200 in, 340 out");
    expect(stats.text).toContain("Cost: $0.0123");
    expect(stats.text).toContain("Context: 1,540 of 128,000 tokens (1.2%)");
    expect(await (await command(chat, { command: "compact" })).json()).toMatchObject({ text: expect.stringContaining("Compacted") });
    expect(await (await command(chat, { command: "verbose", args: "off" })).json()).toMatchObject({ data: { verbose: false } });
    const log = await backendLog(`http:${chat}`);
    expect(log.filter((e) => e.kind === "set_model").map((e) => e.detail)).toEqual(["fake/fake-2"]);
    expect(log.filter((e) => e.kind === "set_thinking").map((e) => e.detail)).toEqual(["high"]);
    expect(log.some((e) => e.kind === "compact")).toBe(true);
  });

  it("runs at once while a turn is running: /model applies to the next turn, /compact says to wait", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { hold: true });
    const { messageId } = await send(chat, "long job");
    await waitFor(async () => (await getMessage(chat, messageId)).state === "running", 10_000, "running");
    expect(await (await command(chat, { command: "model", args: "fake/fake-2" })).json()).toMatchObject({
      text: "Model: Fake Two (fake/fake-2) from the next turn (one is running now).",
    });
    expect(await (await command(chat, { command: "compact" })).json()).toMatchObject({
      text: expect.stringContaining("A turn is running"),
    });
    const { control } = await import("../helpers");
    await control("release", { sessionId: `http:${chat}` });
    expect(await settled(chat, messageId)).toMatchObject({ state: "done" });
  });

  it("refuses an unknown command with 400", async () => {
    const res = await command(freshChat(), { command: "reboot" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_field" } });
  });
});
