/** Zod schemas of the Worker's answers, for the OpenAPI document (requests are described by the schemas that validate them). */
import { z } from "zod";

export const ErrorBody = z.object({
  error: z.object({
    code: z.string().meta({ description: "machine-readable, e.g. invalid_field, unauthorized, not_found" }),
    message: z.string(),
    field: z.string().optional().meta({ description: "the field a 400 invalid_field is about" }),
  }),
});

export const OpenAiErrorBody = z.object({
  error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string() }),
});

const MessageState = z.string().meta({ description: "queued, running, done, failed (and, as they land: input_required, aborted, merged)" });

export const MessageRecord = z.object({
  chat: z.string().meta({ description: "the chat key, e.g. http:a" }),
  messageId: z.string(),
  state: MessageState,
  position: z.number().int().optional().meta({ description: "messages of this chat ahead of it, while queued or running" }),
  reply: z.string().optional(),
  error: z.string().optional().meta({ description: "`code: detail` of a failed turn" }),
});

export const StoredMessage = MessageRecord.omit({ chat: true });

export const StopAnswer = z.object({
  chat: z.string(),
  stopped: z.string().nullable().meta({ description: "the id of the message whose turn was aborted; null when nothing ran" }),
  queued: z.number().int().meta({ description: "messages waiting (they stay queued)" }),
});

export const ResetAnswer = MessageRecord.extend({ queued: z.number().int() });

export const SessionStatus = z.object({
  chat: z.string(),
  lastActivity: z.string().meta({ description: "ISO 8601" }),
  idleSeconds: z.number().int(),
  busy: z.boolean(),
  queued: z.number().int(),
  backend: z.enum(["live", "released"]),
});

export const StatusList = z.object({ idleTimeoutSeconds: z.number(), sessions: z.array(SessionStatus) });

export const Health = z.object({ ok: z.literal(true) });

export const Model = z.object({ id: z.string(), object: z.literal("model"), created: z.number().int(), owned_by: z.string() });

export const ModelList = z.object({ object: z.literal("list"), data: z.array(Model) });

export const ChatCompletion = z.object({
  id: z.string(),
  object: z.literal("chat.completion"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({ role: z.literal("assistant"), content: z.string() }),
      finish_reason: z.literal("stop"),
    }),
  ),
});

export const WebhookAnswer = z
  .object({ ok: z.boolean() })
  .meta({ description: "or the platform's inline answer (Slack URL verification)" });

export const QueueModeAnswer = z.object({
  chat: z.string(),
  queueMode: z.string().meta({ description: "followup, collect, steer or interrupt" }),
});

const StateCounts = z.record(z.string(), z.number().int()).meta({ description: "messages per state" });

export const ChatOverview = z.object({ chat: z.string(), queueMode: z.string(), maxQueued: z.number().int(), counts: StateCounts });

export const MessagePage = z.object({
  chat: z.string(),
  messages: z.array(StoredMessage.extend({ createdAt: z.string(), mergedInto: z.string().optional() })),
  nextCursor: z.string().nullable().meta({ description: "pass as ?cursor= for the next page; null on the last" }),
});

export const BackendAnswer = z.object({
  reachable: z.literal(true),
  url: z.string(),
  via: z.string().meta({ description: "url or binding" }),
  sessions: z.number().int(),
  processes: z.number().int(),
  running: z.number().int(),
  ms: z.number(),
});
