import { describe, expect, it } from "vitest";
import { backendLog, control, freshChat, script, send, settled, waitFor } from "../helpers";

describe("one turn at a time per chat, every chat in parallel", () => {
  it("starts turn 2 only after turn 1 ended", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { deltas: ["slow ", "turn"], deltaDelayMs: 150 });
    const first = await send(chat, "one");
    const second = await send(chat, "two");
    expect(second.position).toBe(1);
    await settled(chat, second.messageId);
    const log = await backendLog(`http:${chat}`);
    const starts = log.filter((e) => e.kind === "turn_start");
    const ends = log.filter((e) => e.kind === "turn_end");
    expect(starts).toHaveLength(2);
    expect(ends).toHaveLength(2);
    expect(starts[1]!.at).toBeGreaterThanOrEqual(ends[0]!.at);
    expect((await settled(chat, first.messageId)).state).toBe("done");
  });

  it("runs 20 chats with 1 s turns side by side, far faster than one after another", async () => {
    const chats = Array.from({ length: 20 }, () => freshChat("par"));
    await Promise.all(chats.map((c) => script(`http:${c}`, { deltas: ["a", "b", "c", "d"], deltaDelayMs: 250 })));
    const started = Date.now();
    const sent = await Promise.all(chats.map((c) => send(c, "go")));
    const results = await Promise.all(chats.map((c, i) => settled(c, sent[i]!.messageId, 30_000)));
    const elapsed = Date.now() - started;
    expect(results.every((r) => r.state === "done" && r.reply === "abcd")).toBe(true);
    expect(elapsed).toBeLessThan(10_000);
  });

  it("keeps exactly one backend session when 10 first messages arrive at once", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { deltas: ["x"], deltaDelayMs: 20 });
    const sent = await Promise.all(Array.from({ length: 10 }, (_, i) => send(chat, `m${i}`)));
    expect(sent.map((s) => s.position).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await Promise.all(sent.map((s) => settled(chat, s.messageId)));
    const log = await backendLog(`http:${chat}`);
    expect(log.filter((e) => e.kind === "spawn")).toHaveLength(1);
    expect(log.filter((e) => e.kind === "submit")).toHaveLength(10);
    // Never two turns open at once.
    let open = 0;
    for (const entry of log) {
      if (entry.kind === "turn_start") open++;
      if (entry.kind === "turn_end") open--;
      expect(open).toBeLessThanOrEqual(1);
    }
  });

  it("answers back-to-back messages in order on the same backend session", async () => {
    const chat = freshChat();
    const sent = [];
    for (const text of ["first", "second", "third"]) sent.push(await send(chat, text));
    const replies = [];
    for (const s of sent) replies.push((await settled(chat, s.messageId)).reply);
    expect(replies).toEqual(["echo: first", "echo: second", "echo: third"]);
    const log = await backendLog(`http:${chat}`);
    expect(log.filter((e) => e.kind === "spawn")).toHaveLength(1);
    const submitted = log.filter((e) => e.kind === "submit").map((e) => e.turnId);
    expect(new Set(submitted).size).toBe(3);
  });

  it("does not make another chat wait for a held-open turn", async () => {
    const busy = freshChat();
    await script(`http:${busy}`, { hold: true });
    await send(busy, "hold me");
    await waitFor(async () => (await backendLog(`http:${busy}`)).some((e) => e.kind === "turn_start"));
    const other = freshChat();
    const sent = await send(other, "quick");
    expect((await settled(other, sent.messageId, 5_000)).reply).toBe("echo: quick");
    await control("release", { sessionId: `http:${busy}` });
  });
});
