/** Every known turn by session and turnId: idempotency for re-sent turns and the log for re-attaching. */
import { FINISHED_TURN_RETENTION_MS } from "../shared/protocol";
import type { Turn } from "./turn";

/**
 * How often adding a turn also sweeps out expired ones. A sweep walks every known turn, so
 * sweeping on every add made each submit O(turns kept); once a minute keeps finished turns for
 * the retention period plus at most this.
 */
const PRUNE_EVERY_MS = 60_000;

/** Turns kept in memory; finished ones are forgotten after the retention period. */
export class TurnStore {
  private readonly turns = new Map<string, Turn>();
  private lastPrune = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly retentionMs = FINISHED_TURN_RETENTION_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The turn, if still known. */
  get(sessionId: string, turnId: string): Turn | undefined {
    return this.turns.get(key(sessionId, turnId));
  }

  /** Records a new turn. */
  add(turn: Turn): void {
    if (this.now() - this.lastPrune >= PRUNE_EVERY_MS) this.prune();
    this.turns.set(key(turn.sessionId, turn.turnId), turn);
  }

  /** Forgets finished turns older than the retention period. */
  prune(): void {
    this.lastPrune = this.now();
    const cutoff = this.lastPrune - this.retentionMs;
    for (const [k, turn] of this.turns) {
      if (turn.finishedAt !== undefined && turn.finishedAt < cutoff) this.turns.delete(k);
    }
  }
}

// A newline cannot occur in either id, so the key is unambiguous.
function key(sessionId: string, turnId: string): string {
  return `${sessionId}\n${turnId}`;
}
