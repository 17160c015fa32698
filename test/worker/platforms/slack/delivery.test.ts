/** Slack replies end to end: posted once, then chat.update at most once per second, Retry-After honoured, long replies split. */
import { describe, expect, it, vi } from "vitest";
import { loggedCalls } from "../../../fixtures/log-lines";
import { script } from "../../helpers";
import { failSlack, postSlack, settledMessage, slackCalls, slackChannel, slackDirectMessage, slackMention, TEAM } from "../helpers";

const messageCalls = async (channel: string) =>
  (await slackCalls(channel)).filter((c) => c.method === "chat.postMessage" || c.method === "chat.update");
const gaps = (calls: { at: number }[]) => calls.slice(1).map((c, i) => c.at - calls[i]!.at);

describe("streaming a reply into Slack", () => {
  it("posts once, then updates that message at most once per second, honouring Retry-After", async () => {
    const channel = slackChannel("C");
    const payload = slackMention({ channel, text: "<@U0LAN0Z89> stream" });
    const chatKey = `slack:${TEAM}:${channel}:${payload.event.ts}`;
    const deltas = Array.from({ length: 10 }, (_, i) => `chunk${i} `);
    await script(chatKey, { deltas, deltaDelayMs: 300 });
    await failSlack({ channel, method: "chat.update", status: 429, retryAfter: 2 });
    expect((await postSlack(payload)).status).toBe(200);
    expect(await settledMessage(chatKey, `slack-${payload.event_id}`, 25_000)).toMatchObject({ state: "done" });

    const calls = await messageCalls(channel);
    const postsMade = calls.filter((c) => c.method === "chat.postMessage");
    expect(postsMade).toHaveLength(1);
    expect(postsMade[0]!.body.thread_ts).toBe(payload.event.ts);
    const updates = calls.filter((c) => c.method === "chat.update");
    expect(updates.length).toBeGreaterThanOrEqual(2);
    for (const gap of gaps(calls)) expect(gap).toBeGreaterThanOrEqual(1000);
    const limited = calls.findIndex((c) => c.status === 429);
    expect(limited).toBeGreaterThan(0);
    expect(calls[limited + 1]!.at - calls[limited]!.at).toBeGreaterThanOrEqual(2000);
    // All updates edit the posted message; the last shows the whole reply.
    expect(new Set(updates.map((c) => c.body.ts))).toEqual(new Set([updates[0]!.body.ts]));
    expect(calls.at(-1)!.body.text).toBe(deltas.join(""));
  });

  it("splits a long reply into several messages in the DM", async () => {
    const channel = slackChannel("D");
    const chatKey = `slack:${TEAM}:${channel}`;
    const lines = Array.from({ length: 120 }, (_, i) => `line ${i} ${"x".repeat(60)}`);
    await script(chatKey, { deltas: [lines.join("\n")] });
    const payload = slackDirectMessage({ channel, text: "long" });
    await postSlack(payload);
    await settledMessage(chatKey, `slack-${payload.event_id}`, 25_000);
    const posted = (await slackCalls(channel)).filter((c) => c.method === "chat.postMessage");
    expect(posted.length).toBe(3);
    for (const call of posted) expect(String(call.body.text).length).toBeLessThanOrEqual(3900);
    expect(posted.map((c) => c.body.text).join("\n")).toBe(lines.join("\n"));
  });

  it("ends a failed turn in a channel thread with what was streamed, the code and a human reason, never the detail", async () => {
    const channel = slackChannel("C");
    const payload = slackMention({ channel, text: "<@U0LAN0Z89> crash please" });
    const chatKey = `slack:${TEAM}:${channel}:${payload.event.ts}`;
    const detail =
      "pi exited with code 1; stderr: TypeError: cannot read 'x' at " +
      "/srv/evie/node_modules/@mariozechner/pi-ai/dist/providers/anthropic.js:412";
    await script(chatKey, { deltas: ["Half an ", "answer"], error: { code: "process_crashed", message: detail } });
    const logged = vi.spyOn(console, "error");
    expect((await postSlack(payload)).status).toBe(200);
    const record = await settledMessage(chatKey, `slack-${payload.event_id}`, 25_000);
    expect(record).toMatchObject({ state: "failed", error: `process_crashed: ${detail}` });

    const calls = await messageCalls(channel);
    expect(calls.at(-1)!.body.text).toBe(
      'Half an answer\n\n⚠️ The agent failed (process_crashed): the agent\'s process stopped unexpectedly. Try again, or "new" ' +
        "to start over.",
    );
    for (const call of calls) {
      for (const leak of ["/srv/evie", "stderr", "TypeError", "node_modules"]) expect(JSON.stringify(call.body)).not.toContain(leak);
    }
    expect(loggedCalls(logged.mock.calls)).toContainEqual(
      expect.objectContaining({ level: "error", event: "turn.failed", chat: chatKey, code: "process_crashed", detail }),
    );
    logged.mockRestore();
  });
});
