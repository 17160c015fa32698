/**
 * Extension dialogs waiting for the user, in the ChatSession's SQLite (`ui_requests`, chat/schema.ts).
 * A row is `open` from its ui_request event until someone answers (`answered`, set synchronously
 * before the backend is called, so a button pressed twice or a webhook delivered twice answers
 * once) or the backend closes it (`closed`: ui_closed, e.g. nobody answered in time). `token` is our
 * short id for it, small enough for Telegram's 64-byte button data.
 */
import type { UiAnswer, UiClosedReason, UiRequest } from "../../shared/protocol";

export type UiRequestState = "open" | "answered" | "closed";

/** One dialog as stored. */
export interface StoredUiRequest {
  token: string;
  messageSeq: number;
  turnId: string;
  request: UiRequest;
  state: UiRequestState;
  answer: UiAnswer | null;
  /** Platform id of the message that shows the dialog (its buttons), if one was sent. */
  promptId: string | null;
}

interface Row extends Record<string, SqlStorageValue> {
  token: string;
  message_seq: number;
  turn_id: string;
  request: string;
  state: string;
  answer: string | null;
  prompt_id: string | null;
}

/** The `ui_requests` table. */
export class UiRequests {
  constructor(private readonly sql: SqlStorage) {}

  /** Stores a dialog (once per turn and request id: a replayed event finds the stored row). */
  open(messageSeq: number, turnId: string, request: UiRequest, now: number): StoredUiRequest {
    const existing = this.sql.exec<Row>("SELECT * FROM ui_requests WHERE turn_id = ? AND request_id = ?", turnId, request.id).toArray()[0];
    if (existing) return toStored(existing);
    const token = crypto.randomUUID().replace(/-/g, "").slice(0, 12);
    this.sql.exec(
      "INSERT INTO ui_requests (token, message_seq, turn_id, request_id, request, state, created_at) VALUES (?, ?, ?, ?, ?, 'open', ?)",
      token,
      messageSeq,
      turnId,
      request.id,
      JSON.stringify(request),
      now,
    );
    return { token, messageSeq, turnId, request, state: "open", answer: null, promptId: null };
  }

  byToken(token: string): StoredUiRequest | null {
    const row = this.sql.exec<Row>("SELECT * FROM ui_requests WHERE token = ?", token).toArray()[0];
    return row ? toStored(row) : null;
  }

  /** The newest dialog still open for a message (or for any message when `messageSeq` is absent). */
  openOne(messageSeq?: number): StoredUiRequest | null {
    const row = (
      messageSeq === undefined
        ? this.sql.exec<Row>("SELECT * FROM ui_requests WHERE state = 'open' ORDER BY created_at DESC LIMIT 1")
        : this.sql.exec<Row>(
            "SELECT * FROM ui_requests WHERE state = 'open' AND message_seq = ? ORDER BY created_at DESC LIMIT 1",
            messageSeq,
          )
    ).toArray()[0];
    return row ? toStored(row) : null;
  }

  setPrompt(token: string, promptId: string): void {
    this.sql.exec("UPDATE ui_requests SET prompt_id = ? WHERE token = ?", promptId, token);
  }

  /** Claims the dialog for this answer; false when it is no longer open (answered already, or closed). */
  markAnswered(token: string, answer: UiAnswer): boolean {
    const changed = this.sql.exec(
      "UPDATE ui_requests SET state = 'answered', answer = ? WHERE token = ? AND state = 'open'",
      JSON.stringify(answer),
      token,
    );
    return changed.rowsWritten > 0;
  }

  /** Gives the claim back (the backend could not be reached): the dialog may be answered again. */
  reopen(token: string): void {
    this.sql.exec("UPDATE ui_requests SET state = 'open', answer = NULL WHERE token = ? AND state = 'answered'", token);
  }

  /** The backend closed the dialog; returns the row as it was, or null when it was unknown. */
  close(turnId: string, requestId: string, reason: UiClosedReason): StoredUiRequest | null {
    const row = this.sql.exec<Row>("SELECT * FROM ui_requests WHERE turn_id = ? AND request_id = ?", turnId, requestId).toArray()[0];
    if (!row) return null;
    if (reason !== "answered" || row.state === "open") {
      this.sql.exec("UPDATE ui_requests SET state = 'closed' WHERE token = ?", row.token);
    }
    return toStored(row);
  }

  /** Closes what a finished turn left open (its dialogs can no longer be answered). */
  closeAllOf(messageSeq: number): void {
    this.sql.exec("UPDATE ui_requests SET state = 'closed' WHERE message_seq = ? AND state = 'open'", messageSeq);
  }
}

function toStored(row: Row): StoredUiRequest {
  return {
    token: row.token,
    messageSeq: row.message_seq,
    turnId: row.turn_id,
    request: JSON.parse(row.request) as UiRequest,
    state: row.state as UiRequestState,
    answer: row.answer ? (JSON.parse(row.answer) as UiAnswer) : null,
    promptId: row.prompt_id,
  };
}

/** How an answer reads in the chat: "Yes", "No", the chosen option, or "Cancelled". */
export function answerLabel(answer: UiAnswer | null): string {
  if (!answer || "cancelled" in answer) return "Cancelled";
  if ("confirmed" in answer) return answer.confirmed ? "Yes" : "No";
  return answer.value.length > 200 ? `${answer.value.slice(0, 199)}…` : answer.value;
}
