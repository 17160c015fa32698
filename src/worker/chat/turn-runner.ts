/**
 * Drives one turn against the pi backend: submit once, then follow the event stream,
 * persisting the applied events so that a lost stream, an eviction or a restart
 * re-attaches after the last stored `seq` instead of submitting again.
 */

import { log } from "../../shared/log";
import type { TurnEvent } from "../../shared/protocol";
import { BackendError, type PiBackendClient } from "../pi-client/client";
import type { Inbox, InboxMessage } from "./inbox";
import { describeFailure, type TurnFailure, type TurnObserver } from "./turn-observer";
import type { TurnSideEvents } from "./turn-side-events";

export type TurnResult =
  /** The message is done or failed. `backendLost` asks the caller to drop its backend-session handle. */
  | { kind: "finished"; backendLost: boolean }
  /** The deadline came first; progress is stored and the next alarm invocation carries on. */
  | { kind: "handover" };

export interface TurnContext {
  client: PiBackendClient;
  inbox: Inbox;
  chatKey: string;
  message: InboxMessage;
  observer: TurnObserver;
  /** Epoch ms after which this invocation hands the turn over. */
  deadline: number;
  now: () => number;
  /** Called once the backend has accepted the turn (the session is live). */
  onSubmitted: () => void;
  /** Tool calls, dialogs and notifications (issue 10); without it they are skipped. */
  sideEvents?: TurnSideEvents;
}

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
  const startedAt = now();

  if (!message.submitted) {
    const failure = await submit(ctx, turnId);
    if (failure) return finishFailed(ctx, failure, failure.backendLost);
    inbox.markSubmitted(message.seq, now());
    ctx.onSubmitted();
  }

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
    try {
      for await (const event of client.events(chatKey, turnId, lastSeq, abort.signal)) {
        if (event.seq <= lastSeq) continue; // already applied: each event takes effect once
        failedAttempts = 0;
        const terminal = terminalOf(event);
        if (terminal) {
          // Store progress only up to the event before the terminal one, and deliver before marking
          // the message finished: a crash during delivery then replays the terminal event and
          // delivers again (the observer dedupes) instead of never finishing.
          persist();
          lastSeq = storedSeq = event.seq;
          if (terminal.ok) {
            await ctx.observer.finished({ ok: true, text: terminal.text });
            inbox.finish(message.seq, terminal.text, event.seq, now());
            // ms covers this alarm invocation only: a turn handed over or re-attached after a restart started earlier.
            log.info("turn.end", { chat: chatKey, messageId: message.id, turnId, ms: now() - startedAt, chars: terminal.text.length });
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
        persistSoon();
      }
    } catch (err) {
      if (abort.signal.aborted) return { kind: "handover" };
      if (err instanceof BackendError && (err.status === 404 || err.code === "unknown_turn")) {
        return finishFailed(
          ctx,
          { code: "backend_lost_turn", detail: "the pi backend no longer knows this turn (it was restarted?)" },
          true,
        );
      }
      if (err instanceof BackendError && err.status >= 400 && err.status < 500) {
        return finishFailed(ctx, { code: "backend_rejected", detail: err.message }, false);
      }
      log.warn("turn.stream_broken", { chat: chatKey, messageId: message.id, turnId, lastSeq, error: err });
    } finally {
      clearTimeout(timer);
      persist();
    }
    // The stream ended without a terminal event: re-attach after what we applied.
    failedAttempts++;
    if (failedAttempts > MAX_REATTACH_ATTEMPTS) {
      return finishFailed(ctx, { code: "backend_unreachable", detail: "lost the turn's event stream and could not re-attach" }, true);
    }
    await sleep(Math.min(200 * 2 ** (failedAttempts - 1), 5_000));
  }
}

/** Submits the turn; a stray turn still running in our backend session is aborted first. */
async function submit(ctx: TurnContext, turnId: string): Promise<(TurnFailure & { backendLost: boolean }) | null> {
  const { client, chatKey, message } = ctx;
  for (let attempt = 0; ; attempt++) {
    try {
      await client.submitTurn(chatKey, turnId, message.text);
      return null;
    } catch (err) {
      if (!(err instanceof BackendError)) throw err;
      if (err.code === "busy" && err.runningTurnId !== turnId && attempt === 0) {
        // One chat owns its backend session, so a turn we are not driving is an orphan (e.g. one whose stream we gave up on).
        log.warn("turn.orphan_abort", { chat: chatKey, messageId: message.id, turnId, orphanTurnId: err.runningTurnId });
        await client.abort(chatKey).catch(() => false);
        continue;
      }
      if (err.code === "capacity") {
        const hint = err.retryAfterSeconds ? ` (retry after ${err.retryAfterSeconds} s)` : "";
        return { code: "backend_capacity", detail: `the pi backend has no room for another session${hint}`, backendLost: false };
      }
      const lost = err.code === "unreachable" || err.status >= 500;
      return { code: err.code, detail: err.message, backendLost: lost };
    }
  }
}

type Terminal = { ok: true; text: string } | ({ ok: false; backendLost: boolean } & TurnFailure);

function terminalOf(event: TurnEvent): Terminal | null {
  if (event.type === "turn_end") return { ok: true, text: event.text };
  if (event.type === "turn_error") {
    return { ok: false, code: event.code, detail: event.message, backendLost: event.code === "process_crashed" };
  }
  return null;
}

/** The detail goes to the log and the stored record; the observer decides what a chat may see of it. */
async function finishFailed(ctx: TurnContext, failure: TurnFailure, backendLost: boolean): Promise<TurnResult> {
  const { code, detail } = failure;
  const error = describeFailure(failure);
  const fields = { chat: ctx.chatKey, messageId: ctx.message.id, turnId: ctx.message.turnId, code, detail };
  if (code === "aborted") log.info("turn.stopped", fields);
  else log.error("turn.failed", fields);
  await ctx.observer.finished({ ok: false, code, detail });
  ctx.inbox.fail(ctx.message.seq, error, ctx.now());
  return { kind: "finished", backendLost };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
