/**
 * The benches' client of the Worker's HTTP API: send a message, wait for its reply, time status.
 * A reply is awaited on the message's live event stream (`.../events`, Server-Sent Events), as a
 * browser does, not by polling: 50 chats polled every 20 ms were 2,500 requests a second, which
 * slowed the very turns being timed.
 */
import { sseEvents } from "../../src/worker/api/sse-reader";
import { sleep } from "./stats";

export interface WorkerClient {
  /** Posts a message (with an id of its own, so a retry cannot double it); resolves with its message id. */
  send(chat: string, text: string): Promise<string>;
  /** Resolves when the message is done; throws when it failed. */
  waitDone(chat: string, messageId: string): Promise<void>;
  /** Sends one message and waits for its reply; resolves with the milliseconds it took. */
  runTurn(chat: string): Promise<number>;
  /** One `GET /api/status{query}`, in milliseconds. */
  timeStatus(query?: string): Promise<number>;
  sampleStatus(n: number, query?: string): Promise<number[]>;
  /** Status calls one after another for `ms`. */
  sampleFor(ms: number): Promise<number[]>;
}

/** No single request may hang a run: one that gets no answer fails after 20 s. */
const timeout = () => AbortSignal.timeout(20_000);

export function workerClient(url: string, headers: Record<string, string>, say: (line: string) => void = console.log): WorkerClient {
  let seq = 0;
  const client: WorkerClient = {
    async send(chat, text) {
      const id = `b${seq++}-${Date.now()}`;
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${url}/api/chats/${chat}/messages`, {
          method: "POST",
          headers,
          body: JSON.stringify({ text, id }),
          signal: timeout(),
        }).catch(() => null);
        const body = (await res?.text().catch(() => null)) ?? "no answer";
        if (res && (res.status === 202 || res.status === 200)) return (JSON.parse(body) as { messageId: string }).messageId;
        // wrangler dev answers 503 "worker restarted mid-request" now and then under load: the id makes a retry safe.
        if ((res && res.status !== 503) || attempt >= 3) throw new Error(`send: ${res?.status ?? ""} ${body}`);
        await sleep(500);
      }
    },
    async waitDone(chat, messageId) {
      for (;;) {
        const res = await fetch(`${url}/api/chats/${chat}/messages/${messageId}/events`, { headers }).catch(() => null);
        if (res?.ok && res.body) {
          for await (const event of sseEvents(res.body)) {
            if (event.event === "done") return;
            if (event.event === "failed") throw new Error(`turn failed: ${event.data}`);
          }
        } else await res?.body?.cancel();
        // The stream ended without the outcome (wrangler dev restarted the Worker): subscribe again.
        await sleep(200);
      }
    },
    async runTurn(chat) {
      const started = performance.now();
      await client.waitDone(chat, await client.send(chat, "hi"));
      return performance.now() - started;
    },
    async timeStatus(query = "") {
      for (let attempt = 0; ; attempt++) {
        const started = performance.now();
        try {
          const res = await fetch(`${url}/api/status${query}`, { headers, signal: timeout() });
          await res.arrayBuffer();
          if (!res.ok) throw new Error(`status: ${res.status}`);
          return performance.now() - started;
        } catch (err) {
          if (attempt >= 3) throw err;
          say(`  status call failed (${(err as Error).message}); retrying`);
          await sleep(500);
        }
      }
    },
    async sampleStatus(n, query = "") {
      const samples: number[] = [];
      for (let i = 0; i < n; i++) samples.push(await client.timeStatus(query));
      return samples;
    },
    async sampleFor(ms) {
      const samples: number[] = [];
      const until = performance.now() + ms;
      while (performance.now() < until) samples.push(await client.timeStatus());
      return samples;
    },
  };
  return client;
}
