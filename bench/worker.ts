/**
 * bench:worker — the Worker under `wrangler dev` against a fake pi backend (its own process).
 * Measures, in one run: status latency idle and with 50 turns in flight, 50 chats against one turn,
 * the Worker's CPU per message (workerd's own CPU time from /proc over a run of turns), status with
 * 1,000 chats across 4 registry shards, and message-ack throughput and latency with autocannon
 * (50 connections into 500 chats) with their turns held open and with turns streaming, each next to
 * a bare `GET /healthz` at the same concurrency, and the same for Telegram webhook acks (a fake
 * Telegram API behind the Worker) into 500 chats with their turns held open. Prints the figures; with BENCH_OUT=<file> also
 * writes them as JSON (bench/all.ts builds the table from that).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon, { type Result as AutocannonResult } from "autocannon";
import { FAKE_BACKEND_TOKEN } from "../test/fixtures/fake-backend";
import { FAKE_TELEGRAM_TOKEN, FakeTelegram } from "../test/fixtures/fake-telegram";
import { startWranglerDev } from "../test/fixtures/wrangler-dev";
import { startFakeBackendProcess } from "./lib/fake-backend-process";
import { hasOpenFileUnder, totalCpuMs, workerdPids } from "./lib/proc";
import { fmt, pct, sleep } from "./lib/stats";
import { workerClient } from "./lib/worker-client";

for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

const API_TOKEN = "bench-api-token-0123456789";
const headers = { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" };
const CHATS = 50;
const TURN_MS = 2_000;
const CPU_MESSAGES = 100;
const HEALTHZ_CPU_REQUESTS = 1_000;
const STATUS_CHATS = 1_000;
const ACK_CHATS = 500;
const ACK_SECONDS = Number(process.env.BENCH_ACK_SECONDS ?? 10);
const CONNECTIONS = 50;
const STREAM_DELTA_MS = 100;

const TELEGRAM_SECRET = "bench-telegram-secret_0123";
const TELEGRAM_USER = 4242;
const telegramFrom = { id: TELEGRAM_USER, is_bot: false, first_name: "Ada" };
const telegramHeaders = { "content-type": "application/json", "x-telegram-bot-api-secret-token": TELEGRAM_SECRET };
let updateId = 1;
const backend = await startFakeBackendProcess();
const telegram = new FakeTelegram();
const telegramPort = await telegram.start();
const stateDir = process.env.BENCH_STATE_DIR ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
const persistTo = mkdtempSync(join(stateDir, "evie-bench-"));
// Without wrangler's DevTools inspector: its proxy (not in production) makes an HTTP request to wrangler's Node process for
// every DevTools message of the Worker (each console line, each subrequest's Network events, each chunk of a streamed
// response) and livelocked at 100 % CPU under the ack rows' load, holding every request (see test/fixtures/wrangler-dev.ts).
const dev = await startWranglerDev({
  persistTo,
  inspector: false,
  vars: {
    PI_BACKEND_URL: backend.url,
    PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN,
    API_TOKEN,
    IDLE_TIMEOUT_SECONDS: "900",
    REGISTRY_SHARDS: "4",
    TELEGRAM_BOT_TOKEN: FAKE_TELEGRAM_TOKEN,
    TELEGRAM_WEBHOOK_SECRET: TELEGRAM_SECRET,
    TELEGRAM_API_BASE: `http://127.0.0.1:${telegramPort}`,
    ALLOWED_USERS: `telegram:${TELEGRAM_USER}`,
  },
});
const results: Record<string, number | string | boolean> = {};
const { send, waitDone, runTurn, sampleStatus, sampleFor } = workerClient(dev.url, headers, (line) => say(line));
const say = (line: string) => console.log(line);

try {
  await backend.script("*", { deltas: ["one ", "two ", "three ", "four ", "five"] });
  await runTurn("warmup");
  await sampleStatus(50);
  // wrangler dev runs two workerd processes: the Worker's own (it holds the Durable Objects' SQLite
  // files, which exist after the warm-up) and a dev proxy in front of it that production does not have.
  const workerd = workerdPids();
  const own = workerd.filter((pid) => hasOpenFileUnder(pid, persistTo));
  const mine = own.length === 1 ? own : workerd;

  // --- Worker CPU per message: POST + a 5-delta turn + its reports, from workerd's own CPU time.
  // The figure is the Worker's, for a message into a chat that exists (a chat's first message also
  // creates its object and storage: measured apart), next to a bare GET /healthz as the unit.
  {
    const proxy = workerd.filter((pid) => !mine.includes(pid));
    const cpu = totalCpuMs;
    const idleStart = cpu(mine);
    await sleep(2_000);
    const idlePerMs = (cpu(mine) - idleStart) / 2_000;
    /** CPU per operation in the Worker's workerd (less its idle rate) and in the dev proxy's. */
    const measure = async (ops: number, run: () => Promise<void>) => {
      const t0 = performance.now();
      const [workerBefore, proxyBefore] = [cpu(mine), cpu(proxy)];
      await run();
      const idle = Math.max(0, idlePerMs) * (performance.now() - t0);
      return { worker: (cpu(mine) - workerBefore - idle) / ops, proxy: (cpu(proxy) - proxyBefore) / ops };
    };
    const chats = Array.from({ length: CPU_MESSAGES }, (_, i) => `cpu-${i}`);
    const messages = async (round: number) => {
      for (let i = 0; i < chats.length; i += 10) await Promise.all(chats.slice(i, i + 10).map((c) => send(c, "hi")));
      // Wait on the backend's log, not by polling the Worker (polls would cost the Worker CPU too).
      const ended = async () => (await backend.log()).filter((e) => e.kind === "turn_end" && e.sessionId.startsWith("http:cpu-")).length;
      while ((await ended()) < CPU_MESSAGES * (round + 1)) await sleep(100);
      await sleep(1_000); // the turns' last events are read and stored, the final reports sent
    };
    const healthz = await measure(HEALTHZ_CPU_REQUESTS, async () => {
      for (let i = 0; i < HEALTHZ_CPU_REQUESTS; i += 10) {
        await Promise.all(Array.from({ length: 10 }, async () => void (await (await fetch(`${dev.url}/healthz`)).arrayBuffer())));
      }
    });
    const firstMessage = await measure(CPU_MESSAGES, () => messages(0));
    const perMessage = await measure(CPU_MESSAGES, () => messages(1));
    Object.assign(results, {
      workerCpuPerMessageMs: round(perMessage.worker),
      workerCpuFirstMessageMs: round(firstMessage.worker),
      workerCpuPerHealthzMs: round(healthz.worker),
      workerCpuMessageInHealthz: round(perMessage.worker / healthz.worker),
      devProxyCpuPerMessageMs: round(perMessage.proxy),
    });
    say(
      `Worker CPU per message (POST + 5-delta turn + reports, chat open): ${fmt(perMessage.worker)} ms = ` +
        `${(perMessage.worker / healthz.worker).toFixed(1)} × a GET /healthz (${fmt(healthz.worker)} ms); a new chat's first message ` +
        `${fmt(firstMessage.worker)} ms (the Worker's workerd, /proc over ${CPU_MESSAGES} messages); wrangler's dev proxy: ` +
        `${fmt(perMessage.proxy)} ms more`,
    );
  }

  // --- Status idle, 50 chats in flight, and 50 chats against one turn.
  {
    say("status idle, one turn, 50 chats...");
    await backend.script("*", { deltas: ["two ", "second ", "turn ", "done"], deltaDelayMs: TURN_MS / 4 });
    const idle = await sampleStatus(300);
    const oneTurn = await runTurn("single");
    const chats = Array.from({ length: CHATS }, (_, i) => `bench-${i}`);
    const started = performance.now();
    const sent = await Promise.all(chats.map((chat) => send(chat, "go")));
    const attached = async () =>
      new Set((await backend.log()).filter((e) => e.kind === "events" && e.sessionId.startsWith("http:bench-")).map((e) => e.sessionId))
        .size;
    while ((await attached()) < CHATS) await sleep(5);
    const loaded = await sampleFor(TURN_MS * 0.5);
    say(`  sampled ${loaded.length} status calls in flight; waiting for the 50 turns`);
    await Promise.all(chats.map((chat, i) => waitDone(chat, sent[i]!)));
    const all = performance.now() - started;
    // The same 50 chats again, now that they exist: a chat's first message also creates its object and storage.
    const againStarted = performance.now();
    await Promise.all(chats.map(async (chat) => waitDone(chat, await send(chat, "again"))));
    const again = performance.now() - againStarted;
    Object.assign(results, {
      statusIdleP50Ms: round(pct(idle, 50)),
      statusIdleP99Ms: round(pct(idle, 99)),
      statusLoadedP50Ms: round(pct(loaded, 50)),
      statusLoadedP99Ms: round(pct(loaded, 99)),
      statusLoadedRatioP50: round(pct(loaded, 50) / pct(idle, 50)),
      oneTurnMs: Math.round(oneTurn),
      fiftyChatsMs: Math.round(all),
      fiftyChatsRatio: round(all / oneTurn),
      fiftyOpenChatsMs: Math.round(again),
      fiftyOpenChatsRatio: round(again / oneTurn),
    });
    say(
      `status idle p50 ${fmt(pct(idle, 50))} ms p99 ${fmt(pct(idle, 99))} ms; 50 in flight p50 ${fmt(pct(loaded, 50))} ms p99 ` +
        `${fmt(pct(loaded, 99))} ms`,
    );
    say(
      `one turn ${fmt(oneTurn)} ms; 50 new chats ${fmt(all)} ms (${(all / oneTurn).toFixed(2)}×); the same 50 again ` +
        `${fmt(again)} ms (${(again / oneTurn).toFixed(2)}×)`,
    );
  }

  // --- Status with 1,000 registered chats across 4 shards.
  {
    say("registering 1,000 chats...");
    await backend.script("*", { deltas: ["ok"] });
    const chats = Array.from({ length: STATUS_CHATS }, (_, i) => `reg-${i}`);
    for (let i = 0; i < chats.length; i += 50) await Promise.all(chats.slice(i, i + 50).map((c) => send(c, "hi")));
    while ((await backend.log()).filter((e) => e.kind === "turn_end" && e.sessionId.startsWith("http:reg-")).length < STATUS_CHATS)
      await sleep(200);
    await sleep(1_000);
    const full = await sampleStatus(60, "?limit=1000");
    const page = await sampleStatus(200, "?limit=100");
    const listed = ((await (await fetch(`${dev.url}/api/status?limit=1000`, { headers })).json()) as { sessions: unknown[] }).sessions
      .length;
    Object.assign(results, {
      status1000ChatsP50Ms: round(pct(page, 50)),
      status1000ChatsP99Ms: round(pct(page, 99)),
      status1000ChatsFullPageP50Ms: round(pct(full, 50)),
      status1000ChatsFullPageP99Ms: round(pct(full, 99)),
    });
    say(
      `status with ${listed}+ chats on 4 shards: ?limit=100 p50 ${fmt(pct(page, 50))} ms p99 ${fmt(pct(page, 99))} ms; ` +
        `?limit=1000 p50 ${fmt(pct(full, 50))} ms p99 ${fmt(pct(full, 99))} ms`,
    );
  }

  // --- Ack throughput: autocannon, 50 connections, against a bare /healthz in the same run.
  {
    say("ack throughput (autocannon)...");
    const health = await withWorkerCpu(mine, () =>
      autocannon({ url: `${dev.url}/healthz`, connections: CONNECTIONS, duration: ACK_SECONDS }),
    );
    const chats = Array.from({ length: ACK_CHATS }, (_, i) => `reg-${i}`);
    await backend.script("*", { deltas: ["held"], hold: true });
    for (let i = 0; i < chats.length; i += 50) await Promise.all(chats.slice(i, i + 50).map((c) => send(c, "hold")));
    const heldNow = async () =>
      (await backend.log()).filter((e) => e.kind === "turn_start" && e.sessionId.startsWith("http:reg-")).length - STATUS_CHATS;
    const heldBefore = await heldNow();
    const held = await withWorkerCpu(mine, () => ackRun(chats));
    const stillHeld = heldBefore;
    // Telegram updates (each a new update_id) into 500 private chats, opened first like the chats above
    // (a chat's first message also creates its object), their turns held open too.
    const telegramChats = Array.from({ length: ACK_CHATS }, (_, i) => 700_000 + i);
    for (let i = 0; i < ACK_CHATS; i += 50) await Promise.all(telegramChats.slice(i, i + 50).map((id) => postUpdate(id, `open ${id}`)));
    await turnsStarted((id) => id.startsWith("telegram:"), 0, ACK_CHATS);
    const hooks = await withWorkerCpu(mine, () => webhookRun(telegramChats));
    // Turns streaming: the other 500 chats each stream a turn (a delta every 100 ms) that starts before the run and
    // outlasts it, so the acks queue behind streaming turns as they queue behind held ones above: the row measures acks
    // against 500 × 10 = 5,000 events/s, not also the turns of the messages it acks (the first 500 stay held, costing nothing).
    const streamDeltas = Math.ceil(((ACK_SECONDS + 15) * 1000) / STREAM_DELTA_MS);
    await backend.script("*", { deltas: Array.from({ length: streamDeltas }, (_, i) => `d${i} `), deltaDelayMs: STREAM_DELTA_MS });
    const streamingChats = Array.from({ length: ACK_CHATS }, (_, i) => `reg-${ACK_CHATS + i}`);
    const streamingSessions = new Set(streamingChats.map((c) => `http:${c}`));
    const isStreamingChat = (id: string) => streamingSessions.has(id);
    const startedBefore = await turnsStarted(isStreamingChat, 0, 0);
    for (let i = 0; i < ACK_CHATS; i += 50) await Promise.all(streamingChats.slice(i, i + 50).map((c) => send(c, "stream")));
    await turnsStarted(isStreamingChat, startedBefore, ACK_CHATS);
    const streaming = await withWorkerCpu(mine, () => ackRun(streamingChats));
    const share = (r: AutocannonResult) => r.requests.average / health.requests.average;
    Object.assign(results, {
      healthzWorkerCpuPct: health.workerCpuPct,
      ackHeldWorkerCpuPct: held.workerCpuPct,
      webhookAckWorkerCpuPct: hooks.workerCpuPct,
      ackStreamingWorkerCpuPct: streaming.workerCpuPct,
      healthzReqPerSec: Math.round(health.requests.average),
      healthzP50Ms: health.latency.p50,
      healthzP99Ms: health.latency.p99,
      ackHeldReqPerSec: Math.round(held.requests.average),
      ackHeldP50Ms: held.latency.p50,
      ackHeldP99Ms: held.latency.p99,
      ackHeldShare: round(share(held)),
      ackHeldErrors: held.non2xx + held.errors,
      webhookAckReqPerSec: Math.round(hooks.requests.average),
      webhookAckP50Ms: hooks.latency.p50,
      webhookAckP99Ms: hooks.latency.p99,
      webhookAckShare: round(share(hooks)),
      webhookAckErrors: hooks.non2xx + hooks.errors,
      ackStreamingReqPerSec: Math.round(streaming.requests.average),
      ackStreamingP50Ms: streaming.latency.p50,
      ackStreamingP99Ms: streaming.latency.p99,
      ackStreamingShare: round(share(streaming)),
      ackStreamingErrors: streaming.non2xx + streaming.errors,
    });
    say(
      `GET /healthz: ${Math.round(health.requests.average)} req/s p50 ${health.latency.p50} ms p99 ${health.latency.p99} ms` +
        `, Worker CPU ${health.workerCpuPct} %`,
    );
    say(
      `ack, ${ACK_CHATS} chats with turns held open (${stillHeld} held): ${Math.round(held.requests.average)} req/s ` +
        `(${pctOf(share(held))}), p50 ${held.latency.p50} ms p99 ${held.latency.p99} ms, ${held.non2xx} non-2xx, ${held.errors} errors; ` +
        `Worker CPU ${held.workerCpuPct} %`,
    );
    say(
      `Telegram webhook ack, ${ACK_CHATS} chats with turns held open: ${Math.round(hooks.requests.average)} req/s ` +
        `(${pctOf(share(hooks))}), p50 ${hooks.latency.p50} ms p99 ${hooks.latency.p99} ms, ` +
        `${hooks.non2xx} non-2xx, ${hooks.errors} errors; Worker CPU ${hooks.workerCpuPct} %`,
    );
    say(
      `ack, ${ACK_CHATS} chats with turns streaming: ${Math.round(streaming.requests.average)} req/s ` +
        `(${pctOf(share(streaming))}), p50 ${streaming.latency.p50} ms p99 ${streaming.latency.p99} ms, ` +
        `${streaming.non2xx} non-2xx, ${streaming.errors} errors; Worker CPU ${streaming.workerCpuPct} %`,
    );
  }
  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify(results, null, 2));
} finally {
  await dev.stop("SIGKILL");
  await backend.stop();
  await telegram.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

/**
 * Runs `run` and adds the CPU the Worker's own workerd used meanwhile, as a share of one core: its isolate runs on one
 * thread, so near 100 % the Worker itself (not the machine, not the dev proxy) is the limit.
 */
async function withWorkerCpu(pids: number[], run: () => Promise<AutocannonResult>): Promise<AutocannonResult & { workerCpuPct: number }> {
  const before = totalCpuMs(pids);
  const started = performance.now();
  const result = await run();
  return { ...result, workerCpuPct: Math.round(((totalCpuMs(pids) - before) / (performance.now() - started)) * 100) };
}

/** 50 connections posting messages round-robin into `chats` for ACK_SECONDS. */
async function ackRun(chats: string[]): Promise<AutocannonResult> {
  let i = 0;
  return autocannon({
    url: dev.url,
    connections: CONNECTIONS,
    duration: ACK_SECONDS,
    requests: [
      {
        method: "POST",
        headers,
        body: JSON.stringify({ text: "ack me" }),
        setupRequest: (req) => ({ ...req, path: `/api/chats/${chats[i++ % chats.length]}/messages` }),
      },
    ],
  });
}

/** A Telegram update with the next update_id: a private message from the allowed user. */
function telegramUpdate(chatId: number, text: string): string {
  const n = updateId++;
  const chat = { id: chatId, first_name: "Ada", type: "private" };
  return JSON.stringify({ update_id: n, message: { message_id: n, from: telegramFrom, chat, date: Math.floor(Date.now() / 1000), text } });
}

/** Posts one update; wrangler dev's "worker restarted mid-request" 503 is retried with the same update_id (handled once). */
async function postUpdate(chatId: number, text: string): Promise<void> {
  const body = telegramUpdate(chatId, text);
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${dev.url}/webhooks/telegram`, { method: "POST", headers: telegramHeaders, body, signal: timeout() });
    await res.text();
    if (res.ok) return;
    if (res.status !== 503 || attempt === 4) throw new Error(`webhook answered ${res.status}`);
    await sleep(200);
  }
}

/** Waits until the backend has started `more` turns beyond `before` in the sessions `which` picks; returns how many it has. */
async function turnsStarted(which: (sessionId: string) => boolean, before: number, more: number): Promise<number> {
  for (;;) {
    const started = (await backend.log()).filter((e) => e.kind === "turn_start" && which(e.sessionId)).length;
    if (started >= before + more) return started;
    await sleep(200);
  }
}

/** 50 connections posting Telegram updates, each with a new update_id, round-robin into the private chats `chatIds`. */
async function webhookRun(chatIds: number[]): Promise<AutocannonResult> {
  let i = 0;
  return autocannon({
    url: `${dev.url}/webhooks/telegram`,
    connections: CONNECTIONS,
    duration: ACK_SECONDS,
    requests: [
      {
        method: "POST",
        headers: telegramHeaders,
        setupRequest: (req) => ({ ...req, body: telegramUpdate(chatIds[i++ % chatIds.length]!, "ack me") }),
      },
    ],
  });
}

/** No single request may hang the run: a request to wrangler dev that gets no answer fails after 20 s. */
function timeout(): AbortSignal {
  return AbortSignal.timeout(20_000);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function pctOf(share: number): string {
  return `${Math.round(share * 100)} % of healthz`;
}
