/**
 * Weak or leaky configuration is refused, naming the variable: short secrets, plain http:// to
 * another machine. The Worker answers 500 config_error and neither stores the message nor starts a turn.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/shared/config-error";
import { backendConfig, isLoopback, MIN_SECRET_LENGTH, secret } from "../../../src/worker/config/config";
import type { Env } from "../../../src/worker/config/env";
import worker from "../../../src/worker/index";
import { API_TOKEN, api, backendLog, freshChat } from "../helpers";
import {
  postSlackTo,
  randomId,
  slackChannel,
  slackDirectMessage,
  TEAM,
  TELEGRAM_SECRET,
  telegramCalls,
  telegramUpdate,
} from "../platforms/helpers";

/** Calls the Worker with some bindings changed, as a deployment with that configuration would run. */
async function fetchWith(overrides: Partial<Env>, request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

function postMessage(chat: string, id: string, token = API_TOKEN): Request {
  return new Request(`https://evie.test/api/chats/${chat}/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ text: "hi", id }),
  });
}

async function expectConfigError(res: Response, variable: string): Promise<void> {
  expect(res.status).toBe(500);
  const { error } = (await res.json()) as { error: { code: string; message: string } };
  expect(error.code).toBe("config_error");
  expect(error.message).toContain(variable);
}

const SHORT = "x".repeat(MIN_SECRET_LENGTH - 1);
const LEAKY_URL = "http://192.0.2.10:8788";

describe("the rules", () => {
  it("wants secrets of at least 16 characters, naming the one that is short", () => {
    expect(() => secret({ API_TOKEN: SHORT } as Env, "API_TOKEN")).toThrow(/API_TOKEN is too short \(15 characters\)/);
    expect(() => secret({} as Env, "TELEGRAM_WEBHOOK_SECRET")).toThrow(/TELEGRAM_WEBHOOK_SECRET is required/);
    expect(secret({ PI_BACKEND_TOKEN: "y".repeat(16) } as Env, "PI_BACKEND_TOKEN")).toBe("y".repeat(16));
  });

  it.each(["localhost", "127.0.0.1", "127.255.3.4", "[::1]"])("counts %s as loopback", (host) => {
    expect(isLoopback(host)).toBe(true);
    expect(backendConfig({ PI_BACKEND_URL: `http://${host}:8788`, PI_BACKEND_TOKEN: "t".repeat(16) } as Env).url).toBe(
      `http://${host}:8788`,
    );
  });

  it.each([
    "http://192.0.2.10:8788",
    "http://128.0.0.1",
    "http://localhost.example.com",
    "http://127.0.0.1.nip.io",
    "http://[::2]",
    "http://pi.internal",
  ])("refuses plain %s unless PI_BACKEND_ALLOW_HTTP=1", (url) => {
    const config = { PI_BACKEND_URL: url, PI_BACKEND_TOKEN: "t".repeat(16) } as Env;
    expect(() => backendConfig(config)).toThrow(ConfigError);
    expect(() => backendConfig(config)).toThrow(/PI_BACKEND_URL uses plain http:\/\//);
    expect(() => backendConfig({ ...config, PI_BACKEND_ALLOW_HTTP: "true" })).toThrow(/PI_BACKEND_ALLOW_HTTP=1/);
    expect(backendConfig({ ...config, PI_BACKEND_ALLOW_HTTP: "1" }).url).toBe(url);
  });

  it("takes https to anywhere, and refuses other schemes, non-URLs and a short backend token", () => {
    const token = "t".repeat(16);
    expect(backendConfig({ PI_BACKEND_URL: "https://pi.example.com", PI_BACKEND_TOKEN: token } as Env)).toEqual({
      url: "https://pi.example.com",
      urls: ["https://pi.example.com"],
      token,
    });
    expect(() => backendConfig({ PI_BACKEND_URL: "ftp://127.0.0.1", PI_BACKEND_TOKEN: token } as Env)).toThrow(
      /PI_BACKEND_URL must be http/,
    );
    expect(() => backendConfig({ PI_BACKEND_URL: "127.0.0.1:8788", PI_BACKEND_TOKEN: token } as Env)).toThrow(/PI_BACKEND_URL/);
    expect(() => backendConfig({ PI_BACKEND_URL: "https://pi.example.com", PI_BACKEND_TOKEN: SHORT } as Env)).toThrow(
      /PI_BACKEND_TOKEN is too short/,
    );
  });

  it("takes several backends from PI_BACKEND_URLS, each checked and named", () => {
    const token = "t".repeat(16);
    const both = {
      PI_BACKEND_URL: "https://ignored.example.com",
      PI_BACKEND_URLS: " https://a.example.com, http://127.0.0.1:9 ,",
      PI_BACKEND_TOKEN: token,
    };
    expect(backendConfig(both as Env).urls).toEqual(["https://a.example.com", "http://127.0.0.1:9"]);
    expect(() => backendConfig({ PI_BACKEND_URLS: "https://a.example.com,http://10.0.0.2", PI_BACKEND_TOKEN: token } as Env)).toThrow(
      /PI_BACKEND_URLS uses plain http:\/\/ to 10.0.0.2/,
    );
  });
});

describe("the HTTP API", () => {
  it("answers 500 config_error naming API_TOKEN when it is short, even to a caller who sends it", async () => {
    const res = await fetchWith({ API_TOKEN: SHORT }, postMessage(freshChat(), "m1", SHORT));
    await expectConfigError(res, "API_TOKEN");
  });

  it.each([
    ["PI_BACKEND_TOKEN", { PI_BACKEND_TOKEN: SHORT }],
    ["PI_BACKEND_URL", { PI_BACKEND_URL: LEAKY_URL }],
  ])("answers 500 config_error naming %s, and neither stores the message nor starts a turn", async (variable, overrides) => {
    const chat = freshChat();
    await expectConfigError(await fetchWith(overrides, postMessage(chat, "m1")), variable);
    expect((await api(`/api/chats/${chat}/messages/m1`)).status).toBe(404);
    expect(await backendLog(`http:${chat}`)).toEqual([]);
  });

  it("takes plain http:// to another machine when PI_BACKEND_ALLOW_HTTP=1", async () => {
    // Only the route sees these bindings: the chat's object keeps the test's loopback backend.
    const res = await fetchWith({ PI_BACKEND_URL: LEAKY_URL, PI_BACKEND_ALLOW_HTTP: "1" }, postMessage(freshChat(), "m1"));
    expect(res.status).toBe(202);
  });
});

describe("the webhooks", () => {
  const telegramRequest = (update: unknown, secretToken: string) =>
    new Request("https://evie.test/webhooks/telegram", {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secretToken },
      body: JSON.stringify(update),
    });

  it("Telegram answers 500 config_error naming TELEGRAM_WEBHOOK_SECRET when it is short, even to its holder", async () => {
    const chatId = randomId();
    const res = await fetchWith({ TELEGRAM_WEBHOOK_SECRET: SHORT }, telegramRequest(telegramUpdate({ chatId, text: "hi" }), SHORT));
    await expectConfigError(res, "TELEGRAM_WEBHOOK_SECRET");
    expect(await env.CHAT_SESSION.getByName(`telegram:${chatId}`).snapshot()).toBeNull();
  });

  it.each([
    ["PI_BACKEND_TOKEN", { PI_BACKEND_TOKEN: SHORT }],
    ["PI_BACKEND_URL", { PI_BACKEND_URL: LEAKY_URL }],
  ])("Telegram answers 500 config_error naming %s before storing the message", async (variable, overrides) => {
    const chatId = randomId();
    const update = telegramUpdate({ chatId, text: "hi" });
    await expectConfigError(await fetchWith(overrides, telegramRequest(update, TELEGRAM_SECRET)), variable);
    expect(await env.CHAT_SESSION.getByName(`telegram:${chatId}`).getMessage(`tg-${update.update_id}`)).toBeNull();
    expect(await backendLog(`telegram:${chatId}`)).toEqual([]);
    expect(await telegramCalls(chatId)).toEqual([]);
  });

  it("Slack answers 500 config_error naming PI_BACKEND_URL before storing the message", async () => {
    const channel = slackChannel("D");
    const payload = slackDirectMessage({ channel, text: "hi" });
    const res = await postSlackTo((request) => fetchWith({ PI_BACKEND_URL: LEAKY_URL }, request), payload);
    await expectConfigError(res, "PI_BACKEND_URL");
    expect(await env.CHAT_SESSION.getByName(`slack:${TEAM}:${channel}`).getMessage(`slack-${payload.event_id}`)).toBeNull();
    expect(await backendLog(`slack:${TEAM}:${channel}`)).toEqual([]);
  });
});
