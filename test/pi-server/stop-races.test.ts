/**
 * Issue 9 findings on stopping pi: the turn timeout during pi's auto-retry wait, and a turn
 * submitted right after pi was force-killed. Real pi, fake LLM.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TurnEvent } from "../../src/shared/protocol";
import { type BackendHarness, last, startBackend, waitFor } from "../fixtures/backend-harness";

describe("the turn timeout while pi waits to auto-retry", () => {
  let backend: BackendHarness;
  beforeAll(async () => {
    // pi retries after 20 s; the backend's turn limit is 12 s (room for pi's cold start in the warm-up
    // turn on a loaded machine), so it strikes during the wait.
    backend = await startBackend({ retry: { maxRetries: 2, baseDelayMs: 20_000 }, turnTimeoutSeconds: 12 });
  });
  afterAll(async () => {
    await backend?.close();
  });

  it("really stops pi: no retry after the timeout, and the next turn runs", async () => {
    expect(last(await backend.turn("st:retry", "w", "warm up"))).toMatchObject({ type: "turn_end" });
    const prompt = "[flaky] answer after the retry";
    const submitted = performance.now();
    const events = await backend.turn("st:retry", "t1", prompt);
    expect(last(events)).toMatchObject({ type: "turn_error", code: "timeout", retryable: false });
    // Requests whose newest user message is the timed-out prompt (later turns carry it in their history).
    const asked = () =>
      backend.llm.requests.filter((r) => JSON.stringify(r.messages.findLast((m) => m.role === "user")).includes(prompt)).length;
    expect(asked()).toBe(1);
    // Past pi's retry delay: pi never went back to the model for the timed-out prompt, and the
    // session is idle because pi is.
    await new Promise((r) => setTimeout(r, Math.max(0, 21_000 - (performance.now() - submitted))));
    expect(asked()).toBe(1);
    expect(backend.manager.get("st:retry")?.state).toBe("idle");
    // The next turn is accepted and answered by pi.
    const next = await backend.turn("st:retry", "t2", "next one");
    expect(last(next)).toMatchObject({ type: "turn_end", text: "reply to: next one" });
  });
});

describe("a turn submitted right after pi was force-killed", () => {
  let backend: BackendHarness;
  beforeAll(async () => {
    // An abort grace of 1 ms: abort always ends in the kill.
    backend = await startBackend({ abortGraceMs: 1 });
  });
  afterAll(async () => {
    await backend?.close();
  });

  it("starts a new pi instead of landing on the dying one", async () => {
    expect(last(await backend.turn("st:kill", "w", "warm up"))).toMatchObject({ type: "turn_end" });
    const { turn: first } = backend.manager.submitTurn("st:kill", "t1", "[hang] until aborted");
    await waitFor(() => first.events.some((e) => e.type === "text_delta"), 30_000, "pi to stream");
    const dying = backend.manager.get("st:kill")!.process!;
    // React to the terminal event the way a client does: submit the next turn at once.
    const next = first.finished().then(() => backend.manager.submitTurn("st:kill", "t2", "after the kill").turn);
    expect(backend.manager.abort("st:kill")).toBe(true);
    expect(await first.finished()).toMatchObject({ type: "turn_error", code: "aborted" });
    const second = await next;
    const terminal: TurnEvent = await second.finished();
    expect(terminal).toMatchObject({ type: "turn_end", text: "reply to: after the kill" });
    expect(dying.alive).toBe(false);
    expect(backend.manager.get("st:kill")!.process).not.toBe(dying);
  });

  it("after a timeout that kills pi too", async () => {
    const short = await startBackend({ abortGraceMs: 1, turnTimeoutSeconds: 12, llm: backend.llm });
    try {
      expect(last(await short.turn("st:tkill", "w", "warm up"))).toMatchObject({ type: "turn_end" });
      const { turn: first } = short.manager.submitTurn("st:tkill", "t1", "[hang] until the timeout");
      const next = first.finished().then(() => short.manager.submitTurn("st:tkill", "t2", "after the timeout").turn);
      expect(await first.finished()).toMatchObject({ type: "turn_error", code: "timeout" });
      expect(await (await next).finished()).toMatchObject({ type: "turn_end", text: "reply to: after the timeout" });
    } finally {
      await short.close();
    }
  });
});
