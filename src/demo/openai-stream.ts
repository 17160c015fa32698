/**
 * The smallest slice of the OpenAI Chat Completions streaming wire format: enough for pi's
 * `openai-completions` provider. Shared by the offline demo model and the test fake LLM.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** One message of a chat completions request, as pi sends it (not the platforms' ChatMessage). */
export interface CompletionMessage {
  role: string;
  content?: string | Array<{ type: string; text?: string }> | null;
  tool_calls?: unknown[];
}

/** The parts of a chat completions request body we look at. */
export interface ChatRequest {
  model?: string;
  stream?: boolean;
  messages: CompletionMessage[];
}

/** Reads and parses a JSON request body. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/** The text of a message, whether its content is a string or an array of parts. */
export function messageText(message: CompletionMessage | undefined): string {
  if (!message?.content) return "";
  if (typeof message.content === "string") return message.content;
  return message.content.map((part) => part.text ?? "").join("");
}

/** Splits a reply into word-sized deltas so it streams like a real model. */
export function wordDeltas(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? [text];
}

/** Writes OpenAI-style SSE chunks for one completion. */
export class CompletionStream {
  private readonly id = `chatcmpl-${Math.random().toString(36).slice(2)}`;

  constructor(
    private readonly res: ServerResponse,
    private readonly model: string,
  ) {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  }

  /** A text delta. */
  text(delta: string): void {
    this.chunk({ content: delta });
  }

  /** A complete bash tool call in one chunk. */
  bashCall(command: string): void {
    const call = {
      index: 0,
      id: `call_${this.id.slice(-8)}`,
      type: "function",
      function: { name: "bash", arguments: JSON.stringify({ command }) },
    };
    this.chunk({ tool_calls: [call] });
  }

  /** The final chunk with its finish reason, usage, and the `[DONE]` marker; ends the response. */
  finish(reason: "stop" | "tool_calls"): void {
    this.write({ choices: [{ index: 0, delta: {}, finish_reason: reason }] });
    this.write({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 } });
    this.res.end("data: [DONE]\n\n");
  }

  /** True once the client has gone away (aborted or crashed). */
  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  private chunk(delta: Record<string, unknown>): void {
    this.write({ choices: [{ index: 0, delta, finish_reason: null }] });
  }

  private write(body: Record<string, unknown>): void {
    if (this.closed) return;
    this.res.write(`data: ${JSON.stringify({ id: this.id, object: "chat.completion.chunk", created: 0, model: this.model, ...body })}\n\n`);
  }
}
