/**
 * After a backend restart, turns it had finished are answered from their on-disk logs (replay with
 * the terminal event, and a re-submit is not run again); a turn it never finished is 404
 * unknown_turn. The real server process, restarted on the same data dir, with real pi.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { TurnEvent } from "../../src/shared/protocol";
import { readNdjson, waitFor } from "../fixtures/backend-harness";
import { type BackendProcess, startBackendProcess } from "../fixtures/backend-process";

const TOKEN = "restart-log-test-token";
const started: BackendProcess[] = [];
afterAll(async () => {
  for (const backend of started.reverse()) await backend.close();
});

function client(backend: BackendProcess) {
  const url = `http://127.0.0.1:${backend.port}`;
  const call = (method: string, path: string, body?: unknown) =>
    fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return {
    call,
    events: async (session: string, turnId: string, after = 0): Promise<TurnEvent[]> => {
      const res = await call("GET", `/v1/sessions/${session}/turns/${turnId}/events?after=${after}`);
      expect(res.status).toBe(200);
      return (await readNdjson(res)).map(({ at: _at, ...event }) => event as TurnEvent);
    },
  };
}

describe("a restarted backend", () => {
  it("answers finished turns from the turn log, and unknown_turn for the one it never finished", async () => {
    const first = await startBackendProcess(TOKEN);
    started.push(first);
    const api = client(first);
    const session = "restart:log";
    expect((await api.call("POST", `/v1/sessions/${session}/turns`, { turnId: "t1", message: "before the restart" })).status).toBe(202);
    const t1 = await api.events(session, "t1");
    expect(t1.at(-1)).toMatchObject({ type: "turn_end", text: "reply to: before the restart" });
    expect((await api.call("POST", `/v1/sessions/${session}/turns`, { turnId: "t2", message: "[hang] in flight" })).status).toBe(202);
    const logs = join(first.dir, "data", "turns", "restart~log");
    await waitFor(() => existsSync(join(logs, "t1.ndjson")), 10_000, "t1's log");
    await waitFor(() => first.llm.requests.length >= 2, 30_000, "t2 to reach the model");
    await first.stop("SIGKILL"); // a crash: t2 never finished

    const second = await startBackendProcess(TOKEN, { dir: first.dir, llm: first.llm });
    started.push(second);
    const again = client(second);
    expect(await again.events(session, "t1")).toEqual(t1);
    expect(await again.events(session, "t1", 2)).toEqual(t1.slice(2));
    const asked = first.llm.requests.length;
    const resubmit = await again.call("POST", `/v1/sessions/${session}/turns`, { turnId: "t1", message: "before the restart" });
    expect(resubmit.status).toBe(200);
    expect(await resubmit.json()).toEqual({ turnId: "t1", state: "done" });
    const lost = await again.call("GET", `/v1/sessions/${session}/turns/t2/events`);
    expect(lost.status).toBe(404);
    expect(await lost.json()).toMatchObject({ error: { code: "unknown_turn" } });
    expect(first.llm.requests.length).toBe(asked); // nothing was run again
    // The session itself goes on: a new turn runs and resumes the history.
    expect((await again.call("POST", `/v1/sessions/${session}/turns`, { turnId: "t3", message: "after" })).status).toBe(202);
    expect((await again.events(session, "t3")).at(-1)).toMatchObject({ type: "turn_end", text: "reply to: after" });
  });
});
