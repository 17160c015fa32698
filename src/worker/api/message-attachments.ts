/**
 * `attachments` of `POST /api/chats/{chatId}/messages`: base64 images and files, checked (400
 * `invalid_field`, 413 `attachment_too_large`) and decoded, so the ChatSession stores their bytes
 * before the 202.
 */
// zod/mini, as the Worker's other request checks: the bundle carries only what is used (docs/decisions/0009-scale.md).
import { array, discriminatedUnion, type infer as Infer, literal, maxLength, minLength, object, optional, refine, string } from "zod/mini";
import {
  attachmentLimit,
  base64DecodedBytes,
  formatBytes,
  fromBase64,
  IMAGE_MIME_TYPES,
  isBase64,
  isPromptImageType,
  MAX_ATTACHMENTS,
  MAX_ATTACHMENTS_TOTAL_BYTES,
  sanitizeAttachmentName,
} from "../../shared/attachments";
import type { NewAttachment } from "../chat/attachment-store";
import { ApiError } from "../http/errors";

const data = string({ error: "must be a base64 string" }).check(refine(isBase64, "must be standard base64"));
const name = string({ error: "must be a string" }).check(
  minLength(1, "must not be empty"),
  maxLength(255, "must be at most 255 characters"),
);

/** One attachment as the API takes it; names are sanitised (a path keeps only its last part), not refused. */
export const ApiAttachment = discriminatedUnion(
  "kind",
  [
    object({
      kind: literal("image"),
      mimeType: string().check(refine(isPromptImageType, `must be one of ${IMAGE_MIME_TYPES.join(", ")} (send other images as a file)`)),
      data,
      name: optional(name),
    }),
    object({ kind: literal("file"), name, mimeType: optional(string().check(maxLength(255))), data }),
  ],
  { error: 'kind: must be "image" or "file"' },
);

export const ApiAttachments = array(ApiAttachment).check(maxLength(MAX_ATTACHMENTS, `must hold at most ${MAX_ATTACHMENTS} attachments`));

/** Checks the sizes (413 `attachment_too_large`) and decodes the attachments for storing. */
export function decodeAttachments(attachments: Infer<typeof ApiAttachments>): NewAttachment[] {
  let total = 0;
  for (const [i, a] of attachments.entries()) {
    const bytes = base64DecodedBytes(a.data);
    const limit = attachmentLimit(a.kind);
    if (bytes > limit) {
      throw new ApiError(
        413,
        "attachment_too_large",
        `attachments.${i}: ${a.kind}s may be up to ${formatBytes(limit)}, this one is ${formatBytes(bytes)}`,
      );
    }
    total += bytes;
  }
  if (total > MAX_ATTACHMENTS_TOTAL_BYTES) {
    throw new ApiError(
      413,
      "attachment_too_large",
      `attachments: at most ${formatBytes(MAX_ATTACHMENTS_TOTAL_BYTES)} in all, these are ${formatBytes(total)}`,
    );
  }
  return attachments.map((a, i) => {
    const fallback = a.kind === "image" ? `image-${i + 1}.${a.mimeType.split("/")[1]}` : `file-${i + 1}`;
    return {
      kind: a.kind,
      name: sanitizeAttachmentName(a.name ?? fallback, fallback),
      ...(a.mimeType ? { mimeType: a.mimeType } : {}),
      data: fromBase64(a.data),
    };
  });
}
