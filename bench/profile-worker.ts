/**
 * Profiles the Worker's CPU for bench:worker's per-message load (POST + a 5-delta turn + reports):
 * runs it under `wrangler dev` against the fake backend with the V8 sampling profiler on (Chrome
 * DevTools protocol on wrangler's inspector port) and prints self time by function and by file.
 * `npx tsx bench/profile-worker.ts [messages]`; PROFILE_OUT=<file> also writes the .cpuprofile.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { FAKE_BACKEND_TOKEN } from "../test/fixtures/fake-backend";
import { startWranglerDev } from "../test/fixtures/wrangler-dev";
import { startFakeBackendProcess } from "./lib/fake-backend-process";
import { cpuMs, hasOpenFileUnder, workerdPids } from "./lib/proc";
import { fmt, sleep } from "./lib/stats";

for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

const API_TOKEN = "bench-api-token-0123456789";
const headers = { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" };
const MESSAGES = Number(process.argv[2] ?? 200);
const TOP = 40;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const backend = await startFakeBackendProcess();
const stateDir = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const persistTo = mkdtempSync(join(stateDir, "evie-profile-"));
const dev = await startWranglerDev({
  persistTo,
  vars: { PI_BACKEND_URL: backend.url, PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN, API_TOKEN, IDLE_TIMEOUT_SECONDS: "900", REGISTRY_SHARDS: "4" },
});
let seq = 0;
try {
  await backend.script("*", { deltas: ["one ", "two ", "three ", "four ", "five"] });
  await runMessages("warm", 20);
  if (process.env.PROFILE_OFF) {
    // The same load without the profiler: workerd's CPU per message as bench:worker measures it (less its idle correction).
    const own = workerdPids().filter((pid) => hasOpenFileUnder(pid, persistTo));
    const before = own.reduce((sum, pid) => sum + cpuMs(pid), 0);
    await runMessages("plain", MESSAGES);
    const used = own.reduce((sum, pid) => sum + cpuMs(pid), 0) - before;
    console.log(`no profiler: workerd /proc ${fmt(used)} ms over ${MESSAGES} messages (${fmt(used / MESSAGES)} ms/message)`);
  } else await profileRun();
} finally {
  await dev.stop("SIGKILL");
  await backend.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

/** Runs the messages under the sampling profiler and prints the summary. */
async function profileRun(): Promise<void> {
  // The fixture's DevTools client: a second one would make wrangler's proxy drop the first.
  const inspector = dev.inspector!; // started with it (the default)
  // workerd runs these without answering them (wrangler's proxy only echoes them); Profiler.stop answers with the profile.
  for (const [method, params] of [["Profiler.enable"], ["Profiler.setSamplingInterval", { interval: 100 }], ["Profiler.start"]] as const) {
    inspector.send(method, params as Record<string, unknown> | undefined);
  }
  const own = workerdPids().filter((pid) => hasOpenFileUnder(pid, persistTo));
  const before = own.reduce((sum, pid) => sum + cpuMs(pid), 0);
  {
    await runMessages("prof", MESSAGES);
    const { profile } = (await inspector.call("Profiler.stop")) as { profile: Profile };
    const used = own.reduce((sum, pid) => sum + cpuMs(pid), 0) - before;
    const sources = bundleSources();
    if (process.env.PROFILE_OUT) writeFileSync(process.env.PROFILE_OUT, JSON.stringify(profile));
    summarise(profile, used, sources);
  }
}

/** Sends one message to each of `n` chats (10 at a time) and waits for their turns to end at the backend. */
async function runMessages(prefix: string, n: number): Promise<void> {
  const chats = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  for (let i = 0; i < chats.length; i += 10) {
    await Promise.all(
      chats.slice(i, i + 10).map(async (chat) => {
        const res = await fetch(`${dev.url}/api/chats/${chat}/messages`, {
          method: "POST",
          headers,
          body: JSON.stringify({ text: "hi", id: `p${seq++}` }),
        });
        await res.text();
        if (!res.ok) throw new Error(`send: ${res.status}`);
      }),
    );
  }
  const ended = async () => (await backend.log()).filter((e) => e.kind === "turn_end" && e.sessionId.startsWith(`http:${prefix}-`)).length;
  while ((await ended()) < n) await sleep(100);
  await sleep(1_000);
}

/**
 * The bundle wrangler runs, read from its build directory (next to the config the fixture wrote, named
 * on wrangler's command line): esbuild marks each module's start in it with a `// src/...` comment.
 */
function bundleSources(): Map<string, string> {
  const args = readFileSync(`/proc/${dev.pid}/cmdline`, "utf8").split("\0");
  const config = args[args.indexOf("--config") + 1]!;
  const tmp = join(dirname(config), ".wrangler/tmp");
  const sources = new Map<string, string>();
  for (const dir of readdirSync(tmp).filter((d) => d.startsWith("dev-"))) {
    const file = join(tmp, dir, "index.js");
    if (existsSync(file)) sources.set("index.js", readFileSync(file, "utf8"));
  }
  return sources;
}

/** For each bundle: line number (0-based) → the module it belongs to. */
function moduleIndex(sources: Map<string, string>): (url: string, line: number) => string {
  const marks = new Map<string, { line: number; module: string }[]>();
  for (const [url, text] of sources) {
    const list: { line: number; module: string }[] = [];
    text.split("\n").forEach((l, i) => {
      const m = /^\/\/ (\S+\.(?:ts|js|mjs))$/.exec(l);
      if (m) list.push({ line: i, module: m[1]!.replace(/^.*?\/(src|node_modules)\//, "$1/") });
    });
    marks.set(url, list);
  }
  return (url, line) => {
    const list = marks.get(url);
    if (!list) return url || "(native)";
    let found = url;
    for (const mark of list) {
      if (mark.line > line) break;
      found = mark.module;
    }
    return found;
  };
}

/** Self time by function and by file, from the samples' time deltas; a native function's time also by its JS caller. */
function summarise(profile: Profile, procMs: number, sources: Map<string, string>): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const moduleOf = moduleIndex(sources);
  const nameOf = (n: ProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    return `${functionName || "(anonymous)"} ${url ? `${moduleOf(url, lineNumber)}:${lineNumber + 1}` : "(native)"}`;
  };
  const byCaller = new Map<string, number>();
  const self = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)" || functionName === "(program)") idle += ms;
    total += ms;
    const fn = nameOf(node);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    const file = url ? moduleOf(url, lineNumber) : "(native)";
    const fileKey = file.startsWith("node_modules/")
      ? file
          .split("/")
          .slice(0, file.startsWith("node_modules/@") ? 3 : 2)
          .join("/")
      : file;
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + ms);
    if (!url && !functionName.startsWith("(")) {
      let caller = parent.get(id);
      while (caller !== undefined && !byId.get(caller)!.callFrame.url) caller = parent.get(caller);
      const key = `${functionName} <- ${caller === undefined ? "?" : nameOf(byId.get(caller)!)}`;
      byCaller.set(key, (byCaller.get(key) ?? 0) + ms);
    }
  }
  const inclusive = new Map<string, number>();
  for (const [id, ms] of self) {
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const node = byId.get(n)!;
      if (!node.callFrame.url) continue;
      const key = nameOf(node);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
  }
  const busy = total - idle;
  console.log(
    `profile: ${MESSAGES} messages; sampled ${fmt(total)} ms of which ${fmt(busy)} ms not idle/program ` +
      `(${fmt(busy / MESSAGES)} ms/message); workerd /proc over the same span: ${fmt(procMs)} ms (${fmt(procMs / MESSAGES)} ms/message)`,
  );
  const table = (title: string, map: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [key, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
      console.log(`${fmt(ms).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${key}`);
    }
  };
  table("self time by function", byFunction);
  table("self time by file", byFile);
  table("native self time by JS caller", byCaller);
  table("total time (self + callees) by JS function", inclusive);
}
