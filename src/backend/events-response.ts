/** A turn's events as a live NDJSON response: replay after `seq`, then stream until the terminal event. */
import type { Turn } from "./turn";

const encoder = new TextEncoder();

/**
 * Streams `turn`'s events with `seq > after`. Events pushed in one synchronous burst (pi often
 * writes many lines per stdout chunk) go out as one chunk at the end of that burst: as live as
 * one write per event, with far fewer socket writes.
 */
export function eventsResponse(turn: Turn, after: number, contentType: string): Response {
  let unsubscribe = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let pending = "";
      let closeAfterFlush = false;
      const flush = () => {
        if (pending) controller.enqueue(encoder.encode(pending));
        pending = "";
        if (closeAfterFlush) controller.close();
      };
      const schedule = () => {
        if (!pending && !closeAfterFlush) queueMicrotask(flush);
      };
      unsubscribe = turn.subscribe(after, {
        event: (event) => {
          schedule();
          pending += `${JSON.stringify(event)}\n`;
        },
        done: () => {
          schedule();
          closeAfterFlush = true;
        },
      });
    },
    // The client went away: stop delivering to it (the turn itself carries on).
    cancel() {
      unsubscribe();
    },
  });
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
}
