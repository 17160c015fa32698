/**
 * npm run bench:soak — many messages across many chats through the real Worker (`wrangler dev`)
 * to the fake backend (its own process) with random 50–500 ms turns, 1 % of event streams cut
 * after their first event and 1 % of submits answered 503. Each chat sends its messages one after
 * another (each acked before the next); all chats at once, SOAK_CONCURRENCY sends in flight.
 * Afterwards every message is read back; prints lost (not `done`), duplicated replies (a message
 * pi answered more than once, or whose reply is not exactly its own), per-chat order violations
 * (pi saw a chat's messages out of order), throughput and workerd's resident memory at start and end.
 *   SOAK_MESSAGES (10000), SOAK_CHATS (200), SOAK_CONCURRENCY (32), SOAK_DROP_RATE (0.01),
 *   SOAK_503_RATE (0.01), SOAK_DRAIN_SECONDS (180), SOAK_HEAP_SNAPSHOTS (a directory; none).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { anonResidentBytes, residentBytes } from "../test/fixtures/backend-process";
import { FAKE_BACKEND_TOKEN } from "../test/fixtures/fake-backend";
import { startWranglerDev } from "../test/fixtures/wrangler-dev";
import { startFakeBackendProcess } from "./lib/fake-backend-process";
import { workerdPids } from "./lib/proc";
import { sleep } from "./lib/stats";
import { workerHeapAfterGc } from "./lib/worker-heap";

for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

const MESSAGES = Number(process.env.SOAK_MESSAGES ?? 10_000);
const CHATS = Number(process.env.SOAK_CHATS ?? 200);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 32);
const DROP_RATE = Number(process.env.SOAK_DROP_RATE ?? 0.01);
const RATE_503 = Number(process.env.SOAK_503_RATE ?? 0.01);
const DRAIN_MS = Number(process.env.SOAK_DRAIN_SECONDS ?? 180) * 1000;
/** A directory to write the Worker's heap snapshots at start and end into (Chrome DevTools' Memory tab compares them). */
const SNAPSHOTS = process.env.SOAK_HEAP_SNAPSHOTS;
const API_TOKEN = "soak-api-token-0123456789";
const headers = { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" };
const TERMINAL = new Set(["done", "failed", "aborted", "merged"]);

const faults = { turnMs: [50, 500], dropRate: DROP_RATE, submit503Rate: RATE_503 };
const backend = await startFakeBackendProcess({ FAKE_BACKEND_FAULTS: JSON.stringify(faults) });
const stateDir = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const persistTo = mkdtempSync(join(stateDir, "evie-soak-"));
const dev = await startWranglerDev({
  persistTo,
  vars: { PI_BACKEND_URL: backend.url, PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN, API_TOKEN, IDLE_TIMEOUT_SECONDS: "900" },
});

interface Sent {
  chat: string;
  n: number;
  text: string;
  id?: string;
  sendError?: string;
  state?: string;
  reply?: string;
  error?: string;
}

try {
  // wrangler dev runs two workerd processes: its proxy in front and the one running our Worker
  // (the one with an inspector).
  const workerds = workerdPids();
  const label = (pid: number) =>
    readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--inspector-addr") ? "our Worker" : "wrangler's proxy";
  const memory = () => workerds.map((pid) => residentBytes(pid));
  const anon = () => workerds.map((pid) => anonResidentBytes(pid));
  // Warm up the Worker and both object classes, then open every chat with one message: memory is
  // read from there, so what it measures is growth under sustained load, not each chat's first
  // opening (an open chat's object and SQLite database cost ~2–3 MB of native memory, by design).
  await send({ chat: "soak-warmup", n: 0, text: "warm up" });
  await sleep(1000);
  const memoryCold = memory();
  const chats = Array.from({ length: CHATS }, (_, i) => `soak-${i}`);
  const openers: Sent[] = chats.map((chat) => ({ chat, n: -1, text: `soak ${chat} opens` }));
  await pool(openers, CONCURRENCY, send);
  for (let open = openers.filter((m) => m.id); open.length > 0; open = open.filter((m) => !TERMINAL.has(m.state ?? ""))) {
    await pool(open, CONCURRENCY, read);
    await sleep(500);
  }
  await sleep(1000);
  const memoryStart = memory();
  const anonStart = anon();
  const heapStart = await workerHeapAfterGc(dev.inspector!, SNAPSHOTS ? join(SNAPSHOTS, "start.heapsnapshot") : undefined);
  const timeline: number[][] = [];
  const anonTimeline: number[][] = [];
  const sampler = setInterval(() => {
    timeline.push(memory());
    anonTimeline.push(anon());
  }, 15_000);

  const perChat = chats.map((chat, c) =>
    Array.from({ length: Math.floor(MESSAGES / CHATS) + (c < MESSAGES % CHATS ? 1 : 0) }, (_, n) => ({
      chat,
      n,
      text: `soak ${chat} #${n}`,
    })),
  );
  const all: Sent[] = perChat.flat();
  console.log(`bench:soak — ${all.length} messages across ${CHATS} chats; faults ${JSON.stringify(faults)}`);

  const started = performance.now();
  let slots = CONCURRENCY;
  const waiters: (() => void)[] = [];
  const acquire = async () => {
    while (slots === 0) await new Promise<void>((resolve) => waiters.push(resolve));
    slots--;
  };
  const releaseSlot = () => {
    slots++;
    waiters.shift()?.();
  };
  await Promise.all(
    perChat.map(async (messages) => {
      for (const message of messages) {
        await acquire();
        try {
          await send(message);
        } finally {
          releaseSlot();
        }
      }
    }),
  );
  const sentAt = performance.now();
  console.log(`sent and acked in ${((sentAt - started) / 1000).toFixed(1)} s; waiting for replies`);

  // Read every message back until all are terminal or the drain time is up.
  const drainDeadline = Date.now() + DRAIN_MS;
  let open = all.filter((m) => m.id);
  while (open.length > 0 && Date.now() < drainDeadline) {
    await pool(open, CONCURRENCY, read);
    open = open.filter((m) => !TERMINAL.has(m.state ?? ""));
    if (open.length > 0) await sleep(1000);
  }
  const finished = performance.now();
  clearInterval(sampler);
  const memoryEnd = memory();
  const anonEnd = anon();
  const heapEnd = await workerHeapAfterGc(dev.inspector!, SNAPSHOTS ? join(SNAPSHOTS, "end.heapsnapshot") : undefined);

  const log = await backend.log();
  const starts = new Map<string, number>();
  const order = new Map<string, number[]>();
  for (const entry of log) {
    if (entry.kind !== "turn_start" || !entry.sessionId.startsWith("http:soak-") || !/#\d+$/.test(entry.detail ?? "")) continue;
    const text = entry.detail ?? "";
    starts.set(text, (starts.get(text) ?? 0) + 1);
    const n = Number(/#(\d+)$/.exec(text)?.[1]);
    const seen = order.get(entry.sessionId) ?? [];
    seen.push(n);
    order.set(entry.sessionId, seen);
  }
  // Lost: accepted (202) but never done. A send that was not accepted is not lost by the relay
  // (the client saw the failure); it is counted apart, with what answered it.
  const refused = all.filter((m) => m.sendError);
  const lost = all.filter((m) => !m.sendError && m.state !== "done");
  const duplicated = all.filter((m) => (starts.get(m.text) ?? 0) > 1 || (m.state === "done" && m.reply !== `echo: ${m.text}`));
  let orderViolations = 0;
  for (const seen of order.values()) {
    // A message pi saw again (a re-submit) is a duplicate, not an order violation: compare first sightings.
    const first = seen.filter((n, i) => seen.indexOf(n) === i);
    for (let i = 1; i < first.length; i++) if (first[i]! < first[i - 1]!) orderViolations++;
  }
  const faultsSeen = { drops: log.filter((e) => e.detail === "drop").length, "503s": log.filter((e) => e.detail === "503").length };
  const lostBy = new Map<string, number>();
  for (const m of lost) {
    const reason = m.state ? `${m.state}${m.error ? `: ${m.error.split(/[:(]/)[0]}` : ""}` : "never read";
    lostBy.set(reason, (lostBy.get(reason) ?? 0) + 1);
  }
  const refusedBy = new Map<string, number>();
  for (const m of refused) refusedBy.set(m.sendError!, (refusedBy.get(m.sendError!) ?? 0) + 1);
  const seconds = (finished - started) / 1000;
  const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
  console.log(`injected faults that fired: ${faultsSeen.drops} stream drops, ${faultsSeen["503s"]} submit 503s`);
  console.log(
    `not accepted at send (client told): ` +
      `${refused.length}${refused.length ? ` (${[...refusedBy].map(([k, v]) => `${v} ${k}`).join("; ")})` : ""}`,
  );
  console.log(
    `lost (accepted, never done): ${lost.length}${lost.length ? ` (${[...lostBy].map(([k, v]) => `${v} ${k}`).join("; ")})` : ""}`,
  );
  console.log(`duplicated replies: ${duplicated.length}`);
  console.log(`per-chat order violations: ${orderViolations}`);
  console.log(
    `throughput: ${(all.length / seconds).toFixed(1)} messages/s (${all.length} in ${seconds.toFixed(1)} s, first send to last reply)`,
  );
  workerds.forEach((pid, i) => {
    const [cold, start, end] = [memoryCold[i]!, memoryStart[i]!, memoryEnd[i]!];
    console.log(
      `workerd ${i + 1} of ${workerds.length}, ${label(pid)} (pid ${pid}) memory (RSS): ${mb(cold)} MB with one chat, ` +
        `start (${CHATS} chats open) ${mb(start)} MB, end ${mb(end)} MB (${(((end - start) / start) * 100).toFixed(1)} %); ` +
        `every 15 s: ${timeline.map((t) => mb(t[i]!)).join(" ")}`,
    );
    console.log(
      `  of which private anonymous (RssAnon, without mapped files): start ${mb(anonStart[i]!)} MB, end ${mb(anonEnd[i]!)} MB ` +
        `(${(((anonEnd[i]! - anonStart[i]!) / anonStart[i]!) * 100).toFixed(1)} %); ` +
        `every 15 s: ${anonTimeline.map((t) => mb(t[i]!)).join(" ")}`,
    );
  });
  console.log(
    `our Worker's JS heap after a full GC: start ${mb(heapStart.usedBytes)} MB used of ${mb(heapStart.totalBytes)} MB, ` +
      `end ${mb(heapEnd.usedBytes)} MB used of ${mb(heapEnd.totalBytes)} MB ` +
      `(${(((heapEnd.usedBytes - heapStart.usedBytes) / heapStart.usedBytes) * 100).toFixed(1)} %)` +
      (SNAPSHOTS ? `; heap snapshots in ${SNAPSHOTS}` : ""),
  );
} finally {
  await dev.stop();
  await backend.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
process.exit(0);

async function send(message: Sent): Promise<void> {
  try {
    const res = await fetch(`${dev.url}/api/chats/${message.chat}/messages`, {
      method: "POST",
      headers,
      body: JSON.stringify({ text: message.text }),
    });
    const text = await res.text();
    const body = parseJson(text) as { messageId?: string } | undefined;
    // Not JSON: an answer from wrangler dev's own layer (workerd's), kept verbatim.
    if (res.status !== 202 || !body?.messageId) message.sendError = `send answered ${res.status}: ${text.slice(0, 80)}`;
    else message.id = body.messageId;
  } catch (error) {
    message.sendError = `send failed: ${(error as Error).message}`;
  }
}

async function read(message: Sent): Promise<void> {
  try {
    const res = await fetch(`${dev.url}/api/chats/${message.chat}/messages/${message.id}`, { headers });
    if (!res.ok) return;
    const record = (await res.json()) as { state: string; reply?: string; error?: string };
    message.state = record.state;
    message.reply = record.reply;
    message.error = record.error;
  } catch {
    // read again next round
  }
}

async function pool<T>(items: T[], width: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

/** workerd's pid: the process named workerd in wrangler's process group. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
