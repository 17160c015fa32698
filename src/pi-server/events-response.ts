/** A turn's events as a live NDJSON response: replay after `seq`, then stream until the terminal event. */
import type { ServerResponse } from "node:http";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { EVENTS_CONTENT_TYPE } from "../shared/protocol";
import type { Turn } from "./turn";

const encoder = new TextEncoder();

/** Where a burst of NDJSON lines goes. */
interface LineSink {
  write(text: string): void;
  end(text: string): void;
}

/**
 * Streams `turn`'s events with `seq > after`. Under @hono/node-server (`outgoing` given) the lines
 * are written straight to Node's response: a web ReadableStream in between, read back by
 * node-server one promise per chunk, cost more CPU than the rest of the stream, and node-server
 * flushes the headers in a write of their own, where Node sends them with the first lines.
 */
export function eventsResponse(turn: Turn, after: number, outgoing?: ServerResponse): Response {
  const headers = { "content-type": EVENTS_CONTENT_TYPE, "cache-control": "no-store" };
  if (outgoing) {
    outgoing.writeHead(200, headers);
    const unsubscribe = subscribeInBursts(turn, after, {
      write: (text) => outgoing.write(text),
      end: (text) => outgoing.end(text),
    });
    // The client went away: stop delivering to it (the turn itself carries on).
    outgoing.once("close", unsubscribe);
    return RESPONSE_ALREADY_SENT;
  }
  let unsubscribe = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      unsubscribe = subscribeInBursts(turn, after, {
        write: (text) => controller.enqueue(encoder.encode(text)),
        end: (text) => {
          if (text) controller.enqueue(encoder.encode(text));
          controller.close();
        },
      });
    },
    cancel() {
      unsubscribe();
    },
  });
  return new Response(body, { headers });
}

/**
 * Subscribes to `turn` and hands the sink one string per synchronous burst of events (pi often
 * writes many lines per stdout chunk): as live as one write per event, with far fewer writes.
 */
function subscribeInBursts(turn: Turn, after: number, sink: LineSink): () => void {
  let pending = "";
  let scheduled = false;
  let ended = false;
  const flush = () => {
    scheduled = false;
    if (ended) sink.end(pending);
    else if (pending) sink.write(pending);
    pending = "";
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  };
  return turn.subscribe(after, {
    event: (event) => {
      pending += `${JSON.stringify(event)}\n`;
      schedule();
    },
    done: () => {
      ended = true;
      schedule();
    },
  });
}
