/** `/queue` on Telegram and Slack, and a platform sender told when the chat's queue is full (never a silent drop). */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../../src/worker/index";
import { backendLog, control, script, waitFor } from "../helpers";
import {
  BOT_USERNAME,
  postSlack,
  postTelegram,
  randomId,
  SLACK_SIGNING_SECRET,
  settledMessage,
  slackCalls,
  slackChannel,
  slackDirectMessage,
  slackSignature,
  TEAM,
  telegramCalls,
  telegramCommand,
  telegramUpdate,
} from "./helpers";

const sends = async (chatId: number) => (await telegramCalls(chatId)).filter((c) => c.method === "sendMessage");
const modeOf = async (chatKey: string) => (await env.CHAT_SESSION.getByName(chatKey).overview()).queueMode;

describe("/queue on Telegram", () => {
  it("shows the mode, sets each mode, and refuses an unknown one without changing it", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    await postTelegram(telegramCommand(chatId, "/queue"));
    const shown = await waitFor(async () => (await sends(chatId)).find((c) => String(c.body.text).startsWith("Queue mode:")));
    expect(shown.body.text).toContain("Queue mode: followup");
    expect(shown.body.text).toContain("/queue interrupt:");

    await postTelegram(telegramCommand(chatId, "/queue collect"));
    await waitFor(async () => (await sends(chatId)).find((c) => String(c.body.text).startsWith("Queue mode set to collect")));
    expect(await modeOf(chatKey)).toBe("collect");

    await postTelegram(telegramCommand(chatId, `/queue@${BOT_USERNAME} STEER`));
    await waitFor(async () => (await sends(chatId)).find((c) => String(c.body.text).startsWith("Queue mode set to steer")));
    expect(await modeOf(chatKey)).toBe("steer");

    await postTelegram(telegramCommand(chatId, "/queue fifo"));
    const refused = await waitFor(async () => (await sends(chatId)).find((c) => String(c.body.text).includes('no queue mode "fifo"')));
    expect(refused.body.text).toContain("/queue followup:");
    expect(await modeOf(chatKey)).toBe("steer");
    // Commands start no turn.
    expect((await backendLog(chatKey)).filter((e) => e.kind === "submit")).toHaveLength(0);
  });

  it("/help lists /queue", async () => {
    const chatId = randomId();
    await postTelegram(telegramCommand(chatId, "/help"));
    const help = await waitFor(async () => (await sends(chatId)).find((c) => String(c.body.text).includes("/stop:")));
    expect(help.body.text).toContain("/queue [followup|collect|steer|interrupt]");
  });
});

describe("queue on Slack", () => {
  it("sets the mode from a DM word; more words than a mode make it a message for the agent", async () => {
    const channel = slackChannel("D");
    const chatKey = `slack:${TEAM}:${channel}`;
    await postSlack(slackDirectMessage({ channel, text: "queue interrupt" }));
    await waitFor(async () =>
      (await slackCalls(channel)).find(
        (c) => c.method === "chat.postMessage" && String(c.body.text).startsWith("Queue mode set to interrupt"),
      ),
    );
    expect(await modeOf(chatKey)).toBe("interrupt");

    const message = slackDirectMessage({ channel, text: "queue the build for tonight" });
    await postSlack(message);
    expect(await settledMessage(chatKey, `slack-${message.event_id}`)).toMatchObject({
      state: "done",
      reply: "echo: queue the build for tonight",
    });
    expect(await modeOf(chatKey)).toBe("interrupt");
  });

  it("answers `/evie queue collect` in the slash command's response", async () => {
    const channel = slackChannel("D");
    const body = new URLSearchParams({
      team_id: TEAM,
      channel_id: channel,
      user_id: "U0ALLOWED1",
      command: "/evie",
      text: "queue collect",
      trigger_id: `13345224609.738474920.${randomId()}`,
    }).toString();
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers = {
      "content-type": "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": timestamp,
      "x-slack-signature": await slackSignature(SLACK_SIGNING_SECRET, timestamp, body),
    };
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request("https://evie.test/webhooks/slack", { method: "POST", headers, body }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ response_type: "ephemeral", text: expect.stringMatching(/^Queue mode set to collect/) });
    expect(await modeOf(`slack:${TEAM}:${channel}`)).toBe("collect");
  });
});

describe("queue modes on Telegram", () => {
  it("steer: the webhook acknowledges first, then the message goes into the running turn, whose one reply answers both", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    await postTelegram(telegramCommand(chatId, "/queue steer"));
    await waitFor(async () => (await modeOf(chatKey)) === "steer");
    await script(chatKey, { deltas: ["on it"], hold: true });
    const job = telegramUpdate({ chatId, text: "build it" });
    await postTelegram(job);
    await waitFor(async () => (await backendLog(chatKey)).some((e) => e.kind === "turn_start"));
    await script(chatKey, {});

    const steer = telegramUpdate({ chatId, text: "use the blue one" });
    expect((await postTelegram(steer)).status).toBe(200);
    expect(await settledMessage(chatKey, `tg-${steer.update_id}`)).toMatchObject({ state: "merged", mergedInto: `tg-${job.update_id}` });
    expect((await backendLog(chatKey)).filter((e) => e.kind === "steer").map((e) => e.message)).toEqual(["use the blue one"]);
    await control("release", { sessionId: chatKey });
    expect(await settledMessage(chatKey, `tg-${job.update_id}`)).toMatchObject({ state: "done", reply: "on it" });
    expect((await backendLog(chatKey)).filter((e) => e.kind === "submit")).toHaveLength(1);
  });
});

describe("collect and /new on Telegram", () => {
  it("never merges across a /new: messages before it go to the old conversation, after it to the new one", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    await postTelegram(telegramCommand(chatId, "/queue collect"));
    await waitFor(async () => (await modeOf(chatKey)) === "collect");
    // Every turn is held open until released, so each batch arrives while a turn runs.
    await script(chatKey, { deltas: ["held"], hold: true });
    const turnStarts = async () => (await backendLog(chatKey)).filter((x) => x.kind === "turn_start").length;
    const first = telegramUpdate({ chatId, text: "one" });
    await postTelegram(first);
    await waitFor(async () => (await turnStarts()) === 1);
    const [b, c] = [telegramUpdate({ chatId, text: "b" }), telegramUpdate({ chatId, text: "c" })];
    await postTelegram(b);
    await postTelegram(c);
    // /new aborts the held turn and queues the reset behind b and c; b+c then run as one held turn.
    await postTelegram(telegramCommand(chatId, "/new"));
    await waitFor(async () => (await turnStarts()) === 2);
    const [d, e] = [telegramUpdate({ chatId, text: "d" }), telegramUpdate({ chatId, text: "e" })];
    await postTelegram(d);
    await postTelegram(e);
    await script(chatKey, {});
    await control("release", { sessionId: chatKey });

    expect(await settledMessage(chatKey, `tg-${first.update_id}`)).toMatchObject({ state: "aborted" });
    expect(await settledMessage(chatKey, `tg-${b.update_id}`)).toMatchObject({ state: "done", reply: "held" });
    expect(await settledMessage(chatKey, `tg-${c.update_id}`)).toMatchObject({ state: "merged", mergedInto: `tg-${b.update_id}` });
    expect(await settledMessage(chatKey, `tg-${d.update_id}`)).toMatchObject({ state: "done", reply: "echo: d\n\ne" });
    expect(await settledMessage(chatKey, `tg-${e.update_id}`)).toMatchObject({ state: "merged", mergedInto: `tg-${d.update_id}` });
    const order = (await backendLog(chatKey)).filter((x) => x.kind === "submit" || x.kind === "reset").map((x) => x.kind);
    expect(order).toEqual(["submit", "submit", "reset", "submit"]);
  });
});

describe("a full queue on Telegram", () => {
  it("tells the sender the message was not queued, once however often it is redelivered, and stores nothing", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    await script(chatKey, { deltas: ["busy"], hold: true });
    await postTelegram(telegramUpdate({ chatId, text: "long job" }));
    await waitFor(async () => (await backendLog(chatKey)).some((e) => e.kind === "turn_start"));
    await script(chatKey, {});
    for (let i = 0; i < 20; i++) expect((await postTelegram(telegramUpdate({ chatId, text: `waiting ${i}` }))).status).toBe(200);

    const extra = telegramUpdate({ chatId, text: "one too many" });
    for (let i = 0; i < 3; i++) expect((await postTelegram(extra)).status).toBe(200);
    const notice = await waitFor(async () => (await sends(chatId)).find((c) => String(c.body.text).includes("Not queued")));
    expect(notice.body.text).toContain("20 messages are already waiting");
    expect(notice.body.reply_parameters ?? notice.body.reply_to_message_id).toBeTruthy();
    expect(await env.CHAT_SESSION.getByName(chatKey).getMessage(`tg-${extra.update_id}`)).toBeNull();

    await control("release", { sessionId: chatKey });
    await waitFor(async () => (await env.CHAT_SESSION.getByName(chatKey).overview()).counts.done === 21, 30_000, "21 turns");
    expect((await sends(chatId)).filter((c) => String(c.body.text).includes("Not queued"))).toHaveLength(1);
  });
});
