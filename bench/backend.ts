/**
 * `npm run bench:backend`: the pi backend against the fake LLM, with the real pi.
 * Prints cold-turn latency (spawn to first delta), warm-turn latency, the overhead per warm turn over
 * the fake LLM's own time for the same response (measured directly), the backend server's own share
 * of it, and the resident memory of one idle pi process.
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { piCliPath } from "../src/backend/paths";
import type { PiRecord } from "../src/backend/pi-process";
import { type BackendHarness, last, startBackend } from "../test/fixtures/backend-harness";
import type { ChatRequest } from "../src/demo/openai-stream";

const COLD_RUNS = 5;
const WARM_RUNS = 40;
const WARM_MESSAGE = "[words:40] warm";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function p90(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))]!;
}

function piVersion(): string {
  const pkg = join(dirname(piCliPath()), "..", "package.json");
  return (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** Time for the fake LLM alone to stream its whole response to `body`, read to the last byte. */
async function llmAlone(baseUrl: string, body: ChatRequest): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${baseUrl}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  await res.text();
  return performance.now() - started;
}

/** Resident memory of a process in MiB, from /proc/<pid>/status. */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

async function cold(backend: BackendHarness): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const started = performance.now();
    const events = await backend.turn(`bench:cold-${i}`, "t1", "cold start");
    const first = events.find((e) => e.type === "text_delta");
    if (!first || last(events).type !== "turn_end") throw new Error("cold turn failed");
    times.push(first.at - started);
    await backend.request("DELETE", `/v1/sessions/bench:cold-${i}`);
  }
  return times;
}

async function warm(backend: BackendHarness) {
  const sessionId = "bench:warm";
  await backend.turn(sessionId, "warmup-0", WARM_MESSAGE);
  await backend.turn(sessionId, "warmup-1", WARM_MESSAGE);
  const process = backend.manager.get(sessionId)!.process!;
  const turn: number[] = [];
  const llm: number[] = [];
  const server: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    // The server's own share: answering the POST, plus getting pi's last record to the client as
    // the terminal event. Everything in between is pi talking to the LLM.
    let agentEndAt = 0;
    const off = process.onRecord((record: PiRecord) => {
      if (record.type === "agent_end") agentEndAt = performance.now();
    });
    const started = performance.now();
    const res = await backend.submit(sessionId, `w${i}`, WARM_MESSAGE);
    await res.text();
    const posted = performance.now();
    if (res.status !== 202) throw new Error(`warm submit: ${res.status}`);
    const events = await backend.events(sessionId, `w${i}`);
    off();
    const end = last(events);
    if (end.type !== "turn_end") throw new Error("warm turn failed");
    turn.push(end.at - started);
    server.push(posted - started + (end.at - agentEndAt));
    // The same request pi just sent, replayed against the fake LLM directly.
    llm.push(await llmAlone(backend.llm.baseUrl, backend.llm.requests.at(-1)!));
  }
  const overhead = turn.map((t, i) => t - llm[i]!);
  return { turn, llm, overhead, server, pid: process.pid! };
}

async function main(): Promise<void> {
  const backend = await startBackend();
  try {
    const coldTimes = await cold(backend);
    const w = await warm(backend);
    await new Promise((r) => setTimeout(r, 1000)); // let the idle process settle before reading its memory
    const rss = rssMiB(w.pid);
    console.log(`pi backend benchmark (pi ${piVersion()}, fake LLM, ${COLD_RUNS} cold / ${WARM_RUNS} warm turns, median [p90])`);
    console.log(`cold turn, spawn to first delta:       ${fmt(median(coldTimes))} [${fmt(p90(coldTimes))}]`);
    console.log(`warm turn, POST to turn_end:           ${fmt(median(w.turn))} [${fmt(p90(w.turn))}]`);
    console.log(`fake LLM alone, same response:         ${fmt(median(w.llm))} [${fmt(p90(w.llm))}]`);
    console.log(`overhead per warm turn (turn - LLM):   ${fmt(median(w.overhead))} [${fmt(p90(w.overhead))}]  (pi + backend server; target <= 10 ms)`);
    console.log(`  of which the backend server's own:   ${fmt(median(w.server))} [${fmt(p90(w.server))}]  (POST answered + pi's agent_end to client)`);
    console.log(`idle pi process resident memory:       ${rss.toFixed(1)} MiB (VmRSS of pid ${w.pid})`);
    // Everything here shares the CPU with whatever else runs; say how busy the machine was.
    console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")} (1/5/15 min)`);
  } finally {
    await backend.close();
  }
}

await main();
