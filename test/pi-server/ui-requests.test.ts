/** Extension dialogs through the real pi: a permission-gate extension asks, the client answers (or nobody does). */
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TurnEvent } from "../../src/shared/protocol";
import { type BackendHarness, last, startBackend, waitFor } from "../fixtures/backend-harness";

const GATE = resolve(import.meta.dirname, "../fixtures/extensions/permission-gate.ts");
const PI_ARGS = ["--provider", "fake", "--model", "fake-1", "--extension", GATE];

let backend: BackendHarness;
beforeAll(async () => {
  backend = await startBackend({ piArgs: PI_ARGS, uiAnswerTimeoutSeconds: 2 });
});
afterAll(async () => {
  await backend?.close();
});

/** Submits a turn and waits until it has an open dialog; returns its ui_request event and the stream's promise. */
async function untilDialog(session: string, turnId: string, message: string) {
  expect((await backend.submit(session, turnId, message)).status).toBe(202);
  const stream = backend.events(session, turnId);
  let request: Extract<TurnEvent, { type: "ui_request" }> | undefined;
  await waitFor(
    () => {
      request = backend.manager.turns.get(session, turnId)?.events.find((e) => e.type === "ui_request") as typeof request;
      return request !== undefined;
    },
    30_000,
    "the ui_request",
  );
  return { request: request!, stream };
}

const answer = (session: string, turnId: string, requestId: string, body: unknown) =>
  backend.request("POST", `/v1/sessions/${session}/turns/${turnId}/ui/${requestId}`, body);

describe("extension dialogs", () => {
  it("forwards a confirm as ui_request; Yes lets the tool run, the turn ends, notify arrives and setStatus does not", async () => {
    const { request, stream } = await untilDialog("ui:yes", "t1", "[tool:echo danger-yes]");
    expect(request).toMatchObject({ kind: "confirm", title: "Allow this command?", message: "echo danger-yes" });
    const res = await answer("ui:yes", "t1", request.id, { confirmed: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ answered: true });
    // Answered once: a second answer finds no open dialog.
    const again = await answer("ui:yes", "t1", request.id, { confirmed: false });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ error: { code: "unknown_request" } });
    const events = await stream;
    expect(events).toContainEqual(expect.objectContaining({ type: "ui_closed", id: request.id, reason: "answered" }));
    expect(events).toContainEqual(expect.objectContaining({ type: "notify", message: "gate: allowed", level: "info" }));
    expect(events.map((e) => e.type)).not.toContain("setStatus");
    expect(last(events)).toMatchObject({ type: "turn_end", text: expect.stringContaining("danger-yes") });
  });

  it("No blocks the tool and the turn still ends", async () => {
    const { request, stream } = await untilDialog("ui:no", "t1", "[tool:echo danger-no]");
    expect((await answer("ui:no", "t1", request.id, { confirmed: false })).status).toBe(200);
    const events = await stream;
    expect(events).toContainEqual(expect.objectContaining({ type: "notify", message: "gate: blocked", level: "warning" }));
    expect(last(events)).toMatchObject({ type: "turn_end", text: expect.stringContaining("Blocked by user") });
  });

  it("a dialog nobody answers is cancelled after UI_ANSWER_TIMEOUT_SECONDS and the turn goes on", async () => {
    const started = Date.now();
    const { request, stream } = await untilDialog("ui:timeout", "t1", "[tool:echo danger-late]");
    const events = await stream;
    expect(events).toContainEqual(expect.objectContaining({ type: "ui_closed", id: request.id, reason: "timeout" }));
    expect(last(events)).toMatchObject({ type: "turn_end", text: expect.stringContaining("Blocked by user") });
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it("a select is answered with one of its options; a value that is not one, or the wrong kind of answer, is 400", async () => {
    const { request, stream } = await untilDialog("ui:select", "t1", "[tool:echo choose-one]");
    expect(request).toMatchObject({ kind: "select", title: "Which one?", options: ["Alpha", "Beta"] });
    expect((await answer("ui:select", "t1", request.id, { value: "Gamma" })).status).toBe(400);
    expect((await answer("ui:select", "t1", request.id, { confirmed: true })).status).toBe(400);
    expect((await answer("ui:select", "t1", request.id, { value: "Alpha", confirmed: true })).status).toBe(400);
    expect((await answer("ui:select", "t1", request.id, { value: "Alpha" })).status).toBe(200);
    expect(last(await stream)).toMatchObject({ type: "turn_end", text: expect.stringContaining("choose-one") });
  });

  it("an input is answered with text", async () => {
    const { request, stream } = await untilDialog("ui:input", "t1", "[tool:echo ask-name]");
    expect(request).toMatchObject({ kind: "input", title: "Your name?", placeholder: "a name" });
    expect((await answer("ui:input", "t1", request.id, { value: "Ada" })).status).toBe(200);
    const events = await stream;
    expect(events).toContainEqual(expect.objectContaining({ type: "notify", message: "hello Ada" }));
    expect(last(events)).toMatchObject({ type: "turn_end" });
  });

  it("abort while a dialog is open cancels it and ends the turn aborted", async () => {
    const { request, stream } = await untilDialog("ui:abort", "t1", "[tool:echo danger-abort]");
    expect(await (await backend.request("POST", "/v1/sessions/ui:abort/abort")).json()).toEqual({ aborted: true });
    const events = await stream;
    expect(events).toContainEqual(expect.objectContaining({ type: "ui_closed", id: request.id, reason: "cancelled" }));
    expect(last(events)).toMatchObject({ type: "turn_error", code: "aborted" });
  });

  it("answers 404 unknown_turn for an unknown turn and unknown_request for an unknown dialog", async () => {
    expect(await (await answer("ui:yes", "nope", "r1", { cancelled: true })).json()).toMatchObject({ error: { code: "unknown_turn" } });
    const res = await answer("ui:yes", "t1", "r1", { cancelled: true });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "unknown_request" } });
  });
});
