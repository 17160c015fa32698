/**
 * Slack files in: which a message carries (as references; the bytes are downloaded from `url_private`
 * with the bot token when the turn runs), and a one-line answer for what the agent cannot take
 * (audio and video clips, external files, a file over 10 MiB). Needs the `files:read` scope.
 */
import { formatBytes, isPromptImageType, MAX_FILE_BYTES, MAX_IMAGE_BYTES, sanitizeAttachmentName } from "../../../shared/attachments";
import type { NewAttachment } from "../../chat/attachment-store";
import { AttachmentError } from "../../chat/turn-attachments";
import { required } from "../../config/config";
import type { Env } from "../../config/env";
import { downloadCapped } from "../attachment-download";

/** The fields of a Slack file object we read (https://api.slack.com/types/file). */
export interface SlackFile {
  id: string;
  name?: string;
  title?: string;
  mimetype?: string;
  filetype?: string;
  size?: number;
  mode?: string;
  url_private?: string;
}

interface SlackRef {
  id: string;
  url: string;
  /** The file's own type, so an HTML file is not taken for Slack's sign-in page. */
  mime?: string;
}

/** Where Slack serves files; the bot token is sent nowhere else (SLACK_API_BASE's host too, for a test double). */
const SLACK_FILES_ORIGIN = "https://files.slack.com";
const DEFAULT_API_BASE = "https://slack.com/api";

/** The files of a message, or the line answering what it holds instead. */
export function slackMedia(files: SlackFile[] | undefined): { attachments: NewAttachment[]; unsupported?: string } {
  const attachments: NewAttachment[] = [];
  for (const file of files ?? []) {
    const name = sanitizeAttachmentName(file.name ?? file.title ?? "", `file-${file.id}`);
    const mime = file.mimetype?.toLowerCase();
    if (mime?.startsWith("audio/") || mime?.startsWith("video/")) {
      return {
        attachments: [],
        unsupported: `🎙 Audio and video (${name}) are not supported: please type your message, or send a photo or a file.`,
      };
    }
    if (!file.url_private || file.mode === "external" || file.mode === "tombstone") {
      return {
        attachments: [],
        unsupported: `📎 ${name} is not a file stored in Slack, so the agent cannot read it: upload the file itself.`,
      };
    }
    if ((file.size ?? 0) > MAX_FILE_BYTES) {
      return {
        attachments: [],
        unsupported: `📎 ${name} is ${formatBytes(file.size!)}: files up to ${formatBytes(MAX_FILE_BYTES)} can be sent to the agent.`,
      };
    }
    const image = isPromptImageType(mime) && (file.size ?? 0) <= MAX_IMAGE_BYTES;
    attachments.push({
      kind: image ? "image" : "file",
      name,
      ...(mime ? { mimeType: mime } : {}),
      ...(file.size !== undefined ? { size: file.size } : {}),
      ref: JSON.stringify({ id: file.id, url: file.url_private, ...(mime ? { mime } : {}) } satisfies SlackRef),
    });
  }
  return { attachments };
}

/** Downloads a file from `url_private` with the bot token, at most `maxBytes`. */
export async function downloadSlackFile(env: Env, ref: string, maxBytes: number): Promise<Uint8Array> {
  const { id, url, mime } = JSON.parse(ref) as SlackRef;
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    throw new AttachmentError("attachment_unavailable", `Slack file ${id} has no valid url_private`);
  }
  const apiOrigin = new URL(env.SLACK_API_BASE || DEFAULT_API_BASE).origin;
  if (origin !== SLACK_FILES_ORIGIN && origin !== apiOrigin) {
    throw new AttachmentError(
      "attachment_unavailable",
      `Slack file ${id} is served from ${origin}, not ${SLACK_FILES_ORIGIN}: not sending the bot token there`,
    );
  }
  const headers = { authorization: `Bearer ${required(env, "SLACK_BOT_TOKEN")}` };
  // No redirects followed: the token goes to the file's own URL and nowhere else.
  const { bytes, contentType } = await downloadCapped(url, { headers, redirect: "manual" }, maxBytes, "Slack's file server");
  // Without the files:read scope Slack answers 200 with its sign-in page instead of the file.
  if (contentType?.startsWith("text/html") && mime !== "text/html" && looksLikeSignIn(bytes)) {
    throw new AttachmentError(
      "attachment_unavailable",
      "Slack answered with its sign-in page: give the app the files:read scope and reinstall it",
    );
  }
  return bytes;
}

function looksLikeSignIn(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 4096)).toLowerCase();
  return head.includes("<html") || head.includes("<!doctype html");
}
