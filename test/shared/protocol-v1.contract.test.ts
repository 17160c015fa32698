/**
 * pi backend protocol v1 (docs/pi-backend-protocol.md) as one suite, run against every server
 * that speaks it: the real pi server, driving a stand-in pi that answers at once, and the fake
 * backend the Worker's tests talk to, run here as its own local server. The Worker's tests are
 * only as good as that fake: if it drifts from the real server, this suite fails for it.
 */
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_FILE_BYTES, MAX_IMAGE_BYTES } from "../../src/shared/attachments";
import { isHeartbeat, isTerminal, type TurnEvent } from "../../src/shared/protocol";
import { readNdjson, startBackend, TEST_TOKEN } from "../fixtures/backend-harness";
import { FAKE_BACKEND_TOKEN, FakeBackend } from "../fixtures/fake-backend";

/** Both servers are started with a short heartbeat (PI_HEARTBEAT_SECONDS) so the suite need not wait 15 s. */
const HEARTBEAT_MS = 150;

interface Server {
  url: string;
  token: string;
  /** The reply text this server's model gives to `message`. */
  replyTo(message: string): string;
  /** Makes the session's next turn open a confirm dialog (fake-pi: the `[ask]` tag; the fake backend: a script). */
  askIn(sessionId: string, message: string): Promise<string>;
  /** A model this server's pi knows. */
  model: { provider: string; modelId: string };
  close(): Promise<void>;
}

const servers: [string, () => Promise<Server>][] = [
  [
    "the pi server",
    async () => {
      const backend = await startBackend({ cliPath: resolve(import.meta.dirname, "../fixtures/fake-pi.mjs"), heartbeatMs: HEARTBEAT_MS });
      // The stand-in pi answers `[words:N]` with N words w0..wN-1 (five without the tag).
      const replyTo = (message: string) => {
        const words = Number(/\[words:(\d+)\]/.exec(message)?.[1] ?? 5);
        return Array.from({ length: words }, (_, i) => `w${i}`).join(" ");
      };
      return {
        url: backend.url,
        token: TEST_TOKEN,
        replyTo,
        askIn: async (_sessionId, message) => `${message} [ask]`,
        model: { provider: "fake", modelId: "fake-pi" },
        close: () => backend.close(),
      };
    },
  ],
  [
    "the fake backend",
    async () => {
      const fake = new FakeBackend({ heartbeatMs: HEARTBEAT_MS });
      const port = await fake.start();
      return {
        url: `http://127.0.0.1:${port}`,
        token: FAKE_BACKEND_TOKEN,
        replyTo: (message) => `echo: ${message}`,
        askIn: async (sessionId, message) => {
          const script = { sessionId, deltas: ["w0"], dialog: { kind: "confirm", title: "Allow?", message: "fake asks" } };
          await fetch(`http://127.0.0.1:${port}/_control/script`, { method: "POST", body: JSON.stringify(script) });
          return message;
        },
        model: { provider: "fake", modelId: "fake-1" },
        close: () => fake.stop(),
      };
    },
  ],
];

describe.each(servers)("protocol v1: %s", (_name, start) => {
  let server: Server;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    await server?.close();
  });

  const call = (method: string, path: string, body?: unknown, token: string | null = server.token) =>
    fetch(server.url + path, {
      method,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), "content-type": "application/json" },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  const session = () => `contract:${crypto.randomUUID().slice(0, 8)}`;
  const events = async (sessionId: string, turnId: string, after?: number): Promise<TurnEvent[]> => {
    const res = await call("GET", `/v1/sessions/${sessionId}/turns/${turnId}/events${after === undefined ? "" : `?after=${after}`}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    return (await readNdjson(res)).map(({ at: _at, ...event }) => event as TurnEvent);
  };
  /** Submits a turn (202) and reads its whole stream. */
  const turn = async (sessionId: string, turnId: string, message: string) => {
    const res = await call("POST", `/v1/sessions/${sessionId}/turns`, { turnId, message });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ turnId, state: "running" });
    return events(sessionId, turnId);
  };
  const expectError = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(typeof body.error.message).toBe("string");
  };

  it("answers /healthz without a token", async () => {
    const res = await call("GET", "/healthz", undefined, null);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; sessions: number };
    expect(body.ok).toBe(true);
    expect(Number.isInteger(body.sessions)).toBe(true);
  });

  it("refuses every v1 route without the right bearer token: 401 unauthorized", async () => {
    await expectError(await call("GET", "/v1/sessions", undefined, null), 401, "unauthorized");
    await expectError(
      await call("POST", `/v1/sessions/${session()}/turns`, { turnId: "t1", message: "hi" }, "not-the-token-at-all"),
      401,
      "unauthorized",
    );
  });

  it("runs a turn: turn_start at seq 1, text deltas, and one terminal turn_end carrying their text", async () => {
    const message = "hello [words:4]";
    const stream = await turn(session(), "t1", message);
    expect(stream.map((e) => e.seq)).toEqual(stream.map((_, i) => i + 1));
    expect(stream[0]).toEqual({ seq: 1, type: "turn_start" });
    expect(stream.filter(isTerminal)).toHaveLength(1);
    const end = stream.at(-1)!;
    const deltas = stream.flatMap((e) => (e.type === "text_delta" ? [e.delta] : [])).join("");
    expect(end).toMatchObject({ type: "turn_end", text: server.replyTo(message) });
    expect(deltas).toBe(server.replyTo(message));
  });

  it("never prompts twice for a turnId: the same submit answers 200 with the turn's state", async () => {
    const id = session();
    const first = await turn(id, "t1", "once [words:2]");
    const again = await call("POST", `/v1/sessions/${id}/turns`, { turnId: "t1", message: "once [words:2]" });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ turnId: "t1", state: "done" });
    expect(await events(id, "t1")).toEqual(first);
  });

  it("replays only the events after a given seq", async () => {
    const id = session();
    const all = await turn(id, "t1", "replay [words:3]");
    expect(await events(id, "t1", 2)).toEqual(all.slice(2));
    expect(await events(id, "t1", all.length)).toEqual([]);
  });

  it("writes a heartbeat line (no seq) on an open stream after a silence, and never replays it", async () => {
    const id = session();
    const message = "[wait:700] think first [words:2]";
    const submitted = await call("POST", `/v1/sessions/${id}/turns`, { turnId: "t1", message });
    expect(submitted.status).toBe(202);
    const res = await call("GET", `/v1/sessions/${id}/turns/t1/events`);
    expect(res.status).toBe(200);
    const lines = (await res.text())
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; seq?: number });
    const beats = lines.filter(isHeartbeat);
    expect(beats.length).toBeGreaterThanOrEqual(2);
    for (const beat of beats) expect(beat).toEqual({ type: "heartbeat" });
    const numbered = lines.filter((line) => !isHeartbeat(line));
    expect(numbered.map((e) => e.seq)).toEqual(numbered.map((_, i) => i + 1));
    expect(numbered.at(-1)).toMatchObject({ type: "turn_end", text: server.replyTo(message) });
    // The finished turn's replay is its events alone.
    expect(await events(id, "t1")).toEqual(numbered);
  });

  it("answers 404 unknown_turn for a turn it does not know", async () => {
    await expectError(await call("GET", `/v1/sessions/${session()}/turns/nope/events`), 404, "unknown_turn");
  });

  it("lists a live session with its state and times", async () => {
    const id = session();
    await turn(id, "t1", "list me [words:1]");
    const res = await call("GET", "/v1/sessions");
    expect(res.status).toBe(200);
    const { sessions } = (await res.json()) as {
      sessions: { sessionId: string; state: string; pid: number | null; startedAt: string; lastActivity: string }[];
    };
    const listed = sessions.find((s) => s.sessionId === id);
    expect(listed).toBeDefined();
    expect(["starting", "idle", "running"]).toContain(listed!.state);
    expect(listed!.pid === null || Number.isInteger(listed!.pid)).toBe(true);
    for (const time of [listed!.startedAt, listed!.lastActivity]) expect(new Date(time).toISOString()).toBe(time);
  });

  it("with no turn running: abort answers false, steer 409 not_running, reset true", async () => {
    const id = session();
    await turn(id, "t1", "idle now [words:1]");
    const abort = await call("POST", `/v1/sessions/${id}/abort`, {});
    expect(abort.status).toBe(200);
    expect(await abort.json()).toEqual({ aborted: false });
    await expectError(await call("POST", `/v1/sessions/${id}/steer`, { message: "go left" }), 409, "not_running");
    const reset = await call("POST", `/v1/sessions/${id}/reset`, {});
    expect(reset.status).toBe(200);
    expect(await reset.json()).toEqual({ reset: true });
  });

  it("releases a live session once, and the next turn starts it again", async () => {
    const id = session();
    await turn(id, "t1", "before release [words:1]");
    const released = await call("DELETE", `/v1/sessions/${id}`);
    expect(await released.json()).toEqual({ released: true });
    expect(await (await call("DELETE", `/v1/sessions/${id}`)).json()).toEqual({ released: false });
    expect((await turn(id, "t2", "after release [words:2]")).at(-1)).toMatchObject({
      type: "turn_end",
      text: server.replyTo("after release [words:2]"),
    });
  });

  it("answers 400 invalid_request for a bad id, a bad body and a bad `after`", async () => {
    await expectError(await call("POST", "/v1/sessions/has%20space/turns", { turnId: "t1", message: "hi" }), 400, "invalid_request");
    await expectError(
      await call("POST", `/v1/sessions/${session()}/turns`, { turnId: "has space", message: "hi" }),
      400,
      "invalid_request",
    );
    await expectError(await call("POST", `/v1/sessions/${session()}/turns`, { turnId: "t1" }), 400, "invalid_request");
    await expectError(await call("POST", `/v1/sessions/${session()}/turns`, "{not json"), 400, "invalid_request");
    const id = session();
    await turn(id, "t1", "after [words:1]");
    await expectError(await call("GET", `/v1/sessions/${id}/turns/t1/events?after=abc`), 400, "invalid_request");
  });

  it("refuses a browser (any Origin) with 403 forbidden_origin, and a POST that is not JSON with 415", async () => {
    const fromPage = await fetch(`${server.url}/v1/sessions`, {
      headers: { authorization: `Bearer ${server.token}`, origin: "https://page.example" },
    });
    await expectError(fromPage, 403, "forbidden_origin");
    const plain = await fetch(`${server.url}/v1/sessions/${session()}/turns`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.token}`, "content-type": "text/plain" },
      body: JSON.stringify({ turnId: "t1", message: "hi" }),
    });
    await expectError(plain, 415, "unsupported_media_type");
  });

  it("takes a turn with an image and a file, and a turn of attachments alone", async () => {
    const id = session();
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    const attachments = [
      { kind: "image", mimeType: "image/png", data: png, name: "photo.png" },
      { kind: "file", name: "notes.txt", mimeType: "text/plain", data: Buffer.from("hello").toString("base64") },
    ];
    const res = await call("POST", `/v1/sessions/${id}/turns`, { turnId: "t1", message: "look [words:2]", attachments });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ turnId: "t1", state: "running" });
    expect((await events(id, "t1")).at(-1)).toMatchObject({ type: "turn_end" });
    const alone = await call("POST", `/v1/sessions/${id}/turns`, { turnId: "t2", message: "", attachments: attachments.slice(0, 1) });
    expect(alone.status).toBe(202);
    expect((await events(id, "t2")).at(-1)).toMatchObject({ type: "turn_end" });
  });

  it("refuses unsafe attachment names and bad attachments with 400, and ones over the limits with 413 too_large", async () => {
    const submit = (attachment: object, message = "x") =>
      call("POST", `/v1/sessions/${session()}/turns`, { turnId: "t1", message, attachments: [attachment] });
    const data = Buffer.from("x").toString("base64");
    for (const name of ["../x", "a/b", "a\\b", ".hidden", "..", ""]) {
      await expectError(await submit({ kind: "file", name, data }), 400, "invalid_request");
    }
    await expectError(await submit({ kind: "image", mimeType: "image/bmp", data }), 400, "invalid_request");
    await expectError(await submit({ kind: "image", mimeType: "image/png", data: "%%%" }), 400, "invalid_request");
    await expectError(await call("POST", `/v1/sessions/${session()}/turns`, { turnId: "t1", message: "" }), 400, "invalid_request");
    const tooBig = Buffer.alloc(MAX_IMAGE_BYTES + 1).toString("base64");
    await expectError(await submit({ kind: "image", mimeType: "image/png", data: tooBig }), 413, "too_large");
    const tooMany = Array.from({ length: 3 }, (_, i) => ({
      kind: "file",
      name: `f${i}`,
      data: Buffer.alloc(MAX_FILE_BYTES).toString("base64"),
    }));
    await expectError(
      await call("POST", `/v1/sessions/${session()}/turns`, { turnId: "t1", message: "x", attachments: tooMany }),
      413,
      "too_large",
    );
  });

  it("accepts X-Trace-Id on a submit and an events request, and never refuses a malformed one", async () => {
    for (const [turnId, traceId] of [
      ["t1", "0123456789abcdef0123456789abcdef"],
      ["t2", "not a valid trace id / ".repeat(8)],
    ] as const) {
      const sessionId = session();
      const headers = { authorization: `Bearer ${server.token}`, "content-type": "application/json", "x-trace-id": traceId };
      const body = JSON.stringify({ turnId, message: "traced" });
      const submitted = await fetch(`${server.url}/v1/sessions/${sessionId}/turns`, { method: "POST", headers, body });
      expect(submitted.status).toBe(202);
      const stream = await fetch(`${server.url}/v1/sessions/${sessionId}/turns/${turnId}/events`, { headers });
      expect(stream.status).toBe(200);
      expect((await readNdjson(stream)).at(-1)).toMatchObject({ type: "turn_end", text: server.replyTo("traced") });
    }
  });

  it("answers 404 not_found for a route it does not have", async () => {
    await expectError(await call("GET", "/v1/nothing-here"), 404, "not_found");
  });

  it("forwards an extension dialog as ui_request and passes the answer on once: ui_closed, then the turn ends", async () => {
    const id = session();
    const message = await server.askIn(id, "may I?");
    expect((await call("POST", `/v1/sessions/${id}/turns`, { turnId: "t1", message })).status).toBe(202);
    let request: { id: string; kind: string; title: string } | undefined;
    for (let i = 0; i < 200 && !request; i++) {
      const res = await call("GET", `/v1/sessions/${id}/turns/t1/events`);
      // The stream stays open while the dialog waits: read what is there, then let go.
      const reader = res.body!.getReader();
      const { value } = await reader.read();
      await reader.cancel();
      const lines = new TextDecoder().decode(value).split("\n").filter(Boolean);
      request = lines.map((l) => JSON.parse(l)).find((e) => e.type === "ui_request");
      if (!request) await new Promise((r) => setTimeout(r, 25));
    }
    expect(request).toMatchObject({ kind: "confirm", title: "Allow?" });
    await expectError(await call("POST", `/v1/sessions/${id}/turns/t1/ui/${request!.id}`, { value: 3 }), 400, "invalid_request");
    const ok = await call("POST", `/v1/sessions/${id}/turns/t1/ui/${request!.id}`, { confirmed: true });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ answered: true });
    await expectError(await call("POST", `/v1/sessions/${id}/turns/t1/ui/${request!.id}`, { confirmed: true }), 404, "unknown_request");
    const all = await events(id, "t1");
    expect(all).toContainEqual(expect.objectContaining({ type: "ui_closed", id: request!.id, reason: "answered" }));
    expect(all.at(-1)).toMatchObject({ type: "turn_end" });
    await expectError(await call("POST", `/v1/sessions/${id}/turns/nope/ui/r1`, { cancelled: true }), 404, "unknown_turn");
  });

  it("lists models, switches the model, sets the thinking level, reports stats and compacts", async () => {
    const id = session();
    const models = await call("GET", `/v1/sessions/${id}/models`);
    expect(models.status).toBe(200);
    const list = (await models.json()) as { models: { provider: string; id: string }[]; current: unknown; thinkingLevel: string };
    expect(list.models).toContainEqual(expect.objectContaining({ provider: server.model.provider, id: server.model.modelId }));
    expect(typeof list.thinkingLevel).toBe("string");
    const set = await call("POST", `/v1/sessions/${id}/model`, server.model);
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ model: { id: server.model.modelId }, appliesTo: "now" });
    await expectError(await call("POST", `/v1/sessions/${id}/model`, { provider: "x", modelId: "none" }), 400, "unknown_model");
    await expectError(await call("POST", `/v1/sessions/${id}/model`, { provider: "x" }), 400, "invalid_request");
    const thinking = await call("POST", `/v1/sessions/${id}/thinking`, { level: "low" });
    expect(thinking.status).toBe(200);
    expect(await thinking.json()).toMatchObject({ appliesTo: "now" });
    await expectError(await call("POST", `/v1/sessions/${id}/thinking`, { level: "huge" }), 400, "invalid_request");
    const stats = await call("GET", `/v1/sessions/${id}/stats`);
    expect(stats.status).toBe(200);
    expect(await stats.json()).toMatchObject({
      tokens: { input: expect.any(Number), output: expect.any(Number), total: expect.any(Number) },
      cost: expect.any(Number),
      messages: expect.any(Number),
    });
    const compacted = await call("POST", `/v1/sessions/${id}/compact`, {});
    expect(compacted.status).toBe(200);
    expect(await compacted.json()).toMatchObject({ compacted: true, tokensBefore: expect.any(Number) });
  });
});
