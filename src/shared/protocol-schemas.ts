/**
 * The zod schemas of protocol v1's request bodies, apart from the zod-free protocol.ts: the servers
 * validate with them, while the Worker imports protocol.ts for types and constants only and so never
 * bundles zod (its own request checks use zod/mini; docs/decisions/0009-scale.md).
 */
import { z } from "zod";
import {
  attachmentLimit,
  base64DecodedBytes,
  formatBytes,
  IMAGE_MIME_TYPES,
  isBase64,
  isPromptImageType,
  isSafeAttachmentName,
  MAX_ATTACHMENTS,
  MAX_ATTACHMENTS_TOTAL_BYTES,
} from "./attachments";
import { isValidId } from "./ids";
import {
  MAX_MESSAGE_CHARS,
  MAX_UI_ANSWER_CHARS,
  type SetModelRequest,
  type SetThinkingRequest,
  THINKING_LEVELS,
  type UiAnswer,
} from "./protocol";

export const SubmitTurnRequest = z.object({
  turnId: z.string().refine(isValidId, "must match [A-Za-z0-9._:-]{1,128}"),
  message: z.string().min(1).max(MAX_MESSAGE_CHARS),
});
export type SubmitTurnRequest = z.infer<typeof SubmitTurnRequest>;

export const SteerRequest = z.object({ message: z.string().min(1).max(MAX_MESSAGE_CHARS) });
export type SteerRequest = z.infer<typeof SteerRequest>;

/**
 * Attachments of a turn (all decoded sizes; limits in src/shared/attachments.ts): an image goes to pi
 * as a prompt image, a file is written into the chat's workspace as `inbox/<name>` and named in the
 * prompt. The shape and the name are checked here (400); the sizes by `attachmentsTooLarge` (413).
 */
export const TurnAttachment = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("image"),
    mimeType: z.string().refine(isPromptImageType, `must be one of ${IMAGE_MIME_TYPES.join(", ")} (send other images as a file)`),
    data: z.string().refine(isBase64, "must be standard base64"),
    name: z.string().refine(isSafeAttachmentName, "must be a plain file name (no path, no leading dot)").optional(),
  }),
  z.object({
    kind: z.literal("file"),
    name: z.string().refine(isSafeAttachmentName, "must be a plain file name (no path, no leading dot)"),
    mimeType: z.string().max(255).optional(),
    data: z.string().refine(isBase64, "must be standard base64"),
  }),
]);
export type TurnAttachment = z.infer<typeof TurnAttachment>;

/**
 * The turn request as servers validate it: SubmitTurnRequest plus optional `attachments`, with which
 * `message` may be empty (a photo without a caption).
 */
export const SubmitTurnWithAttachments = SubmitTurnRequest.extend({
  message: z.string().max(MAX_MESSAGE_CHARS),
  attachments: z.array(TurnAttachment).max(MAX_ATTACHMENTS, `at most ${MAX_ATTACHMENTS} attachments per turn`).optional(),
}).refine((body) => body.message.length > 0 || (body.attachments?.length ?? 0) > 0, {
  path: ["message"],
  message: "must not be empty unless the turn has attachments",
});
export type SubmitTurnWithAttachments = z.infer<typeof SubmitTurnWithAttachments>;

/** Why these attachments are over a limit (the answer is 413 `too_large`), or undefined when they fit. */
export function attachmentsTooLarge(attachments: readonly TurnAttachment[]): string | undefined {
  let total = 0;
  for (const [i, attachment] of attachments.entries()) {
    const bytes = base64DecodedBytes(attachment.data);
    const limit = attachmentLimit(attachment.kind);
    if (bytes > limit) return `attachments.${i}: ${attachment.kind}s are at most ${formatBytes(limit)}, this one is ${formatBytes(bytes)}`;
    total += bytes;
  }
  if (total > MAX_ATTACHMENTS_TOTAL_BYTES) {
    return `attachments: at most ${formatBytes(MAX_ATTACHMENTS_TOTAL_BYTES)} in all per turn, these are ${formatBytes(total)}`;
  }
  return undefined;
}

/** The body of `POST /v1/sessions/{id}/turns/{turnId}/ui/{requestId}` (issue 10): exactly one of the three. */
export const UiAnswerBody: z.ZodType<UiAnswer> = z.union([
  z.strictObject({ value: z.string().max(MAX_UI_ANSWER_CHARS) }),
  z.strictObject({ confirmed: z.boolean() }),
  z.strictObject({ cancelled: z.literal(true) }),
]);

/** `POST /v1/sessions/{id}/model` */
export const SetModelBody: z.ZodType<SetModelRequest> = z.strictObject({
  provider: z.string().min(1).max(200),
  modelId: z.string().min(1).max(200),
});

/** `POST /v1/sessions/{id}/thinking` */
export const SetThinkingBody: z.ZodType<SetThinkingRequest> = z.strictObject({ level: z.enum(THINKING_LEVELS) });
