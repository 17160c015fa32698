/**
 * Issue 9 items 4 and 8: a stalled NDJSON stream (open, silent) is re-attached after STREAM_STALL_SECONDS
 * (1 s in the `faults` project); heartbeat lines are not events but prove the stream alive.
 */
import { describe, expect, it } from "vitest";
import { backendLog, freshChat, getMessage, script, send, settled, waitFor } from "../worker/helpers";

describe("a stalled events stream", () => {
  it("is re-attached after the stall limit, and the reply holds each delta once", async () => {
    const chat = freshChat("stall");
    // The first connection goes silent after two events (turn_start, "one "): no events, no heartbeats.
    await script(`http:${chat}`, { deltas: ["one ", "two ", "three"], deltaDelayMs: 200, stallAfter: 2 });
    const sent = await send(chat, "stall please");
    expect(await settled(chat, sent.messageId, 15_000)).toMatchObject({ state: "done", reply: "one two three" });
    const log = await backendLog(`http:${chat}`);
    const attaches = log.filter((e) => e.kind === "events");
    expect(attaches.length).toBeGreaterThanOrEqual(2);
    expect(attaches[1]!.after).toBeGreaterThanOrEqual(1);
    expect(attaches[1]!.at - attaches[0]!.at).toBeGreaterThanOrEqual(900);
    expect(log.filter((e) => e.kind === "submit")).toHaveLength(1);
  });

  it("ignores heartbeats, which keep a quiet stream alive past the stall limit", async () => {
    const chat = freshChat("beat");
    // 2.5 s of silence between events, heartbeats every 300 ms: the stream is alive throughout.
    await script(`http:${chat}`, { deltas: ["after ", "a pause"], deltaDelayMs: 2_500, heartbeatMs: 300 });
    const sent = await send(chat, "think first");
    // Mid-pause, with heartbeats arriving, the progress so far is stored as usual.
    const paused = await waitFor(
      async () => {
        const m = await getMessage(chat, sent.messageId);
        return m.reply === "after " ? m : null;
      },
      6_000,
      "the progress before the pause",
    );
    expect(paused.state).toBe("running");
    expect(await settled(chat, sent.messageId, 15_000)).toMatchObject({ state: "done", reply: "after a pause" });
    const log = await backendLog(`http:${chat}`);
    expect(log.filter((e) => e.kind === "events")).toHaveLength(1);
  });
});
