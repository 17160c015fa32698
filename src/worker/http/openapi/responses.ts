/**
 * Zod schemas of the Worker's answers, for the OpenAPI document (requests are described by the schemas
 * that validate them). zod/mini imported by name, as all Worker code (docs/decisions/0009-scale.md):
 * the routes' `describe()` name these, so they are in the bundle.
 */
import {
  array,
  boolean,
  extend,
  int,
  literal,
  meta,
  nullable,
  number,
  object,
  omit,
  optional,
  record,
  string,
  enum as zEnum,
} from "zod/mini";

/** A description for the document. */
const about = (description: string) => meta({ description });

export const ErrorBody = object({
  error: object({
    code: string().check(about("machine-readable, e.g. invalid_field, unauthorized, not_found")),
    message: string(),
    field: optional(string()).check(about("the field a 400 invalid_field is about")),
  }),
});

export const OpenAiErrorBody = object({
  error: object({ message: string(), type: string(), param: nullable(string()), code: string() }),
});

const MessageState = string().check(about("queued, running, done, failed (and, as they land: input_required, aborted, merged)"));

export const MessageRecord = object({
  chat: string().check(about("the chat key, e.g. http:a")),
  messageId: string(),
  state: MessageState,
  position: optional(int()).check(about("messages of this chat ahead of it, while queued or running")),
  reply: optional(string()),
  error: optional(string()).check(about("`code: detail` of a failed turn")),
});

export const StoredMessage = omit(MessageRecord, { chat: true });

export const StopAnswer = object({
  chat: string(),
  stopped: nullable(string()).check(about("the id of the message whose turn was aborted; null when nothing ran")),
  queued: int().check(about("messages waiting (they stay queued)")),
});

export const ResetAnswer = extend(MessageRecord, { queued: int() });

export const SessionStatus = object({
  chat: string(),
  lastActivity: string().check(about("ISO 8601")),
  idleSeconds: int(),
  busy: boolean(),
  queued: int(),
  backend: zEnum(["live", "released"]),
});

export const StatusList = object({ idleTimeoutSeconds: number(), sessions: array(SessionStatus) });

export const Health = object({ ok: literal(true) });

export const Model = object({ id: string(), object: literal("model"), created: int(), owned_by: string() });

export const ModelList = object({ object: literal("list"), data: array(Model) });

export const ChatCompletion = object({
  id: string(),
  object: literal("chat.completion"),
  created: int(),
  model: string(),
  choices: array(
    object({
      index: int(),
      message: object({ role: literal("assistant"), content: string() }),
      finish_reason: literal("stop"),
    }),
  ),
});

export const WebhookAnswer = object({ ok: boolean() }).check(about("or the platform's inline answer (Slack URL verification)"));

export const QueueModeAnswer = object({
  chat: string(),
  queueMode: string().check(about("followup, collect, steer or interrupt")),
});

const StateCounts = record(string(), int()).check(about("messages per state"));

export const ChatOverview = object({ chat: string(), queueMode: string(), maxQueued: int(), counts: StateCounts });

export const MessagePage = object({
  chat: string(),
  messages: array(extend(StoredMessage, { createdAt: string(), mergedInto: optional(string()) })),
  nextCursor: nullable(string()).check(about("pass as ?cursor= for the next page; null on the last")),
});

export const BackendAnswer = object({
  reachable: literal(true),
  url: string(),
  via: string().check(about("url or binding")),
  sessions: int(),
  processes: int(),
  running: int(),
  ms: number(),
});
