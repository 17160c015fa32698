/** A turn from prompt to terminal event, through the real pi against the fake LLM. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendHarness, last, startBackend } from "../fixtures/backend-harness";

// One session for the whole file: these tests are about turns, and each pi start costs seconds.
let backend: BackendHarness;
beforeAll(async () => {
  backend = await startBackend();
});
afterAll(async () => {
  await backend?.close();
});

describe("a turn", () => {
  it("streams deltas as pi produces them and ends with the full text", async () => {
    const events = await backend.turn("turns:main", "stream", "[slow:150] one two three four five");
    expect(events[0]).toMatchObject({ seq: 1, type: "turn_start" });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const deltas = events.filter((e) => e.type === "text_delta");
    expect(deltas.length).toBeGreaterThanOrEqual(5);
    // Streamed live, not buffered to the end: the first delta arrived well before the last one.
    expect(deltas.at(-1)!.at - deltas[0]!.at).toBeGreaterThan(300);
    expect(last(events)).toMatchObject({ type: "turn_end", text: "reply to: [slow:150] one two three four five" });
    expect(deltas.map((e) => (e.type === "text_delta" ? e.delta : "")).join("")).toBe("reply to: [slow:150] one two three four five");
  });

  it("reports the bash tool's start and end", async () => {
    const events = await backend.turn("turns:main", "tool", "run it [tool:echo from-bash]");
    const start = events.find((e) => e.type === "tool_start");
    const end = events.find((e) => e.type === "tool_end");
    expect(start).toMatchObject({ tool: "bash", args: { command: "echo from-bash" } });
    expect(end).toMatchObject({ tool: "bash", isError: false });
    expect(start!.seq).toBeLessThan(end!.seq);
    expect(last(events)).toMatchObject({ type: "turn_end", text: "tool said: from-bash" });
  });

  it("ends with llm_error, not retryable, when the model fails", async () => {
    const events = await backend.turn("turns:main", "fail", "please [fail]");
    expect(last(events)).toMatchObject({ type: "turn_error", code: "llm_error", retryable: false });
    expect(events.filter((e) => e.type === "turn_end" || e.type === "turn_error")).toHaveLength(1);
    // The session is usable again at once.
    const next = await backend.turn("turns:main", "after-fail", "and now?");
    expect(last(next)).toMatchObject({ type: "turn_end", text: "reply to: and now?" });
  });

  it("does not prompt again when the same turnId is re-sent", async () => {
    const first = await backend.submit("turns:main", "idem", "[slow:100] once only");
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ turnId: "idem", state: "running" });
    const again = await backend.submit("turns:main", "idem", "[slow:100] once only");
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ turnId: "idem", state: "running" });
    await backend.events("turns:main", "idem");
    const afterDone = await backend.submit("turns:main", "idem", "[slow:100] once only");
    expect(await afterDone.json()).toEqual({ turnId: "idem", state: "done" });
    const prompts = backend.llm.requests.filter((r) => JSON.stringify(r.messages).includes("once only"));
    expect(prompts).toHaveLength(1);
  });

  it("re-attaches with after=seq and gets every event exactly once", async () => {
    const res = await backend.submit("turns:main", "reattach", "[slow:80] a b c d e f");
    expect(res.status).toBe(202);
    // Read the first few events, then drop the connection mid-turn.
    const stream = await backend.request("GET", "/v1/sessions/turns:main/turns/reattach/events");
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (text.split("\n").length < 4) text += decoder.decode((await reader.read()).value, { stream: true });
    await reader.cancel();
    const seen = text
      .split("\n")
      .slice(0, 3)
      .map((line) => JSON.parse(line) as { seq: number });
    const lastSeq = seen.at(-1)!.seq;
    const rest = await backend.events("turns:main", "reattach", lastSeq);
    expect(rest[0]!.seq).toBe(lastSeq + 1);
    const all = [...seen.map((e) => e.seq), ...rest.map((e) => e.seq)];
    expect(all).toEqual(all.map((_, i) => i + 1));
    expect(last(rest)).toMatchObject({ type: "turn_end" });
    // A finished turn replays from its log too.
    const replay = await backend.events("turns:main", "reattach", 0);
    expect(replay.map((e) => e.seq)).toEqual(all);
  });

  it("answers 404 unknown_turn for a turn it does not know", async () => {
    const res = await backend.request("GET", "/v1/sessions/turns:main/turns/nope/events");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "unknown_turn" } });
  });
});
