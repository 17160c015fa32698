/**
 * Reads a `text/event-stream` body back as events: the OpenAI endpoint reads a message's live
 * events this way, and the tests read every stream of ours with it (in workerd and in Node alike).
 */

/** One event as sent: `data` lines joined with "\n". */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** An event of ours, its data parsed as JSON. */
export interface ReadEvent {
  event: string;
  data: unknown;
}

/** Yields each event of `body` as it arrives; comments (keepalives) are skipped. */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const event = parseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event) yield event;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** Yields each event of one of our own streams with its JSON data parsed. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ReadEvent> {
  for await (const { event, data } of sseEvents(body)) if (data !== "") yield { event, data: JSON.parse(data) };
}

function parseBlock(block: string): SseEvent | undefined {
  const event: SseEvent = { event: "message", data: "" };
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") event.id = value;
    else if (field === "event") event.event = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0 && event.id === undefined) return undefined;
  event.data = data.join("\n");
  return event;
}
