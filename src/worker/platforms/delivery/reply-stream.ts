/**
 * Streams one turn's reply into a chat: the typing action while it runs, one message edited
 * with the latest text on a timer (never a platform call per delta), and the final text,
 * split into several messages when long. Every platform call is followed at once by a write
 * of the delivery state, so `finished` run again after a crash or re-attach sends nothing twice.
 */

import { log } from "../../../shared/log";
import { DeliveryHandover, type TurnObserver, type TurnOutcome } from "../../chat/turn-observer";
import { type Outbound, type Platform, PlatformError, RateLimitError, type ReplyTarget } from "../adapter";
import { failureNotice, OUTAGE_NOTICE } from "./failure-notice";
import { type LiveStream, type LiveStreams, takeOver } from "./live-streams";
import { editIntervalMs, MIN_EDIT_GAP_MS, typingIntervalMs } from "./pacing";
import { previewOf, splitText } from "./split";
import type { DeliveryState, DeliveryStore } from "./store";

export interface ReplyStreamOptions {
  outbound: Outbound;
  target: ReplyTarget;
  store: DeliveryStore;
  /** The inbox message this reply answers. */
  messageId: string;
  /** The streams live in this object instance (see live-streams.ts). */
  live: LiveStreams;
  /** Epoch ms by which the final delivery must be done in this alarm invocation; a longer wait hands over (DeliveryHandover). */
  deliverUntil?: number;
  now?: () => number;
}

/** Attempts per part of the final reply before giving up on it. */
const MAX_FINAL_ATTEMPTS = 6;
/** A rate limit asking for a longer wait than this gives the final reply up rather than stall the chat. */
const MAX_RETRY_WAIT_MS = 5 * 60_000;
/**
 * One alarm invocation lasts at most 15 minutes; a turn that goes on is carried by a new invocation
 * with a new stream. Timers of a stream never told `finished` (a handover, a failure of ours) stop here.
 */
const MAX_STREAM_LIFETIME_MS = 15 * 60_000;

export class ReplyStream implements TurnObserver, LiveStream {
  private state: DeliveryState;
  private readonly now: () => number;
  private readonly key: string;
  private latest: string | null = null;
  private startedAt = 0;
  /** When the last send or edit returned. */
  private lastCallAt = 0;
  /** A 429 asked us to wait until then. */
  private blockedUntil = 0;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | null = null;
  private typingCall: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: ReplyStreamOptions) {
    this.now = options.now ?? Date.now;
    this.state = options.store.load(options.messageId);
    this.key = `${JSON.stringify(options.target)}|${options.messageId}`;
  }

  async started(): Promise<void> {
    this.startedAt = this.now();
    const before = this.options.live.take(this.key, this);
    if (before) {
      // A handover: once the stream before us is retired and its last call has returned, read what it saved.
      await takeOver(before);
      this.state = this.options.store.load(this.options.messageId);
    }
    // Delivered in full before a crash: this run only lets the inbox catch up.
    if (this.state.final) this.closed = true;
    else this.refreshTyping();
  }

  progress(textSoFar: string): void {
    if (this.closed) return;
    this.latest = textSoFar;
    this.scheduleFlush();
  }

  async finished(outcome: TurnOutcome): Promise<void> {
    this.retire();
    await this.flushing;
    await this.typingCall;
    if (this.state.final) return;
    // A re-run after a crash mid-delivery continues the text it started with, whatever outcome it is told now.
    if (this.state.finalText === null) {
      this.state.finalText = finalText(outcome, this.latest ?? "", this.options.target.platform);
      this.save();
    }
    try {
      await this.deliver(splitText(this.state.finalText, this.options.outbound.maxLength));
    } catch (err) {
      // Out of time in this invocation: not settled; the next one replays the turn's end and carries on from the parts sent.
      if (err instanceof DeliveryHandover) throw err;
      log.error("delivery.reply_failed", { messageId: this.options.messageId, error: err });
    }
    // Settled either way: a later run of finished() must not send this reply again.
    this.state.final = true;
    this.save();
  }

  /**
   * The backend is unreachable and the message is kept. When `tell` (once per outage), the notice goes
   * into the reply's message (sent now if there is none yet); the turn's reply later edits it away, so
   * the chat still ends with one reply.
   */
  async held(tell: boolean): Promise<void> {
    this.retire();
    await this.flushing;
    await this.typingCall;
    if (!tell || this.state.final) return;
    const { outbound, target } = this.options;
    const shown = this.state.shown?.trim() ? `${this.state.shown}\n\n` : "";
    const text = previewOf(`${shown}${OUTAGE_NOTICE}`, outbound.maxLength);
    try {
      const streamId = this.state.streamId;
      if (streamId) await outbound.edit(target, streamId, text);
      else this.state.streamId = await outbound.send(target, text, { quote: true });
      this.state.shown = text;
      this.save();
    } catch (err) {
      log.warn("delivery.outage_notice_failed", { messageId: this.options.messageId, error: err });
    }
  }

  /** Stops streaming and typing (the turn ended, or another invocation took it over). */
  retire(): void {
    this.closed = true;
    clearTimeout(this.flushTimer);
    clearTimeout(this.typingTimer);
    this.flushTimer = undefined;
    this.options.live.drop(this.key, this);
  }

  /** The streamed send or edit in flight, if any. */
  get inFlight(): Promise<void> | null {
    return this.flushing;
  }

  /** The final reply: its first part goes into the streamed message (or a new one), the rest follow. */
  private async deliver(parts: string[]): Promise<void> {
    const { outbound, target } = this.options;
    for (let i = this.state.partsSent; i < parts.length; i++) {
      const part = parts[i]!;
      const streamId = this.state.streamId;
      if (i === 0 && streamId) {
        if (this.state.shown !== part) await this.paced(() => outbound.edit(target, streamId, part));
        this.state.shown = part;
      } else {
        const id = await this.paced(() => outbound.send(target, part, { quote: i === 0 }));
        if (i === 0) {
          this.state.streamId = id;
          this.state.shown = part;
        }
      }
      this.state.partsSent = i + 1;
      this.save();
    }
  }

  /** One call of the final delivery: spaced from the previous one, retried after a 429 or a network error. */
  private async paced<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const wait = Math.max(this.lastCallAt + MIN_EDIT_GAP_MS, this.blockedUntil) - this.now();
      const until = this.options.deliverUntil;
      if (until !== undefined && wait > 0 && this.now() + wait > until) throw new DeliveryHandover(wait);
      if (wait > 0) await sleep(wait);
      try {
        return await call();
      } catch (err) {
        if (err instanceof PlatformError || attempt >= MAX_FINAL_ATTEMPTS) throw err;
        const retryAfter = err instanceof RateLimitError ? err.retryAfterMs : 500 * 2 ** attempt;
        if (retryAfter > MAX_RETRY_WAIT_MS) throw err;
        this.blockedUntil = this.now() + retryAfter;
      } finally {
        this.lastCallAt = this.now();
      }
    }
  }

  /** Arms the flush timer for the latest text, no sooner than the edit interval (or a 429) allows. */
  private scheduleFlush(): void {
    if (this.closed || this.flushTimer !== undefined || this.flushing || this.latest === null) return;
    if (previewOf(this.latest, this.options.outbound.maxLength) === this.state.shown) return;
    // The first send waits an interval too, so a quick reply goes out once, complete.
    const since = this.lastCallAt || this.startedAt;
    const at = Math.max(since + editIntervalMs(this.now() - this.startedAt), this.blockedUntil);
    this.flushTimer = setTimeout(
      () => {
        this.flushTimer = undefined;
        this.flushing = this.flush().finally(() => {
          this.flushing = null;
          this.scheduleFlush();
        });
      },
      Math.max(0, at - this.now()),
    );
  }

  /** Shows the latest text: the first flush sends the message (quoting the user's), later ones edit it. */
  private async flush(): Promise<void> {
    const { outbound, target } = this.options;
    const text = previewOf(this.latest ?? "", outbound.maxLength);
    if (this.closed || text === this.state.shown) return;
    try {
      if (this.state.streamId) await outbound.edit(target, this.state.streamId, text);
      else this.state.streamId = await outbound.send(target, text, { quote: true });
      this.state.shown = text;
      this.save();
    } catch (err) {
      if (err instanceof RateLimitError) this.blockedUntil = this.now() + err.retryAfterMs;
      log.warn("delivery.stream_failed", { messageId: this.options.messageId, error: err });
    } finally {
      this.lastCallAt = this.now();
    }
  }

  private refreshTyping(): void {
    if (this.closed) return;
    if (this.now() - this.startedAt > MAX_STREAM_LIFETIME_MS) return this.retire();
    this.typingCall = this.options.outbound.typing(this.options.target).catch((err) => {
      log.warn("delivery.typing_failed", { messageId: this.options.messageId, error: err });
    });
    this.typingTimer = setTimeout(() => this.refreshTyping(), typingIntervalMs(this.now() - this.startedAt));
  }

  private save(): void {
    this.options.store.save(this.options.messageId, this.state, this.now());
  }
}

/** The text a finished turn leaves in the chat: the reply, or what was streamed of it and why it stopped (never the failure's detail). */
export function finalText(outcome: TurnOutcome, partial: string, platform: Platform): string {
  if (outcome.ok) return outcome.text.trim() ? outcome.text : "(The agent finished without a text reply.)";
  const before = partial.trim() ? `${partial}\n\n` : "";
  if (outcome.code === "aborted") return `${before}⏹ Stopped.`;
  return `${before}${failureNotice(outcome, platform)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
