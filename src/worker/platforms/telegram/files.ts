/**
 * Telegram photos and documents in: which a message carries (as references; the bytes are fetched
 * with getFile and the file link when the turn runs), and a one-line answer for what the agent cannot
 * take (voice notes, video, stickers, a file over 10 MiB...).
 */
import type { Message } from "@grammyjs/types";
import { GrammyError } from "grammy/web";
import { formatBytes, isPromptImageType, MAX_FILE_BYTES, MAX_IMAGE_BYTES, sanitizeAttachmentName } from "../../../shared/attachments";
import type { NewAttachment } from "../../chat/attachment-store";
import { AttachmentError } from "../../chat/turn-attachments";
import { required } from "../../config/config";
import type { Env } from "../../config/env";
import { downloadCapped } from "../attachment-download";
import { telegramApi, telegramApiRoot } from "./outbound";

/** What a message brings besides its text. */
export interface TelegramMedia {
  attachments: NewAttachment[];
  unsupported?: string;
}

interface TelegramRef {
  fileId: string;
}

const TRY_INSTEAD = "send text, a photo, or a file up to 10 MiB";

/** Kinds of message the agent cannot take, in the order Telegram's fields are checked (an animation also carries `document`). */
const UNSUPPORTED: Array<[keyof Message, string]> = [
  ["voice", "🎙 Voice notes are not supported yet: please type your message instead."],
  ["video_note", `🎬 Video messages are not supported: ${TRY_INSTEAD}.`],
  ["video", "🎬 Videos are not supported: send a photo, or the video as a file (up to 10 MiB)."],
  ["animation", `🎬 GIFs and animations are not supported: ${TRY_INSTEAD}.`],
  ["sticker", `Stickers are not supported: ${TRY_INSTEAD}.`],
  ["paid_media", `Paid media is not supported: ${TRY_INSTEAD}.`],
  ["story", `Stories are not supported: ${TRY_INSTEAD}.`],
  ["location", `Locations are not supported: ${TRY_INSTEAD}.`],
  ["venue", `Venues are not supported: ${TRY_INSTEAD}.`],
  ["contact", `Contacts are not supported: ${TRY_INSTEAD}.`],
  ["poll", `Polls are not supported: ${TRY_INSTEAD}.`],
  ["dice", `Dice are not supported: ${TRY_INSTEAD}.`],
  ["game", `Games are not supported: ${TRY_INSTEAD}.`],
  ["checklist", `Checklists are not supported: ${TRY_INSTEAD}.`],
];

/** The photo or document of `message`, or the line answering what it holds instead. */
export function telegramMedia(message: Message): TelegramMedia {
  for (const [field, answer] of UNSUPPORTED) if (message[field] !== undefined) return { attachments: [], unsupported: answer };
  const ref = (fileId: string) => JSON.stringify({ fileId } satisfies TelegramRef);
  if (message.photo?.length) {
    // Telegram sends each photo in several sizes: take the largest under the image limit (an unknown size may fit).
    const fitting = message.photo.filter((p) => (p.file_size ?? 0) <= MAX_IMAGE_BYTES);
    const photo = fitting.sort((a, b) => a.width * a.height - b.width * b.height).at(-1);
    if (!photo) return { attachments: [], unsupported: `📷 That photo is over ${formatBytes(MAX_IMAGE_BYTES)}: send a smaller one.` };
    return {
      attachments: [
        {
          kind: "image",
          name: `photo-${message.message_id}.jpg`,
          mimeType: "image/jpeg",
          ref: ref(photo.file_id),
          ...sized(photo.file_size),
        },
      ],
    };
  }
  const file = message.document ?? message.audio;
  if (file) {
    const name = sanitizeAttachmentName(file.file_name ?? "", `file-${message.message_id}`);
    if ((file.file_size ?? 0) > MAX_FILE_BYTES) {
      return {
        attachments: [],
        unsupported: `📎 ${name} is ${formatBytes(file.file_size!)}: files up to ${formatBytes(MAX_FILE_BYTES)} can be sent to the agent.`,
      };
    }
    // An image document goes in as an image when the model can take it; any other (or a large one) as a file.
    const image = isPromptImageType(file.mime_type) && (file.file_size ?? 0) <= MAX_IMAGE_BYTES;
    return {
      attachments: [
        {
          kind: image ? "image" : "file",
          name,
          ...(file.mime_type ? { mimeType: file.mime_type } : {}),
          ref: ref(file.file_id),
          ...sized(file.file_size),
        },
      ],
    };
  }
  return { attachments: [] };
}

/** Fetches a file: getFile for its path, then the file link, at most `maxBytes`. */
export async function downloadTelegramFile(env: Env, ref: string, maxBytes: number): Promise<Uint8Array> {
  const { fileId } = JSON.parse(ref) as TelegramRef;
  let path: string | undefined;
  try {
    const file = await telegramApi(env).getFile(fileId);
    if ((file.file_size ?? 0) > maxBytes) {
      throw new AttachmentError(
        "attachment_too_large",
        `the file is ${formatBytes(file.file_size!)}; at most ${formatBytes(maxBytes)} is accepted`,
      );
    }
    path = file.file_path;
  } catch (err) {
    if (err instanceof AttachmentError) throw err;
    const reason = err instanceof GrammyError ? err.description : (err as Error).message;
    throw new AttachmentError("attachment_unavailable", `Telegram getFile failed: ${reason}`);
  }
  if (!path)
    throw new AttachmentError("attachment_unavailable", "Telegram gave no file path (the file may be over its 20 MB download limit)");
  const url = `${telegramApiRoot(env)}/file/bot${required(env, "TELEGRAM_BOT_TOKEN")}/${path}`;
  return (await downloadCapped(url, {}, maxBytes, "Telegram's file server")).bytes;
}

function sized(size: number | undefined): { size?: number } {
  return size === undefined ? {} : { size };
}
