/** The OpenAI chat-completions request as this relay reads it (unknown fields are ignored), and the prompt it takes from it. */
import { z } from "zod";
import { HttpError } from "../../../shared/http/http-error";

/** The only model: the owner's pi, whatever model pi itself is set to. */
export const MODEL_ID = "pi";
const MAX_PROMPT_CHARS = 32_000;

const ContentPart = z.object({ type: z.string({ error: "type: must be a string" }), text: z.string().optional() });

export const ChatCompletionMessage = z.object({
  role: z.string({ error: "role: must be a string" }),
  content: z.union([z.string(), z.array(ContentPart), z.null()]).optional(),
});

export const ChatCompletionRequest = z.object({
  model: z.string({ error: "model: must be a string" }).max(256, "model: must be at most 256 characters").optional(),
  messages: z.array(ChatCompletionMessage, { error: "messages: must be an array" }).min(1, "messages: must not be empty"),
  stream: z.boolean({ error: "stream: must be a boolean" }).optional(),
  user: z.string({ error: "user: must be a string" }).optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

/**
 * The prompt: the last user message (a string, or its text parts joined). pi keeps the
 * conversation's history itself, so the earlier messages are not sent again.
 */
export function promptOf(request: ChatCompletionRequest): string {
  const last = request.messages.findLast((m) => m.role === "user");
  if (!last) throw invalidMessages('messages: must contain a message with role "user"');
  const content = last.content;
  let text: string;
  if (typeof content === "string") text = content;
  else if (Array.isArray(content)) {
    const other = content.find((p) => p.type !== "text");
    if (other) throw invalidMessages(`messages: content parts of type "${other.type}" are not supported; send text`);
    text = content.map((p) => p.text ?? "").join("\n");
  } else text = "";
  if (text.trim() === "") throw invalidMessages("messages: the last user message has no text");
  if (text.length > MAX_PROMPT_CHARS) {
    throw invalidMessages(`messages: the last user message is longer than ${MAX_PROMPT_CHARS} characters`);
  }
  return text;
}

function invalidMessages(message: string): HttpError {
  return new HttpError(400, "invalid_field", message, { field: "messages" });
}
