/**
 * A streamed completion (`stream: true`): a message's live events as `chat.completion.chunk` SSE
 * events ending with `data: [DONE]`, or, when the turn fails, with one OpenAI-shaped error event
 * (`data: {"error":{...}}`, which the official clients throw as an APIError) and then nothing more.
 */
import type { ReadEvent } from "../sse-reader";
import { failure, failureBody, STREAM_LOST } from "./outcome";

/** What every chunk of one completion repeats. */
export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

/** The completion's SSE byte stream. */
export function completionChunks(events: AsyncIterable<ReadEvent>, meta: CompletionMeta): ReadableStream<Uint8Array> {
  return byteStreamOf(chunkEvents(events, meta));
}

/** Each SSE event of the completion in order: the assistant role, the deltas, then the end. */
export async function* chunkEvents(events: AsyncIterable<ReadEvent>, meta: CompletionMeta): AsyncGenerator<string> {
  const chunk = (delta: Record<string, string>, finish: string | null) =>
    sse({ ...meta, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
  yield chunk({ role: "assistant", content: "" }, null);
  let streamed = "";
  for await (const { event, data } of events) {
    if (event === "delta") {
      const text = (data as { text: string }).text;
      streamed += text;
      yield chunk({ content: text }, null);
    } else if (event === "done") {
      const reply = (data as { reply: string }).reply;
      // A reply that finished before we subscribed comes whole, in `done` only.
      if (reply.length > streamed.length && reply.startsWith(streamed)) yield chunk({ content: reply.slice(streamed.length) }, null);
      yield chunk({}, "stop");
      yield "data: [DONE]\n\n";
      return;
    } else if (event === "failed") {
      yield sse(failureBody(failure((data as { error: string }).error)));
      return;
    }
    // `state` and `tool` events have no chunk.
  }
  yield sse(failureBody(STREAM_LOST));
}

const sse = (body: unknown) => `data: ${JSON.stringify(body)}\n\n`;

/**
 * A byte stream of `events`. Every pull enqueues one event or closes the stream, never neither:
 * the Streams spec calls pull again only for a read that arrived while it ran, so a pull that read
 * a `state` event and returned empty-handed left the client's read waiting forever, and workerd,
 * with no I/O left that could wake the request, cancelled it as hung.
 */
function byteStreamOf(events: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await events.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    cancel() {
      // The client went away; the turn goes on (it is a message in the chat) and our subscription ends.
      // Not awaited: return() waits behind the next() in flight, which waits for the turn's next event.
      events.return(undefined).catch(() => {});
    },
  });
}
