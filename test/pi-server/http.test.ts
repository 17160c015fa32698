/** The HTTP contract: auth, validation, error bodies, capacity. */

import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTOCOL_MAX_TURN_BODY_BYTES } from "../../src/shared/protocol";
import { type BackendHarness, last, livePiPids, startBackend, TEST_TOKEN, waitFor } from "../fixtures/backend-harness";

let backend: BackendHarness;
beforeAll(async () => {
  backend = await startBackend({ maxSessions: 2 });
});
afterAll(async () => {
  await backend?.close();
});

function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(backend.url);
    const req = httpRequest({ hostname, port, path, headers: { authorization: `Bearer ${TEST_TOKEN}` } }, (res) => {
      let body = "";
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function expectError(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
}

describe("auth", () => {
  it("lets /healthz through without a token", async () => {
    const res = await fetch(`${backend.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, sessions: 0 });
  });

  it.each([
    ["no header", {}],
    ["a wrong token", { authorization: "Bearer wrong" }],
    ["the token without Bearer", { authorization: "test-backend-token" }],
    ["an empty bearer", { authorization: "Bearer " }],
  ])("refuses %s with 401", async (_, headers) => {
    for (const [method, path] of [
      ["GET", "/v1/sessions"],
      ["POST", "/v1/sessions/a/turns"],
      ["GET", "/v1/sessions/a/turns/t/events"],
      ["DELETE", "/v1/sessions/a"],
    ] as const) {
      const res = await fetch(backend.url + path, { method, headers, body: method === "POST" ? "{}" : undefined });
      await expectError(res, 401, "unauthorized");
    }
  });
});

describe("validation", () => {
  it.each([
    ["bad JSON", "{not json", "invalid_request"],
    ["a missing turnId", { message: "hi" }, "invalid_request"],
    ["a bad turnId", { turnId: "a/b", message: "hi" }, "invalid_request"],
    ["an empty message", { turnId: "t", message: "" }, "invalid_request"],
    ["a too long message", { turnId: "t", message: "x".repeat(100_001) }, "invalid_request"],
  ])("answers 400 for %s", async (_, body, code) => {
    await expectError(await backend.request("POST", "/v1/sessions/v/turns", body), 400, code);
  });

  it("names the bad field", async () => {
    const res = await backend.request("POST", "/v1/sessions/v/turns", { turnId: "t", message: 5 });
    expect(await res.json()).toMatchObject({ error: { code: "invalid_request", field: "message" } });
  });

  it("answers 413 for a body over 1 MiB, and for a turn over PROTOCOL_MAX_TURN_BODY_BYTES", async () => {
    await expectError(await backend.request("POST", "/v1/sessions/v/steer", { message: "x".repeat(1_100_000) }), 413, "too_large");
    await expectError(
      await backend.request("POST", "/v1/sessions/v/turns", { turnId: "t", message: "x".repeat(PROTOCOL_MAX_TURN_BODY_BYTES) }),
      413,
      "too_large",
    );
  });

  it.each(["%2E%2E", "%2E", "a%2Fb", "a%20b", "x".repeat(129)])("answers 400 for session id %s", async (id) => {
    // Raw HTTP: fetch would normalise %2E%2E away before it reached the server.
    const { status, body } = await rawGet(`/v1/sessions/${id}/turns/t/events`);
    expect(status).toBe(400);
    expect(JSON.parse(body)).toMatchObject({ error: { code: "invalid_request" } });
  });

  it("checks ids after URL decoding, so an encoded colon is a valid chat key", async () => {
    const res = await backend.request("GET", "/v1/sessions/telegram%3A42/turns/t1/events");
    await expectError(res, 404, "unknown_turn");
  });

  it("answers 400 for a bad after", async () => {
    await expectError(await backend.request("GET", "/v1/sessions/v/turns/t/events?after=-1"), 400, "invalid_request");
  });

  it("answers 404 JSON for unknown routes", async () => {
    await expectError(await backend.request("GET", "/v1/nope"), 404, "not_found");
  });
});

describe("capacity", () => {
  it("answers 503 with Retry-After when every session is busy, and evicts the least recently active idle one otherwise", async () => {
    await backend.turn("cap:a", "t1", "first");
    expect((await backend.submit("cap:b", "t1", "[hang] busy")).status).toBe(202);
    const pidA = backend.manager.get("cap:a")!.process!.pid!;

    // a is idle: it makes room for c.
    expect((await backend.submit("cap:c", "t1", "[hang] busy too")).status).toBe(202);
    expect(backend.manager.get("cap:a")).toBeUndefined();

    // b and c both run: no room for d.
    const full = await backend.submit("cap:d", "t1", "hello");
    await expectError(full, 503, "capacity");
    expect(Number(full.headers.get("retry-after"))).toBeGreaterThan(0);

    const c = backend.events("cap:c", "t1");
    await waitFor(() => backend.manager.get("cap:c")?.state === "running", 30_000, "c to run");
    await backend.request("POST", "/v1/sessions/cap:c/abort");
    expect(last(await c)).toMatchObject({ type: "turn_error", code: "aborted" });

    // c is idle now: d replaces it; b keeps running throughout.
    expect(last(await backend.turn("cap:d", "t1", "hello"))).toMatchObject({ type: "turn_end" });
    expect(backend.manager.get("cap:c")).toBeUndefined();
    expect(backend.manager.get("cap:b")?.state).toBe("running");
    expect(livePiPids()).not.toContain(pidA);
    expect(livePiPids()).toHaveLength(2);
    await backend.request("POST", "/v1/sessions/cap:b/abort");
    expect(last(await backend.events("cap:b", "t1"))).toMatchObject({ type: "turn_error", code: "aborted" });
  });
});
