/**
 * What the turn loop does with a message whose turn met a backend outage (see outage.ts): keep it
 * and retry from the alarm, telling the user once per outage, or — held too long — fail it
 * `backend_unreachable` and say so.
 */
import { log } from "../../shared/log";
import type { BackendError } from "../pi-client/client";
import type { Inbox, InboxMessage } from "./inbox";
import type { OutageDecision, Outages } from "./outage";
import { describeFailure, type TurnFailure, type TurnObserver } from "./turn-observer";

export interface HoldContext {
  outages: Outages;
  inbox: Inbox;
  chatKey: string;
  message: InboxMessage;
  /** Null for a message nobody is told about (a `/new` reset). */
  observer: TurnObserver | null;
  error: BackendError;
  now: number;
  setAlarm: (at: number) => Promise<void>;
}

/** Applies the outage policy to `message`; returns the decision taken. */
export async function holdThroughOutage(h: HoldContext): Promise<OutageDecision> {
  const { outages, inbox, chatKey, message, observer, error, now } = h;
  const decision = outages.failed(message, error, now, (error.retryAfterSeconds ?? 0) * 1000);
  const fields = { chat: chatKey, messageId: message.id, turnId: message.turnId, error: decision.state.lastError };
  if (decision.action === "give_up") {
    const failure: TurnFailure = {
      code: "backend_unreachable",
      detail: `the pi backend was unreachable for ${Math.round(decision.heldMs / 1000)} s (last: ${decision.state.lastError})`,
    };
    log.error("turn.failed", { ...fields, code: failure.code, detail: failure.detail });
    await observer?.finished({ ok: false, ...failure });
    inbox.fail(message.seq, describeFailure(failure), now);
    return decision;
  }
  // Never accepted by the backend: back to queued, in its place. Accepted: stays running and re-attaches.
  inbox.requeue(message.seq, now);
  await observer?.held?.(decision.tell);
  await h.setAlarm(decision.at);
  log.warn("turn.held", { ...fields, failures: decision.state.failures, retryInMs: decision.at - now, told: decision.tell });
  return decision;
}
