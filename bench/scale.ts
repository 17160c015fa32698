/**
 * `npm run bench:scale`: registers up to 10,000 chats (one message each, a one-delta turn against the
 * fake backend) across 4 registry shards in `wrangler dev`, bounded by BENCH_SCALE_SECONDS (default
 * 300), then prints the per-shard load, the registration rate and the merged status latency, and
 * walks every page of `GET /api/status` to check each chat is listed once. Feeds docs/scaling.md.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { shardOf } from "../src/worker/registry/shard-map";
import { FAKE_BACKEND_TOKEN } from "../test/fixtures/fake-backend";
import { startWranglerDev } from "../test/fixtures/wrangler-dev";
import { startFakeBackendProcess } from "./lib/fake-backend-process";
import { fmt, pct, sleep } from "./lib/stats";

for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

const TARGET_CHATS = Number(process.env.BENCH_SCALE_CHATS ?? 10_000);
const BUDGET_MS = Number(process.env.BENCH_SCALE_SECONDS ?? 300) * 1000;
const SHARDS = 4;
const IN_FLIGHT = 50;
const API_TOKEN = "bench-api-token-0123456789";
const headers = { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" };

const backend = await startFakeBackendProcess();
const stateDir = process.env.BENCH_STATE_DIR ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
const persistTo = mkdtempSync(join(stateDir, "evie-scale-"));
// No inspector: production has none, and wrangler's turns each subrequest into DevTools traffic (see the fixture).
const dev = await startWranglerDev({
  persistTo,
  inspector: false,
  vars: { PI_BACKEND_URL: backend.url, PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN, API_TOKEN, REGISTRY_SHARDS: String(SHARDS) },
});

try {
  await backend.script("*", { deltas: ["ok"] });
  const started = performance.now();
  let next = 0;
  let sent = 0;
  let retries = 0;
  const acks: number[] = [];
  const worker = async () => {
    while (next < TARGET_CHATS && performance.now() - started < BUDGET_MS) {
      const chat = `scale-${next++}`;
      const t0 = performance.now();
      // With an id, so a retry after wrangler dev's "worker restarted mid-request" 503 cannot double the message.
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${dev.url}/api/chats/${chat}/messages`, {
          method: "POST",
          headers,
          body: JSON.stringify({ text: "hi", id: chat }),
          signal: AbortSignal.timeout(30_000),
        }).catch(() => null);
        await res?.text();
        if (res && (res.status === 202 || res.status === 200)) break;
        retries++;
        if (attempt >= 5) throw new Error(`send ${chat}: ${res?.status ?? "no answer"}`);
        await sleep(500);
      }
      acks.push(performance.now() - t0);
      sent++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const sendMs = performance.now() - started;
  // Wait until the registry shows every chat idle again (their turns ran and the final reports arrived).
  let listedIdle = 0;
  while (performance.now() - started < BUDGET_MS + 120_000) {
    const { chats } = await walk("?limit=1000");
    listedIdle = chats.filter((s) => !s.busy && s.queued === 0).length;
    if (listedIdle >= sent) break;
    await sleep(1_000);
  }
  const settledMs = performance.now() - started;

  const perShard = Array.from({ length: SHARDS }, () => 0);
  for (let i = 0; i < sent; i++) perShard[shardOf(`http:scale-${i}`, SHARDS)]!++;
  const page100 = await sample("?limit=100", 100);
  const page1000 = await sample("?limit=1000", 30);
  const walked = await walk("?limit=1000");
  const unique = new Set(walked.chats.map((s) => s.chat)).size;

  console.log(`\nbench:scale — ${sent} chats registered across ${SHARDS} shards (target ${TARGET_CHATS}, budget ${BUDGET_MS / 1000} s)`);
  console.log(
    `machine: ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  console.log(
    `messages acknowledged: ${sent} in ${fmt(sendMs)} ms = ${((sent * 1000) / sendMs).toFixed(0)} msg/s at ${IN_FLIGHT} in ` +
      `flight; ack p50 ${fmt(pct(acks, 50))} ms p99 ${fmt(pct(acks, 99))} ms; ${retries} sends retried (wrangler dev restarts)`,
  );
  console.log(`every chat idle in status after ${fmt(settledMs)} ms (${listedIdle} idle)`);
  console.log(
    `chats per shard: ${perShard.map((n, i) => `shard ${i}: ${n}`).join(", ")} (max/mean ` +
      `${((Math.max(...perShard) * SHARDS) / sent).toFixed(3)})`,
  );
  console.log(
    `reports per shard: at most ${((3 * sent * 1000) / settledMs / SHARDS).toFixed(0)}/s sustained over the run (3 state changes ` +
      `per message: queued, running, idle; fewer reach the registry, a chat's changes within 100 ms go as one report)`,
  );
  console.log(`GET /api/status?limit=100:  p50 ${fmt(pct(page100, 50))} ms  p99 ${fmt(pct(page100, 99))} ms  (n=${page100.length})`);
  console.log(`GET /api/status?limit=1000: p50 ${fmt(pct(page1000, 50))} ms  p99 ${fmt(pct(page1000, 99))} ms  (n=${page1000.length})`);
  console.log(
    `walking every page (limit=1000): ${walked.pages} pages, ${walked.chats.length} entries, ${unique} distinct chats, ` +
      `${fmt(walked.ms)} ms`,
  );
} finally {
  await dev.stop("SIGKILL");
  await backend.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

async function sample(query: string, n: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await retried(() => fetch(`${dev.url}/api/status${query}`, { headers, signal: AbortSignal.timeout(30_000) }));
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`status: ${res.status}`);
    samples.push(performance.now() - t0);
  }
  return samples;
}

async function walk(query: string): Promise<{ chats: { chat: string; busy: boolean; queued: number }[]; pages: number; ms: number }> {
  const t0 = performance.now();
  const chats: { chat: string; busy: boolean; queued: number }[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const url = `${dev.url}/api/status${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const body = (await (await retried(() => fetch(url, { headers, signal: AbortSignal.timeout(30_000) }))).json()) as {
      sessions: typeof chats;
      nextCursor: string | null;
    };
    chats.push(...body.sessions);
    cursor = body.nextCursor;
    pages++;
  } while (cursor);
  return { chats, pages, ms: performance.now() - t0 };
}

/** A GET that wrangler dev's restarts under load may drop: tried up to four times. */
async function retried(call: () => Promise<Response>): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await call().catch((err: Error) => (attempt >= 3 ? Promise.reject(err) : null));
    if (res && (res.ok || attempt >= 3)) return res;
    await res?.body?.cancel();
    await sleep(500);
  }
}
