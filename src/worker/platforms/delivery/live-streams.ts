/**
 * The reply streams live in one ChatSession instance, per chat message: a stream resumed by a later
 * alarm invocation (a handover) retires the one before it and waits for its last platform call.
 *
 * Owned by the object instance, never module-level: after the object is reset mid-call, the new
 * instance (same isolate) must not find the dead instance's stream and await its `flushing`
 * promise, which never settles — that wedged the chat for good inside the turn lock.
 */

/** What a stream exposes to the one that takes over from it. */
export interface LiveStream {
  /** Stops its timers; it sends nothing more. */
  retire(): void;
  /** Its platform call in flight, if any. */
  readonly inFlight: Promise<void> | null;
}

/** Longest wait for the previous stream's call in flight; a platform call that takes longer is given up on. */
export const TAKEOVER_WAIT_MS = 30_000;

export class LiveStreams {
  private readonly streams = new Map<string, LiveStream>();

  /** Registers `stream` under `key` and returns the stream it replaces, if any. */
  take(key: string, stream: LiveStream): LiveStream | undefined {
    const before = this.streams.get(key);
    this.streams.set(key, stream);
    return before === stream ? undefined : before;
  }

  /** Forgets `stream` if it is still the live one for `key`. */
  drop(key: string, stream: LiveStream): void {
    if (this.streams.get(key) === stream) this.streams.delete(key);
  }
}

/** Retires `before` and waits for its call in flight, at most `maxMs`. */
export async function takeOver(before: LiveStream, maxMs = TAKEOVER_WAIT_MS): Promise<void> {
  before.retire();
  const inFlight = before.inFlight;
  if (!inFlight) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([inFlight, new Promise<void>((resolve) => (timer = setTimeout(resolve, maxMs)))]);
  clearTimeout(timer);
}
