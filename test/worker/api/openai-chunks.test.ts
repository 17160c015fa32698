/** The streamed completion's byte stream on its own, fed live events by hand: no chat object, no backend. */
import { describe, expect, it } from "vitest";
import { completionChunks } from "../../../src/worker/api/openai/chunks";
import type { ReadEvent } from "../../../src/worker/api/sse-reader";
import { readAll } from "../../fixtures/sse";

const META = { id: "chatcmpl-x", created: 1, model: "pi" };

/** Yields `events` one at a time, each after a macrotask, as they would arrive from the chat's object. */
async function* arriving(events: ReadEvent[]): AsyncGenerator<ReadEvent> {
  for (const e of events) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    yield e;
  }
}

const bodies = async (events: ReadEvent[]) => (await readAll(completionChunks(arriving(events), META))).map((e) => e.data);
const deltaOf = (data: string) => (JSON.parse(data) as { choices: { delta: { content?: string } }[] }).choices[0]!.delta.content;

describe("completionChunks", () => {
  it("reads on past events that make no chunk (state, tool) until the reply ends", { timeout: 5_000 }, async () => {
    // Several such events in a row stalled the stream: a pull that enqueued nothing was never called again.
    const got = await bodies([
      { event: "state", data: { state: "queued", position: 0 } },
      { event: "state", data: { state: "running", position: 0 } },
      { event: "tool", data: { tool: "bash", phase: "start" } },
      { event: "tool", data: { tool: "bash", phase: "end", isError: false } },
      { event: "delta", data: { text: "he" } },
      { event: "state", data: { state: "running" } },
      { event: "delta", data: { text: "llo" } },
      { event: "done", data: { reply: "hello" } },
    ]);
    expect(got.at(-1)).toBe("[DONE]");
    const chunks = got.slice(0, -1).map((d) => JSON.parse(d) as { object: string; choices: { finish_reason: string | null }[] });
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(got.slice(1, -2).map(deltaOf).join("")).toBe("hello");
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
  });

  it("sends the part of the reply it did not stream when done carries it whole", async () => {
    const got = await bodies([
      { event: "delta", data: { text: "par" } },
      { event: "done", data: { reply: "partial" } },
    ]);
    expect(got.slice(1, -2).map(deltaOf)).toEqual(["par", "tial"]);
  });

  it("ends a failed turn with one OpenAI error event and no [DONE]", async () => {
    const got = await bodies([
      { event: "delta", data: { text: "so far" } },
      { event: "failed", data: { error: "llm_error: provider down" } },
    ]);
    expect(got).toHaveLength(3);
    expect(JSON.parse(got.at(-1)!)).toEqual({
      error: { message: "llm_error: provider down", type: "server_error", param: null, code: "llm_error" },
    });
  });

  it("ends with a stream_lost error when the events end without done or failed", async () => {
    const got = await bodies([{ event: "delta", data: { text: "so far" } }]);
    expect(got).not.toContain("[DONE]");
    expect(JSON.parse(got.at(-1)!)).toMatchObject({ error: { type: "server_error", code: "stream_lost" } });
  });
});
