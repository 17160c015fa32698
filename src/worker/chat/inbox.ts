/**
 * The chat's durable inbox: every accepted message, its state and its turn's progress,
 * in the ChatSession's SQLite storage. All methods are synchronous SQL, so a check and the
 * insert that follows it can never be interleaved with another request.
 */

/** `aborted`: by /stop or an interrupt; `merged`: its text went into another message's turn (collect, steer). See ledger.ts. */
export type MessageState = "queued" | "running" | "done" | "failed" | "aborted" | "merged";

/**
 * A prompt for the agent, a `/new` marker that resets the conversation when the loop reaches it, or a
 * `/stop` record (stored done, never run; its `turnId` names the turn it stopped).
 */
export type MessageKind = "prompt" | "reset" | "stop";

/** A row of the inbox. */
export interface InboxMessage {
  seq: number;
  id: string;
  kind: MessageKind;
  text: string;
  state: MessageState;
  reply: string | null;
  error: string | null;
  attempt: number;
  turnId: string | null;
  submitted: boolean;
  lastSeq: number;
  /** Where a platform wants the reply delivered (JSON), null for the HTTP interface. */
  target: string | null;
  /** The message whose turn carried this one's text (state `merged`). */
  mergedInto: string | null;
  /** Epoch ms when it was accepted. */
  createdAt: number;
}

interface Row extends Record<string, SqlStorageValue> {
  seq: number;
  id: string;
  kind: string;
  text: string;
  state: string;
  reply: string | null;
  error: string | null;
  attempt: number;
  turn_id: string | null;
  submitted: number;
  last_seq: number;
  target: string | null;
  created_at: number;
  merged_into: string | null;
}

/** The `messages` table (created by chat/schema.ts). */
export class Inbox {
  constructor(private readonly sql: SqlStorage) {}

  /** Stores a message unless one with this id exists; returns the stored row and whether it is new. */
  add(
    id: string,
    text: string,
    target: string | null,
    now: number,
    kind: MessageKind = "prompt",
  ): { created: boolean; message: InboxMessage } {
    const existing = this.get(id);
    if (existing) return { created: false, message: existing };
    const row = this.sql
      .exec<Row>(
        "INSERT INTO messages (id, kind, text, state, target, created_at, updated_at) VALUES (?, ?, ?, 'queued', ?, ?, ?) RETURNING *",
        id,
        kind,
        text,
        target,
        now,
        now,
      )
      .one();
    return { created: true, message: toMessage(row) };
  }

  /** Stores a command that takes effect at once (a `/stop`) as a finished record; `turnId` names the turn it acted on. */
  record(id: string, kind: MessageKind, text: string, turnId: string | null, now: number): InboxMessage {
    const row = this.sql
      .exec<Row>(
        "INSERT INTO messages (id, kind, text, state, turn_id, created_at, updated_at) VALUES (?, ?, ?, 'done', ?, ?, ?) RETURNING *",
        id,
        kind,
        text,
        turnId,
        now,
        now,
      )
      .one();
    return toMessage(row);
  }

  /** The message whose turn is running, if any. */
  running(): InboxMessage | null {
    const row = this.sql.exec<Row>("SELECT * FROM messages WHERE state = 'running' ORDER BY seq LIMIT 1").toArray()[0];
    return row ? toMessage(row) : null;
  }

  get(id: string): InboxMessage | null {
    const row = this.sql.exec<Row>("SELECT * FROM messages WHERE id = ?", id).toArray()[0];
    return row ? toMessage(row) : null;
  }

  /** The message whose turn runs next: a running one (resumed after a restart) before any queued one. */
  next(): InboxMessage | null {
    const row = this.sql
      .exec<Row>("SELECT * FROM messages WHERE state IN ('running', 'queued') ORDER BY state = 'queued', seq LIMIT 1")
      .toArray()[0];
    return row ? toMessage(row) : null;
  }

  /** How many of this chat's unfinished messages arrived before `seq`. */
  positionOf(seq: number): number {
    return this.count("state IN ('running', 'queued') AND seq < ?", seq);
  }

  /** Prompts waiting, not counting the running one. */
  queuedCount(): number {
    return this.count("state = 'queued' AND kind = 'prompt'");
  }

  /** Whether a turn runs, and `queuedCount()`, in one query (a registry snapshot needs both). */
  activity(): { busy: boolean; queued: number } {
    const row = this.sql
      .exec<{ running: number; queued: number }>(
        `SELECT COUNT(*) FILTER (WHERE state = 'running') AS running,
                COUNT(*) FILTER (WHERE state = 'queued' AND kind = 'prompt') AS queued
         FROM messages WHERE state IN ('running', 'queued')`,
      )
      .one();
    return { busy: row.running > 0, queued: row.queued };
  }

  markRunning(seq: number, turnId: string, now: number): void {
    this.sql.exec("UPDATE messages SET state = 'running', turn_id = ?, updated_at = ? WHERE seq = ?", turnId, now, seq);
  }

  /** Back to queued, in its place: a turn the backend never accepted (held through an outage). */
  requeue(seq: number, now: number): void {
    this.sql.exec("UPDATE messages SET state = 'queued', updated_at = ? WHERE seq = ? AND submitted = 0", now, seq);
  }

  /**
   * Starts a new attempt under `turnId`: the backend lost the turn it had accepted (a restart), so the
   * message is submitted again from the start. Its progress so far is dropped; `attempt` counts up.
   */
  newAttempt(seq: number, turnId: string, now: number): void {
    this.sql.exec(
      "UPDATE messages SET attempt = attempt + 1, turn_id = ?, submitted = 0, last_seq = 0, reply = NULL, updated_at = ? WHERE seq = ?",
      turnId,
      now,
      seq,
    );
  }

  markSubmitted(seq: number, now: number): void {
    this.sql.exec("UPDATE messages SET submitted = 1, updated_at = ? WHERE seq = ?", now, seq);
  }

  /** Persists the turn's progress so a restart re-attaches after `lastSeq` instead of submitting again. */
  recordProgress(seq: number, lastSeq: number, reply: string, now: number): void {
    this.sql.exec("UPDATE messages SET last_seq = ?, reply = ?, updated_at = ? WHERE seq = ?", lastSeq, reply, now, seq);
  }

  finish(seq: number, reply: string, lastSeq: number, now: number): void {
    this.sql.exec("UPDATE messages SET state = 'done', reply = ?, last_seq = ?, updated_at = ? WHERE seq = ?", reply, lastSeq, now, seq);
  }

  /** Ends the message `failed`, or `aborted` when its turn was aborted (`aborted: ...`, by /stop or an interrupt). */
  fail(seq: number, error: string, now: number): void {
    const state = error.startsWith("aborted:") ? "aborted" : "failed";
    this.sql.exec("UPDATE messages SET state = ?, error = ?, updated_at = ? WHERE seq = ?", state, error, now, seq);
  }

  /** Ends a queued message `merged` into another message's turn (its text was steered into it). */
  markMerged(seq: number, intoId: string, now: number): void {
    this.sql.exec(
      "UPDATE messages SET state = 'merged', merged_into = ?, updated_at = ? WHERE seq = ? AND state = 'queued'",
      intoId,
      now,
      seq,
    );
  }

  /** Ends every prompt queued before `beforeSeq` `aborted` with `error` (an interrupt supersedes them); returns their ids. */
  abortQueuedBefore(beforeSeq: number, error: string, now: number): string[] {
    return this.sql
      .exec<{ id: string }>(
        `UPDATE messages SET state = 'aborted', error = ?, updated_at = ?
         WHERE state = 'queued' AND kind = 'prompt' AND seq < ? RETURNING id`,
        error,
        now,
        beforeSeq,
      )
      .toArray()
      .map((r) => r.id);
  }

  /**
   * Collect mode: merges the prompts queued after `first` (up to the next queued reset, so a /new
   * keeps its place) into it. `first`'s stored text becomes all of theirs, joined by blank lines, so
   * a re-submit sends the same prompt; the others end `merged` into it. Returns `first` as stored.
   */
  mergeQueuedInto(first: InboxMessage, now: number): InboxMessage {
    const nextReset = this.sql
      .exec<{ seq: number }>(
        "SELECT seq FROM messages WHERE state = 'queued' AND kind = 'reset' AND seq > ? ORDER BY seq LIMIT 1",
        first.seq,
      )
      .toArray()[0]?.seq;
    const later = this.sql
      .exec<Row>(
        "SELECT * FROM messages WHERE state = 'queued' AND kind = 'prompt' AND seq > ? AND seq < ? ORDER BY seq",
        first.seq,
        nextReset ?? Number.MAX_SAFE_INTEGER,
      )
      .toArray();
    if (later.length === 0) return first;
    const text = [first.text, ...later.map((r) => r.text)].join("\n\n");
    this.sql.exec("UPDATE messages SET text = ?, updated_at = ? WHERE seq = ?", text, now, first.seq);
    for (const row of later) this.markMerged(row.seq, first.id, now);
    return { ...first, text };
  }

  private count(where: string, ...params: SqlStorageValue[]): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM messages WHERE ${where}`, ...params).one().n;
  }
}

function toMessage(row: Row): InboxMessage {
  return {
    seq: row.seq,
    id: row.id,
    kind: row.kind === "reset" || row.kind === "stop" ? row.kind : "prompt",
    text: row.text,
    state: row.state as MessageState,
    reply: row.reply,
    error: row.error,
    attempt: row.attempt,
    turnId: row.turn_id,
    submitted: row.submitted === 1,
    lastSeq: row.last_seq,
    target: row.target,
    mergedInto: row.merged_into,
    createdAt: row.created_at,
  };
}
