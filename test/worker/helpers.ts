/** Helpers for tests that run inside workerd: call the Worker, steer the fake backend, wait for a state. */
import { SELF } from "cloudflare:test";
import { inject } from "vitest";
import type { LogEntry, Script } from "../fixtures/fake-backend";

/** As in vitest.config.mts; at least 16 characters, or the Worker refuses it. */
export const API_TOKEN = "test-api-token-for-workers";

/** Calls the Worker with the API token (unless `auth: false`). */
export function api(path: string, init: RequestInit & { json?: unknown; auth?: boolean } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.auth !== false) headers.set("authorization", `Bearer ${API_TOKEN}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return SELF.fetch(new Request(`https://evie.test${path}`, { ...init, headers, body }));
}

/** Sends a message and returns the 202/200 body. */
export async function send(chatId: string, text: string, id?: string): Promise<{ messageId: string; position: number; state: string }> {
  const res = await api(`/api/chats/${chatId}/messages`, { method: "POST", json: { text, id } });
  if (res.status !== 202 && res.status !== 200) throw new Error(`send failed: ${res.status} ${await res.text()}`);
  return res.json();
}

export interface MessageView {
  messageId: string;
  state: "queued" | "running" | "input_required" | "done" | "failed" | "aborted" | "merged";
  reply?: string;
  error?: string;
  mergedInto?: string;
}

export async function getMessage(chatId: string, messageId: string): Promise<MessageView> {
  const res = await api(`/api/chats/${chatId}/messages/${encodeURIComponent(messageId)}`);
  if (res.status !== 200) throw new Error(`get failed: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Waits until the message has ended: done, failed, aborted or merged. */
export function settled(chatId: string, messageId: string, timeoutMs = 15_000): Promise<MessageView> {
  return waitFor(
    async () => {
      const m = await getMessage(chatId, messageId);
      // input_required (issue 10) is a running turn waiting on a dialog: not finished either.
      return m.state !== "queued" && m.state !== "running" && m.state !== "input_required" ? m : null;
    },
    timeoutMs,
    `message ${messageId} in ${chatId} to finish`,
  );
}

/** Polls `probe` until it returns a non-null value. */
export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const backendUrl = () => `http://127.0.0.1:${inject("fakeBackendPort")}`;

/** Scripts the fake backend for one session (chat key). */
export async function script(sessionId: string, s: Script): Promise<void> {
  await control("script", { sessionId, ...s });
}

export async function control(
  action: "release" | "crash" | "forget" | "script" | "outage",
  body: Record<string, unknown> = {},
): Promise<void> {
  const res = await fetch(`${backendUrl()}/_control/${action}`, { method: "POST", body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`control ${action}: ${res.status}`);
  await res.body?.cancel();
}

/** What the fake backend saw for one session. */
export async function backendLog(sessionId: string): Promise<LogEntry[]> {
  const res = await fetch(`${backendUrl()}/_control/log?sessionId=${encodeURIComponent(sessionId)}`);
  return ((await res.json()) as { log: LogEntry[] }).log;
}

/** A chat id no other test uses. */
export function freshChat(prefix = "c"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 12)}`;
}

/** Bodies are cut off here if nothing stops them first: 256 MiB, far past any limit, yet a test that reads it all still ends. */
const UNENDING_BODY_BYTES = 256 * 1024 * 1024;

/** A chunked request body that goes on and on (JSON-looking), counting what the receiver pulled from it. */
export function unendingBody(prefix = '{"text":"'): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === 0) {
        const start = new TextEncoder().encode(prefix);
        pulled += start.length;
        return controller.enqueue(start);
      }
      if (pulled >= UNENDING_BODY_BYTES) return controller.close();
      pulled += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { stream, pulled: () => pulled };
}

/** Lets a held turn finish, waiting until the fake backend has reached the hold (its deltas may still be streaming). */
export async function releaseHeld(sessionId: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    async () => {
      const res = await fetch(`${backendUrl()}/_control/release`, { method: "POST", body: JSON.stringify({ sessionId }) });
      return ((await res.json()) as { released: boolean }).released;
    },
    timeoutMs,
    `a held turn in ${sessionId}`,
  );
}
