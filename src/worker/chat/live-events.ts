/**
 * Live events of a chat's messages, fanned out to Server-Sent-Events subscribers
 * (`GET /api/chats/{chatId}/messages/{messageId}/events`). The turn loop publishes each backend
 * event the moment it is applied (never through the once-a-second progress write); each
 * subscriber gets its own byte stream. In memory only: the durable record stays the inbox row.
 *
 * Event ids are `<instance>.<n>.<t>`: this object instance, the event's number in the message's
 * log and how many reply characters the client has after it. A reconnect with `Last-Event-ID`
 * gets the events after `n` with the text it already has (`t`) cut off; after a restart (another
 * instance) the log starts again, and `t` alone keeps the text free of repeats and gaps.
 */
import type { TurnEvent } from "../../shared/protocol";

export type LiveEventName = "state" | "delta" | "tool" | "done" | "failed";

/** What the live events need of a message record. */
export interface LiveRecord {
  state: string;
  position?: number;
  reply?: string;
  error?: string;
}

interface LiveEvent {
  n: number;
  name: LiveEventName;
  data: Record<string, unknown>;
  /** Reply characters up to the end of this event (for a delta: where its text ends). */
  t: number;
}

interface Subscriber {
  controller: ReadableStreamDefaultController<Uint8Array>;
  /** Reply characters this client already has. */
  seen: number;
  /** Number of the last event sent. */
  n: number;
}

interface MessageLog {
  events: LiveEvent[];
  text: number;
  state: string | undefined;
  position: number | undefined;
  finishedAt: number | null;
  subscribers: Set<Subscriber>;
}

/** States after which a message's events end (`done` answers `done`, the others `failed`). */
const TERMINAL_STATES = new Set(["done", "failed", "aborted", "merged"]);
/** Finished messages' logs kept for late reconnects. */
const FINISHED_LOGS_KEPT = 32;
const FINISHED_LOG_TTL_MS = 10 * 60_000;
/** A subscriber this far behind (bytes queued, not read) is closed; it may reconnect with Last-Event-ID. */
const MAX_QUEUED_BYTES = 1024 * 1024;
/** A comment line on every open stream this often, so proxies keep quiet streams open. */
export const KEEPALIVE_MS = 15_000;
/** Tool arguments larger than this (as JSON) are left out of `tool` events. */
const MAX_TOOL_ARGS_CHARS = 2_000;

const encoder = new TextEncoder();

export function isTerminalState(state: string): boolean {
  return TERMINAL_STATES.has(state);
}

export class LiveEvents {
  private readonly instance = crypto.randomUUID().slice(0, 8);
  private readonly logs = new Map<string, MessageLog>();
  private keepalive: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** Message ids with at least one subscriber. */
  watchedIds(): string[] {
    return [...this.logs].filter(([, l]) => l.subscribers.size > 0).map(([id]) => id);
  }

  /** Publishes a record's state: a `state` event when state or position changed, `done`/`failed` when it ended. */
  state(messageId: string, record: LiveRecord): void {
    const entry = this.logs.get(messageId);
    if (entry?.finishedAt != null) return;
    const l = entry ?? this.open(messageId);
    if (isTerminalState(record.state)) return this.finish(l, record);
    if (l.state === record.state && l.position === record.position) return;
    l.state = record.state;
    l.position = record.position;
    this.push(l, "state", record.position === undefined ? { state: record.state } : { state: record.state, position: record.position });
    if (!entry) this.seedText(l, record.reply ?? "");
  }

  /** Publishes one backend event of a running turn; `replySoFar` is the reply after applying it. */
  turnEvent(messageId: string, event: TurnEvent, replySoFar: string): void {
    if (event.type !== "text_delta" && event.type !== "tool_start" && event.type !== "tool_end") return;
    let l = this.logs.get(messageId);
    if (!l) {
      l = this.open(messageId);
      this.seedText(l, event.type === "text_delta" ? replySoFar.slice(0, replySoFar.length - event.delta.length) : replySoFar);
    }
    if (l.finishedAt !== null) return;
    if (event.type === "text_delta") {
      if (event.delta.length === 0 || replySoFar.length <= l.text) return;
      l.text = replySoFar.length;
      return this.push(l, "delta", { text: event.delta });
    }
    if (event.type === "tool_start") {
      const args = JSON.stringify(event.args ?? null);
      return this.push(l, "tool", {
        tool: event.tool,
        phase: "start",
        ...(args.length <= MAX_TOOL_ARGS_CHARS ? { args: event.args } : {}),
      });
    }
    this.push(l, "tool", { tool: event.tool, phase: "end", isError: event.isError });
  }

  /**
   * A byte stream of `messageId`'s events for one client: what it missed (after `lastEventId`),
   * then live ones until the message ends. `record` is the stored message now.
   */
  subscribe(messageId: string, record: LiveRecord, lastEventId?: string): ReadableStream<Uint8Array> {
    const resume = parseEventId(lastEventId);
    const after = resume && resume.instance === this.instance ? resume.n : 0;
    let subscriber: Subscriber | undefined;
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          subscriber = { controller, seen: resume?.t ?? 0, n: 0 };
          let l = this.logs.get(messageId);
          if (!l && isTerminalState(record.state)) {
            // Finished before this instance saw it: the terminal event carries everything.
            send(subscriber, terminalEvent(record, 0, record.reply?.length ?? 0), this.instance);
            return controller.close();
          }
          if (!l || (l.finishedAt === null && isTerminalState(record.state))) {
            // New to this instance, or stored as ended a moment before the loop published it.
            this.state(messageId, record);
            l = this.logs.get(messageId)!;
          }
          for (const event of l.events) if (event.n > after) send(subscriber, event, this.instance);
          if (l.finishedAt !== null) return controller.close();
          l.subscribers.add(subscriber);
          this.startKeepalive();
        },
        cancel: () => {
          // The client went away: forget it; the turn never waits on a subscriber.
          if (subscriber) this.logs.get(messageId)?.subscribers.delete(subscriber);
        },
      },
      { highWaterMark: MAX_QUEUED_BYTES, size: (chunk) => chunk.byteLength },
    );
  }

  private open(messageId: string): MessageLog {
    this.prune();
    const l: MessageLog = { events: [], text: 0, state: undefined, position: undefined, finishedAt: null, subscribers: new Set() };
    this.logs.set(messageId, l);
    return l;
  }

  /** The reply stored before this instance saw the turn (a re-attach after a restart), as the log's first delta. */
  private seedText(l: MessageLog, text: string): void {
    if (text.length <= l.text) return;
    const delta = text.slice(l.text);
    l.text = text.length;
    this.push(l, "delta", { text: delta });
  }

  private finish(l: MessageLog, record: LiveRecord): void {
    const reply = record.reply ?? "";
    if (record.state === "done" && reply.length > l.text) l.text = reply.length;
    l.events.push(terminalEvent(record, l.events.length + 1, l.text));
    const event = l.events.at(-1)!;
    l.finishedAt = this.now();
    l.state = record.state;
    for (const s of l.subscribers) {
      send(s, event, this.instance);
      close(s);
    }
    l.subscribers.clear();
  }

  private push(l: MessageLog, name: LiveEventName, data: Record<string, unknown>): void {
    const event: LiveEvent = { n: l.events.length + 1, name, data, t: l.text };
    l.events.push(event);
    for (const s of l.subscribers) {
      send(s, event, this.instance);
      const backlog = s.controller.desiredSize;
      if (backlog !== null && backlog < 0) {
        // Too slow a reader: drop it rather than hold the reply in memory for it; it resumes by Last-Event-ID.
        l.subscribers.delete(s);
        close(s);
      }
    }
  }

  /** Keeps the newest finished logs for reconnects; the running and queued ones are always kept. */
  private prune(): void {
    const finished = [...this.logs].filter(([, l]) => l.finishedAt !== null);
    const cutoff = this.now() - FINISHED_LOG_TTL_MS;
    finished.forEach(([id, l], i) => {
      if (l.finishedAt! < cutoff || i < finished.length - FINISHED_LOGS_KEPT) this.logs.delete(id);
    });
  }

  private startKeepalive(): void {
    this.keepalive ??= setInterval(() => {
      let open = 0;
      for (const l of this.logs.values()) {
        for (const s of l.subscribers) {
          open++;
          enqueue(s, ": keepalive\n\n");
        }
      }
      if (open === 0) {
        clearTimeout(this.keepalive); // one id space for both kinds of timer
        this.keepalive = undefined;
      }
    }, KEEPALIVE_MS);
  }
}

function terminalEvent(record: LiveRecord, n: number, t: number): LiveEvent {
  if (record.state === "done") return { n, name: "done", data: { reply: record.reply ?? "" }, t };
  return { n, name: "failed", data: { error: record.error ?? record.state }, t };
}

/** Writes one event as SSE; a delta loses the part the client already has. */
function send(s: Subscriber, event: LiveEvent, instance: string): void {
  let data = event.data;
  if (event.name === "delta") {
    const text = String(event.data.text);
    const start = event.t - text.length;
    if (event.t <= s.seen) return;
    data = { text: text.slice(Math.max(0, s.seen - start)) };
  }
  s.seen = Math.max(s.seen, event.t);
  s.n = event.n;
  enqueue(s, `id: ${instance}.${event.n}.${s.seen}\nevent: ${event.name}\ndata: ${JSON.stringify(data)}\n\n`);
}

function enqueue(s: Subscriber, text: string): void {
  try {
    s.controller.enqueue(encoder.encode(text));
  } catch {
    // Closed or cancelled underneath us: the cancel callback removes it.
  }
}

function close(s: Subscriber): void {
  try {
    s.controller.close();
  } catch {
    // already closed
  }
}

/** `<instance>.<n>.<t>`, or null when the header is absent or not one of ours. */
export function parseEventId(id: string | undefined): { instance: string; n: number; t: number } | null {
  const m = /^([0-9a-f]{8})\.(\d{1,9})\.(\d{1,12})$/.exec(id?.trim() ?? "");
  return m ? { instance: m[1]!, n: Number(m[2]), t: Number(m[3]) } : null;
}
