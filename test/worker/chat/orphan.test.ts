/**
 * Issue 9 finding: after a 409 for an orphaned turn the runner aborted and resubmitted at once; the backend's
 * abort only asks pi to stop, so the resubmit met 409 again and the new message failed `busy`.
 */
import { describe, expect, inject, it } from "vitest";
import { FAKE_BACKEND_TOKEN } from "../../fixtures/fake-backend";
import { backendLog, freshChat, script, send, settled } from "../helpers";

/** Starts a turn in the chat's backend session that no message of ours drives. */
async function startOrphan(sessionId: string, turnId: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${inject("fakeBackendPort")}/v1/sessions/${encodeURIComponent(sessionId)}/turns`, {
    method: "POST",
    headers: { authorization: `Bearer ${FAKE_BACKEND_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ turnId, message: "left behind" }),
  });
  expect(res.status).toBe(202);
  await res.body?.cancel();
}

describe("a message arriving while an orphaned turn runs in the backend", () => {
  it("aborts the orphan, waits until the backend is really idle, then runs the message", async () => {
    const chat = freshChat();
    const sessionId = `http:${chat}`;
    await script(sessionId, { hold: true });
    await startOrphan(sessionId, "orphan-1");
    // pi takes 1.5 s to stop after the abort; our own turn is not held.
    await script(sessionId, { abortDelayMs: 1_500 });
    const sent = await send(chat, "after the orphan");
    expect(await settled(chat, sent.messageId, 15_000)).toMatchObject({ state: "done", reply: "echo: after the orphan" });

    const log = await backendLog(sessionId);
    expect(log.filter((e) => e.kind === "abort").length).toBeGreaterThanOrEqual(1);
    expect(log.filter((e) => e.kind === "busy").length).toBeGreaterThanOrEqual(2);
    expect(log.filter((e) => e.kind === "submit").map((e) => e.turnId)).toEqual(["orphan-1", expect.not.stringMatching(/orphan/)]);
  });
});
