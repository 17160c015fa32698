/** Per-session locking: one pi per session, sessions independent, status never waits on a turn. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ListSessionsResponse } from "../../src/shared/protocol";
import { type BackendHarness, last, livePiPids, startBackend } from "../fixtures/backend-harness";

let backend: BackendHarness;
beforeAll(async () => {
  backend = await startBackend();
});
afterAll(async () => {
  await backend?.close();
  expect(livePiPids()).toEqual([]);
});

async function listed(): Promise<ListSessionsResponse["sessions"]> {
  const res = await backend.request("GET", "/v1/sessions");
  expect(res.status).toBe(200);
  return ((await res.json()) as ListSessionsResponse).sessions;
}

/** The invariant: every pi process alive is a listed session, and every listed session has one. */
async function expectProcessesMatchSessions(): Promise<void> {
  const sessions = await listed();
  const pids = sessions.map((s) => s.pid).filter((pid): pid is number => pid !== null);
  expect(pids.sort((a, b) => a - b)).toEqual(livePiPids());
  expect(sessions.every((s) => s.pid !== null)).toBe(true);
}

// Later tests reuse the sessions the first two leave warm (each pi start costs seconds); any test
// still passes alone, it just starts those sessions itself.
describe("sessions", () => {
  it("refuses a second turn while one runs (409 busy, naming the running turn)", async () => {
    expect((await backend.submit("s:busy", "t1", "[slow:100] a b c d e f g h")).status).toBe(202);
    const second = await backend.submit("s:busy", "t2", "second");
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ error: { code: "busy", runningTurnId: "t1" } });
    expect(last(await backend.events("s:busy", "t1"))).toMatchObject({ type: "turn_end" });
    // After the terminal event the session takes the next turn at once.
    expect(last(await backend.turn("s:busy", "t2", "second"))).toMatchObject({ type: "turn_end", text: "reply to: second" });
  });

  it("starts exactly one pi process for 10 concurrent first turns", async () => {
    const before = livePiPids();
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => backend.submit("s:herd", `t${i}`, `[slow:50] herd ${i}`)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([202, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    const winner = responses.findIndex((r) => r.status === 202);
    expect(last(await backend.events("s:herd", `t${winner}`))).toMatchObject({ type: "turn_end" });
    const added = livePiPids().filter((pid) => !before.includes(pid));
    expect(added).toHaveLength(1);
    expect((await listed()).find((s) => s.sessionId === "s:herd")?.pid).toBe(added[0]);
    await expectProcessesMatchSessions();
  });

  it("runs two sessions in parallel, and lists sessions within 100 ms while they run", async () => {
    // s:busy and s:herd are warm from the tests above (or start here), so the timing is about turns.
    await Promise.all([backend.turn("s:busy", "par-warm", "warm"), backend.turn("s:herd", "par-warm", "warm")]);
    const started = performance.now();
    const reads = Promise.all([
      backend.turn("s:busy", "par", "[slow:150] a b c d e f g h"),
      backend.turn("s:herd", "par", "[slow:150] a b c d e f g h"),
    ]);
    await new Promise((r) => setTimeout(r, 400));
    const t0 = performance.now();
    const sessions = await listed();
    expect(performance.now() - t0).toBeLessThan(100);
    expect(sessions.filter((s) => s.sessionId === "s:busy" || s.sessionId === "s:herd").map((s) => s.state)).toEqual([
      "running",
      "running",
    ]);
    const health = await fetch(`${backend.url}/healthz`);
    expect(await health.json()).toEqual({ ok: true, sessions: sessions.length });
    const [a, b] = await reads;
    const oneTurnMs = Math.max(last(a).at, last(b).at) - started;
    // Each turn streams ~11 deltas 150 ms apart (~1.7 s); run one after the other they would take twice that.
    expect(last(a)).toMatchObject({ type: "turn_end" });
    expect(last(b)).toMatchObject({ type: "turn_end" });
    expect(oneTurnMs).toBeLessThan(3000);
    await expectProcessesMatchSessions();
  });

  it("stops the process on DELETE and resumes the history on the next turn", async () => {
    await backend.turn("s:busy", "del-1", "remember the word avocado");
    const pid = (await listed()).find((s) => s.sessionId === "s:busy")!.pid!;
    const res = await backend.request("DELETE", "/v1/sessions/s:busy");
    expect(await res.json()).toEqual({ released: true });
    expect(livePiPids()).not.toContain(pid);
    expect((await listed()).map((s) => s.sessionId)).not.toContain("s:busy");
    await expectProcessesMatchSessions();
    expect(await (await backend.request("DELETE", "/v1/sessions/s:busy")).json()).toEqual({ released: false });

    const requestsBefore = backend.llm.requests.length;
    expect(last(await backend.turn("s:busy", "del-2", "what was the word?"))).toMatchObject({ type: "turn_end" });
    const resumed = JSON.stringify(backend.llm.requests.slice(requestsBefore));
    expect(resumed).toContain("remember the word avocado");
    expect((await listed()).find((s) => s.sessionId === "s:busy")!.pid).not.toBe(pid);
  });

  it("reports process_crashed when pi is killed mid-turn, drops the session, and resumes history next turn", async () => {
    await backend.turn("s:herd", "crash-1", "remember the word papaya");
    expect((await backend.submit("s:herd", "crash-2", "[hang] keep going")).status).toBe(202);
    const stream = backend.events("s:herd", "crash-2");
    const session = backend.manager.get("s:herd")!;
    await new Promise((r) => setTimeout(r, 300));
    process.kill(session.process!.pid!, "SIGKILL");
    const events = await stream;
    expect(last(events)).toMatchObject({ type: "turn_error", code: "process_crashed", retryable: true });
    expect(backend.manager.get("s:herd")).toBeUndefined();
    expect((await listed()).map((s) => s.sessionId)).not.toContain("s:herd");
    await expectProcessesMatchSessions();

    const requestsBefore = backend.llm.requests.length;
    const next = await backend.turn("s:herd", "crash-3", "what was the word?");
    expect(last(next)).toMatchObject({ type: "turn_end", text: "reply to: what was the word?" });
    expect(JSON.stringify(backend.llm.requests.slice(requestsBefore))).toContain("remember the word papaya");
  });

  it("does not let a stale session's cleanup remove its replacement", async () => {
    await backend.turn("s:stale", "t1", "first");
    const stale = backend.manager.get("s:stale")!;
    process.kill(stale.process!.pid!, "SIGKILL");
    await stale.process!.closed;
    await backend.turn("s:stale", "t2", "second");
    const replacement = backend.manager.get("s:stale")!;
    expect(replacement).not.toBe(stale);
    // The old session's late cleanup finds another object in the map and leaves it alone.
    expect(backend.manager.removeIfCurrent(stale)).toBe(false);
    expect(backend.manager.get("s:stale")).toBe(replacement);
    expect((await listed()).find((s) => s.sessionId === "s:stale")?.pid).toBe(replacement.process!.pid);
    await expectProcessesMatchSessions();
  });
});
