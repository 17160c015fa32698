/**
 * Applies a chat's queue mode (queue-mode.ts) to the inbox: a message arriving during a turn is
 * steered into it (`steer`) or aborts it (`interrupt`); the turn loop's next message absorbs the
 * ones queued behind it (`collect`). `followup` changes nothing.
 */
import { log } from "../../shared/log";
import type { PiBackendClient } from "../pi-client/client";
import type { Inbox, InboxMessage } from "./inbox";
import type { ChatSettings } from "./queue-mode";

/** A steer call that hangs must not hold up the message's acknowledgement: it is then queued as a follow-up. */
const STEER_TIMEOUT_MS = 10_000;
/**
 * The turn loop waits this long at most for steers and interrupts in flight (an abort call has no
 * timeout of its own): a hung backend call must not wedge the chat. A steer that lands later finds
 * its message no longer queued and leaves it alone (Inbox.markMerged only merges a queued message).
 */
const DISPATCH_WAIT_MS = STEER_TIMEOUT_MS + 5_000;

export interface QueueDispatchDeps {
  inbox: Inbox;
  settings: ChatSettings;
  client: () => PiBackendClient;
  chatKey: () => string;
  now: () => number;
}

export class QueueDispatch {
  /** Steers and interrupts in flight; the turn loop waits for them before it reads the inbox. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Running message seq → the id of the message that interrupted it, for its record. */
  private readonly interruptedBy = new Map<number, string>();
  /** Interrupted turns that had not reached the backend yet: aborted as soon as they do. */
  private readonly abortOnSubmit = new Set<number>();

  constructor(private readonly deps: QueueDispatchDeps) {}

  /**
   * Applies the chat's mode to a message just stored as queued; resolves when its fate is stored.
   * `changed` is called afterwards, to report the chat's new state (a steer merged it, an interrupt aborted others).
   */
  async arrived(message: InboxMessage, changed: () => void): Promise<void> {
    const mode = this.deps.settings.queueMode;
    if (message.kind !== "prompt" || (mode !== "steer" && mode !== "interrupt")) return;
    const task = (mode === "steer" ? this.steer(message) : this.interrupt(message)).then(changed, (err) =>
      log.error("queue.dispatch_failed", { chat: this.deps.chatKey(), messageId: message.id, mode, error: err }),
    );
    this.inFlight.add(task);
    try {
      await task;
    } finally {
      this.inFlight.delete(task);
    }
  }

  /**
   * The turn loop's next message: a running one first, then the oldest queued. In collect mode the
   * prompts queued behind it are merged into it. Waits for steers in flight, so a message is never
   * both steered into one turn and run as its own.
   */
  async next(): Promise<InboxMessage | null> {
    if (this.inFlight.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, DISPATCH_WAIT_MS);
      });
      await Promise.race([Promise.allSettled([...this.inFlight]), waited]);
      clearTimeout(timer);
    }
    const message = this.deps.inbox.next();
    if (message?.state === "queued" && message.kind === "prompt" && this.deps.settings.queueMode === "collect") {
      return this.deps.inbox.mergeQueuedInto(message, this.deps.now());
    }
    return message;
  }

  /** After a turn ended: an interrupted one's record names the message that interrupted it. */
  afterTurn(message: InboxMessage): void {
    const by = this.interruptedBy.get(message.seq);
    if (by === undefined) return;
    this.interruptedBy.delete(message.seq);
    this.abortOnSubmit.delete(message.seq);
    if (this.deps.inbox.get(message.id)?.state === "aborted") {
      this.deps.inbox.fail(message.seq, `aborted: interrupted by message ${by}`, this.deps.now());
    }
  }

  /** The turn loop's turn reached the backend: one an interrupt came too early for is aborted now. */
  submitted(message: InboxMessage): void {
    if (!this.abortOnSubmit.delete(message.seq)) return;
    void this.abortRunning(message);
  }

  /**
   * Sends the message into the running turn; on success it ends `merged` into the running message.
   * Only when nothing else waits (a queued message or /new ahead of it would be overtaken) and the
   * turn is already at the backend; otherwise, or when the backend says no turn runs, it stays
   * queued and runs as a follow-up.
   */
  private async steer(message: InboxMessage): Promise<void> {
    const { inbox } = this.deps;
    const running = inbox.running();
    const alone = running !== null && running.seq < message.seq && inbox.positionOf(message.seq) === 1;
    if (!running || !alone || running.kind !== "prompt" || !running.submitted) return;
    let steered = false;
    try {
      steered = await this.deps.client().steer(this.deps.chatKey(), message.text, AbortSignal.timeout(STEER_TIMEOUT_MS));
    } catch (err) {
      log.warn("queue.steer_failed", { chat: this.deps.chatKey(), messageId: message.id, error: err, fallback: "queued as a follow-up" });
    }
    if (steered) {
      inbox.markMerged(message.seq, running.id, this.deps.now());
      log.info("queue.steered", { chat: this.deps.chatKey(), messageId: message.id, into: running.id });
    }
  }

  /** Aborts the running turn and ends the prompts queued before this one `aborted`: the newest message runs next. */
  private async interrupt(message: InboxMessage): Promise<void> {
    const { inbox } = this.deps;
    const superseded = inbox.abortQueuedBefore(message.seq, `aborted: superseded by message ${message.id}`, this.deps.now());
    const running = inbox.running();
    if (superseded.length > 0) log.info("queue.superseded", { chat: this.deps.chatKey(), messageIds: superseded, by: message.id });
    // The turn loop may already have taken this very message (it ran while the message was being reported).
    if (!running || running.seq >= message.seq || running.kind !== "prompt") return;
    this.interruptedBy.set(running.seq, message.id);
    if (await this.abortRunning(running)) return;
    // Not at the backend yet (the submit is in flight): abort it the moment it is, unless it got there meanwhile.
    if (inbox.get(running.id)?.submitted) await this.abortRunning(running);
    else this.abortOnSubmit.add(running.seq);
  }

  /** Aborts the backend session's running turn; true when one was running. */
  private async abortRunning(running: InboxMessage): Promise<boolean> {
    try {
      const aborted = await this.deps.client().abort(this.deps.chatKey());
      log.info("queue.interrupted", { chat: this.deps.chatKey(), messageId: running.id, by: this.interruptedBy.get(running.seq), aborted });
      return aborted;
    } catch (err) {
      log.warn("queue.interrupt_failed", { chat: this.deps.chatKey(), messageId: running.id, error: err });
      return false;
    }
  }
}
