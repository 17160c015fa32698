/**
 * Several pi hosts (PI_BACKEND_URLS): wrangler dev in front of two fake backends. Each chat sticks
 * to the host rendezvous hashing gives it, status shows that host, and one host going down touches
 * only its own chats.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rendezvousPick } from "../../src/worker/pi-client/rendezvous";
import { FAKE_BACKEND_TOKEN, FakeBackend } from "../fixtures/fake-backend";
import { startWranglerDev, type WranglerDev } from "../fixtures/wrangler-dev";

const API_TOKEN = "e2e-api-token-0123456789";
const headers = { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" };
const hosts = [new FakeBackend(), new FakeBackend()];
let urls: string[];
let worker: WranglerDev;
let persistTo: string;

beforeAll(async () => {
  urls = await Promise.all(hosts.map(async (h) => `http://127.0.0.1:${await h.start()}`));
  persistTo = mkdtempSync(join(tmpdir(), "evie-hosts-"));
  worker = await startWranglerDev({
    persistTo,
    vars: { PI_BACKEND_URLS: urls.join(","), PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN, API_TOKEN, REGISTRY_SHARDS: "4" },
  });
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  for (const h of hosts) await h.stop().catch(() => {});
  if (persistTo) rmSync(persistTo, { recursive: true, force: true });
});

async function send(chat: string, text: string): Promise<string> {
  const res = await fetch(`${worker.url}/api/chats/${chat}/messages`, { method: "POST", headers, body: JSON.stringify({ text }) });
  expect(res.status).toBe(202);
  return ((await res.json()) as { messageId: string }).messageId;
}

async function settle(chat: string, id: string, timeoutMs = 20_000): Promise<{ state: string; reply?: string; error?: string }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = (await (await fetch(`${worker.url}/api/chats/${chat}/messages/${id}`, { headers })).json()) as { state: string };
    if (m.state === "done" || m.state === "failed" || Date.now() > until) return m;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sessionsOn = (h: FakeBackend) => new Set(h.log.filter((e) => e.kind === "submit").map((e) => e.sessionId));

describe("PI_BACKEND_URLS", () => {
  it("sticks each chat to its rendezvous host, shows it in status, and a host down holds only its chats", async () => {
    const chats = Array.from({ length: 10 }, (_, i) => `hosts-${i}`);
    const home = (chat: string) => urls.indexOf(rendezvousPick(urls, `http:${chat}`));
    expect(new Set(chats.map(home)).size).toBe(2); // both hosts have chats

    const first = await Promise.all(chats.map((c) => send(c, "hello")));
    for (const [i, c] of chats.entries()) expect((await settle(c, first[i]!)).state).toBe("done");
    for (const c of chats) {
      expect(sessionsOn(hosts[home(c)]!).has(`http:${c}`)).toBe(true);
      expect(sessionsOn(hosts[1 - home(c)]!).has(`http:${c}`)).toBe(false);
    }
    const status = (await (await fetch(`${worker.url}/api/status?limit=1000`, { headers })).json()) as {
      sessions: { chat: string; host?: string }[];
    };
    for (const c of chats) {
      expect(status.sessions.find((s) => s.chat === `http:${c}`)?.host).toBe(new URL(urls[home(c)]!).host);
    }

    // Host 1 goes down: its chats' messages are not answered, host 0's chats answer as before.
    await hosts[1]!.stop();
    const second = await Promise.all(chats.map((c) => send(c, "still there?")));
    const results = await Promise.all(chats.map((c, i) => settle(c, second[i]!, home(c) === 0 ? 20_000 : 5_000)));
    for (const [i, c] of chats.entries()) {
      if (home(c) === 0) expect(results[i]).toMatchObject({ state: "done", reply: "echo: still there?" });
      else expect(results[i]!.state).not.toBe("done");
    }
    for (const c of chats.filter((c) => home(c) === 0)) expect(sessionsOn(hosts[1]!).has(`http:${c}`)).toBe(false);
  });
});
