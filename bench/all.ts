/**
 * `npm run bench`: every benchmark, one table. Runs bench/worker.ts (wrangler dev + fake backend),
 * bench/backend.ts (the pi server with the real pi) and `wrangler deploy --dry-run`, one after the
 * other so they do not compete for the CPU, then prints figure | this run | target | met and writes
 * bench/results.json (the figures, the rows and the machine they ran on).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "evie-bench-all-"));
const loadBefore = loadavg();

function run(script: string): Record<string, number> {
  const out = join(tmp, `${script}.json`);
  console.log(`\n--- ${script}`);
  const child = spawnSync(process.execPath, ["--import", "tsx", `bench/${script}.ts`], {
    cwd: ROOT,
    env: { ...process.env, BENCH_OUT: out },
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (child.status !== 0) throw new Error(`bench/${script}.ts failed (exit ${child.status})`);
  return JSON.parse(readFileSync(out, "utf8")) as Record<string, number>;
}

function bundleKiB(): number {
  const outdir = join(tmp, "bundle");
  const child = spawnSync(join(ROOT, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", outdir], {
    cwd: ROOT,
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    encoding: "utf8",
  });
  const total = /Total Upload: ([\d.]+) KiB/.exec(child.stdout + child.stderr);
  if (!total) throw new Error(`wrangler deploy --dry-run printed no size:\n${child.stdout}${child.stderr}`);
  return Number(total[1]);
}

interface Row {
  figure: string;
  value: number;
  unit: string;
  target: string;
  met: boolean | null;
}

/** One ack run's rows: throughput, its share of /healthz, p50, p99 (≤ 2× healthz p99) and failures. */
function ackRows(w: Record<string, number>, figure: string, key: string, minShare: number): Row[] {
  const share = w[`${key}Share`]!;
  const errors = w[`${key}Errors`]!;
  const target = `≥ ${minShare * 100} %`;
  return [
    { figure, value: w[`${key}ReqPerSec`]!, unit: "req/s", target: `${target} of healthz`, met: share >= minShare },
    { figure: "  share of healthz", value: Math.round(share * 100), unit: "%", target, met: share >= minShare },
    { figure: "  ack p50", value: w[`${key}P50Ms`]!, unit: "ms", target: "—", met: null },
    {
      figure: "  ack p99",
      value: w[`${key}P99Ms`]!,
      unit: "ms",
      target: "≤ 2× healthz p99",
      met: w[`${key}P99Ms`]! <= 2 * w.healthzP99Ms!,
    },
    { figure: "  failed acks (non-2xx + connection errors)", value: errors, unit: "", target: "0", met: errors === 0 },
  ];
}

try {
  const worker = run("worker");
  const backend = run("backend");
  const bundle = bundleKiB();
  const w = worker;
  const rows: Row[] = [
    { figure: "status p50, idle", value: w.statusIdleP50Ms!, unit: "ms", target: "—", met: null },
    { figure: "status p99, idle", value: w.statusIdleP99Ms!, unit: "ms", target: "—", met: null },
    {
      figure: "status p50, 50 turns in flight",
      value: w.statusLoadedP50Ms!,
      unit: "ms",
      target: "≤ 1.2× idle p50",
      met: w.statusLoadedRatioP50! <= 1.2,
    },
    {
      figure: "  ratio in flight / idle (p50)",
      value: w.statusLoadedRatioP50!,
      unit: "×",
      target: "≤ 1.2",
      met: w.statusLoadedRatioP50! <= 1.2,
    },
    {
      figure: "status p99, 50 turns in flight",
      value: w.statusLoadedP99Ms!,
      unit: "ms",
      target: "≤ 50 ms",
      met: w.statusLoadedP99Ms! <= 50,
    },
    { figure: "50 chats ÷ one turn (new chats)", value: w.fiftyChatsRatio!, unit: "×", target: "≤ 1.2", met: w.fiftyChatsRatio! <= 1.2 },
    {
      figure: "  the same 50 chats again (open)",
      value: w.fiftyOpenChatsRatio!,
      unit: "×",
      target: "≤ 1.2",
      met: w.fiftyOpenChatsRatio! <= 1.2,
    },
    { figure: "GET /healthz, 50 connections", value: w.healthzReqPerSec!, unit: "req/s", target: "(reference)", met: null },
    { figure: "  healthz p99", value: w.healthzP99Ms!, unit: "ms", target: "(reference)", met: null },
    ...ackRows(w, "ack, 500 chats, turns held open", "ackHeld", 0.6),
    ...ackRows(w, "ack, 500 chats, turns streaming", "ackStreaming", 0.3),
    ...ackRows(w, "Telegram webhook ack, 500 chats, turns held open", "webhookAck", 0.6),
    {
      figure: "Worker CPU per message (POST + 5-delta turn + reports, chat open)",
      value: w.workerCpuPerMessageMs!,
      unit: "ms",
      target: "≤ 4 ms",
      met: w.workerCpuPerMessageMs! <= 4,
    },
    { figure: "  in GET /healthz requests (same run)", value: w.workerCpuMessageInHealthz!, unit: "×", target: "—", met: null },
    { figure: "  a new chat's first message", value: w.workerCpuFirstMessageMs!, unit: "ms", target: "—", met: null },
    {
      figure: "cold turn, POST to first delta (median)",
      value: round(backend.coldTurnMedianMs!),
      unit: "ms",
      target: "≤ 200 ms",
      met: backend.coldTurnMedianMs! <= 200,
    },
    { figure: "warm turn, POST to turn_end (median)", value: round(backend.warmTurnMedianMs!), unit: "ms", target: "—", met: null },
    {
      figure: "server overhead per warm turn (stand-in pi, median)",
      value: round(backend.serverAloneWarmTurnMedianMs!),
      unit: "ms",
      target: "≤ 5 ms",
      met: backend.serverAloneWarmTurnMedianMs! <= 5,
    },
    { figure: "  server CPU per warm turn (/proc)", value: round(backend.serverCpuPerWarmTurnMs!), unit: "ms", target: "—", met: null },
    { figure: "idle pi memory (VmRSS)", value: round(backend.idlePiRssMiB!), unit: "MiB", target: "—", met: null },
    { figure: "Worker bundle (wrangler deploy --dry-run)", value: bundle, unit: "KiB", target: "≤ 300 KiB", met: bundle <= 300 },
    { figure: "status, 1,000 chats on 4 shards, ?limit=100 p50", value: w.status1000ChatsP50Ms!, unit: "ms", target: "—", met: null },
    { figure: "  p99", value: w.status1000ChatsP99Ms!, unit: "ms", target: "≤ 50 ms", met: w.status1000ChatsP99Ms! <= 50 },
    {
      figure: "  ?limit=1000 p50 / p99",
      value: w.status1000ChatsFullPageP50Ms!,
      unit: `ms / ${w.status1000ChatsFullPageP99Ms} ms`,
      target: "—",
      met: null,
    },
  ];
  const machine =
    `${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ` +
    `${process.version}; load average before ${loadBefore.map((l) => l.toFixed(1)).join("/")}, after ${loadavg()
      .map((l) => l.toFixed(1))
      .join("/")}`;
  const table = [
    "| figure | this run | target | met |",
    "| --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.figure} | ${r.value} ${r.unit} | ${r.target} | ${r.met === null ? "" : r.met ? "yes" : "**no**"} |`),
  ].join("\n");
  console.log(`\n${table}\n\nmachine: ${machine}`);
  writeFileSync(
    join(ROOT, "bench/results.json"),
    `${JSON.stringify({ at: new Date().toISOString(), machine, rows, figures: { worker, backend, bundleKiB: bundle } }, null, 2)}\n`,
  );
  console.log("written: bench/results.json");
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
