/**
 * The routes of each server the bad-input suite attacks, and how each authenticates. A branch that
 * adds a route adds it here, so the fuzz reaches it.
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { type FuzzTarget, idArbitrary, UNAUTHORIZED_MARKER } from "./requests";

/** The Worker's secrets as the fuzz stack configures them. */
export interface WorkerSecrets {
  apiToken: string;
  telegramSecret: string;
  slackSigningSecret: string;
}

/** Telegram chat ids of unauthorized updates: a turn in a `telegram:4242…` session started without auth. */
export const UNAUTHORIZED_TELEGRAM_CHAT = 424_200_000;
/** The Slack channel of unauthorized events. */
export const UNAUTHORIZED_SLACK_CHANNEL = "CNOAUTH1";
/** An allowed user on both platforms (ALLOWED_USERS), so only the credentials stand between a forged update and a turn. */
export const FUZZ_ALLOWED_USERS = "telegram:1001,slack:U0ALLOWED1";

const text = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom("/new", "/stop", "/status", "/help", " ", ""));

function telegramUpdate(unauthorized: boolean): fc.Arbitrary<unknown> {
  return fc.record({
    update_id: fc.nat(),
    message: fc.record({
      message_id: fc.nat(),
      date: fc.constant(Math.floor(Date.now() / 1000)),
      chat: fc.record({
        id: unauthorized
          ? fc.integer({ min: UNAUTHORIZED_TELEGRAM_CHAT, max: UNAUTHORIZED_TELEGRAM_CHAT + 999 })
          : fc.integer({ min: 7000, max: 7009 }),
        type: fc.constantFrom("private", "group", "supergroup", "channel", "weird"),
      }),
      from: fc.record({ id: fc.constantFrom(1001, 1002, 999), is_bot: fc.boolean(), first_name: fc.constant("Fuzz") }),
      text,
    }),
  });
}

function slackEvent(unauthorized: boolean): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.record({
      type: fc.constant("event_callback"),
      team_id: fc.constant("T0FUZZ"),
      event_id: fc.stringMatching(/^Ev[A-Z0-9]{6}$/),
      event: fc.record({
        type: fc.constantFrom("message", "app_mention", "reaction_added"),
        channel: unauthorized ? fc.constant(UNAUTHORIZED_SLACK_CHANNEL) : fc.constantFrom("CFUZZ1", "CFUZZ2"),
        user: fc.constantFrom("U0ALLOWED1", "U0OTHER"),
        text,
        ts: fc.nat().map((n) => `${1_700_000_000 + n}.000100`),
        channel_type: fc.constantFrom("im", "channel"),
        subtype: fc.option(fc.constantFrom("bot_message", "message_changed"), { freq: 5 }),
      }),
    }),
    fc.record({ type: fc.constant("url_verification"), challenge: fc.string({ maxLength: 20 }) }),
  );
}

/** The Worker: the HTTP API, both webhooks, health. */
export function workerTarget(secrets: WorkerSecrets): FuzzTarget {
  const chatMessage = (unauthorized: boolean) => fc.record({ text: unauthorized ? fc.constant(`[${UNAUTHORIZED_MARKER}] hello`) : text });
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  return {
    name: "worker",
    routes: [
      { method: "GET", template: "/healthz" },
      { method: "POST", template: "/api/chats/{id}/messages", validBody: chatMessage },
      { method: "GET", template: "/api/chats/{id}/messages/{id}" },
      { method: "GET", template: "/api/chats/{id}/messages" },
      { method: "GET", template: "/api/chats/{id}" },
      {
        method: "PATCH",
        template: "/api/chats/{id}",
        validBody: () => fc.record({ queueMode: fc.constantFrom("followup", "collect", "bogus") }),
      },
      { method: "GET", template: "/api/status" },
      { method: "GET", template: "/api/status/{id}" },
      { method: "POST", template: "/webhooks/telegram", validBody: telegramUpdate },
      { method: "POST", template: "/webhooks/slack", validBody: slackEvent },
    ],
    authorize(_method, target, body): Record<string, string> {
      if (target.startsWith("/webhooks/telegram")) return { "X-Telegram-Bot-Api-Secret-Token": secrets.telegramSecret };
      if (target.startsWith("/webhooks/slack")) {
        const timestamp = String(Math.floor(Date.now() / 1000));
        const signature = createHmac("sha256", secrets.slackSigningSecret)
          .update(`v0:${timestamp}:${body ?? ""}`)
          .digest("hex");
        return { "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": `v0=${signature}` };
      }
      return bearer(secrets.apiToken);
    },
    forged: fc.oneof(
      fc.constant({}),
      fc.constantFrom(
        bearer(`${secrets.apiToken}x`),
        bearer(secrets.apiToken.slice(0, -1)),
        { Authorization: secrets.apiToken },
        { Authorization: `Basic ${secrets.apiToken}` },
        { Authorization: `bearer  ${secrets.apiToken} extra` },
        { "X-Telegram-Bot-Api-Secret-Token": `${secrets.telegramSecret}-` },
        { "X-Telegram-Bot-Api-Secret-Token": "" },
        { "X-Slack-Request-Timestamp": String(Math.floor(Date.now() / 1000)), "X-Slack-Signature": "v0=00" },
        { "X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=deadbeef" },
        { "X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "" },
      ),
      fc.string({ maxLength: 40 }).map((s) => ({ Authorization: `Bearer ${s.replace(/[^\x20-\x7e]/g, "")}` })),
    ),
    maxBodyBytes: 70_000,
    // workerd's dev server answers before the Worker runs: 501 for a method it does not know
    // (`FZB /api/status`), and a plain-text 500 for a target that is not a path (`*`, the absolute
    // form), after logging kj's "invalid URL". The Worker's own errors are always JSON.
    isRuntimeRefusal: (request, status, body) =>
      (status === 501 && body.startsWith("ERROR: Unrecognized request method")) ||
      (status === 500 && !request.target.startsWith("/") && (body === "Internal Server Error" || body === "")),
  };
}

/** The pi server: protocol v1. Authorized turns go to a small pool of sessions, so pi is started a few times only. */
export function backendTarget(token: string): FuzzTarget {
  // Turns run in two sessions; DELETE and reset aim at one that never runs any, so pi is not
  // restarted hundreds of times (each start costs about a second of CPU).
  const live = ["fz-a", "fz-b"];
  const idle = ["fz-idle"];
  const submit = (unauthorized: boolean) =>
    fc.record({
      turnId: unauthorized ? idArbitrary(true) : fc.stringMatching(/^t[a-z0-9]{1,8}$/),
      message: unauthorized ? fc.constant(`[${UNAUTHORIZED_MARKER}] run something`) : fc.string({ minLength: 1, maxLength: 40 }),
    });
  return {
    name: "pi server",
    routes: [
      { method: "GET", template: "/healthz" },
      { method: "GET", template: "/v1/sessions" },
      { method: "POST", template: "/v1/sessions/{id}/turns", validBody: submit, authorizedIds: live },
      { method: "GET", template: "/v1/sessions/{id}/turns/{id}/events", authorizedIds: [...live, "t1", "ta"] },
      {
        method: "POST",
        template: "/v1/sessions/{id}/steer",
        validBody: () => fc.record({ message: fc.string({ maxLength: 20 }) }),
        authorizedIds: live,
      },
      { method: "POST", template: "/v1/sessions/{id}/abort", validBody: () => fc.constant({}), authorizedIds: live },
      { method: "POST", template: "/v1/sessions/{id}/reset", validBody: () => fc.constant({}), authorizedIds: idle },
      { method: "DELETE", template: "/v1/sessions/{id}", authorizedIds: idle },
    ],
    authorize: () => ({ Authorization: `Bearer ${token}` }),
    forged: fc.oneof(
      fc.constant({}),
      fc.constantFrom(
        { Authorization: `Bearer ${token}x` },
        { Authorization: `Bearer ${token.slice(0, -1)}` },
        { Authorization: token },
        { Authorization: `Bearer ${token.toUpperCase()}` },
        { Authorization: "Bearer " },
      ),
      fc.string({ maxLength: 40 }).map((s) => ({ Authorization: `Bearer ${s.replace(/[^\x20-\x7e]/g, "")}` })),
    ),
    maxBodyBytes: 1024 * 1024 + 10,
  };
}
