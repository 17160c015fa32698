/** Dialog buttons and agent commands in Slack: block_actions (signed, allowlisted, once per press) against the fake Web API. */
import { describe, expect, it } from "vitest";
import type { RecordedCall } from "../../../fixtures/fake-platform-api";
import { backendLog, script, waitFor } from "../../helpers";
import {
  ALLOWED_SLACK_USER,
  postSlack,
  postSlackForm,
  settledMessage,
  slackCalls,
  slackChannel,
  slackDirectMessage,
  slackMention,
  slackTs,
  TEAM,
} from "../helpers";

type Block = { type: string; elements?: { type: string; text: { text: string }; value: string; action_id: string }[] };
const buttonsOf = (call: RecordedCall) => ((call.body.blocks as Block[] | undefined) ?? []).flatMap((b) => b.elements ?? []);
const withButtons = (channel: string) =>
  waitFor(
    async () => (await slackCalls(channel)).find((c) => c.method === "chat.postMessage" && buttonsOf(c).length > 0),
    15_000,
    "buttons",
  );

/** A block_actions interaction for a press of `button` under message `messageTs`. */
function pressForm(
  channel: string,
  messageTs: string,
  value: string,
  options: { user?: string; threadTs?: string; actionTs?: string } = {},
) {
  const payload = {
    type: "block_actions",
    user: { id: options.user ?? ALLOWED_SLACK_USER, username: "ada", team_id: TEAM },
    api_app_id: "A0PNCHHK2",
    team: { id: TEAM, domain: "evie" },
    container: { type: "message", message_ts: messageTs, channel_id: channel, is_ephemeral: false, thread_ts: options.threadTs },
    trigger_id: `${Date.now()}.trigger`,
    channel: { id: channel, name: "directmessage" },
    message: { type: "message", ts: messageTs, thread_ts: options.threadTs, text: "?" },
    actions: [
      { action_id: "evie_choice_0_0", block_id: "evie_choices_0", value, type: "button", action_ts: options.actionTs ?? slackTs() },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) });
}

describe("extension dialogs in Slack", () => {
  it("shows a confirm as block buttons; a signed press from an allowed user answers it once", async () => {
    const channel = slackChannel("D");
    const chatKey = `slack:${TEAM}:${channel}`;
    await script(chatKey, { deltas: ["checking"], dialog: { kind: "confirm", title: "Allow rm?", message: "rm -rf build" } });
    const event = slackDirectMessage({ channel, text: "clean up" });
    expect((await postSlack(event)).status).toBe(200);
    const prompt = await withButtons(channel);
    expect(String(prompt.body.text)).toContain("Allow rm?");
    const [yes, no] = buttonsOf(prompt);
    expect([yes!.text.text, no!.text.text]).toEqual(["Yes", "No"]);
    const ts = "1700000000.000100";
    // Forged: a bad signature is refused; a stranger's signed press changes nothing.
    expect((await postSlackForm(pressForm(channel, ts, yes!.value), { signature: `v0=${"0".repeat(64)}` })).status).toBe(401);
    expect((await postSlackForm(pressForm(channel, ts, no!.value, { user: "U0STRANGER" }))).status).toBe(200);
    // Slack retries a press it thinks went unanswered: same action_ts, answered once.
    const press = pressForm(channel, ts, yes!.value, { actionTs: "1700000001.000001" });
    expect((await postSlackForm(press)).status).toBe(200);
    expect((await postSlackForm(press)).status).toBe(200);
    const record = await settledMessage(chatKey, `slack-${event.event_id}`, 25_000);
    expect(record).toMatchObject({ state: "done", reply: 'checking\n(answer: {"confirmed":true})' });
    expect((await backendLog(chatKey)).filter((e) => e.kind === "ui_answer").map((e) => e.answer)).toEqual([{ confirmed: true }]);
    const update = await waitFor(
      async () => (await slackCalls(channel)).find((c) => c.method === "chat.update" && String(c.body.text).includes("✅ Yes")),
      10_000,
      "the dialog message to show the answer",
    );
    expect(buttonsOf(update)).toEqual([]);
  });

  it("answers a dialog in a channel thread: the press names the thread, which is the chat", async () => {
    const channel = slackChannel("C");
    const threadTs = slackTs();
    const chatKey = `slack:${TEAM}:${channel}:${threadTs}`;
    await script(chatKey, { deltas: ["ok"], dialog: { kind: "select", title: "Which?", options: ["left", "right"] } });
    const mention = slackMention({ channel, text: "<@U0BOT> go", threadTs });
    await postSlack(mention);
    const prompt = await withButtons(channel);
    expect(prompt.body.thread_ts).toBe(threadTs);
    const right = buttonsOf(prompt).find((b) => b.text.text === "right")!;
    await postSlackForm(pressForm(channel, "1700000000.000200", right.value, { threadTs }));
    expect(await settledMessage(chatKey, `slack-${mention.event_id}`, 25_000)).toMatchObject({ reply: 'ok\n(answer: {"value":"right"})' });
  });
});

describe("agent commands in Slack", () => {
  it("model lists buttons, model <name> switches, stats answers; a sentence starting with a command word is a prompt", async () => {
    const channel = slackChannel("D");
    const chatKey = `slack:${TEAM}:${channel}`;
    await postSlack(slackDirectMessage({ channel, text: "model" }));
    const list = await withButtons(channel);
    expect(buttonsOf(list).map((b) => b.value)).toEqual(["cmd:model:fake/fake-1", "cmd:model:fake/fake-2"]);
    await postSlack(slackDirectMessage({ channel, text: "model fake-2" }));
    await postSlack(slackDirectMessage({ channel, text: "stats" }));
    const texts = (await slackCalls(channel)).filter((c) => c.method === "chat.postMessage").map((c) => String(c.body.text));
    expect(texts).toContainEqual(expect.stringContaining("Model: Fake Two (fake/fake-2)."));
    expect(texts).toContainEqual(expect.stringContaining("Tokens: 1,200 in, 340 out"));
    const sentence = slackDirectMessage({ channel, text: "model the data as a graph please" });
    await postSlack(sentence);
    expect(await settledMessage(chatKey, `slack-${sentence.event_id}`, 25_000)).toMatchObject({
      reply: "echo: model the data as a graph please",
    });
    // Pressing a model button switches too, and the list becomes the outcome.
    await postSlackForm(pressForm(channel, "1700000000.000300", "cmd:model:fake/fake-1"));
    expect((await backendLog(chatKey)).filter((e) => e.kind === "set_model").map((e) => e.detail)).toEqual(["fake/fake-2", "fake/fake-1"]);
    expect((await slackCalls(channel)).find((c) => c.method === "chat.update")?.body.text).toContain("Model: Fake One");
  });
});
