/**
 * The ChatSession's core: one Durable Object per chat key. It is that chat's durable inbox and its
 * turn lock: messages are stored before they are acknowledged, and turns run one at a time
 * from the object's alarm, never inside the request that delivered the message.
 */

import { DurableObject } from "cloudflare:workers";
import { Mutex } from "async-mutex";
import { ConfigError } from "../../shared/config-error";
import { log } from "../../shared/log";
import type { UiAnswer } from "../../shared/protocol";
import { backendConfig, idleTimeoutSeconds, turnHandoverSeconds } from "../config/config";
import type { Env, Registries } from "../config/env";
import { PiBackendClient } from "../pi-client/client";
import type { Registry } from "../registry/registry";
import { registryStub } from "../registry/registry-stub";
import type { ReleaseRequest, ReleaseResult, SessionSnapshot } from "../registry/types";
import { migrate } from "../storage/migrations";
import type { AgentCommand, CommandReply } from "./agent-commands";
import { ChatMeta } from "./chat-meta";
import { Inbox, type InboxMessage, type MessageKind, type MessageState } from "./inbox";
import { ChatInteractions, type InteractionFields } from "./interactions";
import { chatSchema } from "./schema";
import { describeFailure, silentObserver, type TurnFailure, type TurnObserver } from "./turn-observer";
import { runTurn, type TurnResult } from "./turn-runner";
import type { AnswerResult } from "./ui-answers";

/** What a caller sees of a stored message. */
export interface MessageRecord extends InteractionFields {
  chat: string;
  messageId: string;
  /** `input_required` while the turn waits on an extension dialog (`request`). */
  state: MessageState | "input_required";
  /** Messages of this chat ahead of it (0: it runs next); only while queued or running. */
  position?: number;
  reply?: string;
  error?: string;
}

export interface EnqueueInput {
  /** Client or platform message id; generated when absent. Re-sending it never starts a second turn. */
  messageId?: string;
  text: string;
  /** Where the reply is pushed (JSON, opaque to the core: the observer reads it); absent for HTTP clients, who poll. */
  target?: string;
}

/** When something unexpected breaks the drain loop, try again after this long. */
const DRAIN_RETRY_MS = 5_000;

/** The bindings the core uses: the registry it reports to, and the settings. */
export type ChatEnv = Env & Registries<Registry>;

/**
 * The chat core. It knows no chat platform: a subclass (the Worker entry's `ChatSession`) says
 * where a reply goes by overriding `observerFor`.
 */
export class ChatSessionCore extends DurableObject<ChatEnv> {
  private readonly inbox: Inbox;
  private readonly meta: ChatMeta;
  private readonly interactions: ChatInteractions;
  /** The turn lock. Awaiting fetch() opens the input gate, so the alarm's turn must be excluded explicitly. */
  private readonly turnLock = new Mutex();
  private lastReportVersion = 0;

  constructor(ctx: DurableObjectState, env: ChatEnv) {
    super(ctx, env);
    migrate(ctx.storage, chatSchema);
    this.inbox = new Inbox(ctx.storage.sql);
    this.meta = new ChatMeta(ctx.storage.sql);
    this.interactions = new ChatInteractions(ctx.storage.sql);
  }

  /** Stores a message (deduplicated on its id) and schedules the turn loop; answers before any turn runs. */
  async enqueue(input: EnqueueInput): Promise<{ created: boolean; record: MessageRecord }> {
    const chat = this.chatKey; // read first: an object reached without a name must refuse before storing anything
    const answered = input.target ? await this.answerTyped(input) : null;
    if (answered) return answered;
    const { created, message } = await this.accept(input.messageId, input.text, input.target ?? null, "prompt");
    return { created, record: this.recordOf(chat, message) };
  }

  /**
   * Aborts the running turn at once, without waiting for the turn lock (the turn then ends as
   * failed "aborted"). Queued messages stay queued.
   */
  async abortTurn(): Promise<{ aborted: boolean; queued: number }> {
    let aborted = false;
    if (this.inbox.hasRunning()) {
      try {
        aborted = await this.client().abort(this.chatKey);
      } catch (err) {
        log.warn("turn.abort_failed", { chat: this.chatKey, error: err });
      }
    }
    return { aborted, queued: this.inbox.queuedCount() };
  }

  /**
   * Starts a fresh conversation: aborts the running turn, then queues a reset that the turn
   * loop applies in order, so messages sent before it still go to the old conversation.
   */
  async startNewConversation(input: { messageId?: string }): Promise<{ aborted: boolean; queued: number }> {
    const { aborted } = await this.abortTurn();
    await this.accept(input.messageId, "/new", null, "reset");
    return { aborted, queued: this.inbox.queuedCount() };
  }

  /**
   * A platform message typed while an extension dialog waits may be its answer (issue 10): then it
   * is stored as done (so a redelivery is not a prompt either) and answers the dialog instead.
   */
  private async answerTyped(input: EnqueueInput): Promise<{ created: boolean; record: MessageRecord } | null> {
    const known = input.messageId ? this.inbox.get(input.messageId) : null;
    if (known) return { created: false, record: this.recordOf(this.chatKey, known) };
    const result = await this.interactions.answerTyped(this.client(), this.chatKey, input.text);
    if (!result) return null;
    const { message } = this.inbox.add(input.messageId ?? crypto.randomUUID(), input.text, input.target ?? null, Date.now());
    const note = result.ok ? `(answered the agent's question: ${result.label})` : `(not passed on: ${result.message})`;
    this.inbox.finish(message.seq, note, 0, Date.now());
    return { created: true, record: this.recordOf(this.chatKey, this.inbox.get(message.id)!) };
  }

  /** Answers the extension dialog `messageId`'s turn waits on (HTTP); null when there is no such message. */
  async answerMessage(messageId: string, answer: UiAnswer): Promise<{ result: AnswerResult; record: MessageRecord } | null> {
    const message = this.inbox.get(messageId);
    if (!message) return null;
    const result = await this.interactions.answerMessage(this.client(), this.chatKey, message, answer);
    return { result, record: this.recordOf(this.chatKey, this.inbox.get(messageId)!) };
  }

  /** A dialog button (`ui:<token>:<choice>`) was pressed by an allowed user. */
  async pressDialogButton(data: string): Promise<AnswerResult> {
    return this.interactions.pressButton(this.client(), this.chatKey, data);
  }

  /** Runs /model, /thinking, /stats, /compact or /verbose at once, beside any running turn and queue. */
  async agentCommand(command: AgentCommand, args: string): Promise<CommandReply> {
    const reply = await this.interactions.runCommand(this.client(), this.chatKey, command, args);
    // Every command but /verbose talks to pi, which starts the backend session if it was released: the
    // registry must know, so idle release stops that pi again (counting from now).
    if (command !== "verbose") {
      const name = this.ctx.id.name;
      if (name && this.meta.chatKey !== name) this.meta.chatKey = name;
      this.meta.lastActivity = Date.now();
      this.meta.backend = "live";
      this.reportSoon();
    }
    return reply;
  }

  /** Stores an inbox item (the dedupe check and insert are one synchronous step), then wakes the turn loop. */
  private async accept(id: string | undefined, text: string, target: string | null, kind: MessageKind) {
    const now = Date.now();
    // The alarm this sets may wake the object without its name: keep the name for it.
    const name = this.ctx.id.name;
    if (name && this.meta.chatKey !== name) this.meta.chatKey = name;
    const result = this.inbox.add(id ?? crypto.randomUUID(), text, target, now, kind);
    if (result.created) {
      this.meta.lastActivity = now;
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now);
      await this.report();
    }
    return result;
  }

  /** One stored message, or null. */
  async getMessage(messageId: string): Promise<MessageRecord | null> {
    const message = this.inbox.get(messageId);
    return message ? this.recordOf(this.chatKey, message) : null;
  }

  /** This chat's status as the registry would show it; null before its first message. */
  async snapshot(): Promise<SessionSnapshot | null> {
    return this.hasMessages() ? this.buildSnapshot() : null;
  }

  /**
   * Releases the backend session if the chat is still idle, not busy and on the generation the
   * caller saw. Skipped at once while a turn holds the lock; holds the lock across the DELETE so
   * no turn starts on a session being torn down, and records "released" in the registry while it
   * still holds it, so a late report cannot overwrite a newer "live".
   */
  async releaseBackendSession(request: ReleaseRequest): Promise<ReleaseResult> {
    if (this.turnLock.isLocked()) return { released: false, reason: "busy", snapshot: null };
    return this.turnLock.runExclusive(async () => {
      const skip = this.releaseBlocker(request, Date.now());
      if (skip) return { released: false, reason: skip, snapshot: this.hasMessages() ? this.buildSnapshot() : null };
      const chatKey = this.chatKey;
      try {
        await this.client().releaseSession(chatKey);
      } catch (err) {
        // The backend's own idle timeout is the safety net; the next turn resumes either way.
        log.warn("session.release_failed", { chat: chatKey, error: err });
      }
      this.meta.dropBackend();
      const snapshot = await this.report();
      return { released: true, reason: "released", snapshot };
    });
  }

  /** Runs due turns. Never throws: an exception would kill the object and retry blindly. */
  override async alarm(): Promise<void> {
    try {
      await this.turnLock.runExclusive(() => this.drain());
    } catch (err) {
      log.error("chat.drain_failed", { chat: this.ctx.id.name ?? this.meta.chatKey, retryInMs: DRAIN_RETRY_MS, error: err });
      await this.ctx.storage.setAlarm(Date.now() + DRAIN_RETRY_MS);
    }
  }

  /** Drains the inbox in arrival order, one turn at a time, re-reading it after each turn. */
  private async drain(): Promise<void> {
    const chatKey = this.chatKey;
    const deadline = Date.now() + turnHandoverSeconds(this.env) * 1000;
    for (let message = this.inbox.next(); message; message = this.inbox.next()) {
      if (Date.now() >= deadline) return this.handOver();
      if (message.state === "queued") {
        const turnId = `${this.meta.epoch}.${message.seq}.${message.attempt}`;
        this.inbox.markRunning(message.seq, turnId, Date.now());
        message = { ...message, state: "running", turnId };
      }
      if (message.kind === "reset") {
        await this.applyReset(chatKey, message);
        continue;
      }
      this.meta.lastActivity = Date.now();
      this.reportSoon();
      const result = await this.runOneTurn(chatKey, message, deadline);
      if (result.kind === "finished") this.interactions.turnEnded(message.seq);
      if (result.kind === "handover") return this.handOver();
      if (result.backendLost) this.meta.dropBackend();
      this.meta.lastActivity = Date.now();
      this.reportSoon();
    }
  }

  /** Runs one message's turn. A failure of ours (bad config, a bug) fails that message with the reason and never wedges the chat. */
  private async runOneTurn(chatKey: string, message: InboxMessage, deadline: number): Promise<TurnResult> {
    let observer: TurnObserver | undefined;
    try {
      observer = this.observerFor(message);
      await observer.started();
      return await runTurn({
        client: this.client(),
        inbox: this.inbox,
        chatKey,
        message,
        observer,
        deadline,
        now: Date.now,
        sideEvents: this.interactions.sideEventsFor(chatKey, message, observer),
        onSubmitted: () => {
          if (this.meta.backend === "live") return;
          this.meta.backend = "live";
          this.reportSoon();
        },
      });
    } catch (err) {
      const failure: TurnFailure = { code: err instanceof ConfigError ? "config_error" : "internal_error", detail: (err as Error).message };
      log.error("turn.failed", { chat: chatKey, messageId: message.id, code: failure.code, error: err });
      await observer
        ?.finished({ ok: false, ...failure })
        .catch((e) => log.error("turn.failure_report_failed", { chat: chatKey, messageId: message.id, error: e }));
      this.inbox.fail(message.seq, describeFailure(failure), Date.now());
      return { kind: "finished", backendLost: false };
    }
  }

  /** Resets the backend conversation; the protocol allows it whether or not the session is live. */
  private async applyReset(chatKey: string, message: InboxMessage): Promise<void> {
    try {
      await this.client().reset(chatKey);
      this.inbox.finish(message.seq, "", 0, Date.now());
    } catch (err) {
      log.error("session.reset_failed", { chat: chatKey, messageId: message.id, error: err });
      this.inbox.fail(message.seq, `reset_failed: ${(err as Error).message}`, Date.now());
    }
  }

  private async handOver(): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** Where this message's reply is delivered. The core delivers nowhere (HTTP clients poll); a subclass plugs platforms in. */
  protected observerFor(_message: InboxMessage): TurnObserver {
    return silentObserver;
  }

  private releaseBlocker(request: ReleaseRequest, now: number): ReleaseResult["reason"] | null {
    if (this.meta.backend !== "live") return "not_live";
    if (this.meta.generation !== request.generation) return "stale_generation";
    if (this.inbox.next()) return "busy";
    const idleMs = idleTimeoutSeconds(this.env) * 1000;
    if (this.meta.lastActivity > request.lastActivity || now - this.meta.lastActivity < idleMs) return "active";
    return null;
  }

  /** Tells the registry where this chat stands; a failed report is logged, never fatal. */
  private async report(): Promise<SessionSnapshot> {
    const snapshot = this.buildSnapshot();
    try {
      await registryStub(this.env).report(snapshot);
    } catch (err) {
      log.error("registry.report_failed", { chat: snapshot.chat, error: err });
    }
    return snapshot;
  }

  /**
   * Reports without holding up the turn loop. Safe because snapshots are versioned: one that
   * arrives late never overwrites a newer one.
   */
  private reportSoon(): void {
    this.ctx.waitUntil(this.report());
  }

  private buildSnapshot(): SessionSnapshot {
    return {
      chat: this.chatKey,
      lastActivity: this.meta.lastActivity,
      busy: this.inbox.hasRunning(),
      queued: this.inbox.queuedCount(),
      backend: this.meta.backend,
      generation: this.meta.generation,
      version: this.nextReportVersion(),
    };
  }

  /**
   * Report versions order this chat's snapshots at the registry. Clock-based (µs), so they keep
   * growing across restarts without a storage write per report.
   */
  private nextReportVersion(): number {
    this.lastReportVersion = Math.max(Date.now() * 1000, this.lastReportVersion + 1);
    return this.lastReportVersion;
  }

  /**
   * The chat key is this object's own name: every caller reaches a chat with `getByName(chatKey)`
   * (see platforms/chat-key.ts). workerd hands the name to an object reached by it, but one woken
   * by its alarm after a restart gets none (wrangler 4.86; later requests to that instance neither),
   * so the name is also stored with the first message and read back then. Callers never pass it.
   */
  private get chatKey(): string {
    const key = this.ctx.id.name ?? this.meta.chatKey;
    if (!key) throw new Error("a ChatSession is reached by its chat key (getByName); this one has no name");
    return key;
  }

  /** Whether any message (or /new) was ever accepted here: every accept stamps the last activity. */
  private hasMessages(): boolean {
    return this.meta.lastActivity > 0;
  }

  private recordOf(chat: string, message: InboxMessage): MessageRecord {
    const record: MessageRecord = { chat, messageId: message.id, state: message.state };
    if (message.state === "queued" || message.state === "running") record.position = this.inbox.positionOf(message.seq);
    if (message.reply !== null && message.state !== "queued") record.reply = message.reply;
    if (message.error !== null) record.error = message.error;
    Object.assign(record, this.interactions.fieldsOf(message));
    if (record.request) record.state = "input_required";
    return record;
  }

  private client(): PiBackendClient {
    const { url, token } = backendConfig(this.env);
    return new PiBackendClient(url, token);
  }
}
