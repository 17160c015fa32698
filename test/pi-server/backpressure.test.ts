/**
 * Event streams under backpressure: a subscriber that stops reading is dropped once MAX_QUEUED_EVENT_BYTES
 * are queued for it, instead of the backend buffering the whole turn for it; readers that keep up
 * lose nothing. In-process, with turns fed directly (no pi), so the queue can be watched exactly.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { Server, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBackendApp } from "../../src/pi-server/app";
import { loadConfig } from "../../src/pi-server/config";
import { MAX_QUEUED_EVENT_BYTES } from "../../src/pi-server/events-response";
import { SessionManager } from "../../src/pi-server/session-manager";
import { Turn } from "../../src/pi-server/turn";
import type { TurnEvent } from "../../src/shared/protocol";
import { readJsonLines } from "../../src/worker/pi-client/ndjson";
import { openSocket, readAll, requestHead } from "../fixtures/raw-http";

const TOKEN = "backpressure-test-token-0123456789";
const MiB = 1024 * 1024;

let root: string;
let manager: SessionManager;
let server: ServerType;
let port: number;
/** The server side of each events request, to watch what is queued for it. */
const streams = new Map<string, ServerResponse>();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "evie-backpressure-"));
  const { dataDir, ...config } = loadConfig({ PI_BACKEND_TOKEN: TOKEN, PI_DATA_DIR: join(root, "data"), PI_CWD: root });
  manager = new SessionManager({ ...config, dataDir });
  const app = createBackendApp(manager, TOKEN);
  server = await new Promise((resolve) => {
    const s = serve(
      {
        fetch: (request, env) => {
          streams.set(new URL(request.url).pathname, env.outgoing as ServerResponse);
          return app.fetch(request, env);
        },
        port: 0,
        hostname: "127.0.0.1",
      },
      () => resolve(s),
    );
  });
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await manager?.shutdown();
  (server as Server | undefined)?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(root, { recursive: true, force: true });
});

/** A running turn the test feeds by hand. */
function startTurn(sessionId: string): Turn {
  const turn = new Turn(sessionId, "t1");
  manager.turns.add(turn);
  turn.push({ type: "turn_start" });
  return turn;
}

const eventsPath = (turn: Turn) => `/v1/sessions/${turn.sessionId}/turns/${turn.turnId}/events`;
const nextTick = () => new Promise((resolve) => setImmediate(resolve));

/** Reads a turn's events over fetch as a client that keeps up; `received` grows as lines arrive. */
function follow(turn: Turn, after = 0): { received: TurnEvent[]; done: Promise<void> } {
  const received: TurnEvent[] = [];
  const done = (async () => {
    const res = await fetch(`http://127.0.0.1:${port}${eventsPath(turn)}?after=${after}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    for await (const event of readJsonLines(res.body!)) received.push(event as TurnEvent);
  })();
  return { received, done };
}

/** Complete NDJSON lines of a raw HTTP/1.1 chunked response, as events (a cut-off last line is left out). */
function completeEvents(raw: Buffer): TurnEvent[] {
  const text = raw.toString("utf8");
  const body = text.slice(text.indexOf("\r\n\r\n") + 4);
  // Chunk-size lines are hex only; event lines are JSON objects.
  return body
    .split("\r\n")
    .flatMap((part) => part.split("\n"))
    .filter((line) => line.startsWith("{") && line.endsWith("}"))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as TurnEvent];
      } catch {
        return [];
      }
    });
}

describe("an events subscriber", () => {
  it("that stops reading is dropped once MAX_QUEUED_EVENT_BYTES are queued for it, and can re-attach with after=", async () => {
    expect(MAX_QUEUED_EVENT_BYTES).toBe(8 * MiB);
    const turn = startTurn("bp:slow");
    const socket = await openSocket(port);
    const received = readAll(socket);
    socket.write(requestHead("GET", eventsPath(turn), port, { Authorization: `Bearer ${TOKEN}` }));
    await new Promise((resolve) => socket.once("data", resolve));
    socket.pause();
    const outgoing = streams.get(eventsPath(turn))!;

    const delta = "x".repeat(256 * 1024);
    const burst = Buffer.byteLength(JSON.stringify({ seq: 1000, type: "text_delta", delta })) + 1;
    let maxQueued = 0;
    let pushed = 0;
    while (!outgoing.destroyed && pushed < 128 * MiB) {
      turn.push({ type: "text_delta", delta });
      pushed += delta.length;
      await nextTick();
      maxQueued = Math.max(maxQueued, outgoing.writableLength);
    }
    console.log(
      `[backpressure] pushed ${(pushed / MiB).toFixed(1)} MiB; at most ${(maxQueued / MiB).toFixed(2)} MiB queued; dropped: ` +
        `${outgoing.destroyed}`,
    );
    expect(outgoing.destroyed).toBe(true);
    expect(maxQueued).toBeLessThanOrEqual(MAX_QUEUED_EVENT_BYTES + burst);

    // What the dropped client did get, then the rest by re-attaching with after=, exactly once.
    socket.resume();
    const before = completeEvents(await received);
    const lastSeq = before.at(-1)!.seq;
    expect(before.map((e) => e.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    turn.push({ type: "turn_end", text: "done" });
    const rest = follow(turn, lastSeq);
    await rest.done;
    const seqs = [...before, ...rest.received].map((e) => e.seq);
    expect(seqs).toEqual(turn.events.map((e) => e.seq));
    expect(rest.received.at(-1)?.type).toBe("turn_end");
  });

  it("that keeps reading gets every event of a turn far larger than the limit", async () => {
    const turn = startTurn("bp:fast");
    const reader = follow(turn);
    const delta = "y".repeat(64 * 1024);
    const count = 400; // 25 MiB
    for (let i = 0; i < count; i++) {
      turn.push({ type: "text_delta", delta });
      // Stay at most 1 MiB ahead of the reader, as a client on a working connection would.
      while (turn.events.length - reader.received.length > 16) await nextTick();
    }
    turn.push({ type: "turn_end", text: "done" });
    await reader.done;
    expect(reader.received.map((e) => e.seq)).toEqual(turn.events.map((e) => e.seq));
    expect(reader.received.filter((e) => e.type === "text_delta" && e.delta === delta)).toHaveLength(count);
  });

  it("re-attaching to a finished turn larger than the limit gets the whole replay", async () => {
    const turn = startTurn("bp:replay");
    const delta = "z".repeat(256 * 1024);
    for (let i = 0; i < 60; i++) turn.push({ type: "text_delta", delta }); // 15 MiB
    turn.push({ type: "turn_end", text: "done" });
    const reader = follow(turn);
    await reader.done;
    expect(reader.received).toHaveLength(turn.events.length);
    expect(reader.received.at(-1)?.type).toBe("turn_end");
  });
});
