/**
 * The bad-input suite's sample (item 9): a few hundred fast-check generated requests against every
 * route of the real Worker (wrangler dev) and the real pi server process. `npm run fuzz` runs the
 * same generators at full size (bench/fuzz.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../fixtures/backend-harness";
import { runFuzz } from "../fuzz/run";
import { type BackendStack, FUZZ_SECRETS, startBackendStack, startWorkerStack, type WorkerStack } from "../fuzz/stack";

const RUNS = Number(process.env.FUZZ_SAMPLE ?? 150);

describe("bad input to the Worker (wrangler dev)", () => {
  let stack: WorkerStack;
  beforeAll(async () => {
    stack = await startWorkerStack();
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
  });

  it(`answers ${RUNS} random and malformed requests without a 5xx, an uncaught exception or an unauthorized turn`, async () => {
    const counts = await runFuzz(stack.port, stack.target, { runs: RUNS, timeLimitMs: 60_000 });
    expect(counts.cases).toBeGreaterThan(0);
    expect(counts.examples).toEqual([]);
    expect(counts.serverErrors).toBe(0);
    expect(counts.noAnswer).toBe(0);
    await new Promise((r) => setTimeout(r, 1000)); // accepted messages reach the backend from the alarm
    expect(stack.audit()).toEqual({ turnsWithoutAuth: 0, uncaughtExceptions: 0 });
    // The audit's zero means something: a turn in a marked chat (sent with the token here) is counted.
    const res = await fetch(`${stack.dev.url}/api/chats/noauth-canary/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${FUZZ_SECRETS.apiToken}`, "content-type": "application/json" },
      body: JSON.stringify({ text: "canary" }),
    });
    expect(res.status).toBe(202);
    await waitFor(() => stack.audit().turnsWithoutAuth > 0, 20_000, "the audit to see the canary turn");
  }, 120_000);
});

describe("bad input to the pi server (its own process, real pi)", () => {
  let stack: BackendStack;
  beforeAll(async () => {
    stack = await startBackendStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it(`answers ${RUNS} random and malformed requests without a 5xx, an uncaught exception or an unauthorized turn`, async () => {
    const counts = await runFuzz(stack.backend.port, stack.target, { runs: RUNS, timeLimitMs: 60_000 });
    expect(counts.examples).toEqual([]);
    expect(counts.serverErrors).toBe(0);
    expect(counts.noAnswer).toBe(0);
    expect(await stack.audit()).toEqual({ turnsWithoutAuth: 0, uncaughtExceptions: 0 });
    // The audit's zero means something: a turn in a marked session (sent with the token here) is counted.
    const res = await fetch(`http://127.0.0.1:${stack.backend.port}/v1/sessions/noauth-canary/turns`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.backend.token}`, "content-type": "application/json" },
      body: JSON.stringify({ turnId: "t1", message: "canary" }),
    });
    expect(res.status).toBe(202);
    expect((await stack.audit()).turnsWithoutAuth).toBeGreaterThan(0);
  }, 120_000);
});
