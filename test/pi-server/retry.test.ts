/** pi's auto-retry: agent_end after an LLM error is not final while pi may still retry. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendHarness, last, startBackend } from "../fixtures/backend-harness";

let backend: BackendHarness;
beforeAll(async () => {
  // pi's retry on, with short delays so the test is quick.
  backend = await startBackend({ retry: { maxRetries: 2, baseDelayMs: 200 } });
});
afterAll(async () => {
  await backend?.close();
});

describe("with pi's auto-retry on", () => {
  it("keeps the turn open through a retry and ends it with the retried answer", async () => {
    const events = await backend.turn("r:flaky", "t1", "please [flaky]");
    expect(events.filter((e) => e.type === "turn_end" || e.type === "turn_error")).toHaveLength(1);
    expect(last(events)).toMatchObject({ type: "turn_end", text: "reply to: please [flaky]" });
    expect(backend.llm.requests.filter((r) => JSON.stringify(r.messages).includes("please [flaky]")).length).toBeGreaterThanOrEqual(2);
  });

  it("ends with one llm_error once pi gives up", async () => {
    const events = await backend.turn("r:fail", "t1", "always [fail]");
    expect(events.filter((e) => e.type === "turn_end" || e.type === "turn_error")).toHaveLength(1);
    expect(last(events)).toMatchObject({ type: "turn_error", code: "llm_error", retryable: false });
    expect(backend.llm.requests.filter((r) => JSON.stringify(r.messages).includes("always [fail]"))).toHaveLength(3);
  });

  it("aborts a turn while pi waits to retry", async () => {
    await backend.turn("r:abort", "w", "warm up");
    expect((await backend.submit("r:abort", "t1", "always [fail] again")).status).toBe(202);
    const stream = backend.events("r:abort", "t1");
    // The first attempt fails at once; pi then waits 200 ms before retrying.
    await new Promise((r) => setTimeout(r, 100));
    await backend.request("POST", "/v1/sessions/r:abort/abort");
    expect(last(await stream)).toMatchObject({ type: "turn_error", code: "aborted" });
    expect(last(await backend.turn("r:abort", "t2", "fine now"))).toMatchObject({ type: "turn_end" });
  });
});
