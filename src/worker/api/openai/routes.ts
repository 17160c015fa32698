/**
 * OpenAI-compatible endpoint: `POST /v1/chat/completions` (streamed or not) and `GET /v1/models`.
 * A completion is a message in the chat `openai:<user>` (the request's `user`, the `X-Chat-Id`
 * header, or `default`), so it goes through the same inbox, turn lock and eviction as every chat.
 */
import { Hono } from "hono";
import type { ChatSessionCore } from "../../chat/chat-session";
import { backendConfig } from "../../config/config";
import type { ChatSessions, Env } from "../../config/env";
import { ApiError } from "../../http/errors";
import { readBody } from "../../http/middleware";
import { describe } from "../../http/openapi/describe";
import { ChatCompletion, Model, ModelList } from "../../http/openapi/responses";
import { encodeChatKey, OPENAI_CHAT_ID } from "../../platforms/chat-key";
import { SSE_HEADERS } from "../message-events";
import { readEvents } from "../sse-reader";
import { completionChunks } from "./chunks";
import { openAiError } from "./errors";
import { failureBody, finalOutcome } from "./outcome";
import { ChatCompletionRequest, MODEL_ID, promptOf } from "./schema";

/** When the one model "was created": this relay's first release with the endpoint. */
const MODEL_CREATED = 1_764_547_200;
const MODEL = { id: MODEL_ID, object: "model", created: MODEL_CREATED, owned_by: "evie-edge" } as const;

type Bindings = Env & ChatSessions<ChatSessionCore>;

/** The chat key: `X-Chat-Id` first, then the body's `user`, else `openai:default`. */
function chatKeyOf(header: string | undefined, user: string | undefined): string {
  const [id, field] = header !== undefined ? [header, "X-Chat-Id"] : [user ?? "default", "user"];
  if (!OPENAI_CHAT_ID.test(id)) throw new ApiError(400, "invalid_chat_id", `${field}: must match [A-Za-z0-9_.-]{1,64}`);
  return encodeChatKey({ platform: "openai", user: id });
}

export const openAi = new Hono<{ Bindings: Bindings }>()
  .get(
    "/models",
    describe({
      summary: "The one model, `pi`",
      tags: ["openai"],
      openAiErrors: true,
      answers: { 200: { description: "Model list", schema: ModelList } },
      errors: [401, 403],
    }),
    (c) => c.json({ object: "list", data: [MODEL] }),
  )
  .get(
    "/models/:model",
    describe({
      summary: "One model by id (only `pi` exists)",
      tags: ["openai"],
      openAiErrors: true,
      answers: { 200: { description: "The model", schema: Model } },
      errors: [401, 403, 404],
    }),
    (c) => {
      const id = c.req.param("model");
      if (id !== MODEL_ID) throw new ApiError(404, "model_not_found", `The model '${id}' does not exist; this relay serves '${MODEL_ID}'`);
      return c.json(MODEL);
    },
  )
  .post(
    "/chat/completions",
    describe({
      summary: "OpenAI-compatible chat completion",
      description:
        "The chat is `openai:<X-Chat-Id header, or user, or default>`. Only the last user message is sent: pi keeps the " +
        "conversation's history. `stream: true` answers `chat.completion.chunk` events ending with `data: [DONE]`.",
      tags: ["openai"],
      body: ChatCompletionRequest,
      openAiErrors: true,
      answers: { 200: { description: "A chat.completion (or, with stream: true, an event stream of chunks)", schema: ChatCompletion } },
      errors: [400, 401, 403, 413, 415, 500, 502],
    }),
    async (c) => {
      const body = await readBody(c.req, ChatCompletionRequest);
      const prompt = promptOf(body);
      const chat = chatKeyOf(c.req.header("x-chat-id"), body.user);
      backendConfig(c.env); // a backend we must not talk to: refuse before storing a message whose turn can only fail
      const session = c.env.CHAT_SESSION.getByName(chat);
      const { record, refused } = await session.enqueue({ text: prompt });
      if (refused) {
        c.header("retry-after", String(refused.retryAfterSeconds));
        return c.json(openAiError(429, "queue_full", `${refused.queued} messages are already waiting in ${chat}; try again later`), 429);
      }
      const events = await session.subscribeMessage(record.messageId);
      if (!events) throw new Error(`message ${record.messageId} vanished right after it was stored`);
      const meta = { id: `chatcmpl-${record.messageId}`, created: Math.floor(Date.now() / 1000), model: body.model ?? MODEL_ID };
      c.header("x-chat-id", chat);
      if (body.stream) return new Response(completionChunks(readEvents(events), meta), { headers: { ...SSE_HEADERS, "x-chat-id": chat } });
      const outcome = await finalOutcome(readEvents(events));
      if (!outcome.ok) return c.json(failureBody(outcome), 502);
      return c.json({
        ...meta,
        object: "chat.completion",
        choices: [{ index: 0, message: { role: "assistant", content: outcome.reply }, finish_reason: "stop", logprobs: null }],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      });
    },
  );
