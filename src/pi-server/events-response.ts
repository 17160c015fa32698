/** A turn's events as a live NDJSON response: replay after `seq`, then stream until the terminal event. */
import type { ServerResponse } from "node:http";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { log } from "../shared/log";
import { DEFAULT_HEARTBEAT_SECONDS, EVENTS_CONTENT_TYPE, HEARTBEAT_LINE } from "../shared/protocol";
import { startHeartbeat } from "./heartbeat";
import type { Turn } from "./turn";

/**
 * Bytes queued for one events connection (written, not yet taken by the client) past which the
 * connection is dropped. A subscriber that stops reading would otherwise make the backend hold the
 * rest of the turn for it; dropped, it re-attaches with `after=` and gets the rest from the log.
 */
export const MAX_QUEUED_EVENT_BYTES = 8 * 1024 * 1024;

const encoder = new TextEncoder();

/** Where a burst of NDJSON lines goes. */
interface LineSink {
  write(text: string): void;
  end(text: string): void;
  /** Bytes written that the client has not taken yet. */
  queued(): number;
  /** Closes the connection at once, leaving the rest to a re-attach. */
  drop(): void;
}

/**
 * Streams `turn`'s events with `seq > after`. Under @hono/node-server (`outgoing` given) the lines
 * are written straight to Node's response: a web ReadableStream in between, read back by
 * node-server one promise per chunk, cost more CPU than the rest of the stream, and node-server
 * flushes the headers in a write of their own, where Node sends them with the first lines.
 * While the stream stays open with nothing to say for `heartbeatMs`, a heartbeat line goes out.
 */
export function eventsResponse(
  turn: Turn,
  after: number,
  outgoing?: ServerResponse,
  heartbeatMs = DEFAULT_HEARTBEAT_SECONDS * 1000,
): Response {
  const headers = { "content-type": EVENTS_CONTENT_TYPE, "cache-control": "no-store" };
  if (outgoing) {
    outgoing.writeHead(200, headers);
    const unsubscribe = subscribeInBursts(turn, after, heartbeatMs, {
      write: (text) => outgoing.write(text),
      end: (text) => outgoing.end(text),
      queued: () => outgoing.writableLength,
      drop: () => outgoing.destroy(),
    });
    // The client went away: stop delivering to it (the turn itself carries on).
    outgoing.once("close", unsubscribe);
    return RESPONSE_ALREADY_SENT;
  }
  let unsubscribe = () => {};
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        unsubscribe = subscribeInBursts(turn, after, heartbeatMs, {
          write: (text) => controller.enqueue(encoder.encode(text)),
          end: (text) => {
            if (text) controller.enqueue(encoder.encode(text));
            controller.close();
          },
          queued: () => -(controller.desiredSize ?? 0),
          drop: () => controller.error(new Error("events subscriber too slow; re-attach with after=")),
        });
      },
      cancel() {
        unsubscribe();
      },
    },
    // Counted in bytes with no allowance, so desiredSize is minus the bytes queued.
    { highWaterMark: 0, size: (chunk) => chunk.byteLength },
  );
  return new Response(body, { headers });
}

/**
 * Subscribes to `turn` and hands the sink one string per synchronous burst of events (pi often
 * writes many lines per stdout chunk): as live as one write per event, with far fewer writes.
 * The queue is looked at before each burst, not after: one burst of any size (a long replay) is
 * always written, and only a client still holding more than MAX_QUEUED_EVENT_BYTES when the next
 * one comes is dropped, so the queue stays under the limit plus one burst.
 */
function subscribeInBursts(turn: Turn, after: number, heartbeatMs: number, sink: LineSink): () => void {
  let pending = "";
  // Silence is measured from the last write; the heartbeat goes through the same burst (and the
  // same slow-reader check) as events. Not an event: no seq, not in the turn's log.
  const heartbeat = startHeartbeat(heartbeatMs, () => {
    pending += HEARTBEAT_LINE;
    schedule();
  });
  let scheduled = false;
  let ended = false;
  let dropped = false;
  const flush = () => {
    scheduled = false;
    if (dropped) return;
    const queued = sink.queued();
    if (queued > MAX_QUEUED_EVENT_BYTES) {
      dropped = true;
      pending = "";
      stop();
      sink.drop();
      log.warn("events.slow_stream_dropped", {
        session: turn.sessionId,
        turnId: turn.turnId,
        unreadBytes: queued,
        note: "the client re-attaches with after=",
      });
      return;
    }
    if (ended) {
      heartbeat.stop();
      sink.end(pending);
    } else if (pending) {
      heartbeat.touch();
      sink.write(pending);
    }
    pending = "";
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  };
  const unsubscribe = turn.subscribe(after, {
    event: (event) => {
      pending += `${JSON.stringify(event)}\n`;
      schedule();
    },
    done: () => {
      ended = true;
      schedule();
    },
  });
  const stop = () => {
    heartbeat.stop();
    unsubscribe();
  };
  return stop;
}
