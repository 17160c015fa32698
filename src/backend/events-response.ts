/** A turn's events as a live NDJSON response: replay after `seq`, then stream until the terminal event. */
import type { Turn } from "./turn";

const encoder = new TextEncoder();

/** Streams `turn`'s events with `seq > after`; each event is written as soon as it exists. */
export function eventsResponse(turn: Turn, after: number, contentType: string): Response {
  let unsubscribe = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      unsubscribe = turn.subscribe(after, {
        event: (event) => controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`)),
        done: () => controller.close(),
      });
    },
    // The client went away: stop delivering to it (the turn itself carries on).
    cancel() {
      unsubscribe();
    },
  });
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
}
