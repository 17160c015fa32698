/**
 * The backend's front door, against the real backend process over raw sockets: default-deny auth on
 * the path the router uses, request targets refused before routing, no browser can drive it.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendProcess, startBackendProcess } from "../fixtures/backend-process";
import { type RawResponse, rawRequest } from "../fixtures/raw-http";

const TOKEN = "security-test-token-0123456789";
const JSON_TYPE = { "Content-Type": "application/json" };
const AUTH = { Authorization: `Bearer ${TOKEN}` };

let backend: BackendProcess;
beforeAll(async () => {
  backend = await startBackendProcess(TOKEN);
});
afterAll(async () => {
  await backend?.close();
});

const send = (method: string, target: string, headers: Record<string, string> = {}, body?: string) =>
  rawRequest(backend.port, method, target, headers, body);

/** The status and error code of a response (the code is undefined for a non-JSON or non-error body). */
function outcome(res: RawResponse): { status: number; code: string | undefined } {
  let code: string | undefined;
  try {
    code = (JSON.parse(res.body) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: res.status, code };
}

/** A turn that, if it ever ran, would leave a file behind through pi's bash tool. */
const pwnedFile = () => join(backend.dir, "pwned");
const turnBody = () => JSON.stringify({ turnId: "t1", message: `[tool:touch ${pwnedFile()}]` });

describe("the bearer token", () => {
  it("is required on /v1/sessions, and accepted there", async () => {
    expect(outcome(await send("GET", "/v1/sessions"))).toEqual({ status: 401, code: "unauthorized" });
    const ok = await send("GET", "/v1/sessions", AUTH);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ sessions: [] });
  });

  it("is required on every route but GET /healthz, even unknown ones", async () => {
    expect((await send("GET", "/healthz")).status).toBe(200);
    expect(outcome(await send("GET", "/"))).toEqual({ status: 401, code: "unauthorized" });
    expect(outcome(await send("GET", "/nope"))).toEqual({ status: 401, code: "unauthorized" });
    expect(outcome(await send("POST", "/healthz", JSON_TYPE, "{}"))).toEqual({ status: 401, code: "unauthorized" });
    expect(outcome(await send("GET", "/nope", AUTH))).toEqual({ status: 404, code: "not_found" });
  });

  // What the router would decode to /v1/... (401: the token is asked for on the decoded path), or a
  // shape refused before routing (400 invalid_request). `code: null`: node-server itself refuses it
  // with an empty 400 before the app sees it.
  const bypasses: Array<{ get: string; post: string; status: 400 | 401; code?: null }> = [
    { get: "/%761/sessions", post: "/%761/sessions/sec:a/turns", status: 401 },
    { get: "/v%31/sessions", post: "/v%31/sessions/sec:a/turns", status: 401 },
    { get: "/%25761/sessions", post: "/%25761/sessions/sec:a/turns", status: 401 },
    { get: "//v1/sessions", post: "//v1/sessions/sec:a/turns", status: 400 },
    { get: "/v1//sessions", post: "/v1//sessions/sec:a/turns", status: 400 },
    { get: "/./v1/sessions", post: "/./v1/sessions/sec:a/turns", status: 400 },
    { get: "/v1/./sessions", post: "/v1/./sessions/sec:a/turns", status: 400 },
    { get: "/v1/sessions/..%2f..%2fx", post: "/v1/sessions/..%2f..%2fx/turns", status: 400 },
    { get: "/x/%2E%2E/v1/sessions", post: "/x/%2E%2E/v1/sessions/sec:a/turns", status: 400 },
    { get: "/x/../v1/sessions", post: "/x/../v1/sessions/sec:a/turns", status: 400 },
    { get: "/v1%5Csessions", post: "/v1%5csessions/sec:a/turns", status: 400 },
    { get: "http://localhost/v1/sessions", post: "http://localhost/v1/sessions/sec:a/turns", status: 400 },
    { get: "HTTP://127.0.0.1/v1/sessions", post: "HTTP://127.0.0.1/v1/sessions/sec:a/turns", status: 400, code: null },
  ];

  it.each(bypasses)("is not bypassed by $get", async ({ get, post, status, code: expected }) => {
    const code = expected === null ? undefined : status === 400 ? "invalid_request" : "unauthorized";
    const answers = {
      get: outcome(await send("GET", get)),
      getWithBody: outcome(await send("GET", get, JSON_TYPE, turnBody())),
      post: outcome(await send("POST", post, JSON_TYPE, turnBody())),
      postAsBrowserForm: outcome(await send("POST", post, { "Content-Type": "text/plain" }, turnBody())),
    };
    expect(answers).toEqual({
      get: { status, code },
      getWithBody: { status, code },
      post: { status, code },
      postAsBrowserForm: { status, code },
    });
  });

  it("started no pi and ran no turn for any of them", async () => {
    expect(JSON.parse((await send("GET", "/v1/sessions", AUTH)).body)).toEqual({ sessions: [] });
    expect(outcome(await send("GET", "/v1/sessions/sec:a/turns/t1/events", AUTH))).toEqual({ status: 404, code: "unknown_turn" });
    expect(backend.llm.requests).toHaveLength(0);
    expect(existsSync(pwnedFile())).toBe(false);
  });

  it("lets the same turn run with the token (so the checks above can fail)", async () => {
    const submitted = await send("POST", "/v1/sessions/sec:ok/turns", { ...AUTH, ...JSON_TYPE }, turnBody());
    expect(submitted.status).toBe(202);
    const events = await send("GET", "/v1/sessions/sec:ok/turns/t1/events", AUTH);
    expect(events.body.trim().split("\n").at(-1)).toContain('"type":"turn_end"');
    expect(existsSync(pwnedFile())).toBe(true);
  });
});

describe("browsers", () => {
  const evil = { Origin: "http://evil.example" };

  it("are refused with 403 forbidden_origin whenever an Origin header is present", async () => {
    expect(outcome(await send("GET", "/healthz", evil))).toEqual({ status: 403, code: "forbidden_origin" });
    expect(outcome(await send("GET", "/v1/sessions", { ...evil, ...AUTH }))).toEqual({ status: 403, code: "forbidden_origin" });
    expect(outcome(await send("GET", "/v1/sessions", { Origin: "null", ...AUTH }))).toEqual({ status: 403, code: "forbidden_origin" });
    expect(outcome(await send("POST", "/v1/sessions/sec:b/turns", { ...evil, ...AUTH, ...JSON_TYPE }, turnBody()))).toEqual({
      status: 403,
      code: "forbidden_origin",
    });
  });

  it.each([
    ["text/plain", { "Content-Type": "text/plain" }],
    ["a form", { "Content-Type": "application/x-www-form-urlencoded" }],
    ["multipart", { "Content-Type": "multipart/form-data; boundary=x" }],
    ["JSON-looking", { "Content-Type": "application/jsonp" }],
    ["no content type", {}],
  ])("cannot POST %s: 415 unsupported_media_type", async (_, type) => {
    for (const path of ["/v1/sessions/sec:b/turns", "/v1/sessions/sec:b/abort", "/v1/sessions/sec:b/reset", "/v1/sessions/sec:b/steer"]) {
      expect(outcome(await send("POST", path, { ...AUTH, ...type }, turnBody()))).toEqual({ status: 415, code: "unsupported_media_type" });
    }
  });

  it("accepts application/json with parameters, in any case", async () => {
    for (const type of ["application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"]) {
      // An empty object reaches body validation: the content type was accepted.
      const res = await send("POST", "/v1/sessions/sec:b/turns", { ...AUTH, "Content-Type": type }, "{}");
      expect(outcome(res)).toEqual({ status: 400, code: "invalid_request" });
      expect(res.body).toContain("turnId");
    }
  });

  it("lets abort and reset through with a JSON content type and an empty body or {}", async () => {
    for (const body of [undefined, "", "{}"]) {
      const abort = await send("POST", "/v1/sessions/sec:b/abort", { ...AUTH, ...JSON_TYPE }, body);
      expect([abort.status, JSON.parse(abort.body)]).toEqual([200, { aborted: false }]);
      const reset = await send("POST", "/v1/sessions/sec:b/reset", { ...AUTH, ...JSON_TYPE }, body);
      expect([reset.status, JSON.parse(reset.body)]).toEqual([200, { reset: true }]);
    }
  });
});

describe("the order of the checks", () => {
  const big = JSON.stringify({ turnId: "t1", message: "x".repeat(1_100_000) });

  it("is path shape 400, Origin 403, token 401, content type 415, size 413, body 400", async () => {
    const evil = { Origin: "http://evil.example" };
    const text = { "Content-Type": "text/plain" };
    expect(outcome(await send("POST", "/v1//sessions/sec:c/turns", { ...evil, ...text }, big))).toEqual({
      status: 400,
      code: "invalid_request",
    });
    expect(outcome(await send("POST", "/v1/sessions/sec:c/turns", { ...evil, ...text }, big))).toEqual({
      status: 403,
      code: "forbidden_origin",
    });
    expect(outcome(await send("POST", "/v1/sessions/sec:c/turns", text, big))).toEqual({ status: 401, code: "unauthorized" });
    expect(outcome(await send("POST", "/v1/sessions/sec:c/turns", { ...AUTH, ...text }, big))).toEqual({
      status: 415,
      code: "unsupported_media_type",
    });
    // On steer: a turn may carry attachments, so its limit is PROTOCOL_MAX_TURN_BODY_BYTES (body-limit.test.ts, attachments.test.ts).
    expect(outcome(await send("POST", "/v1/sessions/sec:c/steer", { ...AUTH, ...JSON_TYPE }, `${big.slice(0, -2)}`))).toEqual({
      status: 413,
      code: "too_large",
    });
    expect(outcome(await send("POST", "/v1/sessions/sec:c/turns", { ...AUTH, ...JSON_TYPE }, "{not json"))).toEqual({
      status: 400,
      code: "invalid_request",
    });
  });
});
