/**
 * bench:core — does the status API ever wait on a turn, and do chats run in parallel?
 * Starts `wrangler dev` and a fake pi backend whose turns take 2 s, then prints status latency
 * idle and with 50 turns in flight, and the wall time of 50 chats × 1 message against one turn.
 * Locally every object shares one workerd thread, so turn CPU slows status a little; what must
 * never happen is status waiting for a turn.
 *
 * wrangler's local Durable Object state goes to /dev/shm (tmpfs) when there is one: locally each
 * object is a SQLite file and every commit an fsync on one disk, serialised behind that one thread,
 * which measures the dev machine's disk rather than this design (in production each object has
 * its own storage). BENCH_STATE_DIR=<dir> puts it elsewhere, e.g. on disk to see that cost.
 */

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { FAKE_BACKEND_TOKEN } from "../test/fixtures/fake-backend";
import { startWranglerDev } from "../test/fixtures/wrangler-dev";
import { startFakeBackendProcess } from "./lib/fake-backend-process";
import { fmt, pct, sleep } from "./lib/stats";
import { workerClient } from "./lib/worker-client";

for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

const API_TOKEN = "bench-api-token-0123456789";
const CHATS = 50;
const TURN_MS = 2_000;
const headers = { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" };

const backend = await startFakeBackendProcess();
const backendUrl = backend.url;
const stateDir = process.env.BENCH_STATE_DIR ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
const persistTo = mkdtempSync(join(stateDir, "evie-bench-"));
// No inspector: production has none, and wrangler's turns each subrequest into DevTools traffic (see the fixture).
const dev = await startWranglerDev({
  persistTo,
  inspector: false,
  vars: { PI_BACKEND_URL: backendUrl, PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN, API_TOKEN, IDLE_TIMEOUT_SECONDS: "900" },
});
const { send, waitDone, runTurn, sampleStatus, sampleFor } = workerClient(dev.url, headers);

try {
  await fetch(`${backendUrl}/_control/script`, {
    method: "POST",
    body: JSON.stringify({ sessionId: "*", deltas: ["two ", "second ", "turn ", "done"], deltaDelayMs: TURN_MS / 4 }),
  });

  // Warm up the Worker, both object classes and the connection.
  await runTurn("warmup");
  await sampleStatus(100);

  const idle = await sampleStatus(400);
  const oneTurn = await runTurn("single");

  const chats = Array.from({ length: CHATS }, (_, i) => `bench-${i}`);
  const started = performance.now();
  const sent = await Promise.all(chats.map((chat) => send(chat, "go")));
  // Sample only once every turn is in flight end to end: started at the backend and its
  // ChatSession attached to the event stream.
  const attached = async () =>
    new Set((await backend.log()).filter((e) => e.kind === "events" && e.sessionId.startsWith("http:bench-")).map((e) => e.sessionId)).size;
  while ((await attached()) < CHATS) await sleep(5);
  // ...and the registry has heard every turn start: status shows all of them busy on a live backend.
  const allBusy = async () => {
    const { sessions } = (await (await fetch(`${dev.url}/api/status`, { headers })).json()) as {
      sessions: { chat: string; busy: boolean; backend: string }[];
    };
    return sessions.filter((s) => s.chat.startsWith("http:bench-") && s.busy && s.backend === "live").length === CHATS;
  };
  while (!(await allBusy())) await sleep(5);
  const sampleStart = performance.now();
  const loaded = await sampleFor(TURN_MS * 0.6);
  const sampleWindow = performance.now() - sampleStart;
  const sampledWhileInFlight =
    (await backend.log()).filter((e) => e.kind === "turn_end" && e.sessionId.startsWith("http:bench-")).length === 0;
  await Promise.all(chats.map((chat, i) => waitDone(chat, sent[i]!)));
  const all = performance.now() - started;

  const line = (label: string, s: number[]) =>
    `${label.padEnd(44)} p50 ${fmt(pct(s, 50))} ms   p99 ${fmt(pct(s, 99))} ms   (n=${s.length})`;
  console.log(`\nbench:core — ${CHATS} chats, fake backend turns of ${TURN_MS} ms, wrangler dev on one workerd thread`);
  console.log(
    `local Durable Object state in ${stateDir}; machine: ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  console.log(line("GET /api/status, no turn running", idle));
  console.log(line(`GET /api/status, ${CHATS} turns in flight`, loaded));
  console.log(
    `  sampled for ${fmt(sampleWindow)} ms once all ${CHATS} turns were streaming and showed busy; none had ended while ` +
      `sampling: ${sampledWhileInFlight}`,
  );
  const r50 = pct(loaded, 50) / pct(idle, 50);
  const r99 = pct(loaded, 99) / pct(idle, 99);
  console.log(`ratio in-flight/idle                          p50 ${r50.toFixed(2)}×   p99 ${r99.toFixed(2)}×`);
  console.log(`one turn, end to end                          ${fmt(oneTurn)} ms`);
  console.log(`${CHATS} chats × 1 message, end to end             ${fmt(all)} ms  (${(all / oneTurn).toFixed(2)}× one turn)`);
  const checks = [
    [`status p50 in flight ≤ 1.5 × idle p50`, r50 <= 1.5],
    [`status p99 in flight ≤ 100 ms`, pct(loaded, 99) <= 100],
    [`${CHATS} chats within 1.5 × one turn`, all <= 1.5 * oneTurn],
  ] as const;
  for (const [label, ok] of checks) console.log(`${ok ? "PASS" : "FAIL"}  ${label}`);
} finally {
  await dev.stop();
  await backend.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
