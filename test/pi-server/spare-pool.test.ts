/**
 * PI_SPARE_PROCESSES: a pre-started pi is handed to a new session with switch_session, keeps that
 * session's history in the session's own file, and is replaced in the background.
 */
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionFile } from "../../src/pi-server/paths";
import { type BackendHarness, last, startBackend, waitFor } from "../fixtures/backend-harness";

let backend: BackendHarness;

beforeAll(async () => {
  backend = await startBackend({ spareProcesses: 1 });
}, 60_000);

afterAll(async () => {
  await backend?.close();
});

const readySpare = () => waitFor(() => backend.manager.spares!.readyPids.length === 1, 30_000, "a ready spare");

describe("spare pi processes", () => {
  it("gives a new session the ready spare, which writes the session's own history", async () => {
    await readySpare();
    const [sparePid] = backend.manager.spares!.readyPids;
    const events = await backend.turn("spare:a", "t1", "remember the word quince");
    expect(last(events)).toMatchObject({ type: "turn_end", text: "reply to: remember the word quince" });
    expect(backend.manager.get("spare:a")!.pid).toBe(sparePid);
    const file = sessionFile(backend.dataDir, "spare:a");
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, "utf8")).toContain("remember the word quince");

    // A replacement is started in the background.
    await readySpare();
    expect(backend.manager.spares!.readyPids).not.toContain(sparePid);
  });

  it("resumes a released session's history in a spare", async () => {
    await backend.turn("spare:b", "t1", "remember the word medlar");
    await backend.request("DELETE", "/v1/sessions/spare:b");
    await readySpare();
    const [sparePid] = backend.manager.spares!.readyPids;
    const before = backend.llm.requests.length;
    const events = await backend.turn("spare:b", "t2", "what was the word?");
    expect(last(events)).toMatchObject({ type: "turn_end", text: "reply to: what was the word?" });
    expect(backend.manager.get("spare:b")!.pid).toBe(sparePid);
    expect(JSON.stringify(backend.llm.requests.slice(before))).toContain("remember the word medlar");
  });

  it("is not used by a session that works in another directory and has no history yet", async () => {
    const perChat = await startBackend({ spareProcesses: 1, workspace: "per-chat", llm: backend.llm });
    try {
      await waitFor(() => perChat.manager.spares!.readyPids.length === 1, 30_000, "a ready spare");
      const [sparePid] = perChat.manager.spares!.readyPids;
      expect(last(await perChat.turn("spare:c", "t1", "hello"))).toMatchObject({ type: "turn_end" });
      expect(perChat.manager.get("spare:c")!.pid).not.toBe(sparePid);
      expect(perChat.manager.spares!.readyPids).toEqual([sparePid]);
    } finally {
      await perChat.close();
    }
  });

  it("starts none with PI_SPARE_PROCESSES=0", async () => {
    const none = await startBackend({ spareProcesses: 0, llm: backend.llm });
    try {
      expect(none.manager.spares).toBeUndefined();
      expect(last(await none.turn("spare:d", "t1", "hello"))).toMatchObject({ type: "turn_end" });
    } finally {
      await none.close();
    }
  });
});
