/**
 * Graceful shutdown of the real server process with the real pi: SIGTERM lets a running turn finish
 * within SHUTDOWN_GRACE_SECONDS, refuses new turns with 503 `shutting_down` meanwhile, ends a turn
 * that outlives the grace with the retryable `backend_lost_turn` (not `aborted`), and stops pi.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { type BackendProcess, startBackendProcess } from "../fixtures/backend-process";
import { fakeReplyText } from "../fixtures/fake-llm";
import { logLines } from "../fixtures/log-lines";

const TOKEN = "shutdown-test-token-0123456789";
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
let server: BackendProcess | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

type Event = { seq: number; type: string; text?: string; code?: string; retryable?: boolean };

/** Submits a turn and returns its event stream's reader, plus a promise of every event once the stream ends. */
async function startTurn(base: string, session: string, message: string) {
  const submit = await fetch(`${base}/v1/sessions/${session}/turns`, {
    method: "POST",
    headers,
    body: JSON.stringify({ turnId: "t1", message }),
  });
  expect(submit.status).toBe(202);
  const res = await fetch(`${base}/v1/sessions/${session}/turns/t1/events?after=0`, { headers });
  const events: Event[] = [];
  let firstDelta!: () => void;
  const delta = new Promise<void>((resolve) => {
    firstDelta = resolve;
  });
  const all = (async () => {
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of res.body!) {
      buffered += decoder.decode(chunk, { stream: true });
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const event = JSON.parse(buffered.slice(0, newline)) as Event;
        buffered = buffered.slice(newline + 1);
        events.push(event);
        if (event.type === "text_delta") firstDelta();
        newline = buffered.indexOf("\n");
      }
    }
    return events;
  })();
  return { delta, all };
}

/** The pid of the session's pi process, once it has one. */
async function piPid(base: string, session: string): Promise<number> {
  const { sessions } = (await (await fetch(`${base}/v1/sessions`, { headers })).json()) as {
    sessions: { sessionId: string; pid: number }[];
  };
  const pid = sessions.find((s) => s.sessionId === session)?.pid;
  if (!pid) throw new Error(`no pi for ${session}`);
  return pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it("lets a running turn finish within the grace, refusing new turns meanwhile, then stops pi and exits 0", async () => {
  server = await startBackendProcess(TOKEN, { env: { SHUTDOWN_GRACE_SECONDS: "30" } });
  const base = `http://127.0.0.1:${server.port}`;
  const message = "[slow:400] finish me please before you go";
  const turn = await startTurn(base, "drain:1", message);
  await turn.delta;
  const pid = await piPid(base, "drain:1");
  process.kill(server.pid, "SIGTERM");

  // Still listening while it drains: a new turn is refused, naming why.
  const refused = await fetch(`${base}/v1/sessions/drain:2/turns`, {
    method: "POST",
    headers,
    body: JSON.stringify({ turnId: "t1", message: "hi" }),
  });
  expect(refused.status).toBe(503);
  expect(refused.headers.get("retry-after")).toBeTruthy();
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("shutting_down");

  const events = await turn.all;
  expect(events.at(-1)).toMatchObject({ type: "turn_end", text: fakeReplyText(message) });
  expect(await server.exited).toEqual([0, null]);
  expect(alive(pid)).toBe(false);
  const lines = logLines(server.output.stdout + server.output.stderr);
  expect(lines.find((l) => l.event === "server.drained")).toMatchObject({ finished: 1, lost: 0 });
});

it("ends a turn that outlives SHUTDOWN_GRACE_SECONDS with backend_lost_turn, on the stream and on disk, and stops pi", async () => {
  server = await startBackendProcess(TOKEN, { env: { SHUTDOWN_GRACE_SECONDS: "1" } });
  const base = `http://127.0.0.1:${server.port}`;
  const turn = await startTurn(base, "lost:1", "[hang] never ends");
  await turn.delta;
  const pid = await piPid(base, "lost:1");
  const signalled = Date.now();
  process.kill(server.pid, "SIGTERM");

  const events = await turn.all;
  const waited = Date.now() - signalled;
  expect(events.at(-1)).toMatchObject({ type: "turn_error", code: "backend_lost_turn", retryable: true });
  expect(events.some((e) => e.type === "turn_error" && e.code === "aborted")).toBe(false);
  expect(waited).toBeGreaterThanOrEqual(900); // it did wait for the grace
  expect(await server.exited).toEqual([0, null]);
  expect(alive(pid)).toBe(false);

  // The turn log (what a restarted server answers from) ends the same way.
  const turnsDir = join(server.dir, "data", "turns");
  const [sessionDir] = readdirSync(turnsDir);
  const logged = readFileSync(join(turnsDir, sessionDir!, "t1.ndjson"), "utf8")
    .trim()
    .split("\n");
  expect(JSON.parse(logged.at(-1)!)).toMatchObject({ type: "turn_error", code: "backend_lost_turn" });
  const lines = logLines(server.output.stdout + server.output.stderr);
  expect(lines.find((l) => l.event === "server.drained")).toMatchObject({ finished: 0, lost: 1 });
});
