/**
 * The whole path with nothing faked but the LLM: wrangler dev (the Worker and its Durable Objects
 * in workerd) → the pi backend server → the real pi binary → the fake OpenAI-compatible LLM.
 */
import { expect, it } from "vitest";
import { fakeReplyText } from "../fixtures/fake-llm";
import { ask as askRelay, e2eHeaders as headers, useRelay } from "../fixtures/relay";

const relay = useRelay();
const ask = (chat: string, text: string) => askRelay(relay.worker, headers, chat, text);

it("answers a message through the Worker, the backend and a real pi", async () => {
  const chat = `e2e-${Date.now()}`;
  const first = await ask(chat, "hello from the whole path");
  expect(first).toMatchObject({ state: "done", reply: fakeReplyText("hello from the whole path") });

  // The same chat's next message goes to the same pi process, which has the first exchange in its history.
  const second = await ask(chat, "and again");
  expect(second).toMatchObject({ state: "done", reply: fakeReplyText("and again") });
  const sessions = (await (await relay.backend.request("GET", "/v1/sessions")).json()) as { sessions: { sessionId: string }[] };
  expect(sessions.sessions.filter((s) => s.sessionId === `http:${chat}`)).toHaveLength(1);
  const lastPrompt = JSON.stringify(relay.backend.llm.requests.at(-1));
  expect(lastPrompt).toContain("hello from the whole path");

  // Reports reach the registry in the background (coalesced over 100 ms): read until it shows the turn's end.
  let status: { busy?: boolean } = {};
  for (let i = 0; i < 50 && status.busy !== false; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    status = await (await fetch(`${relay.worker.url}/api/status/http:${chat}`, { headers })).json();
  }
  expect(status).toMatchObject({ chat: `http:${chat}`, busy: false, queued: 0, backend: "live" });
}, 120_000);
