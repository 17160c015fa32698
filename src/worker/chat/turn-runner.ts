/**
 * Drives one turn against the pi backend: submit once, then follow the event stream,
 * persisting the applied events so that a lost stream, an eviction or a restart
 * re-attaches after the last stored `seq` instead of submitting again.
 */

import { log } from "../../shared/log";
import type { TurnEvent } from "../../shared/protocol";
import type { TurnAttachment } from "../../shared/protocol-schemas";
import { BackendError, type PiBackendClient } from "../pi-client/client";
import { isBackendOutage } from "../pi-client/outage";
import type { Inbox, InboxMessage } from "./inbox";
import { submitPastOrphan } from "./orphan";
import { isHeartbeat, StallWatchdog } from "./stall-watchdog";
import { AttachmentError } from "./turn-attachments";
import { DeliveryHandover, describeFailure, type TurnFailure, type TurnObserver, type TurnOutcome } from "./turn-observer";
import type { TurnSideEvents } from "./turn-side-events";

export type TurnResult =
  /** The message is done or failed. `backendLost` asks the caller to drop its backend-session handle. */
  | { kind: "finished"; backendLost: boolean }
  /** The deadline came first; progress is stored and the next alarm invocation carries on. */
  | { kind: "handover" }
  /** The backend is unreachable (an outage): the message is kept and retried later (see outage.ts). */
  | { kind: "held"; error: BackendError };

export interface TurnContext {
  /** Sends `traceId` on every call (PiBackendClient.withTrace). */
  client: PiBackendClient;
  /** This turn's trace id, on every log line about it (chat/trace-id.ts). */
  traceId: string;
  /** Epoch ms this invocation started driving the turn: log lines' `ms` count from here. */
  startedAt: number;
  inbox: Inbox;
  chatKey: string;
  message: InboxMessage;
  observer: TurnObserver;
  /** Epoch ms after which this invocation hands the turn over. */
  deadline: number;
  now: () => number;
  /** Called with each backend event as it is applied, and the reply after it (live subscribers). */
  onEvent?: (event: TurnEvent, replySoFar: string) => void;
  /** Called once the backend has accepted the turn (the session is live). */
  onSubmitted: () => void;
  /** Called when a call to the backend went through (a submit, an events stream): an outage is over. */
  onReachable?: () => void;
  /** The message's attachments for the turn request, read or downloaded when it is submitted (absent: none). */
  attachments?: () => Promise<TurnAttachment[]>;
  /** Silence on an open events stream after which it is given up and re-attached (STREAM_STALL_SECONDS). */
  stallMs?: number;
  /** Tool calls, dialogs and notifications (issue 10); without it they are skipped. */
  sideEvents?: TurnSideEvents;
}

const DEFAULT_STALL_MS = 45_000;

const MAX_REATTACH_ATTEMPTS = 5;
/**
 * How often streamed progress is written. Each write is a storage commit; writing per event
 * would cost a commit per token. (lastSeq, reply) are always written together, so a re-attach
 * after a crash re-applies exactly the events after the stored seq: nothing is lost or doubled.
 */
const PROGRESS_WRITE_INTERVAL_MS = 1_000;

export async function runTurn(ctx: TurnContext): Promise<TurnResult> {
  const { client, inbox, chatKey, message, now } = ctx;
  const turnId = message.turnId!;
  const { startedAt, traceId } = ctx;
  log.info("turn.start", { chat: chatKey, messageId: message.id, turnId, traceId, resumed: message.submitted, afterSeq: message.lastSeq });

  if (!message.submitted) {
    const failure = await submit(ctx, turnId);
    if (failure && "held" in failure) return { kind: "held", error: failure.held };
    if (failure) return finishFailed(ctx, failure, failure.backendLost);
    inbox.markSubmitted(message.seq, now());
    ctx.onSubmitted();
    ctx.onReachable?.();
  }
  let lastError: BackendError | undefined;

  let lastSeq = message.lastSeq;
  let reply = message.reply ?? "";
  let failedAttempts = 0;
  let storedSeq = lastSeq;
  let pendingWrite: ReturnType<typeof setTimeout> | undefined;
  const persist = () => {
    clearTimeout(pendingWrite);
    pendingWrite = undefined;
    if (storedSeq === lastSeq) return;
    inbox.recordProgress(message.seq, lastSeq, reply, now());
    storedSeq = lastSeq;
  };
  const persistSoon = () => {
    pendingWrite ??= setTimeout(persist, PROGRESS_WRITE_INTERVAL_MS);
  };
  for (;;) {
    if (now() >= ctx.deadline) return { kind: "handover" };
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), Math.max(0, ctx.deadline - now()));
    const watchdog = new StallWatchdog(ctx.stallMs ?? DEFAULT_STALL_MS, () => abort.abort());
    try {
      for await (const event of client.events(chatKey, turnId, lastSeq, abort.signal)) {
        watchdog.touch();
        if (isHeartbeat(event)) continue; // keeps the stream alive, carries nothing
        if (event.seq <= lastSeq) continue; // already applied: each event takes effect once
        if (failedAttempts > 0 || lastError) ctx.onReachable?.();
        failedAttempts = 0;
        lastError = undefined;
        const terminal = terminalOf(event);
        if (terminal) {
          // Store progress only up to the event before the terminal one, and deliver before marking
          // the message finished: a crash during delivery then replays the terminal event and
          // delivers again (the observer dedupes) instead of never finishing.
          persist();
          lastSeq = storedSeq = event.seq;
          if (!terminal.ok && terminal.code === "backend_lost_turn" && canResubmit(message)) return resubmit(ctx, terminal.detail);
          if (terminal.ok) {
            if (!(await deliverWithinBudget(ctx, { ok: true, text: terminal.text }))) return { kind: "handover" };
            inbox.finish(message.seq, terminal.text, event.seq, now());
            // ms covers this alarm invocation only: a turn handed over or re-attached after a restart started earlier.
            log.info("turn.end", {
              chat: chatKey,
              messageId: message.id,
              turnId,
              traceId,
              ms: now() - startedAt,
              chars: terminal.text.length,
            });
            return { kind: "finished", backendLost: false };
          }
          return finishFailed(ctx, terminal, terminal.backendLost);
        }
        lastSeq = event.seq;
        const side = ctx.sideEvents;
        if (event.type === "text_delta") {
          reply += event.delta;
          ctx.observer.progress(side ? side.display(reply) : reply);
        } else if (side && (await side.apply(event, reply.length))) {
          ctx.observer.progress(side.display(reply));
        }
        ctx.onEvent?.(event, reply);
        persistSoon();
      }
    } catch (err) {
      if (watchdog.stalled) {
        const silentMs = ctx.stallMs ?? DEFAULT_STALL_MS;
        log.warn("turn.stream_stalled", { chat: chatKey, messageId: message.id, turnId, lastSeq, silentMs });
        lastError = new BackendError("timeout", `the turn's event stream was silent for ${silentMs} ms (no event, no heartbeat)`);
      } else {
        if (abort.signal.aborted) return { kind: "handover" };
        if (err instanceof BackendError && (err.status === 404 || err.code === "unknown_turn")) {
          const lost = { code: "backend_lost_turn", detail: "the pi backend no longer knows this turn (it was restarted?)" };
          if (canResubmit(message)) return resubmit(ctx, lost.detail);
          return finishFailed(ctx, lost, true);
        }
        if (err instanceof BackendError && err.status >= 400 && err.status < 500) {
          return finishFailed(ctx, { code: "backend_rejected", detail: err.message }, false);
        }
        if (isBackendOutage(err)) lastError = err as BackendError;
        log.warn("turn.stream_broken", { chat: chatKey, messageId: message.id, turnId, lastSeq, error: err });
      }
    } finally {
      clearTimeout(timer);
      watchdog.stop();
      persist();
    }
    // The stream ended without a terminal event: re-attach after what we applied.
    failedAttempts++;
    if (failedAttempts > MAX_REATTACH_ATTEMPTS) {
      // Kept, not failed: the alarm re-attaches with backoff until the outage hold runs out (outage.ts).
      return { kind: "held", error: lastError ?? new BackendError("unreachable", "lost the turn's event stream and could not re-attach") };
    }
    const delayMs = Math.min(200 * 2 ** (failedAttempts - 1), 5_000);
    log.info("turn.retry", { chat: chatKey, messageId: message.id, turnId, traceId, attempt: failedAttempts, afterSeq: lastSeq, delayMs });
    await sleep(delayMs);
  }
}

/** Submits the turn; a stray turn still running in our backend session is aborted and waited out first. */
async function submit(ctx: TurnContext, turnId: string): Promise<(TurnFailure & { backendLost: boolean }) | { held: BackendError } | null> {
  const { client, chatKey, message } = ctx;
  let attachments: TurnAttachment[] | undefined;
  try {
    attachments = await ctx.attachments?.();
  } catch (err) {
    if (!(err instanceof AttachmentError)) throw err;
    return { code: err.code, detail: err.message, backendLost: false };
  }
  try {
    await client.submitTurn(chatKey, turnId, message.text, attachments);
    return null;
  } catch (first) {
    let err = first;
    if (err instanceof BackendError && err.code === "busy" && err.runningTurnId !== turnId) {
      // One chat owns its backend session, so a turn we are not driving is an orphan (e.g. one whose stream we gave up on).
      try {
        await submitPastOrphan({ client, chatKey, turnId, text: message.text, attachments, orphanTurnId: err.runningTurnId });
        return null;
      } catch (after) {
        err = after;
      }
    }
    if (!(err instanceof BackendError)) throw err;
    // Refused, timed out, 5xx or 503: the machine is away or full; the message is held, not failed.
    if (isBackendOutage(err)) return { held: err };
    if (err.code === "capacity") {
      const hint = err.retryAfterSeconds ? ` (retry after ${err.retryAfterSeconds} s)` : "";
      return { code: "backend_capacity", detail: `the pi backend has no room for another session${hint}`, backendLost: false };
    }
    const lost = err.code === "unreachable" || err.status >= 500;
    return { code: err.code, detail: err.message, backendLost: lost };
  }
}

/** A turn the backend lost after accepting it is submitted again, once (attempt 0 → 1). */
function canResubmit(message: InboxMessage): boolean {
  return message.kind === "prompt" && message.attempt === 0;
}

/**
 * Runs the message again under a new attempt (turn id `<epoch>.<seq>.<attempt>`), with the same
 * observer: on a platform the reply streams on into the same message, so the chat still shows one reply.
 */
async function resubmit(ctx: TurnContext, reason: string): Promise<TurnResult> {
  const { message, inbox, now } = ctx;
  const attempt = message.attempt + 1;
  const turnId = message.turnId!.replace(/\.\d+$/, `.${attempt}`);
  log.warn("turn.resubmitted", { chat: ctx.chatKey, messageId: message.id, lostTurnId: message.turnId, turnId, attempt, reason });
  inbox.newAttempt(message.seq, turnId, now());
  return runTurn({ ...ctx, message: { ...message, attempt, turnId, submitted: false, lastSeq: 0, reply: null } });
}

type Terminal = { ok: true; text: string } | ({ ok: false; backendLost: boolean } & TurnFailure);

function terminalOf(event: TurnEvent): Terminal | null {
  if (event.type === "turn_end") return { ok: true, text: event.text };
  if (event.type === "turn_error") {
    // Both mean the backend no longer holds this session's process: drop the handle (a stopped server lost the turn).
    const backendLost = event.code === "process_crashed" || event.code === "backend_lost_turn";
    return { ok: false, code: event.code, detail: event.message, backendLost };
  }
  return null;
}

/** The detail goes to the log and the stored record; the observer decides what a chat may see of it. */
async function finishFailed(ctx: TurnContext, failure: TurnFailure, backendLost: boolean): Promise<TurnResult> {
  const { code, detail } = failure;
  const error = describeFailure(failure);
  const { chatKey: chat, message, traceId } = ctx;
  const fields = { chat, messageId: message.id, turnId: message.turnId, traceId, code, detail, ms: ctx.now() - ctx.startedAt };
  if (code === "aborted") log.info("turn.stopped", fields);
  else log.error("turn.failed", fields);
  if (!(await deliverWithinBudget(ctx, { ok: false, code, detail }))) return { kind: "handover" };
  ctx.inbox.fail(ctx.message.seq, error, ctx.now());
  return { kind: "finished", backendLost };
}

/** Delivers the outcome; false when the delivery handed over (the terminal event is replayed next invocation). */
async function deliverWithinBudget(ctx: TurnContext, outcome: TurnOutcome): Promise<boolean> {
  try {
    await ctx.observer.finished(outcome);
    return true;
  } catch (err) {
    if (!(err instanceof DeliveryHandover)) throw err;
    log.info("turn.delivery_handover", { chat: ctx.chatKey, messageId: ctx.message.id, waitMs: err.waitMs });
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
