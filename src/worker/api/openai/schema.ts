/** The OpenAI chat-completions request as this relay reads it (unknown fields are ignored), and the prompt it takes from it. */
// zod/mini imported by name, not zod: the Worker bundles only the checks it uses (docs/decisions/0009-scale.md).
import { array, boolean, type infer as Infer, maxLength, minLength, object, optional, string, union, null as zNull } from "zod/mini";
import { HttpError } from "../../../shared/http/http-error";

/** The only model: the owner's pi, whatever model pi itself is set to. */
export const MODEL_ID = "pi";
const MAX_PROMPT_CHARS = 32_000;

const ContentPart = object({ type: string({ error: "type: must be a string" }), text: optional(string()) });

export const ChatCompletionMessage = object({
  role: string({ error: "role: must be a string" }),
  content: optional(union([string(), array(ContentPart), zNull()])),
});

export const ChatCompletionRequest = object({
  model: optional(string({ error: "model: must be a string" }).check(maxLength(256, "model: must be at most 256 characters"))),
  messages: array(ChatCompletionMessage, { error: "messages: must be an array" }).check(minLength(1, "messages: must not be empty")),
  stream: optional(boolean({ error: "stream: must be a boolean" })),
  user: optional(string({ error: "user: must be a string" })),
});
export type ChatCompletionRequest = Infer<typeof ChatCompletionRequest>;

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
