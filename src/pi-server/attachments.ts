/**
 * A turn's attachments on the backend: images become pi prompt images (`ImageContent`, see pi's
 * docs/rpc.md `prompt`), files are written into the chat's workspace as `inbox/<name>` (0600) and
 * named in the prompt text, so the agent can open them with its tools.
 */
import { closeSync, constants, lstatSync, openSync, writeFileSync } from "node:fs";
import { extname, join } from "node:path";
import { formatBytes, fromBase64 } from "../shared/attachments";
import { log } from "../shared/log";
import type { TurnAttachment } from "../shared/protocol-schemas";
import { BackendError } from "./errors";
import { makePrivateDir, PRIVATE_FILE_MODE } from "./private-files";

/** An image as pi's RPC `prompt` command takes it. */
export interface PromptImage {
  type: "image";
  data: string;
  mimeType: string;
}

/** What pi is prompted with. */
export interface Prompt {
  message: string;
  images: PromptImage[];
}

/** The workspace folder files arrive in. */
export const INBOX_DIR = "inbox";

/**
 * Writes the files into `workspace/inbox/` and returns the prompt: the message, a line per file
 * naming its path relative to the workspace, and the images. Synchronous, so a turn's reservation
 * and its files happen in one step; a name already taken gets ` (2)`, ` (3)`... so nothing the
 * agent or an earlier message left there is overwritten.
 */
export function preparePrompt(workspace: string, message: string, attachments: readonly TurnAttachment[] = []): Prompt {
  const images: PromptImage[] = [];
  const saved: string[] = [];
  for (const attachment of attachments) {
    if (attachment.kind === "image") {
      images.push({ type: "image", data: attachment.data, mimeType: attachment.mimeType });
      continue;
    }
    const bytes = fromBase64(attachment.data);
    const name = writeInboxFile(workspace, attachment.name, bytes);
    saved.push(`- ${INBOX_DIR}/${name} (${attachment.mimeType ?? "unknown type"}, ${formatBytes(bytes.length)})`);
  }
  const parts: string[] = [];
  if (message) parts.push(message);
  if (saved.length)
    parts.push(`[The user attached ${saved.length === 1 ? "a file" : "files"}, saved in your working directory:\n${saved.join("\n")}]`);
  if (parts.length === 0) parts.push(images.length === 1 ? "[The user sent an image.]" : `[The user sent ${images.length} images.]`);
  return { message: parts.join("\n\n"), images };
}

/** Writes `bytes` as a new file in the inbox (never through a link, never over an existing file); returns the name used. */
function writeInboxFile(workspace: string, name: string, bytes: Uint8Array): string {
  const inbox = join(workspace, INBOX_DIR);
  makePrivateDir(inbox);
  // The agent has a shell: it may have replaced inbox/ with a link to somewhere else. Refuse to write through it.
  if (!lstatSync(inbox).isDirectory()) {
    throw new BackendError(409, "inbox_unavailable", `${INBOX_DIR}/ in the workspace is not a directory; remove it so files can be saved`);
  }
  const ext = extname(name);
  const stem = ext ? name.slice(0, -ext.length) : name;
  for (let n = 1; n <= 100; n++) {
    const candidate = n === 1 ? name : `${stem} (${n})${ext}`;
    let fd: number;
    try {
      // O_EXCL: fails on an existing file and on a link at this name, so nothing is followed or overwritten.
      fd = openSync(
        join(inbox, candidate),
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        PRIVATE_FILE_MODE,
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw error;
    }
    try {
      writeFileSync(fd, bytes);
    } finally {
      closeSync(fd);
    }
    log.info("attachment.saved", { path: `${INBOX_DIR}/${candidate}`, bytes: bytes.length });
    return candidate;
  }
  throw new BackendError(409, "inbox_unavailable", `${INBOX_DIR}/ already holds 100 files named like ${name}; clean it up`);
}
