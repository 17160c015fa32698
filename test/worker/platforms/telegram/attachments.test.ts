/** Telegram photos, documents and what the agent cannot take (voice notes, stickers, large files), against the fake Bot API. */
import { describe, expect, it } from "vitest";
import { backendLog } from "../../helpers";
import { postTelegram, randomId, runPendingTurns, settledMessage, telegramCalls, telegramFile, telegramUpdate } from "../helpers";

const MiB = 1024 * 1024;
const submits = async (chatId: number) => (await backendLog(`telegram:${chatId}`)).filter((e) => e.kind === "submit");
const sends = async (chatId: number) => (await telegramCalls(chatId)).filter((c) => c.method === "sendMessage");

async function sha256(bytes: Uint8Array): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A private-chat update whose message carries `fields` (photo, document, voice...) and, optionally, a caption. */
function mediaUpdate(chatId: number, fields: Record<string, unknown>, caption?: string) {
  const update = telegramUpdate({ chatId, text: "placeholder" });
  const message = update.message as Record<string, unknown>;
  delete message.text;
  Object.assign(message, fields);
  if (caption !== undefined) message.caption = caption;
  return { update, messageId: message.message_id as number };
}

describe("Telegram photos and files", () => {
  it("sends the largest photo size under 5 MiB to the agent as an image, with the caption, and answers", async () => {
    const chatId = randomId();
    const medium = crypto.getRandomValues(new Uint8Array(50_000));
    await telegramFile(`m-${chatId}`, medium);
    const photo = [
      { file_id: `s-${chatId}`, file_unique_id: "s", file_size: 1_000, width: 90, height: 60 },
      { file_id: `m-${chatId}`, file_unique_id: "m", file_size: 50_000, width: 800, height: 600 },
      { file_id: `h-${chatId}`, file_unique_id: "h", file_size: 6 * MiB, width: 4000, height: 3000 },
    ];
    const { update, messageId } = mediaUpdate(chatId, { photo }, "what is in this picture?");
    expect((await postTelegram(update)).status).toBe(200);
    const done = await settledMessage(`telegram:${chatId}`, `tg-${update.update_id}`);
    expect(done).toMatchObject({
      state: "done",
      reply: `echo: what is in this picture? [image photo-${messageId}.jpg]`,
      attachments: [{ kind: "image", name: `photo-${messageId}.jpg`, mimeType: "image/jpeg", size: 50_000 }],
    });
    const [submit] = await submits(chatId);
    expect(submit?.message).toBe("what is in this picture?");
    expect(submit?.attachments).toEqual([
      { kind: "image", name: `photo-${messageId}.jpg`, mimeType: "image/jpeg", bytes: medium.length, sha256: await sha256(medium) },
    ]);
    expect((await sends(chatId)).map((c) => c.body.text)).toEqual([`echo: what is in this picture? [image photo-${messageId}.jpg]`]);
  });

  it("takes a photo without a caption", async () => {
    const chatId = randomId();
    const { update } = mediaUpdate(chatId, {
      photo: [{ file_id: "AgACAgIAAxkBAAIB", file_unique_id: "AQADx", file_size: 70, width: 1, height: 1 }],
    });
    expect((await postTelegram(update)).status).toBe(200);
    expect(await settledMessage(`telegram:${chatId}`, `tg-${update.update_id}`)).toMatchObject({ state: "done" });
    const [submit] = await submits(chatId);
    expect(submit?.message).toBe("");
    expect(submit?.attachments).toMatchObject([{ kind: "image", mimeType: "image/jpeg", bytes: 70 }]);
  });

  it("stores a document as a file and an image document as an image", async () => {
    const chatId = randomId();
    const pdf = new TextEncoder().encode("%PDF-1.4 fake");
    await telegramFile(`pdf-${chatId}`, pdf);
    const doc = {
      file_id: `pdf-${chatId}`,
      file_unique_id: "p",
      file_name: "../Report 2026.pdf",
      mime_type: "application/pdf",
      file_size: pdf.length,
    };
    const first = mediaUpdate(chatId, { document: doc }, "summarise");
    await postTelegram(first.update);
    expect(await settledMessage(`telegram:${chatId}`, `tg-${first.update.update_id}`)).toMatchObject({
      state: "done",
      attachments: [{ kind: "file", name: "Report 2026.pdf", mimeType: "application/pdf", size: pdf.length }],
    });
    expect((await submits(chatId))[0]?.attachments).toEqual([
      { kind: "file", name: "Report 2026.pdf", mimeType: "application/pdf", bytes: pdf.length, sha256: await sha256(pdf) },
    ]);

    const png = Uint8Array.from(
      atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="),
      (c) => c.charCodeAt(0),
    );
    await telegramFile(`png-${chatId}`, png);
    const second = mediaUpdate(chatId, {
      document: { file_id: `png-${chatId}`, file_unique_id: "q", file_name: "screen.png", mime_type: "image/png", file_size: png.length },
    });
    await postTelegram(second.update);
    await settledMessage(`telegram:${chatId}`, `tg-${second.update.update_id}`);
    expect((await submits(chatId))[1]?.attachments).toMatchObject([{ kind: "image", name: "screen.png", mimeType: "image/png" }]);
  });

  it.each([
    [
      "a voice note",
      { voice: { file_id: "v", file_unique_id: "v", duration: 3, mime_type: "audio/ogg" } },
      "Voice notes are not supported",
    ],
    [
      "a sticker",
      { sticker: { file_id: "s", file_unique_id: "s", type: "regular", width: 512, height: 512, is_animated: false, is_video: false } },
      "Stickers are not supported",
    ],
    ["a video", { video: { file_id: "v", file_unique_id: "v", width: 1, height: 1, duration: 1 } }, "Videos are not supported"],
    [
      "a document over 10 MiB",
      { document: { file_id: "d", file_unique_id: "d", file_name: "huge.zip", file_size: 11 * MiB } },
      "huge.zip is 11 MiB: files up to 10 MiB",
    ],
  ])("answers %s with one line saying it is not supported, once across redeliveries, and starts no turn", async (_what, fields, line) => {
    const chatId = randomId();
    const { update } = mediaUpdate(chatId, fields);
    for (let i = 0; i < 3; i++) expect((await postTelegram(update)).status).toBe(200);
    const sent = await sends(chatId);
    expect(sent).toHaveLength(1);
    expect(String(sent[0]!.body.text)).toContain(line);
    expect(sent[0]!.body).toMatchObject({ reply_parameters: { message_id: (update.message as { message_id: number }).message_id } });
    expect(await runPendingTurns(`telegram:${chatId}`)).toBe(0);
    expect(await submits(chatId)).toHaveLength(0);
  });

  it("tells the chat when the file cannot be downloaded, instead of losing the message", async () => {
    const chatId = randomId();
    const { update } = mediaUpdate(chatId, {
      document: { file_id: `gone-${chatId}`, file_unique_id: "g", file_name: "gone.txt", mime_type: "text/plain", file_size: 5 },
    });
    await postTelegram(update);
    const failed = await settledMessage(`telegram:${chatId}`, `tg-${update.update_id}`);
    expect(failed).toMatchObject({
      state: "failed",
      error: expect.stringMatching(/^attachment_unavailable: gone.txt: Telegram getFile failed/),
    });
    expect(await submits(chatId)).toHaveLength(0);
    const sent = await sends(chatId);
    expect(String(sent.at(-1)?.body.text)).toContain("(attachment_unavailable)");
    expect(String(sent.at(-1)?.body.text)).toContain("could not be downloaded");
  });

  it("ignores a photo in a group that is not addressed to the bot", async () => {
    const chatId = -randomId();
    const update = telegramUpdate({ chatId, text: "x", chatType: "supergroup" });
    const message = update.message as Record<string, unknown>;
    delete message.text;
    message.photo = [{ file_id: "AgACAgIAAxkBAAIB", file_unique_id: "AQADx", file_size: 70, width: 1, height: 1 }];
    expect((await postTelegram(update)).status).toBe(200);
    expect(await submits(chatId)).toHaveLength(0);
    expect(await telegramCalls(chatId)).toHaveLength(0);
  });
});
