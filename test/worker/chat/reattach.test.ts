import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { backendLog, control, freshChat, getMessage, script, send, settled, waitFor } from "../helpers";

describe("re-attaching to a turn instead of submitting it again", () => {
  it("completes once when the event stream drops mid-turn", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { deltas: ["one ", "two ", "three ", "four"], deltaDelayMs: 30, dropStreamAfter: 3, hold: true });
    const sent = await send(chat, "stream");
    // Held after its deltas: the reply so far must hold each delta exactly once, despite the drop.
    const running = await waitFor(async () => {
      const m = await getMessage(chat, sent.messageId);
      return m.reply === "one two three four" ? m : null;
    });
    expect(running.state).toBe("running");
    await control("release", { sessionId: `http:${chat}` });
    const done = await settled(chat, sent.messageId);
    expect(done).toMatchObject({ state: "done", reply: "one two three four" });

    const log = await backendLog(`http:${chat}`);
    expect(log.filter((e) => e.kind === "submit")).toHaveLength(1);
    expect(log.filter((e) => e.kind === "resubmit")).toHaveLength(0);
    // Re-attached after what it had applied (the event in flight at the drop may be lost, never doubled).
    const attaches = log.filter((e) => e.kind === "events").map((e) => e.after!);
    expect(attaches[0]).toBe(0);
    expect(attaches.length).toBeGreaterThanOrEqual(2);
    expect(attaches[1]).toBeGreaterThanOrEqual(2);
  });

  it("resumes a turn after the object is reset mid-turn (a crash), answering once", async () => {
    const chat = freshChat();
    const stub = env.CHAT_SESSION.getByName(`http:${chat}`);
    await script(`http:${chat}`, { deltas: ["before ", "eviction"], hold: true });
    const first = await send(chat, "long");
    const queued = await send(chat, "queued behind it");
    await waitFor(async () => (await getMessage(chat, first.messageId)).reply === "before eviction");

    // Reset the object as a crash would: memory gone, the running alarm cut off, storage kept.
    await runInDurableObject(stub, (_instance, state) => state.abort("simulated crash")).catch(() => {});
    await script(`http:${chat}`, {});
    await control("release", { sessionId: `http:${chat}` });

    expect(await settled(chat, first.messageId)).toMatchObject({ state: "done", reply: "before eviction" });
    expect(await settled(chat, queued.messageId)).toMatchObject({ state: "done", reply: "echo: queued behind it" });
    const log = await backendLog(`http:${chat}`);
    expect(log.filter((e) => e.kind === "submit")).toHaveLength(2);
    expect(log.filter((e) => e.kind === "resubmit")).toHaveLength(0);
    expect(log.filter((e) => e.kind === "turn_start")).toHaveLength(2);
    // After the reset it re-attached after the events it had already applied.
    const firstTurn = log.find((e) => e.kind === "submit")!.turnId;
    const attaches = log.filter((e) => e.kind === "events" && e.turnId === firstTurn).map((e) => e.after!);
    expect(attaches.length).toBeGreaterThanOrEqual(2);
    expect(attaches.at(-1)).toBe(3);
  });

  it("submits the turn again, once, when the backend no longer knows it (backend restarted)", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { hold: true, dropStreamAfter: 1 });
    const sent = await send(chat, "again");
    await waitFor(async () => (await backendLog(`http:${chat}`)).some((e) => e.kind === "turn_start"));
    await script(`http:${chat}`, {});
    await control("forget", { sessionId: `http:${chat}` });
    const done = await settled(chat, sent.messageId);
    expect(done).toMatchObject({ state: "done", reply: "echo: again", attempts: 2 });
    const submits = (await backendLog(`http:${chat}`)).filter((e) => e.kind === "submit").map((e) => e.turnId!);
    expect(submits).toHaveLength(2);
    expect(submits[0]).toMatch(/\.0$/);
    expect(submits[1]).toMatch(/\.1$/);
  });

  it("marks the turn failed when the backend loses it a second time", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { hold: true });
    const sent = await send(chat, "doomed");
    await waitFor(async () => (await backendLog(`http:${chat}`)).some((e) => e.kind === "turn_start"));
    await control("forget", { sessionId: `http:${chat}` });
    await waitFor(async () => (await backendLog(`http:${chat}`)).filter((e) => e.kind === "turn_start").length === 2);
    await control("forget", { sessionId: `http:${chat}` });
    const failed = await settled(chat, sent.messageId);
    expect(failed).toMatchObject({ state: "failed", attempts: 2 });
    expect(failed.error).toContain("backend_lost_turn");
    expect((await env.CHAT_SESSION.getByName(`http:${chat}`).snapshot())!.backend).toBe("released");
    await script(`http:${chat}`, {});
  });

  it("holds a message while the backend has no capacity (503), waits out its Retry-After, then runs it", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { submitStatus: 503 });
    const sent = await send(chat, "no room");
    await waitFor(async () => (await backendLog(`http:${chat}`)).some((e) => e.kind === "refused"));
    expect((await getMessage(chat, sent.messageId)).state).toBe("queued");
    await script(`http:${chat}`, {});
    expect(await settled(chat, sent.messageId, 20_000)).toMatchObject({ state: "done", reply: "echo: no room" });
    const log = await backendLog(`http:${chat}`);
    const refused = log.find((e) => e.kind === "refused")!;
    const submitted = log.find((e) => e.kind === "submit")!;
    // The backend said Retry-After: 7.
    expect(submitted.at - refused.at).toBeGreaterThanOrEqual(6_900);
  });
});
