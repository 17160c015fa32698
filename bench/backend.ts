/**
 * `npm run bench:backend`: the pi backend server as its own process (as `npm run backend` runs it),
 * the real pi, and the fake LLM in this process. Prints cold-turn latency (spawn to first delta),
 * warm-turn latency, the overhead per warm turn over the fake LLM's own time for the same request
 * (replayed directly against it), the CPU time the server and pi spend per warm turn (from
 * /proc, so it does not depend on how busy the machine is), the server's own overhead measured
 * against a stand-in pi that answers instantly, and the memory of an idle pi.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { writeAgentDir } from "../src/demo/agent-dir";
import type { ChatRequest } from "../src/demo/openai-stream";
import { piCliPath } from "../src/pi-server/paths";
import type { ListSessionsResponse } from "../src/shared/protocol";
import { last, readNdjson, startBackend, TEST_TOKEN, type TimedEvent, waitFor } from "../test/fixtures/backend-harness";
import { startFakeLlm } from "../test/fixtures/fake-llm";
import { listeningUrl } from "../test/fixtures/log-lines";
import { leanRequest, leanStreamUntil } from "./lib/lean-http";

const COLD_RUNS = 5;
const WARM_RUNS = 40;
const STAND_IN_WARMUP_TURNS = 30;
const STAND_IN_RUNS = 100;
const WARM_WORDS = 40;
const WARM_MESSAGE = `[words:${WARM_WORDS}] warm`;
const TOKEN = "bench-backend-token";
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux
/** How long a spare pi must use no CPU to count as started and idle. */
const SPARE_IDLE_MS = 300;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const p90 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * 0.9))]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const stats = (values: number[]) => `${fmt(median(values))} [${fmt(p90(values))}]`;

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory in MiB, from /proc/<pid>/status. */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

/** The server's child processes that no session owns: its spare pis (src/pi-server/spare-pool.ts; pi renames itself, so not by name). */
async function sparePids(serverPid: number, listSessionPids: () => Promise<number[]>): Promise<number[]> {
  const owned = new Set(await listSessionPids());
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || owned.has(Number(entry))) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === serverPid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Waits until the server has as many spares as configured, each idle (started, answered, waiting). */
async function spareSettled(serverPid: number, listSessionPids: () => Promise<number[]>): Promise<void> {
  const want = Number(process.env.PI_SPARE_PROCESSES ?? 1);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const pids = await sparePids(serverPid, listSessionPids);
    if (pids.length >= want) {
      const before = pids.map(cpuMs);
      await new Promise((r) => setTimeout(r, SPARE_IDLE_MS));
      if (pids.every((pid, i) => cpuMs(pid) === before[i])) return;
    } else await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the backend's spare pi did not settle within 60 s");
}

function piVersion(): string {
  return (JSON.parse(readFileSync(join(dirname(piCliPath()), "..", "package.json"), "utf8")) as { version: string }).version;
}

/** Starts `src/pi-server/main.ts` as a child process; resolves with its URL once it listens. */
async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const root = resolve(import.meta.dirname, "..");
  const child = spawn(process.execPath, ["--import", "tsx", "src/pi-server/main.ts"], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout!.on("data", (chunk) => {
    out += chunk;
  });
  await waitFor(() => listeningUrl(out) !== undefined, 30_000, "the backend to listen");
  return { child, url: listeningUrl(out)! };
}

/**
 * The server's own overhead, measured directly: warm turns against a stand-in pi that answers
 * instantly with the same event sequence, so all that is left is the server (and this client,
 * kept lean: see lib/lean-http.ts).
 */
async function serverWithStandInPi(): Promise<number[]> {
  const backend = await startBackend({ cliPath: resolve(import.meta.dirname, "../test/fixtures/fake-pi.mjs") });
  const headers = { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" };
  const session = `${backend.url}/v1/sessions/bench:stand-in`;
  const turn = async (turnId: string) => {
    const started = performance.now();
    const submitted = await leanRequest(`${session}/turns`, "POST", headers, JSON.stringify({ turnId, message: WARM_MESSAGE }));
    if (submitted.status !== 202) throw new Error(`stand-in submit: ${submitted.status} ${submitted.body}`);
    return (await leanStreamUntil(`${session}/turns/${turnId}/events?after=0`, headers, "turn_end")) - started;
  };
  try {
    // Warm in the JIT's sense too: the first turns of a fresh process run unoptimised code.
    for (let i = 0; i < STAND_IN_WARMUP_TURNS; i++) await turn(`warmup-${i}`);
    const times: number[] = [];
    for (let i = 0; i < STAND_IN_RUNS; i++) times.push(await turn(`w${i}`));
    return times;
  } finally {
    await backend.close();
  }
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), "evie-bench-"));
  const llm = await startFakeLlm();
  const agentDir = join(tmp, "agent");
  const piArgs = writeAgentDir({ dir: agentDir, baseUrl: llm.baseUrl, provider: "fake", model: "fake-1", retry: false });
  const { child, url } = await startServer({
    PI_BACKEND_TOKEN: TOKEN,
    PORT: "0",
    PI_DATA_DIR: join(tmp, "data"),
    PI_CWD: tmp,
    PI_ARGS: piArgs.join(" "),
    PI_CODING_AGENT_DIR: agentDir,
    PI_OFFLINE: "1",
  });
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const post = async (path: string, body?: unknown) => {
    const res = await fetch(url + path, { method: "POST", headers, body: JSON.stringify(body ?? {}) });
    await res.text();
    return res.status;
  };
  const turn = async (sessionId: string, turnId: string, message: string): Promise<TimedEvent[]> => {
    const status = await post(`/v1/sessions/${sessionId}/turns`, { turnId, message });
    if (status !== 202) throw new Error(`submit: ${status}`);
    const events = await readNdjson(await fetch(`${url}/v1/sessions/${sessionId}/turns/${turnId}/events`, { headers }));
    if (last(events).type !== "turn_end") throw new Error(`turn failed: ${JSON.stringify(last(events))}`);
    return events;
  };

  const sessionPids = async () =>
    ((await (await fetch(`${url}/v1/sessions`, { headers })).json()) as ListSessionsResponse).sessions.flatMap((s) =>
      s.pid ? [s.pid] : [],
    );

  try {
    const cold: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      // A new chat arriving once the spare pi (PI_SPARE_PROCESSES, default 1) has been replaced.
      await spareSettled(child.pid!, sessionPids);
      const started = performance.now();
      const events = await turn(`bench:cold-${i}`, "t1", "cold start");
      cold.push(events.find((e) => e.type === "text_delta")!.at - started);
      await fetch(`${url}/v1/sessions/bench:cold-${i}`, { method: "DELETE", headers }).then((r) => r.text());
    }

    await turn("bench:warm", "warmup-0", WARM_MESSAGE);
    await turn("bench:warm", "warmup-1", WARM_MESSAGE);
    const { sessions } = (await (await fetch(`${url}/v1/sessions`, { headers })).json()) as ListSessionsResponse;
    const piPid = sessions.find((s) => s.sessionId === "bench:warm")!.pid!;
    const serverPid = child.pid!;
    const warm: number[] = [];
    const alone: number[] = [];
    let serverCpu = 0;
    let piCpu = 0;
    for (let i = 0; i < WARM_RUNS; i++) {
      const [server0, pi0] = [cpuMs(serverPid), cpuMs(piPid)];
      const started = performance.now();
      const events = await turn("bench:warm", `w${i}`, WARM_MESSAGE);
      warm.push(last(events).at - started);
      serverCpu += cpuMs(serverPid) - server0;
      piCpu += cpuMs(piPid) - pi0;
      // The same request pi just sent, replayed against the fake LLM directly and read to the end.
      const request: ChatRequest = llm.requests.at(-1)!;
      const t0 = performance.now();
      await (
        await fetch(`${llm.baseUrl}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(request),
        })
      ).text();
      alone.push(performance.now() - t0);
    }
    const overhead = warm.map((t, i) => t - alone[i]!);
    const serverAlone = await serverWithStandInPi();
    await new Promise((r) => setTimeout(r, 1000)); // let the idle pi settle before reading its memory

    console.log(`pi backend benchmark (pi ${piVersion()}, fake LLM; ${COLD_RUNS} cold and ${WARM_RUNS} warm turns; median [p90])`);
    console.log(
      `cold turn, POST to first delta (new session):    ${stats(cold)}  (PI_SPARE_PROCESSES=${process.env.PI_SPARE_PROCESSES ?? 1})`,
    );
    console.log(`warm turn, POST to turn_end:                     ${stats(warm)}`);
    console.log(`fake LLM alone, same request:                    ${stats(alone)}`);
    console.log(`overhead per warm turn (turn - LLM alone):       ${stats(overhead)}  (pi + backend server; target <= 10 ms)`);
    console.log(`CPU per warm turn, backend server process:       ${fmt(serverCpu / WARM_RUNS)} (mean, from /proc; 10 ms clock ticks)`);
    console.log(`CPU per warm turn, pi process:                   ${fmt(piCpu / WARM_RUNS)}`);
    console.log(
      `backend server alone, warm turn (stand-in pi):  ${stats(serverAlone)}  (POST to turn_end, ${WARM_WORDS} deltas, instant ` +
        `pi and no LLM)`,
    );
    console.log(
      `idle pi process resident memory:                 ${rssMiB(piPid).toFixed(1)} MiB (VmRSS); backend server ` +
        `${rssMiB(serverPid).toFixed(1)} MiB`,
    );
    if (process.env.BENCH_OUT) {
      const figures = {
        coldTurnMedianMs: median(cold),
        warmTurnMedianMs: median(warm),
        warmOverheadMedianMs: median(overhead),
        serverAloneWarmTurnMedianMs: median(serverAlone),
        serverCpuPerWarmTurnMs: serverCpu / WARM_RUNS,
        idlePiRssMiB: rssMiB(piPid),
      };
      writeFileSync(process.env.BENCH_OUT, JSON.stringify(figures, null, 2));
    }
    // Everything here shares the CPU with whatever else runs; say how busy the machine was.
    console.log(
      `machine: ${cpus().length} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")} (1/5/15 min)`,
    );
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    await llm.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
