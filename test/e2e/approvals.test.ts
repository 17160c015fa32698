/**
 * Issue 10 along the whole path, nothing faked but the LLM: wrangler dev → pi backend → real pi with a
 * permission-gate extension → fake LLM. A dialog reaches the HTTP record as input_required, the answer
 * goes back to pi, the turn ends with its tool call recorded; the agent commands reach pi too.
 */
import { resolve } from "node:path";
import { expect, it } from "vitest";
import { e2eHeaders as headers, pollMessage, useRelay } from "../fixtures/relay";

const GATE = resolve(import.meta.dirname, "../fixtures/extensions/permission-gate.ts");
const relay = useRelay({ piArgs: ["--provider", "fake", "--model", "fake-1", "--extension", GATE], extraModels: ["fake-2"] });

type Record = { state: string; reply?: string; request?: { kind: string; title: string; message?: string }; tools?: unknown[] };
const poll = (chat: string, messageId: string, until: (r: Record) => boolean) => pollMessage(relay.worker, headers, chat, messageId, until);

it("a permission prompt from a real pi extension is answered over HTTP and the turn ends", async () => {
  const chat = `e2e-gate-${Date.now()}`;
  const sent = await fetch(`${relay.worker.url}/api/chats/${chat}/messages`, {
    method: "POST",
    headers,
    body: JSON.stringify({ text: "[tool:echo danger-e2e]" }),
  });
  const { messageId } = (await sent.json()) as { messageId: string };
  const waiting = await poll(chat, messageId, (r) => r.state === "input_required" || r.state === "done" || r.state === "failed");
  expect(waiting).toMatchObject({
    state: "input_required",
    request: { kind: "confirm", title: "Allow this command?", message: "echo danger-e2e" },
  });
  const answer = await fetch(`${relay.worker.url}/api/chats/${chat}/messages/${messageId}/answer`, {
    method: "POST",
    headers,
    body: JSON.stringify({ confirmed: true }),
  });
  expect(answer.status).toBe(200);
  const done = await poll(chat, messageId, (r) => r.state === "done" || r.state === "failed");
  expect(done.state).toBe("done");
  expect(done.reply).toContain("danger-e2e");
  expect(done.tools).toEqual([{ name: "bash", args: { command: "echo danger-e2e" }, ok: true }]);

  const command = (body: object) =>
    fetch(`${relay.worker.url}/api/chats/${chat}/commands`, { method: "POST", headers, body: JSON.stringify(body) }).then(
      (r) => r.json() as Promise<{ text: string }>,
    );
  expect((await command({ command: "model", args: "fake-2" })).text).toBe("Model: fake-2 (fake/fake-2).");
  expect((await command({ command: "stats" })).text).toMatch(/^Tokens: [\d,]+ in, [\d,]+ out/);
}, 120_000);
