/**
 * GET /openapi.json: the static file public/openapi.json is what the routes' `describe()` build now,
 * every route of the app is in it, and every documented response status is produced here by a real
 * request (a status nobody can cause must not be documented).
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../../src/worker/config/env";
import { API_MAX_MESSAGE_BODY_BYTES } from "../../../src/worker/http/body-limits";
import { openApiDocument } from "../../../src/worker/http/openapi/document";
import worker from "../../../src/worker/index";
import { API_TOKEN, freshChat, script, send, settled, waitFor } from "../helpers";
import { postSlackTo, randomId, slackChannel, slackDirectMessage, TELEGRAM_SECRET, telegramUpdate } from "../platforms/helpers";

type Doc = {
  openapi: string;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown>; parameters?: { name: string }[] }>>;
};

let served: Response;
let doc: Doc;
beforeAll(async () => {
  served = await SELF.fetch("https://evie.test/openapi.json");
  expect(served.status).toBe(200);
  doc = (await served.json()) as Doc;
});

const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z]+)/g, "{$1}");

/** Calls the Worker with some bindings changed, as a deployment with that configuration would. */
async function fetchWith(overrides: Partial<Env>, request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const SHORT = "x".repeat(15);
const BIG = JSON.stringify({ text: "x".repeat(70 * 1024), messages: [] });

function req(method: string, path: string, init: { body?: string; headers?: Record<string, string>; auth?: boolean } = {}): Request {
  const headers: Record<string, string> = { ...(init.auth === false ? {} : { authorization: `Bearer ${API_TOKEN}` }), ...init.headers };
  if (method === "POST" && init.body !== undefined && !("content-type" in headers)) headers["content-type"] = "application/json";
  return new Request(`https://evie.test${path}`, { method, headers, body: init.body });
}
const call = (method: string, path: string, init?: Parameters<typeof req>[2]) => SELF.fetch(req(method, path, init));

/** Statuses every bearer-protected route gives the same way. */
function guarded(method: string, path: string, body = "{}") {
  return {
    401: () => call(method, path, { auth: false, body: method === "POST" ? body : undefined }),
    403: () => call(method, path, { headers: { origin: "https://evil.example" }, body: method === "POST" ? body : undefined }),
    ...(method === "POST"
      ? { 415: () => call(method, path, { body, headers: { "content-type": "text/plain" } }), 413: () => call(method, path, { body: BIG }) }
      : {}),
  } as Record<number, () => Promise<Response>>;
}

const completion = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: "pi", messages: [{ role: "user", content: "hi" }], ...extra });

const JSON_TYPE = { "content-type": "application/json" };

/** A message to a chat whose turn is held open and MAX_QUEUED (20, wrangler.toml) messages wait behind it. */
async function fullQueue(): Promise<Response> {
  const chat = freshChat("oaq");
  await script(`http:${chat}`, { hold: true });
  for (let i = 0; i <= 20; i++)
    await (await call("POST", `/api/chats/${chat}/messages`, { body: JSON.stringify({ text: `m${i}` }) })).body?.cancel();
  return call("POST", `/api/chats/${chat}/messages`, { body: '{"text":"one too many"}' });
}

/** One request per documented `METHOD path status`. */
async function producers(): Promise<Record<string, () => Promise<Response>>> {
  const chat = freshChat("oa");
  const done = await send(chat, "hello", "m-known");
  await settled(chat, done.messageId);
  const failingUser = freshChat("oaf");
  await script(`openai:${failingUser}`, { deltas: [], error: { code: "llm_error", message: "scripted" } });
  const msgs = `/api/chats/${chat}/messages`;
  const table: Record<string, Record<number, () => Promise<Response>>> = {
    "GET /healthz": { 200: () => call("GET", "/healthz", { auth: false }) },
    "POST /api/chats/{chatId}/messages": {
      ...guarded("POST", msgs, '{"text":"x"}'),
      202: () => call("POST", msgs, { body: '{"text":"new"}' }),
      200: () => call("POST", msgs, { body: '{"text":"hello","id":"m-known"}' }),
      400: () => call("POST", msgs, { body: '{"text":""}' }),
      429: () => fullQueue(),
      // This route takes attachments, so its limit is API_MAX_MESSAGE_BODY_BYTES, not 64 KiB.
      413: () => call("POST", msgs, { body: JSON.stringify({ text: "x".repeat(API_MAX_MESSAGE_BODY_BYTES + 1) }) }),
      500: () => fetchWith({ PI_BACKEND_TOKEN: SHORT }, req("POST", msgs, { body: '{"text":"x"}' })),
    },
    "PATCH /api/chats/{chatId}": {
      ...guarded("PATCH", `/api/chats/${chat}`),
      200: () => call("PATCH", `/api/chats/${chat}`, { body: '{"queueMode":"followup"}', headers: JSON_TYPE }),
      400: () => call("PATCH", `/api/chats/${chat}`, { body: '{"queueMode":"sometimes"}', headers: JSON_TYPE }),
    },
    "GET /api/chats/{chatId}": {
      ...guarded("GET", `/api/chats/${chat}`),
      200: () => call("GET", `/api/chats/${chat}`),
      400: () => call("GET", "/api/chats/bad.id"),
    },
    "GET /api/chats/{chatId}/messages": {
      ...guarded("GET", msgs),
      200: () => call("GET", msgs),
      400: () => call("GET", `${msgs}?limit=0`),
    },
    "GET /api/backend": {
      ...guarded("GET", "/api/backend"),
      200: () => call("GET", "/api/backend"),
      500: () => fetchWith({ PI_BACKEND_TOKEN: SHORT }, req("GET", "/api/backend")),
      // Nothing listens on port 9 (discard): the link to the backend is broken.
      502: () => fetchWith({ PI_BACKEND_URL: "http://127.0.0.1:9", PI_BACKEND_URLS: undefined }, req("GET", "/api/backend")),
    },
    "GET /api/chats/{chatId}/messages/{messageId}": {
      ...guarded("GET", `${msgs}/m-known`),
      200: () => call("GET", `${msgs}/m-known`),
      400: () => call("GET", "/api/chats/bad.id/messages/m-known"),
      404: () => call("GET", `${msgs}/nope`),
    },
    "POST /api/chats/{chatId}/messages/{messageId}/answer": {
      ...guarded("POST", `${msgs}/m-known/answer`, '{"confirmed":true}'),
      200: async () => {
        const asking = freshChat("oad");
        await script(`http:${asking}`, { deltas: ["checking"], dialog: { kind: "confirm", title: "Allow?" } });
        const { messageId } = await send(asking, "ask me");
        await waitFor(async () => {
          const r = (await (await call("GET", `/api/chats/${asking}/messages/${messageId}`)).json()) as { state: string };
          return r.state === "input_required";
        });
        return call("POST", `/api/chats/${asking}/messages/${messageId}/answer`, { body: '{"confirmed":true}' });
      },
      400: () => call("POST", `${msgs}/m-known/answer`, { body: '{"value":5}' }),
      409: () => call("POST", `${msgs}/m-known/answer`, { body: '{"confirmed":true}' }),
    },
    "POST /api/chats/{chatId}/commands": {
      ...guarded("POST", `/api/chats/${chat}/commands`, '{"command":"stats"}'),
      200: () => call("POST", `/api/chats/${chat}/commands`, { body: '{"command":"stats"}' }),
      400: () => call("POST", `/api/chats/${chat}/commands`, { body: '{"command":"reboot"}' }),
    },
    "GET /api/chats/{chatId}/messages/{messageId}/events": {
      ...guarded("GET", `${msgs}/m-known/events`),
      200: () => call("GET", `${msgs}/m-known/events`),
      400: () => call("GET", "/api/chats/bad.id/messages/m-known/events"),
      404: () => call("GET", `${msgs}/nope/events`),
    },
    "POST /api/chats/{chatId}/stop": {
      ...guarded("POST", `/api/chats/${chat}/stop`),
      200: () => call("POST", `/api/chats/${chat}/stop`, { body: "{}" }),
      400: () => call("POST", "/api/chats/bad.id/stop", { body: "{}" }),
    },
    "POST /api/chats/{chatId}/reset": {
      ...guarded("POST", `/api/chats/${chat}/reset`),
      202: () => call("POST", `/api/chats/${chat}/reset`, { body: "{}" }),
      400: () => call("POST", `/api/chats/${chat}/reset`, { body: '{"id":5}' }),
    },
    "GET /api/status": {
      ...guarded("GET", "/api/status"),
      200: () => call("GET", "/api/status"),
      400: () => call("GET", "/api/status?limit=0"),
    },
    "GET /api/status/{chat}": {
      ...guarded("GET", `/api/status/http:${chat}`),
      200: () => call("GET", `/api/status/http:${chat}`),
      404: () => call("GET", "/api/status/http:never-seen"),
    },
    "GET /v1/models": { ...guarded("GET", "/v1/models"), 200: () => call("GET", "/v1/models") },
    "GET /v1/models/{model}": {
      ...guarded("GET", "/v1/models/pi"),
      200: () => call("GET", "/v1/models/pi"),
      404: () => call("GET", "/v1/models/gpt-4o"),
    },
    "POST /v1/chat/completions": {
      ...guarded("POST", "/v1/chat/completions", completion()),
      200: () => call("POST", "/v1/chat/completions", { body: completion({ user: freshChat("oa") }) }),
      400: () => call("POST", "/v1/chat/completions", { body: '{"messages":[]}' }),
      500: () => fetchWith({ PI_BACKEND_TOKEN: SHORT }, req("POST", "/v1/chat/completions", { body: completion() })),
      502: () => call("POST", "/v1/chat/completions", { body: completion({ user: failingUser }) }),
    },
    "POST /webhooks/telegram": {
      200: () =>
        call("POST", "/webhooks/telegram", { body: JSON.stringify(telegramUpdate({ chatId: randomId(), text: "hi" })), headers: tg }),
      400: () => call("POST", "/webhooks/telegram", { body: "{not json", headers: tg }),
      401: () => call("POST", "/webhooks/telegram", { body: JSON.stringify(telegramUpdate({ chatId: randomId(), text: "hi" })) }),
      404: () => fetchWith({ TELEGRAM_BOT_TOKEN: undefined }, req("POST", "/webhooks/telegram", { body: "{}" })),
      413: () => call("POST", "/webhooks/telegram", { body: BIG, headers: tg }),
      500: () =>
        fetchWith(
          { PI_BACKEND_TOKEN: SHORT },
          req("POST", "/webhooks/telegram", { body: JSON.stringify(telegramUpdate({ chatId: randomId(), text: "hi" })), headers: tg }),
        ),
    },
    "POST /webhooks/slack": {
      200: () => postSlackTo((r) => SELF.fetch(r), slackDirectMessage({ channel: slackChannel("D"), text: "hi" })),
      400: () => postSlackTo((r) => SELF.fetch(r), null, { body: "{not json" }),
      401: () => postSlackTo((r) => SELF.fetch(r), slackDirectMessage({ channel: slackChannel("D"), text: "hi" }), { signature: null }),
      404: () => fetchWith({ SLACK_SIGNING_SECRET: undefined }, req("POST", "/webhooks/slack", { body: "{}" })),
      413: () => postSlackTo((r) => SELF.fetch(r), null, { body: BIG }),
      500: () =>
        postSlackTo((r) => fetchWith({ PI_BACKEND_TOKEN: SHORT }, r), slackDirectMessage({ channel: slackChannel("D"), text: "hi" })),
    },
  };
  const flat: Record<string, () => Promise<Response>> = {};
  for (const [route, byStatus] of Object.entries(table)) for (const [status, f] of Object.entries(byStatus)) flat[`${route} ${status}`] = f;
  return flat;
}
const tg = { "x-telegram-bot-api-secret-token": TELEGRAM_SECRET };

describe("GET /openapi.json", () => {
  it("is the document the routes' describe() build now (public/openapi.json is not stale)", () => {
    expect(served.headers.get("content-type")).toContain("application/json");
    expect(doc, "public/openapi.json differs from the routes' descriptions: run `npm run openapi` and commit it").toEqual(
      openApiDocument(worker.routes),
    );
  });

  it("is OpenAPI 3.1 with the bearer scheme, without auth", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("describes every route of the app, its path parameters, and auth on /api and /v1", () => {
    const routes = worker.routes.filter((r) => r.method !== "ALL");
    expect(routes.length).toBeGreaterThan(10);
    for (const r of routes) {
      const op = doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.path} is not in /openapi.json`).toBeDefined();
      for (const [, name] of r.path.matchAll(/:([A-Za-z]+)/g)) expect(op!.parameters?.map((p) => p.name)).toContain(name);
      if (/^\/(api|v1)\//.test(r.path)) {
        expect(op!.security).toEqual([{ bearer: [] }]);
        expect(Object.keys(op!.responses)).toContain("401");
      }
    }
  });

  it("documents only statuses that occur, and each one does", async () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) => Object.keys(op.responses).map((status) => `${method.toUpperCase()} ${path} ${status}`)),
    );
    const make = await producers();
    expect(documented.sort()).toEqual(Object.keys(make).sort());
    for (const key of documented) {
      const res = await make[key]!();
      expect(res.status, key).toBe(Number(key.split(" ").at(-1)));
      await res.body?.cancel();
    }
  });
});
