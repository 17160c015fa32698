/** One turn's event log: numbered events, replayable from any `seq`, with live subscribers. */
import { isTerminal, type TurnEvent, type TurnEventBody, type TurnState } from "../shared/protocol";

/** Receives events; `done` is called once after the terminal event has been delivered. */
export interface TurnSubscriber {
  event(event: TurnEvent): void;
  done(): void;
}

/** A turn and everything it has emitted so far. */
export class Turn {
  readonly events: TurnEvent[] = [];
  state: TurnState = "running";
  /** When the terminal event was pushed (ms since epoch); retention counts from here. */
  finishedAt: number | undefined;
  private readonly subscribers = new Set<TurnSubscriber>();
  private readonly terminal: Promise<TurnEvent>;
  private resolveTerminal!: (event: TurnEvent) => void;

  constructor(
    readonly sessionId: string,
    readonly turnId: string,
    private readonly onEvent: (event: TurnEvent) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {
    this.terminal = new Promise((resolve) => {
      this.resolveTerminal = resolve;
    });
  }

  /** True until the terminal event. */
  get running(): boolean {
    return this.state === "running";
  }

  /** Resolves with the terminal event. */
  finished(): Promise<TurnEvent> {
    return this.terminal;
  }

  /** Appends an event with the next seq and delivers it; ignored after the terminal event, so exactly one terminal wins. */
  push(body: TurnEventBody): boolean {
    if (!this.running) return false;
    const event = { seq: this.events.length + 1, ...body } as TurnEvent;
    this.events.push(event);
    if (isTerminal(body)) {
      this.state = body.type === "turn_end" ? "done" : "failed";
      this.finishedAt = this.now();
    }
    this.onEvent(event);
    for (const subscriber of this.subscribers) subscriber.event(event);
    if (!this.running) {
      for (const subscriber of this.subscribers) subscriber.done();
      this.subscribers.clear();
      this.resolveTerminal(event);
    }
    return true;
  }

  /**
   * Replays every event with `seq > after`, then delivers live ones. Replay and subscription happen
   * in one synchronous step, so no event is missed or delivered twice. Returns the unsubscribe.
   */
  subscribe(after: number, subscriber: TurnSubscriber): () => void {
    for (const event of this.events.slice(Math.max(0, after))) subscriber.event(event);
    if (!this.running) {
      subscriber.done();
      return () => {};
    }
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }
}
