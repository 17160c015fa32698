/** POST /webhooks/slack: request signing, url_verification, DMs and mentions, retries, bot loops, commands, allowlist. */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../../../src/worker/index";
import { slackSignatureValid } from "../../../../src/worker/platforms/slack/adapter";
import { backendLog, script, waitFor } from "../../helpers";
import {
  postSlack,
  randomId,
  runPendingTurns,
  SLACK_SIGNING_SECRET,
  settledMessage,
  slackCalls,
  slackChannel,
  slackDirectMessage,
  slackMention,
  slackSignature,
  TEAM,
} from "../helpers";

const submits = async (chatKey: string) => (await backendLog(chatKey)).filter((e) => e.kind === "submit");
const posts = async (channel: string) => (await slackCalls(channel)).filter((c) => c.method === "chat.postMessage");

describe("Slack request signing", () => {
  it("verifies Slack's documented example", async () => {
    const body = [
      "token=xyzz0WbapA4vBCDEFasx0q6G",
      "team_id=T1DC2JH3J",
      "team_domain=testteamnow",
      "channel_id=G8PSS9T3V",
      "channel_name=foobar",
      "user_id=U2CERLKJA",
      "user_name=roadrunner",
      "command=%2Fwebhook-collect",
      "text=",
      "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN",
      "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
    ].join("&");
    const signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    const secret = "8f742231b10e8888abcd99yyyzzz85a5";
    const bytes = new TextEncoder().encode(body);
    expect(await slackSignatureValid(secret, "1531420618", bytes, signature)).toBe(true);
    expect(await slackSignatureValid(secret, "1531420619", bytes, signature)).toBe(false);
    expect(await slackSignatureValid(secret, "1531420618", new TextEncoder().encode(`${body} `), signature)).toBe(false);
    expect(await slackSignatureValid("another-secret", "1531420618", bytes, signature)).toBe(false);
    expect(await slackSignature(secret, "1531420618", body)).toBe(signature);
  });

  const now = () => Math.floor(Date.now() / 1000);
  it.each([
    ["a forged signature", () => ({ signature: `v0=${"0".repeat(64)}` })],
    ["a missing signature", () => ({ signature: null })],
    ["a malformed signature", () => ({ signature: "v1=abc" })],
    ["a stale timestamp", () => ({ timestamp: now() - 6 * 60 })],
    ["a future-dated timestamp", () => ({ timestamp: now() + 6 * 60 })],
  ])("refuses %s with 401 and starts no turn", async (_what, options) => {
    const channel = slackChannel("D");
    const res = await postSlack(slackDirectMessage({ channel, text: "forged" }), options());
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "unauthorized" } });
    expect(await env.CHAT_SESSION.getByName(`slack:${TEAM}:${channel}`).snapshot()).toBeNull();
    expect(await submits(`slack:${TEAM}:${channel}`)).toHaveLength(0);
    expect(await slackCalls(channel)).toHaveLength(0);
  });

  it("refuses a body that differs from the signed one (a re-serialized body)", async () => {
    const channel = slackChannel("D");
    const payload = slackDirectMessage({ channel, text: "hi" });
    const timestamp = now();
    const signature = await slackSignature(SLACK_SIGNING_SECRET, String(timestamp), JSON.stringify(payload, null, 2));
    const res = await postSlack(payload, { timestamp, signature });
    expect(res.status).toBe(401);
  });

  it("answers 404 when Slack is not configured", async () => {
    for (const missing of ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"] as const) {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request("https://evie.test/webhooks/slack", { method: "POST", body: "{}" }),
        { ...env, [missing]: "" },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(404);
    }
  });

  it("answers url_verification with its challenge, and 400 for a signed body that is not JSON", async () => {
    const res = await postSlack({
      token: "Jhj5dZrVaK7ZwHHjRyZWjbDl",
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
      type: "url_verification",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
    const bad = await postSlack(null, { body: "{oops" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_json" } });
  });
});

describe("Slack messages", () => {
  it("answers a direct message in the DM, well inside 3 s, as mrkdwn", async () => {
    const channel = slackChannel("D");
    await script(`slack:${TEAM}:${channel}`, { deltas: ["**bold** and [a link](https://example.com)"] });
    const payload = slackDirectMessage({ channel, text: "format me" });
    const started = Date.now();
    const res = await postSlack(payload);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);
    await settledMessage(`slack:${TEAM}:${channel}`, `slack-${payload.event_id}`);
    const sent = await posts(channel);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toMatchObject({ channel, text: "*bold* and <https://example.com|a link>" });
    expect(sent[0]!.body.thread_ts).toBeUndefined();
  });

  it("answers a mention in a channel in its thread, keyed by the thread", async () => {
    const channel = slackChannel("C");
    const payload = slackMention({ channel, text: "<@U0LAN0Z89> is it everything a river should be?" });
    expect((await postSlack(payload)).status).toBe(200);
    const chatKey = `slack:${TEAM}:${channel}:${payload.event.ts}`;
    expect(await settledMessage(chatKey, `slack-${payload.event_id}`)).toMatchObject({
      reply: "echo: is it everything a river should be?",
    });
    const sent = await posts(channel);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body.thread_ts).toBe(payload.event.ts);

    // A later mention inside that thread is the same chat.
    const followUp = slackMention({ channel, text: "<@U0LAN0Z89> and a sea?", threadTs: String(payload.event.ts) });
    await postSlack(followUp);
    expect(await settledMessage(chatKey, `slack-${followUp.event_id}`)).toMatchObject({ reply: "echo: and a sea?" });
  });

  it("runs one turn for an event delivered again with X-Slack-Retry-Num", async () => {
    const channel = slackChannel("D");
    const payload = slackDirectMessage({ channel, text: "once please" });
    expect((await postSlack(payload)).status).toBe(200);
    const retries = await Promise.all([1, 2, 3, 4].map((retryNum) => postSlack(payload, { retryNum })));
    expect(retries.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await settledMessage(`slack:${TEAM}:${channel}`, `slack-${payload.event_id}`);
    expect(await runPendingTurns(`slack:${TEAM}:${channel}`)).toBe(0);
    expect(await submits(`slack:${TEAM}:${channel}`)).toHaveLength(1);
    expect(await posts(channel)).toHaveLength(1);
  });

  it.each([
    ["its own post (bot_id, no subtype)", { bot_id: "B0FAKE", user: "U0BOTUSER" }],
    ["another bot's message", { subtype: "bot_message", bot_id: "B0OTHER" }],
    ["an edit", { subtype: "message_changed" }],
    ["a join", { subtype: "channel_join" }],
  ])("ignores %s", async (_what, extra) => {
    const channel = slackChannel("D");
    const res = await postSlack(slackDirectMessage({ channel, text: "echo: hello", extra }));
    expect(res.status).toBe(200);
    expect(await env.CHAT_SESSION.getByName(`slack:${TEAM}:${channel}`).snapshot()).toBeNull();
    expect(await submits(`slack:${TEAM}:${channel}`)).toHaveLength(0);
    expect(await slackCalls(channel)).toHaveLength(0);
  });
});

describe("Slack commands and allowlist", () => {
  it("'stop' in a DM aborts the held-open turn at once and answers once", async () => {
    const channel = slackChannel("D");
    const chatKey = `slack:${TEAM}:${channel}`;
    await script(chatKey, { deltas: ["working"], hold: true });
    const job = slackDirectMessage({ channel, text: "long job" });
    await postSlack(job);
    await waitFor(async () => (await backendLog(chatKey)).some((e) => e.kind === "turn_start"));
    await script(chatKey, {});
    const stop = slackDirectMessage({ channel, text: "stop" });
    await postSlack(stop);
    await postSlack(stop, { retryNum: 1 });
    expect(await settledMessage(chatKey, `slack-${job.event_id}`)).toMatchObject({ state: "aborted" });
    await waitFor(async () => (await posts(channel)).find((c) => String(c.body.text).includes("Stopped the running turn")));
    expect((await backendLog(chatKey)).filter((e) => e.kind === "abort")).toHaveLength(1);
    expect((await posts(channel)).filter((c) => String(c.body.text).includes("Stopped the running turn"))).toHaveLength(1);
  });

  it("'status' right after a mention answers in the thread", async () => {
    const channel = slackChannel("C");
    const payload = slackMention({ channel, text: "<@U0LAN0Z89> status" });
    await postSlack(payload);
    const reply = await waitFor(async () => (await posts(channel)).find((c) => String(c.body.text).startsWith("Status:")));
    expect(reply.body.thread_ts).toBe(payload.event.ts);
    expect(reply.body.text).toContain("Backend session: released.");
  });

  it("tells a stranger in a channel, ephemerally and once an hour, that they are not authorized", async () => {
    const channel = slackChannel("C");
    const stranger = `U0STRANGER${randomId()}`;
    for (let i = 0; i < 3; i++)
      expect((await postSlack(slackMention({ channel, text: `<@U0LAN0Z89> hi ${i}`, user: stranger }))).status).toBe(200);
    const notice = await waitFor(async () => (await slackCalls(channel)).find((c) => c.method === "chat.postEphemeral"));
    expect(notice.body).toMatchObject({ channel, user: stranger });
    expect(notice.body.text).toContain(`your id is slack:${stranger}`);
    expect((await slackCalls(channel)).filter((c) => c.method === "chat.postEphemeral")).toHaveLength(1);
    expect(await posts(channel)).toHaveLength(0);
  });

  const slashCommand = (fields: Record<string, string>) =>
    new URLSearchParams({
      token: "gIkuvaNzQIHg97ATvDxqgjtO",
      team_id: TEAM,
      team_domain: "example",
      channel_id: slackChannel("D"),
      channel_name: "directmessage",
      user_id: "U0ALLOWED1",
      user_name: "ada",
      command: "/evie",
      text: "status",
      api_app_id: "A123456",
      response_url: "https://hooks.slack.com/commands/1234/5678",
      trigger_id: `13345224609.738474920.${randomId()}`,
      ...fields,
    }).toString();
  const postForm = async (body: string, signature?: string | null) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": timestamp };
    const sig = signature === undefined ? await slackSignature(SLACK_SIGNING_SECRET, timestamp, body) : signature;
    if (sig) headers["x-slack-signature"] = sig;
    return worker.fetch(new Request("https://evie.test/webhooks/slack", { method: "POST", headers, body }), env, createExecutionContext());
  };

  it("answers the /evie slash command in its response, only to the sender", async () => {
    const channel = slackChannel("D");
    const stop = await postForm(slashCommand({ channel_id: channel, text: "stop" }));
    expect(stop.status).toBe(200);
    expect(await stop.json()).toEqual({ response_type: "ephemeral", text: "Nothing was running." });
    const status = await postForm(slashCommand({ channel_id: channel, text: "status" }));
    expect(((await status.json()) as { text: string }).text).toMatch(/^Status: idle/);

    const unknown = await postForm(slashCommand({ text: "dance" }));
    expect(((await unknown.json()) as { text: string }).text).toMatch(/Unknown command "dance"[\s\S]*stop:/);
    const inChannel = await postForm(slashCommand({ channel_id: slackChannel("C"), text: "stop" }));
    expect(((await inChannel.json()) as { text: string }).text).toContain("mention me in the thread");
    const stranger = await postForm(slashCommand({ user_id: "U0STRANGER", text: "new" }));
    expect(((await stranger.json()) as { text: string }).text).toContain("your id is slack:U0STRANGER");
    expect((await postForm(slashCommand({ text: "new" }), `v0=${"f".repeat(64)}`)).status).toBe(401);
    expect(await slackCalls(channel)).toHaveLength(0);
  });
});
