/**
 * The real Worker under `wrangler dev`: a turn survives the Worker being killed mid-turn
 * (re-attached, answered once), and a long turn is handed over between alarm invocations.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_BACKEND_TOKEN, FakeBackend } from "../fixtures/fake-backend";
import { freePort, startWranglerDev, type WranglerDev } from "../fixtures/wrangler-dev";

const API_TOKEN = "restart-test-token";
const backend = new FakeBackend();
let backendUrl = "";
let persistTo = "";
const running: WranglerDev[] = [];

beforeAll(async () => {
  backendUrl = `http://127.0.0.1:${await backend.start()}`;
  persistTo = mkdtempSync(join(tmpdir(), "evie-state-"));
});

afterAll(async () => {
  for (const dev of running) await dev.stop("SIGKILL");
  await backend.stop();
  rmSync(persistTo, { recursive: true, force: true });
});

async function start(port: number, extra: Record<string, string> = {}): Promise<WranglerDev> {
  const dev = await startWranglerDev({
    port,
    persistTo,
    vars: { PI_BACKEND_URL: backendUrl, PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN, API_TOKEN, IDLE_TIMEOUT_SECONDS: "900", ...extra },
  });
  running.push(dev);
  return dev;
}

function client(dev: WranglerDev) {
  const headers = { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" };
  return {
    send: async (chat: string, text: string) =>
      (await (
        await fetch(`${dev.url}/api/chats/${chat}/messages`, { method: "POST", headers, body: JSON.stringify({ text }) })
      ).json()) as { messageId: string },
    get: async (chat: string, id: string) =>
      (await (await fetch(`${dev.url}/api/chats/${chat}/messages/${id}`, { headers })).json()) as { state: string; reply?: string },
    /** Waits until the message is done. */
    done: (chat: string, id: string) =>
      until(async () => {
        const m = (await (await fetch(`${dev.url}/api/chats/${chat}/messages/${id}`, { headers })).json()) as {
          state: string;
          reply?: string;
        };
        return m.state === "done" ? m : null;
      }),
  };
}

async function until<T>(probe: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

function control(path: string, body: unknown) {
  return fetch(`${backendUrl}/_control/${path}`, { method: "POST", body: JSON.stringify(body) });
}

describe("wrangler dev restarts", () => {
  it("finishes a turn in flight when the Worker is killed and started again, answering once", async () => {
    const port = await freePort();
    let dev = await start(port);
    const chat = `restart-${Date.now()}`;
    await control("script", { sessionId: `http:${chat}`, deltas: ["survived ", "a restart"], hold: true });
    const first = await client(dev).send(chat, "long job");
    const queued = await client(dev).send(chat, "asked before the crash");
    await until(async () => ((await client(dev).get(chat, first.messageId)).reply === "survived a restart" ? true : null));

    await dev.stop("SIGKILL");
    await control("script", { sessionId: `http:${chat}` });
    dev = await start(port);
    await control("release", { sessionId: `http:${chat}` });

    const done = await client(dev).done(chat, first.messageId);
    expect(done.reply).toBe("survived a restart");
    const second = await client(dev).done(chat, queued.messageId);
    expect(second.reply).toBe("echo: asked before the crash");
    const log = backend.log.filter((e) => e.sessionId === `http:${chat}`);
    expect(log.filter((e) => e.kind === "submit")).toHaveLength(2);
    expect(log.filter((e) => e.kind === "resubmit")).toHaveLength(0);
    expect(log.filter((e) => e.kind === "turn_start")).toHaveLength(2);
    await dev.stop();
  });

  it("hands a long turn over to the next alarm invocation without submitting it again", async () => {
    const dev = await start(await freePort(), { TURN_HANDOVER_SECONDS: "1" });
    const chat = `handover-${Date.now()}`;
    await control("script", { sessionId: `http:${chat}`, deltas: ["a", "b", "c", "d", "e", "f"], deltaDelayMs: 500 });
    const sent = await client(dev).send(chat, "three seconds");
    const done = await client(dev).done(chat, sent.messageId);
    expect(done.reply).toBe("abcdef");
    const log = backend.log.filter((e) => e.sessionId === `http:${chat}`);
    expect(log.filter((e) => e.kind === "submit")).toHaveLength(1);
    expect(log.filter((e) => e.kind === "events").length).toBeGreaterThanOrEqual(3);
    await dev.stop();
  });
});
