/**
 * A message's attachments as the turn request carries them (protocol v1 `attachments`): read from
 * storage or downloaded from the platform now, checked against the limits, base64-encoded. A download
 * that fails fails the message with a code the chat is told (never a silent drop).
 */
import {
  formatBytes,
  isPromptImageType,
  MAX_ATTACHMENTS_TOTAL_BYTES,
  MAX_FILE_BYTES,
  MAX_IMAGE_BYTES,
  sanitizeAttachmentName,
  toBase64,
} from "../../shared/attachments";
import type { TurnAttachment } from "../../shared/protocol-schemas";
import type { AttachmentStore, StoredAttachment } from "./attachment-store";

/** Downloads a platform attachment from its stored reference, refusing more than `maxBytes`. */
export type AttachmentDownloader = (ref: string, maxBytes: number) => Promise<Uint8Array>;

/** An attachment could not be had (`attachment_unavailable`) or is over the limits (`attachment_too_large`). */
export class AttachmentError extends Error {
  constructor(
    readonly code: "attachment_unavailable" | "attachment_too_large",
    message: string,
  ) {
    super(message);
  }
}

/** The turn request's attachments for `messageId` (empty when it has none). */
export async function loadTurnAttachments(
  store: AttachmentStore,
  messageId: string,
  download: AttachmentDownloader | undefined,
): Promise<TurnAttachment[]> {
  const out: TurnAttachment[] = [];
  let total = 0;
  for (const stored of store.list(messageId)) {
    const bytes = await bytesOf(store, messageId, stored, download);
    total += bytes.length;
    if (total > MAX_ATTACHMENTS_TOTAL_BYTES) {
      throw new AttachmentError("attachment_too_large", `the attachments are over ${formatBytes(MAX_ATTACHMENTS_TOTAL_BYTES)} in all`);
    }
    out.push(asTurnAttachment(stored, bytes));
  }
  return out;
}

async function bytesOf(
  store: AttachmentStore,
  messageId: string,
  stored: StoredAttachment,
  download: AttachmentDownloader | undefined,
): Promise<Uint8Array> {
  // An image too big for the model can still be saved as a file, so any download may take up to that.
  const maxBytes = MAX_FILE_BYTES;
  if (stored.ref === null) {
    const bytes = store.read(messageId, stored.position);
    if (!bytes) throw new AttachmentError("attachment_unavailable", `${stored.name}: its stored bytes are gone`);
    return bytes;
  }
  if (!download) throw new AttachmentError("attachment_unavailable", `${stored.name}: no platform can download it`);
  try {
    return await download(stored.ref, maxBytes);
  } catch (err) {
    const code = err instanceof AttachmentError ? err.code : "attachment_unavailable";
    throw new AttachmentError(code, `${stored.name}: ${(err as Error).message}`);
  }
}

/** An image the model can take stays an image; any other (or one over 5 MiB) goes in as a file, up to 10 MiB. */
function asTurnAttachment(stored: StoredAttachment, bytes: Uint8Array): TurnAttachment {
  const asImage = stored.kind === "image" && isPromptImageType(stored.mimeType) && bytes.length <= MAX_IMAGE_BYTES;
  if (!asImage && bytes.length > MAX_FILE_BYTES) {
    throw new AttachmentError(
      "attachment_too_large",
      `${stored.name} is ${formatBytes(bytes.length)}; files may be up to ${formatBytes(MAX_FILE_BYTES)}`,
    );
  }
  const name = sanitizeAttachmentName(stored.name, asImage ? "image" : "file");
  const data = toBase64(bytes);
  if (asImage) return { kind: "image", mimeType: stored.mimeType!.toLowerCase(), data, name };
  return { kind: "file", name, data, ...(stored.mimeType ? { mimeType: stored.mimeType.slice(0, 255) } : {}) };
}
