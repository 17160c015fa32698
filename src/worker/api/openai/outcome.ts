/** How a completion's turn ended, read from the message's live events: its reply, or a failure in OpenAI's terms. */
import type { ReadEvent } from "../sse-reader";
import { openAiError } from "./errors";

export type Outcome = { ok: true; reply: string } | TurnFailed;

/** A failed turn: `code` is the failure's code (`llm_error`, `aborted`...), `error` the stored `code: detail`. */
export interface TurnFailed {
  ok: false;
  code: string;
  error: string;
}

/** The events ended without `done` or `failed` (the object restarted or dropped a slow reader). */
export const STREAM_LOST: TurnFailed = {
  ok: false,
  code: "stream_lost",
  error: "the reply's event stream ended early; read the message in its chat",
};

/** Reads the events to the end of the turn. */
export async function finalOutcome(events: AsyncIterable<ReadEvent>): Promise<Outcome> {
  for await (const { event, data } of events) {
    if (event === "done") return { ok: true, reply: (data as { reply: string }).reply };
    if (event === "failed") return failure((data as { error: string }).error);
  }
  return STREAM_LOST;
}

/** `code: detail` as the message record stores failures. */
export function failure(error: string): TurnFailed {
  const code = /^([a-z_]{1,64}): /.exec(error)?.[1] ?? "turn_failed";
  return { ok: false, code, error };
}

/** The OpenAI error body for a failed turn; its type is `server_error`, as the plain completion's 502 says. */
export function failureBody(failed: TurnFailed) {
  return openAiError(502, failed.code, failed.error);
}
