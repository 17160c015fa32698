/** Slack files (file_share messages, mentions with files) against the fake Web API and its file server. */
import { describe, expect, it } from "vitest";
import { backendLog } from "../../helpers";
import {
  postSlack,
  runPendingTurns,
  settledMessage,
  slackCalls,
  slackChannel,
  slackDirectMessage,
  slackFile,
  slackMention,
  TEAM,
} from "../helpers";

const submits = async (chatKey: string) => (await backendLog(chatKey)).filter((e) => e.kind === "submit");
const posts = async (channel: string) => (await slackCalls(channel)).filter((c) => c.method === "chat.postMessage");

async function sha256(bytes: Uint8Array): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A Slack file object as in a file_share event. */
function file(id: string, name: string, mimetype: string, size: number, url: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    name,
    title: name,
    mimetype,
    filetype: name.split(".").pop(),
    size,
    mode: "hosted",
    url_private: url,
    url_private_download: url,
    ...extra,
  };
}

const PNG = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="), (c) =>
  c.charCodeAt(0),
);

describe("Slack files", () => {
  it("answers a file_share message's text, with its image and its document downloaded with the bot token", async () => {
    const channel = slackChannel("D");
    const chatKey = `slack:${TEAM}:${channel}`;
    const doc = new TextEncoder().encode("a,b\n1,2\n");
    const files = [
      file(`F1${channel}`, "shot.png", "image/png", PNG.length, await slackFile(`F1${channel}`, "shot.png", PNG)),
      file(`F2${channel}`, "data.csv", "text/csv", doc.length, await slackFile(`F2${channel}`, "data.csv", doc)),
    ];
    const payload = slackDirectMessage({ channel, text: "what do these show?", extra: { subtype: "file_share", files, upload: false } });
    expect((await postSlack(payload)).status).toBe(200);
    const done = await settledMessage(chatKey, `slack-${payload.event_id}`);
    expect(done).toMatchObject({ state: "done", reply: "echo: what do these show? [image shot.png] [file data.csv]" });
    const [submit] = await submits(chatKey);
    expect(submit?.message).toBe("what do these show?");
    expect(submit?.attachments).toEqual([
      { kind: "image", name: "shot.png", mimeType: "image/png", bytes: PNG.length, sha256: await sha256(PNG) },
      { kind: "file", name: "data.csv", mimeType: "text/csv", bytes: doc.length, sha256: await sha256(doc) },
    ]);
    expect((await posts(channel)).map((c) => c.body.text)).toEqual(["echo: what do these show? [image shot.png] [file data.csv]"]);
  });

  it("answers a mention in a channel that carries a file, in its thread", async () => {
    const channel = slackChannel("C");
    const bytes = new TextEncoder().encode("notes");
    const event = slackMention({ channel, text: "<@U0LAN0Z89> read this" });
    (event.event as Record<string, unknown>).files = [
      file(`F3${channel}`, "notes.txt", "text/plain", 5, await slackFile(`F3${channel}`, "notes.txt", bytes)),
    ];
    await postSlack(event);
    const chatKey = `slack:${TEAM}:${channel}:${event.event.ts}`;
    expect(await settledMessage(chatKey, `slack-${event.event_id}`)).toMatchObject({
      state: "done",
      reply: "echo: read this [file notes.txt]",
    });
  });

  it.each([
    [
      "an audio clip",
      file("FA", "clip.webm", "audio/webm", 2000, "https://files.slack.com/x"),
      "Audio and video (clip.webm) are not supported",
    ],
    [
      "an external file",
      file("FE", "doc.gdoc", "application/vnd.google-apps.document", 10, "https://docs.google.com/x", { mode: "external" }),
      "not a file stored in Slack",
    ],
    [
      "a file over 10 MiB",
      file("FB", "dump.tar", "application/x-tar", 11 * 1024 * 1024, "https://files.slack.com/y"),
      "dump.tar is 11 MiB",
    ],
  ])("answers %s with one line, once across retries, and starts no turn", async (_what, f, line) => {
    const channel = slackChannel("D");
    const payload = slackDirectMessage({ channel, text: "here", extra: { subtype: "file_share", files: [f] } });
    for (const retryNum of [undefined, 1, 2]) expect((await postSlack(payload, { retryNum })).status).toBe(200);
    const sent = await posts(channel);
    expect(sent).toHaveLength(1);
    expect(String(sent[0]!.body.text)).toContain(line);
    expect(await runPendingTurns(`slack:${TEAM}:${channel}`)).toBe(0);
    expect(await submits(`slack:${TEAM}:${channel}`)).toHaveLength(0);
  });

  it("sends the bot token to Slack's file host only: a url_private elsewhere fails the message and the chat is told", async () => {
    const channel = slackChannel("D");
    const chatKey = `slack:${TEAM}:${channel}`;
    // The fake's own file server under another host name: a different origin, so no token goes there.
    const url = (await slackFile(`F4${channel}`, "a.txt", new TextEncoder().encode("x"))).replace("127.0.0.1", "localhost");
    const payload = slackDirectMessage({
      channel,
      text: "here",
      extra: { subtype: "file_share", files: [file(`F4${channel}`, "a.txt", "text/plain", 1, url)] },
    });
    await postSlack(payload);
    const failed = await settledMessage(chatKey, `slack-${payload.event_id}`);
    expect(failed).toMatchObject({ state: "failed", error: expect.stringContaining("not sending the bot token there") });
    expect(await submits(chatKey)).toHaveLength(0);
    expect(String((await posts(channel)).at(-1)?.body.text)).toContain("attachment_unavailable");
  });

  it("tells the chat when Slack answers with its sign-in page (no files:read scope)", async () => {
    const channel = slackChannel("D");
    const chatKey = `slack:${TEAM}:${channel}`;
    const url = await slackFile(`F5${channel}`, "x.txt", new TextEncoder().encode("x"), { signIn: true });
    const payload = slackDirectMessage({
      channel,
      text: "here",
      extra: { subtype: "file_share", files: [file("F5", "x.txt", "text/plain", 1, url)] },
    });
    await postSlack(payload);
    const failed = await settledMessage(chatKey, `slack-${payload.event_id}`);
    expect(failed.state).toBe("failed");
    expect(failed.error).toMatch(/^attachment_unavailable: x.txt: Slack answered with its sign-in page: give the app the files:read scope/);
  });
});
