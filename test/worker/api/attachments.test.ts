/** POST /api/chats/:chatId/messages with attachments: stored before the 202, sent with the turn, limits as 413. */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_FILE_BYTES, MAX_IMAGE_BYTES, toBase64 } from "../../../src/shared/attachments";
import { api, backendLog, freshChat, settled } from "../helpers";

/** A 1×1 PNG. */
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const b64 = (text: string) => btoa(text);

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const post = (chatId: string, body: unknown) => api(`/api/chats/${chatId}/messages`, { method: "POST", json: body });
const submitOf = async (chatId: string) => (await backendLog(`http:${chatId}`)).filter((e) => e.kind === "submit");

describe("attachments over the HTTP interface", () => {
  it("stores an image and a file with the message, sends them with the turn, and shows them on the record", async () => {
    const chat = freshChat();
    const res = await post(chat, {
      text: "what is this?",
      attachments: [
        { kind: "image", mimeType: "image/png", data: PNG, name: "dot.png" },
        { kind: "file", name: "notes.txt", mimeType: "text/plain", data: b64("some notes") },
      ],
    });
    expect(res.status).toBe(202);
    const { messageId } = (await res.json()) as { messageId: string };
    const done = await settled(chat, messageId);
    expect(done).toMatchObject({ state: "done", reply: "echo: what is this? [image dot.png] [file notes.txt]" });
    expect((done as unknown as { attachments: unknown }).attachments).toEqual([
      { kind: "image", name: "dot.png", mimeType: "image/png", size: 70 },
      { kind: "file", name: "notes.txt", mimeType: "text/plain", size: 10 },
    ]);
    const [submit] = await submitOf(chat);
    expect(submit?.message).toBe("what is this?");
    expect(submit?.attachments).toEqual([
      {
        kind: "image",
        name: "dot.png",
        mimeType: "image/png",
        bytes: 70,
        sha256: await sha256(Uint8Array.from(atob(PNG), (c) => c.charCodeAt(0))),
      },
      { kind: "file", name: "notes.txt", mimeType: "text/plain", bytes: 10, sha256: await sha256(new TextEncoder().encode("some notes")) },
    ]);
    // The bytes are dropped once the message is finished; what they were stays.
    const stub = env.CHAT_SESSION.getByName(`http:${chat}`);
    const left = await runInDurableObject(
      stub,
      (_o, state) => state.storage.sql.exec("SELECT COUNT(*) AS n FROM attachment_chunks").one().n,
    );
    expect(left).toBe(0);
  });

  it("carries a 6 MiB file intact (stored in several chunks) and a photo without text", async () => {
    const chat = freshChat();
    const bytes = new Uint8Array(6 * 1024 * 1024).map((_, i) => (i * 31) % 251);
    const res = await post(chat, { text: "", attachments: [{ kind: "file", name: "data.bin", data: toBase64(bytes) }] });
    expect(res.status).toBe(202);
    const { messageId } = (await res.json()) as { messageId: string };
    expect(await settled(chat, messageId)).toMatchObject({ state: "done" });
    const [submit] = await submitOf(chat);
    expect(submit?.attachments).toEqual([{ kind: "file", name: "data.bin", bytes: bytes.length, sha256: await sha256(bytes) }]);

    const photo = await post(chat, { text: "", attachments: [{ kind: "image", mimeType: "image/png", data: PNG }] });
    expect(photo.status).toBe(202);
    const record = await settled(chat, ((await photo.json()) as { messageId: string }).messageId);
    expect(record).toMatchObject({ state: "done", attachments: [{ kind: "image", name: "image-1.png" }] });
  });

  it("sanitises names: a path keeps only its last part, a hidden file loses its dot", async () => {
    const chat = freshChat();
    const res = await post(chat, {
      text: "x",
      attachments: [
        { kind: "file", name: "../../etc/passwd", data: b64("a") },
        { kind: "file", name: ".env", data: b64("b") },
        { kind: "file", name: "C:\\Users\\ada\\..", data: b64("c") },
      ],
    });
    expect(res.status).toBe(202);
    await settled(chat, ((await res.json()) as { messageId: string }).messageId);
    const [submit] = await submitOf(chat);
    expect(submit?.attachments?.map((a) => a.name)).toEqual(["passwd", "env", "file-3"]);
  });

  it.each([
    ["bad base64", { kind: "file", name: "x", data: "%%%%" }, "attachments.0.data"],
    ["an unknown kind", { kind: "voice", data: b64("x") }, "attachments.0.kind"],
    ["a file without a name", { kind: "file", data: b64("x") }, "attachments.0.name"],
    ["an image type models do not take", { kind: "image", mimeType: "image/tiff", data: b64("x") }, "attachments.0.mimeType"],
  ])("answers 400 invalid_field for %s", async (_what, attachment, field) => {
    const res = await post(freshChat(), { text: "x", attachments: [attachment] });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_field", field } });
  });

  it("answers 400 for no text and no attachments", async () => {
    const res = await post(freshChat(), { text: "", attachments: [] });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_field", field: "text" } });
  });

  it("answers 413 attachment_too_large past the limits, storing nothing", async () => {
    const chat = freshChat();
    const big = (n: number) => toBase64(new Uint8Array(n));
    const cases = [
      [{ kind: "image", mimeType: "image/png", data: big(MAX_IMAGE_BYTES + 1) }],
      [{ kind: "file", name: "big.bin", data: big(MAX_FILE_BYTES + 1) }],
      // 20.55 MiB in all: each fits, together they are over 20 MiB (and the body still under its limit).
      [1, 2, 3].map((i) => ({ kind: "file", name: `f${i}.bin`, data: big(Math.floor(6.85 * 1024 * 1024)) })),
    ];
    for (const attachments of cases) {
      const res = await post(chat, { text: "x", attachments });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ error: { code: "attachment_too_large" } });
    }
    // A body past API_MAX_MESSAGE_BODY_BYTES is refused before it is read whole.
    const huge = [1, 2, 3].map((i) => ({ kind: "file", name: `f${i}.bin`, data: big(MAX_FILE_BYTES - 1) }));
    const res = await post(chat, { text: "x", attachments: huge });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "payload_too_large" } });
    expect(await env.CHAT_SESSION.getByName(`http:${chat}`).snapshot()).toBeNull();
  });
});
