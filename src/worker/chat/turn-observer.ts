/**
 * Receives one turn's progress, for delivering the reply somewhere (a chat platform).
 * The HTTP interface needs none: its clients poll the stored message.
 */
export interface TurnObserver {
  /** The turn is about to be submitted (or resumed after a restart). */
  started(): Promise<void>;
  /** The reply so far. Must not wait on a platform: called once per streamed delta. */
  progress(textSoFar: string): void;
  /** The turn ended; deliver the final text or the failure. */
  finished(outcome: TurnOutcome): Promise<void>;
}

export type TurnOutcome = { ok: true; text: string } | { ok: false; error: string };

/** Observer for messages that nobody streams to. */
export const silentObserver: TurnObserver = {
  async started() {},
  progress() {},
  async finished() {},
};
