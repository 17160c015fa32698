/** Every known turn by session and turnId: idempotency for re-sent turns and the log for re-attaching. */
import { FINISHED_TURN_RETENTION_MS } from "../pi/protocol";
import type { Turn } from "./turn";

/** Turns kept in memory; finished ones are forgotten after the retention period. */
export class TurnStore {
  private readonly turns = new Map<string, Turn>();

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
    this.prune();
    this.turns.set(key(turn.sessionId, turn.turnId), turn);
  }

  /** Forgets finished turns older than the retention period. */
  prune(): void {
    const cutoff = this.now() - this.retentionMs;
    for (const [k, turn] of this.turns) {
      if (turn.finishedAt !== undefined && turn.finishedAt < cutoff) this.turns.delete(k);
    }
  }
}

// A newline cannot occur in either id, so the key is unambiguous.
function key(sessionId: string, turnId: string): string {
  return `${sessionId}\n${turnId}`;
}
