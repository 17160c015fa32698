/**
 * Getting past an orphaned turn: one still running in this chat's backend session that no message
 * drives (e.g. one whose stream we gave up on). The backend's abort only asks pi to stop, and pi
 * finishes its current step first, so a resubmit right after the abort meets 409 `busy` again.
 * We abort, then poll — resubmitting our own turn, which the backend starts the moment it is idle
 * and which is idempotent on its turnId — with backoff, re-sending the abort now and then in case
 * one was lost, until the backend really is idle or ORPHAN_WAIT_MS passes.
 */
import { log } from "../../shared/log";
import type { TurnAttachment } from "../../shared/protocol-schemas";
import { BackendError, type PiBackendClient } from "../pi-client/client";

/** How long to wait for an orphan to stop before the message fails `busy`. */
export const ORPHAN_WAIT_MS = 2 * 60_000;
const FIRST_POLL_MS = 250;
const MAX_POLL_MS = 4_000;
/** Re-send the abort every this many polls. */
const REABORT_EVERY = 4;

export interface OrphanWait {
  client: PiBackendClient;
  chatKey: string;
  turnId: string;
  text: string;
  attachments?: TurnAttachment[];
  orphanTurnId: string | undefined;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  maxWaitMs?: number;
}

/** Aborts the orphan and submits our turn once the backend is idle; throws the last error when it never is. */
export async function submitPastOrphan(wait: OrphanWait): Promise<void> {
  const { client, chatKey, turnId, text, attachments } = wait;
  const now = wait.now ?? Date.now;
  const sleep = wait.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const until = now() + (wait.maxWaitMs ?? ORPHAN_WAIT_MS);
  log.warn("turn.orphan_abort", { chat: chatKey, turnId, orphanTurnId: wait.orphanTurnId });
  await client.abort(chatKey).catch(() => false);
  let delay = FIRST_POLL_MS;
  for (let poll = 1; ; poll++) {
    await sleep(delay);
    try {
      await client.submitTurn(chatKey, turnId, text, attachments);
      log.info("turn.orphan_cleared", { chat: chatKey, turnId, orphanTurnId: wait.orphanTurnId, polls: poll });
      return;
    } catch (err) {
      if (!(err instanceof BackendError) || err.code !== "busy" || err.runningTurnId === turnId || now() >= until) throw err;
    }
    if (poll % REABORT_EVERY === 0) await client.abort(chatKey).catch(() => false);
    delay = Math.min(delay * 2, MAX_POLL_MS);
  }
}
