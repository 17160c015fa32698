/** abort, steer, reset, the backend's own turn timeout, and idle cleanup. */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendHarness, isAlive, last, startBackend, waitFor } from "../fixtures/backend-harness";

let backend: BackendHarness;
let clock = Date.now();
beforeAll(async () => {
  // An injected clock so idle cleanup needs no waiting.
  backend = await startBackend({ idleSeconds: 600, now: () => clock });
});
afterAll(async () => {
  await backend?.close();
});

describe("control", () => {
  it("aborts a running turn: turn_error aborted, not retryable, and the session goes on", async () => {
    await backend.turn("c:abort", "w", "warm up");
    expect((await backend.submit("c:abort", "t1", "[hang] forever")).status).toBe(202);
    const stream = backend.events("c:abort", "t1");
    await new Promise((r) => setTimeout(r, 300));
    const res = await backend.request("POST", "/v1/sessions/c:abort/abort");
    expect(await res.json()).toEqual({ aborted: true });
    const events = await stream;
    expect(last(events)).toMatchObject({ type: "turn_error", code: "aborted", retryable: false });
    expect(events.some((e) => e.type === "text_delta")).toBe(true);
    expect(await (await backend.request("POST", "/v1/sessions/c:abort/abort")).json()).toEqual({ aborted: false });
    expect(last(await backend.turn("c:abort", "t2", "still there?"))).toMatchObject({ type: "turn_end", text: "reply to: still there?" });
  });

  it("delivers a steering message to the running turn", async () => {
    // Same session as the abort test: it is warm, and this also shows it recovered from the abort.
    expect((await backend.submit("c:abort", "steer-1", "[slow:120] a b c d e f g h")).status).toBe(202);
    const stream = backend.events("c:abort", "steer-1");
    await new Promise((r) => setTimeout(r, 300));
    const res = await backend.request("POST", "/v1/sessions/c:abort/steer", { message: "change of plan" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ steered: true });
    // pi hands the steering message to the model after the current reply; the final text answers it.
    expect(last(await stream)).toMatchObject({ type: "turn_end", text: "reply to: change of plan" });
    const idle = await backend.request("POST", "/v1/sessions/c:abort/steer", { message: "too late" });
    expect(idle.status).toBe(409);
    expect(await idle.json()).toMatchObject({ error: { code: "not_running" } });
  });

  it("DELETE while a turn runs aborts it first; its events stay readable and pi is gone", async () => {
    expect((await backend.submit("c:abort", "del-1", "[hang] until deleted")).status).toBe(202);
    const stream = backend.events("c:abort", "del-1");
    await waitFor(() => backend.manager.get("c:abort")?.state === "running", 30_000, "the turn to run");
    const pid = backend.manager.get("c:abort")!.pid!;
    const res = await backend.request("DELETE", "/v1/sessions/c:abort");
    expect(await res.json()).toEqual({ released: true });
    expect(isAlive(pid)).toBe(false);
    expect(last(await stream)).toMatchObject({ type: "turn_error", code: "aborted", retryable: false });
    expect(last(await backend.events("c:abort", "del-1"))).toMatchObject({ type: "turn_error", code: "aborted" });
  });

  it("resets: 409 while a turn runs; then a fresh conversation, old history kept on disk", async () => {
    await backend.turn("c:reset", "t1", "remember the word quince");
    expect((await backend.submit("c:reset", "t2", "[slow:100] a b c d e")).status).toBe(202);
    const busy = await backend.request("POST", "/v1/sessions/c:reset/reset");
    expect(busy.status).toBe(409);
    expect(await busy.json()).toMatchObject({ error: { code: "busy", runningTurnId: "t2" } });
    await backend.events("c:reset", "t2");

    const res = await backend.request("POST", "/v1/sessions/c:reset/reset");
    expect(await res.json()).toEqual({ reset: true });
    const archive = join(backend.dataDir, "sessions", "archive");
    expect(readdirSync(archive).some((f) => f.startsWith("c~reset."))).toBe(true);
    const before = backend.llm.requests.length;
    await backend.turn("c:reset", "t3", "fresh start");
    expect(JSON.stringify(backend.llm.requests.slice(before))).not.toContain("quince");
    // Earlier turns stay readable.
    expect(last(await backend.events("c:reset", "t1"))).toMatchObject({ type: "turn_end" });
  });

  it("ends a turn that outlives TURN_TIMEOUT_SECONDS with turn_error timeout", async () => {
    const short = await startBackend({ turnTimeoutSeconds: 8, llm: backend.llm });
    try {
      const started = performance.now();
      const events = await short.turn("c:timeout", "t1", "[hang] never done");
      expect(last(events)).toMatchObject({ type: "turn_error", code: "timeout", retryable: false });
      expect(performance.now() - started).toBeGreaterThan(7000);
      expect(last(await short.turn("c:timeout", "t2", "after the timeout"))).toMatchObject({ type: "turn_end" });
    } finally {
      await short.close();
    }
  });

  it("releases sessions idle for BACKEND_IDLE_SECONDS, and only those", async () => {
    await backend.turn("c:idle-old", "t1", "old");
    clock += 400_000;
    await backend.turn("c:idle-new", "t1", "new");
    clock += 300_000; // old: 700 s idle, new: 300 s
    const old = backend.manager.get("c:idle-old")!;
    expect(await backend.manager.sweepIdle()).toBeGreaterThanOrEqual(1);
    expect(backend.manager.get("c:idle-old")).toBeUndefined();
    expect(old.process!.alive).toBe(false);
    expect(backend.manager.get("c:idle-new")).toBeDefined();
  });

  it("writes each turn's events to the data dir", () => {
    expect(existsSync(join(backend.dataDir, "turns", "c~abort", "t1.ndjson"))).toBe(true);
  });
});
