/**
 * The HTTP interface's way to talk to the agent beside prompts (issue 10): answer the extension
 * dialog a message waits on, and run the agent commands.
 */
import { Hono } from "hono";
// zod/mini imported by name, not zod: the Worker bundles only the checks it uses (docs/decisions/0009-scale.md).
import { boolean, literal, maxLength, object, optional, strictObject, string, union, enum as zEnum } from "zod/mini";
import { MAX_UI_ANSWER_CHARS, type UiAnswer } from "../../shared/protocol";
import { AGENT_COMMANDS } from "../chat/agent-commands";
import type { ChatSessionCore } from "../chat/chat-session";
import { backendConfig } from "../config/config";
import type { ChatSessions, Env } from "../config/env";
import { ApiError } from "../http/errors";
import { readBody } from "../http/middleware";
import { describe } from "../http/openapi/describe";
import { chatKeyOf } from "./chat-id";

const RunCommand = object({
  command: zEnum(AGENT_COMMANDS, { error: `command: must be one of ${AGENT_COMMANDS.join(", ")}` }),
  args: optional(string({ error: "args: must be a string" }).check(maxLength(200, "args: must be at most 200 characters"))),
});

/** The answer body: the protocol's UiAnswer (protocol-schemas.ts `UiAnswerBody`), checked with zod/mini here. */
const AnswerBody = union([
  strictObject({ value: string().check(maxLength(MAX_UI_ANSWER_CHARS)) }),
  strictObject({ confirmed: boolean() }),
  strictObject({ cancelled: literal(true) }),
]);

/** HTTP status for each way an answer can fail. */
const ANSWER_FAILURES = {
  no_open_request: 409,
  already_answered: 409,
  invalid_answer: 400,
  backend_error: 502,
} as const;

export const agent = new Hono<{ Bindings: Env & ChatSessions<ChatSessionCore> }>()
  .post(
    "/chats/:chatId/messages/:messageId/answer",
    describe({
      summary: "Answer the extension dialog a message waits on (state input_required)",
      tags: ["messages"],
      body: AnswerBody,
      answers: { 200: { description: "Answered; the turn goes on" } },
      errors: [400, 401, 403, 409, 413, 415],
    }),
    async (c) => {
      const chat = chatKeyOf(c.req.param("chatId"));
      const body: UiAnswer = await readBody(c.req, AnswerBody);
      backendConfig(c.env);
      const answered = await c.env.CHAT_SESSION.getByName(chat).answerMessage(c.req.param("messageId"), body);
      if (!answered) throw new ApiError(404, "not_found", `no message ${c.req.param("messageId")} in chat ${chat}`);
      const { result, record } = answered;
      if (!result.ok) throw new ApiError(ANSWER_FAILURES[result.code], result.code, result.message);
      const { chat: _chat, position: _position, ...view } = record;
      return c.json({ ...view, answer: result.label });
    },
  )
  .post(
    "/chats/:chatId/commands",
    describe({
      summary: "Run an agent command: model, thinking, stats, compact, verbose",
      tags: ["chats"],
      body: RunCommand,
      answers: { 200: { description: "The command's answer (`text`, and `choices` for model and thinking)" } },
      errors: [400, 401, 403, 413, 415],
    }),
    async (c) => {
      const chat = chatKeyOf(c.req.param("chatId"));
      const body = await readBody(c.req, RunCommand);
      backendConfig(c.env);
      const reply = await c.env.CHAT_SESSION.getByName(chat).agentCommand(body.command, body.args?.trim() ?? "");
      return c.json({ command: body.command, ...reply });
    },
  );
