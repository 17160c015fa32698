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
import {
  backendConfig,
  idleTimeoutSeconds,
  maxQueued,
  messageRetentionDays,
  piCallTimeoutSeconds,
  streamStallSeconds,
  turnHandoverSeconds,
} from "../config/config";
import type { Env, Registries } from "../config/env";
import { type BackendError, PiBackendClient } from "../pi-client/client";
import { isBackendOutage, outageSummary } from "../pi-client/outage";
import { hostLabel } from "../pi-client/rendezvous";
import { backendTransport } from "../pi-client/transport";
import type { Registry } from "../registry/registry";
import { allRegistryShards, registryFor } from "../registry/shards";
import type { ReleaseRequest, ReleaseResult, SessionSnapshot } from "../registry/types";
import { migrateAll, type Schema } from "../storage/migrations";
import type { AgentCommand, CommandReply } from "./agent-commands";
import { type AlarmBudget, alarmBudget } from "./alarm-budget";
import { AttachmentStore, type AttachmentSummary, attachmentSchema, type NewAttachment } from "./attachment-store";
import { chooseBackend } from "./backend-choice";
import { BackendReports } from "./backend-reports";
import { ChatMeta } from "./chat-meta";
import { Inbox, type InboxMessage, type MessageKind, type MessageState } from "./inbox";
import { ChatInteractions, type InteractionFields } from "./interactions";
import { Ledger, type LedgerQuery, type StateCounts } from "./ledger";
import { LiveEvents } from "./live-events";
import { Outages, outagePolicy } from "./outage";
import { holdThroughOutage } from "./outage-hold";
import { QueueDispatch } from "./queue-dispatch";
import { ChatSettings, type QueueMode } from "./queue-mode";
import { RegistryReporter } from "./registry-reporter";
import { MessageRetention, planRetention } from "./retention";
import { chatSchema } from "./schema";
import { traceIdFor } from "./trace-id";
import { type AttachmentDownloader, loadTurnAttachments } from "./turn-attachments";
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
  /** Turns the backend accepted for it: 2 when a backend restart lost the first and it was submitted again. */
  attempts?: number;
  /** What came with the message (images, files); their bytes are not shown. */
  attachments?: AttachmentSummary[];
  /** The message whose turn carried this one (state `merged`: collect, steer). */
  mergedInto?: string;
}

/** Why a message was not stored: the chat already has MAX_QUEUED messages waiting. */
export interface QueueFull {
  code: "queue_full";
  queued: number;
  maxQueued: number;
  retryAfterSeconds: number;
}

/** A stored message (new, or the one already stored under its id), or a refusal. */
export type EnqueueResult =
  | { created: boolean; record: MessageRecord; refused?: undefined }
  | { created: false; record: null; refused: QueueFull };

/** A chat's settings and its ledger counts (`GET /api/chats/{chatId}`). */
export interface ChatOverview {
  chat: string;
  queueMode: QueueMode;
  maxQueued: number;
  counts: StateCounts;
}

/** A page of the ledger (`GET /api/chats/{chatId}/messages`), newest first. */
export interface MessagePage {
  chat: string;
  messages: (MessageRecord & { createdAt: string })[];
  nextCursor: string | null;
}

export interface EnqueueInput {
  /** Client or platform message id; generated when absent. Re-sending it never starts a second turn. */
  messageId?: string;
  text: string;
  /** Where the reply is pushed (JSON, opaque to the core: the observer reads it); absent for HTTP clients, who poll. */
  target?: string;
  /** Images and files: their bytes (HTTP) are stored with the message, a platform's reference is downloaded in the turn. */
  attachments?: NewAttachment[];
}

/** What `/stop` and `/new` did; `duplicate`: a redelivery of one already applied, which did nothing. */
export interface CommandOutcome {
  aborted: boolean;
  queued: number;
  duplicate: boolean;
}

/** Queued or running: its turn has yet to end. */
function isPending(message: InboxMessage): boolean {
  return message.state === "queued" || message.state === "running";
}

/** When something unexpected breaks the drain loop, try again after this long. */
const DRAIN_RETRY_MS = 5_000;
/** What a refused sender is told to wait: about one turn, the time a queue slot takes to free. */
const QUEUE_FULL_RETRY_AFTER_SECONDS = 30;

/** The bindings the core uses: the registry it reports to, and the settings. */
export type ChatEnv = Env & Registries<Registry>;

/**
 * The chat core. It knows no chat platform: a subclass (the Worker entry's `ChatSession`) says
 * where a reply goes by overriding `observerFor`.
 */
export class ChatSessionCore extends DurableObject<ChatEnv> {
  private readonly inbox: Inbox;
  private readonly meta: ChatMeta;
  private readonly attachments: AttachmentStore;
  private readonly settings: ChatSettings;
  private readonly ledger: Ledger;
  private readonly retention: MessageRetention;
  private readonly dispatch: QueueDispatch;
  private readonly interactions: ChatInteractions;
  /** The turn lock. Awaiting fetch() opens the input gate, so the alarm's turn must be excluded explicitly. */
  private readonly turnLock = new Mutex();
  private lastReportVersion = 0;
  private readonly outages: Outages;
  private readonly backendReports = new BackendReports();
  /** Reports to the registry in the background: no ack or turn ever waits on it. */
  private readonly reporter: RegistryReporter;
  /** Live events for SSE subscribers (in memory; see live-events.ts). */
  private readonly live = new LiveEvents();

  constructor(ctx: DurableObjectState, env: ChatEnv) {
    super(ctx, env);
    migrateAll(ctx.storage, this.storageSchemas());
    this.inbox = new Inbox(ctx.storage.sql);
    this.meta = new ChatMeta(ctx.storage.sql);
    this.outages = new Outages(ctx.storage.sql, outagePolicy(env));
    this.reporter = new RegistryReporter({
      build: () => this.buildSnapshot(),
      send: (snapshot) => registryFor(this.env, snapshot.chat).report(snapshot),
      wakeAt: async (at) => {
        // A backstop only: an alarm already set will run the reporter's flush when it fires.
        await this.armAlarmBy(at);
      },
    });
    this.attachments = new AttachmentStore(ctx.storage.sql);
    this.settings = new ChatSettings(ctx.storage.sql);
    this.ledger = new Ledger(ctx.storage.sql);
    this.retention = new MessageRetention(ctx.storage.sql);
    this.dispatch = new QueueDispatch({
      inbox: this.inbox,
      settings: this.settings,
      client: () => this.client(),
      chatKey: () => this.chatKey,
      now: Date.now,
    });
    this.interactions = new ChatInteractions(ctx.storage.sql);
  }

  /**
   * Stores a message (deduplicated on its id) and schedules the turn loop; answers before any turn
   * runs. Refused past MAX_QUEUED waiting messages. In steer and interrupt mode it is steered into,
   * or interrupts, the running turn (see queue-dispatch.ts): before the answer for an HTTP client,
   * after it for a platform message, whose webhook must be acknowledged within seconds.
   */
  async enqueue(input: EnqueueInput): Promise<EnqueueResult> {
    const chat = this.chatKey; // read first: an object reached without a name must refuse before storing anything
    const answered = input.target ? await this.answerTyped(input) : null;
    if (answered) return answered;
    const accepted = await this.accept(input.messageId, input.text, input.target ?? null, "prompt", maxQueued(this.env), input.attachments);
    if (accepted.refused) return { created: false, record: null, refused: accepted.refused };
    if (!accepted.created) return { created: false, record: this.recordOf(chat, accepted.message) };
    const dispatched = this.dispatch.arrived(accepted.message, () => this.reportSoon());
    if (input.target) {
      this.ctx.waitUntil(dispatched);
      return { created: true, record: this.recordOf(chat, accepted.message) };
    }
    await dispatched;
    const stored = this.inbox.get(accepted.message.id) ?? accepted.message;
    return { created: true, record: this.recordOf(chat, stored) };
  }

  /** Sets how messages arriving during a turn are handled (queue-mode.ts). */
  async setQueueMode(mode: QueueMode): Promise<{ chat: string; queueMode: QueueMode }> {
    const chat = this.chatKey;
    this.rememberName();
    this.settings.setQueueMode(mode, Date.now());
    // Lets retention delete a chat whose only trace is this setting.
    await this.armRetentionCheck();
    return { chat, queueMode: mode };
  }

  /** Makes sure the alarm looks at this chat within MESSAGE_RETENTION_DAYS, so retention can delete it. */
  protected async armRetentionCheck(): Promise<void> {
    this.rememberName();
    await this.armAlarmBy(Date.now() + messageRetentionDays(this.env) * 86_400_000);
  }

  /** The chat's settings and how many of its messages are in each state. */
  async overview(): Promise<ChatOverview> {
    return { chat: this.chatKey, queueMode: this.settings.queueMode, maxQueued: maxQueued(this.env), counts: this.ledger.counts() };
  }

  /** How many of the chat's messages are in each state. */
  async messageCounts(): Promise<StateCounts> {
    return this.ledger.counts();
  }

  /** The ledger, newest first, one page (the API has checked the query). */
  async listMessages(query: LedgerQuery): Promise<MessagePage> {
    const chat = this.chatKey;
    const page = this.ledger.page(query);
    const messages = page.ids.flatMap((id) => {
      const message = this.inbox.get(id);
      return message ? [{ ...this.recordOf(chat, message), createdAt: new Date(message.createdAt).toISOString() }] : [];
    });
    return { chat, messages, nextCursor: page.nextCursor };
  }

  /**
   * Aborts the running turn at once, without waiting for the turn lock (the turn then ends as
   * failed "aborted"). Queued messages stay queued.
   */
  async abortTurn(): Promise<{ aborted: boolean; queued: number; messageId?: string }> {
    let aborted = false;
    const queued = this.inbox.queuedCount(); // before the abort lets the next turn start
    const running = this.inbox.running();
    if (running) {
      try {
        aborted = await this.client().abort(this.chatKey);
      } catch (err) {
        log.warn("turn.abort_failed", { chat: this.chatKey, error: err });
      }
    }
    return { aborted, queued, ...(aborted && running ? { messageId: running.id } : {}) };
  }

  /**
   * `/stop`: records the stop in the inbox under its id, naming the turn running now, and aborts that
   * turn. Called before the platform's ack; a redelivered `/stop` finds its record and stops nothing,
   * so it can never abort a turn that started after it.
   */
  async stopTurn(input: { messageId?: string }): Promise<CommandOutcome> {
    const id = input.messageId ?? crypto.randomUUID();
    if (this.inbox.get(id)) return { aborted: false, queued: this.inbox.queuedCount(), duplicate: true };
    const running = this.inbox.running();
    const turnId = running?.kind === "prompt" ? running.turnId : null;
    this.inbox.record(id, "stop", "/stop", turnId, Date.now());
    const { aborted } = turnId ? await this.abortTurn() : { aborted: false };
    log.info("turn.stop_requested", { chat: this.chatKey, messageId: id, turnId, aborted });
    return { aborted, queued: this.inbox.queuedCount(), duplicate: false };
  }

  /**
   * Starts a fresh conversation: queues a reset that the turn loop applies in order (so messages
   * sent before it still go to the old conversation), then aborts the running turn. Called before
   * the platform's ack, so a message delivered after `/new` is always stored after its reset; a
   * redelivered `/new` finds its reset and does nothing.
   */
  async startNewConversation(input: {
    messageId?: string;
    /** false: let the running turn finish (the HTTP `/reset`); default true (the chat command `/new`). */
    abortRunning?: boolean;
  }): Promise<CommandOutcome & { record: MessageRecord }> {
    const known = input.messageId ? this.inbox.get(input.messageId) : null;
    if (known) return { aborted: false, queued: this.inbox.queuedCount(), duplicate: true, record: this.recordOf(this.chatKey, known) };
    const { message } = await this.accept(input.messageId, "/new", null, "reset");
    const { aborted } = input.abortRunning === false ? { aborted: false } : await this.abortTurn();
    return { aborted, queued: this.inbox.queuedCount(), duplicate: false, record: this.recordOf(this.chatKey, message!) };
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

  /**
   * Stores an inbox item (the dedupe check, the queue limit and the insert are one synchronous
   * step), then wakes the turn loop. A repeated id is answered with what was stored, full or not.
   */
  private async accept(
    id: string | undefined,
    text: string,
    target: string | null,
    kind: MessageKind,
    limit = Number.POSITIVE_INFINITY,
    attachments?: NewAttachment[],
  ) {
    const now = Date.now();
    this.rememberName();
    const messageId = id ?? crypto.randomUUID();
    const existing = this.inbox.get(messageId);
    if (!existing && this.inbox.queuedCount() >= limit) {
      const refused: QueueFull = {
        code: "queue_full",
        queued: this.inbox.queuedCount(),
        maxQueued: limit,
        retryAfterSeconds: QUEUE_FULL_RETRY_AFTER_SECONDS,
      };
      log.warn("queue.full", { chat: this.chatKey, messageId, queued: refused.queued, maxQueued: limit });
      return { created: false, message: null, refused };
    }
    const result = this.inbox.add(messageId, text, target, now, kind);
    if (result.created) {
      if (attachments?.length) this.attachments.add(result.message.id, attachments);
      log.info("message.accepted", { chat: this.chatKey, messageId: result.message.id, kind, chars: text.length });
      this.meta.lastActivity = now;
      await this.armAlarmBy(now);
      this.backendUrl(); // picks (and remembers) this chat's host now, so status shows it while the message waits
      this.reporter.report();
    } else if (isPending(result.message)) {
      // A redelivery of a message whose first insert committed without its alarm (the request died in between): run it now.
      // (armAlarmBy, not "only if none": retention keeps an alarm days ahead.)
      await this.armAlarmBy(now);
    }
    return { ...result, refused: undefined };
  }

  /** The alarm this object sets may wake it without its name: keep the name for it. */
  private rememberName(): void {
    const name = this.ctx.id.name;
    if (name && this.meta.chatKey !== name) this.meta.chatKey = name;
  }

  /** Sets the alarm to `at` unless it is already set sooner: the alarm is the turn loop and retention's check both. */
  private async armAlarmBy(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /**
   * The message's live events as an SSE byte stream (null: no such message): what the client
   * missed after `lastEventId`, then each event as the turn loop applies it, until the message ends.
   */
  async subscribeMessage(messageId: string, lastEventId?: string): Promise<ReadableStream<Uint8Array> | null> {
    const message = this.inbox.get(messageId);
    return message ? this.live.subscribe(messageId, this.recordOf(this.chatKey, message), lastEventId) : null;
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
        this.backendReachable();
      } catch (err) {
        if (isBackendOutage(err)) this.reportBackendSoon(false, outageSummary(err as BackendError));
        // A blip: pi may well still be live and hold a slot, so it stays marked live and the registry asks again later.
        log.warn("session.release_failed", { chat: chatKey, error: err });
        return { released: false, reason: "release_failed", snapshot: this.buildSnapshot() };
      }
      this.meta.dropBackend();
      // The caller (this chat's registry shard, or its old one after REGISTRY_SHARDS changed) applies the
      // returned snapshot; the reporter tells the chat's current shard too.
      this.reporter.report();
      return { released: true, reason: "released", snapshot: this.buildSnapshot() };
    });
  }

  /** Runs due turns. Never throws: an exception would kill the object and retry blindly. */
  override async alarm(): Promise<void> {
    // The invocation's 15 minutes run from here, not from when the lock is free (a release may hold it).
    const startedAt = Date.now();
    try {
      const deleted = await this.turnLock.runExclusive(async () => {
        await this.drain(startedAt);
        return this.applyRetention(Date.now());
      });
      // A report that failed before (maybe in an instance since evicted) goes out again; never awaited, so a slow
      // registry cannot hold the next alarm (and the turns it runs) back. A chat retention just deleted stays forgotten.
      if (!deleted) this.reporter.report();
    } catch (err) {
      log.error("chat.drain_failed", { chat: this.ctx.id.name ?? this.meta.chatKey, retryInMs: DRAIN_RETRY_MS, error: err });
      await this.ctx.storage.setAlarm(Date.now() + DRAIN_RETRY_MS);
    }
  }

  /** Drains the inbox in arrival order, one turn at a time, re-reading it after each turn. */
  private async drain(startedAt: number): Promise<void> {
    const chatKey = this.chatKey;
    const budget = alarmBudget(startedAt, turnHandoverSeconds(this.env) * 1000);
    const deadline = budget.streamUntil;
    for (let message = await this.dispatch.next(); message; message = await this.dispatch.next()) {
      if (Date.now() >= deadline) return this.handOver();
      if (message.state === "queued") {
        const turnId = `${this.meta.epoch}.${message.seq}.${message.attempt}`;
        this.inbox.markRunning(message.seq, turnId, Date.now());
        message = { ...message, state: "running", turnId };
        this.publishLive(message.id);
      }
      if (message.kind === "reset") {
        if ((await this.applyReset(chatKey, message)) === "held") return;
        this.publishLive(message.id);
        continue;
      }
      this.meta.lastActivity = Date.now();
      this.reportSoon();
      const result = await this.runOneTurn(chatKey, message, budget);
      if (result.kind === "finished") this.interactions.turnEnded(message.seq);
      if (result.kind === "handover") return this.handOver();
      if (result.kind === "held") return; // the retry alarm is set (outage-hold.ts)
      this.dispatch.afterTurn(message);
      if (result.backendLost) this.meta.dropBackend();
      this.attachments.dropData(message.id);
      this.meta.lastActivity = Date.now();
      this.reportSoon();
      this.publishLive(message.id);
    }
  }

  /** Runs one message's turn. A failure of ours (bad config, a bug) fails that message with the reason and never wedges the chat. */
  private async runOneTurn(chatKey: string, message: InboxMessage, budget: AlarmBudget): Promise<TurnResult> {
    const deadline = budget.streamUntil;
    let observer: TurnObserver | undefined;
    try {
      observer = this.observerFor(message, budget.deliverUntil);
      await observer.started();
      const traceId = await traceIdFor(chatKey, message.turnId!);
      const result = await runTurn({
        client: this.client().withTrace(traceId),
        traceId,
        startedAt: Date.now(),
        inbox: this.inbox,
        chatKey,
        message,
        observer,
        deadline,
        now: Date.now,
        attachments: () => loadTurnAttachments(this.attachments, message.id, this.attachmentDownloader(message)),
        onEvent: (event, reply) => this.live.turnEvent(message.id, event, reply),
        sideEvents: this.interactions.sideEventsFor(chatKey, message, observer),
        onSubmitted: () => {
          this.dispatch.submitted(message);
          if (this.meta.backend === "live") return;
          this.meta.backend = "live";
          this.reportSoon();
        },
        onReachable: () => this.backendReachable(),
        stallMs: streamStallSeconds(this.env) * 1000,
      });
      if (result.kind === "held") await this.hold(chatKey, message, observer, result.error);
      return result;
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

  /** Resets the backend conversation; the protocol allows it whether or not the session is live. Held, like a turn, through an outage. */
  private async applyReset(chatKey: string, message: InboxMessage): Promise<"done" | "held"> {
    try {
      await this.client().reset(chatKey);
      this.backendReachable();
      this.inbox.finish(message.seq, "", 0, Date.now());
    } catch (err) {
      if (isBackendOutage(err)) {
        const decision = await this.hold(chatKey, message, null, err as BackendError);
        if (decision.action === "retry") return "held";
        return "done";
      }
      log.error("session.reset_failed", { chat: chatKey, messageId: message.id, error: err });
      this.inbox.fail(message.seq, `reset_failed: ${(err as Error).message}`, Date.now());
    }
    return "done";
  }

  /** Keeps (or, held too long, fails) a message that met a backend outage, and tells the registry. */
  private async hold(chatKey: string, message: InboxMessage, observer: TurnObserver | null, error: BackendError) {
    const decision = await holdThroughOutage({
      outages: this.outages,
      inbox: this.inbox,
      chatKey,
      message,
      observer,
      error,
      now: Date.now(),
      setAlarm: (at) => this.ctx.storage.setAlarm(at),
    });
    this.reportBackendSoon(false, decision.state.lastError);
    this.reportSoon(); // back to queued (or failed): the registry must not keep showing it busy
    return decision;
  }

  /** A backend call went through: an outage, if any, is over. */
  private backendReachable(): void {
    const ended = this.outages.recovered();
    if (ended) log.info("backend.recovered", { chat: this.chatKey, downMs: Date.now() - ended.since, failures: ended.failures });
    this.reportBackendSoon(true);
  }

  /** Tells the registry what this chat saw of the backend, without holding anything up (see backend-reports.ts). */
  private reportBackendSoon(reachable: boolean, lastError?: string): void {
    const report = this.backendReports.next(reachable, Date.now(), lastError);
    if (!report) return;
    this.ctx.waitUntil(
      registryFor(this.env, this.chatKey)
        .reportBackend(report)
        .catch((err) => log.error("registry.report_failed", { chat: this.ctx.id.name ?? this.meta.chatKey, error: err })),
    );
  }

  /**
   * Retention (retention.ts): prunes finished messages older than MESSAGE_RETENTION_DAYS, or deletes
   * the whole chat when it has been idle that long, then sets the alarm for the next check.
   */
  /** Prunes aged rows, or deletes the whole chat when it has been idle past the retention; true when it was deleted. */
  private async applyRetention(now: number): Promise<boolean> {
    const days = messageRetentionDays(this.env);
    const activity = () => ({
      lastActivity: Math.max(this.meta.lastActivity, this.settings.changedAt),
      unfinished: this.retention.unfinished(),
    });
    const oldestFinishedAt = this.retention.oldestFinishedAt();
    const plan = planRetention(activity(), oldestFinishedAt, days, now);
    if (plan.kind === "prune") {
      // No finished message is older than the cutoff (the usual case, after every turn): nothing for the core to delete.
      const core = oldestFinishedAt !== null && oldestFinishedAt < plan.cutoff ? this.retention.prune(plan.cutoff) : 0;
      const pruned = core + this.pruneFinishedBefore(plan.cutoff, now);
      if (pruned > 0) log.info("chat.pruned", { chat: this.ctx.id.name ?? this.meta.chatKey, rows: pruned, retentionDays: days });
      await this.armAlarmBy(plan.nextCheck);
      return false;
    }
    const chat = this.ctx.id.name ?? this.meta.chatKey;
    const before = activity();
    // A report still in flight (or due for a retry) would re-register the chat after the registry forgot it.
    await this.reporter.quiesce();
    if (chat) await Promise.all(allRegistryShards(this.env).map((shard) => shard.forget(chat)));
    // The registry call let other requests in: a message that arrived meanwhile keeps the chat.
    const after = activity();
    if (after.unfinished > 0 || after.lastActivity !== before.lastActivity) {
      await this.armAlarmBy(now);
      return false;
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    // This instance may still be asked something: give it empty tables rather than none.
    migrateAll(this.ctx.storage, this.storageSchemas());
    log.info("chat.deleted", { chat, idleDays: days });
    return true;
  }

  /** The tables this object owns; a subclass adds its own. Run in the constructor and again after retention empties storage. */
  protected storageSchemas(): Schema[] {
    return [chatSchema, attachmentSchema];
  }

  /** Retention for a subclass's tables: deletes their rows older than `cutoff`; returns how many. */
  protected pruneFinishedBefore(_cutoff: number, _now: number): number {
    return 0;
  }

  /** Publishes `messageId`'s state, and the state (queue position) of every message someone watches. */
  private publishLive(messageId: string): void {
    for (const id of new Set([messageId, ...this.live.watchedIds()])) {
      const message = this.inbox.get(id);
      if (message) this.live.state(id, this.liveRecordOf(message));
    }
  }

  private async handOver(): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** Where this message's reply is delivered. The core delivers nowhere (HTTP clients poll); a subclass plugs platforms in. */
  protected observerFor(_message: InboxMessage, _deliverUntil: number): TurnObserver {
    return silentObserver;
  }

  /**
   * How this message's platform attachments are downloaded. The core has none to download (HTTP brings bytes); a subclass plugs platforms
   * in.
   */
  protected attachmentDownloader(_message: InboxMessage): AttachmentDownloader | undefined {
    return undefined;
  }

  private releaseBlocker(request: ReleaseRequest, now: number): ReleaseResult["reason"] | null {
    if (this.meta.backend !== "live") return "not_live";
    if (this.meta.generation !== request.generation) return "stale_generation";
    if (this.inbox.next()) return "busy";
    const idleMs = idleTimeoutSeconds(this.env) * 1000;
    if (this.meta.lastActivity > request.lastActivity || now - this.meta.lastActivity < idleMs) return "active";
    return null;
  }

  /** Tells the registry (in the background, coalesced and retried) that this chat's state changed. */
  private reportSoon(): void {
    this.reporter.report();
  }

  private buildSnapshot(): SessionSnapshot {
    const { lastActivity, backend, generation, host } = this.meta.reportFacts;
    return {
      chat: this.chatKey,
      lastActivity,
      ...this.inbox.activity(),
      backend,
      generation,
      version: this.nextReportVersion(),
      ...(host ? { host: hostLabel(host) } : {}),
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
    const record: MessageRecord = { chat, messageId: message.id, ...this.liveRecordOf(message, false) };
    if (message.kind === "prompt") record.attempts = message.attempt + (message.submitted ? 1 : 0);
    const attachments = this.attachments.summary(message.id);
    if (attachments.length) record.attachments = attachments;
    if (message.mergedInto !== null) record.mergedInto = message.mergedInto;
    Object.assign(record, this.interactions.fieldsOf(message));
    if (record.request) record.state = "input_required";
    return record;
  }

  /**
   * The part of a message's record its live events show (state, queue position, reply, error), without the
   * queries for attachments and tool calls: published at every state change, watched or not. `withDialog`
   * settles `input_required` here (recordOf does it from the record's `request`).
   */
  private liveRecordOf(message: InboxMessage, withDialog = true): Pick<MessageRecord, "state" | "position" | "reply" | "error"> {
    const record: Pick<MessageRecord, "state" | "position" | "reply" | "error"> = { state: message.state };
    if (message.state === "queued" || message.state === "running") record.position = this.inbox.positionOf(message.seq);
    if (message.reply !== null && message.state !== "queued") record.reply = message.reply;
    if (message.error !== null) record.error = message.error;
    if (withDialog && this.interactions.requestOf(message)) record.state = "input_required";
    return record;
  }

  private client(): PiBackendClient {
    const { urls, token } = backendConfig(this.env);
    return new PiBackendClient(chooseBackend(this.meta, urls, this.chatKey), token, {
      transport: backendTransport(this.env),
      timeoutMs: piCallTimeoutSeconds(this.env) * 1000,
    });
  }

  /** This chat's backend URL (remembered once picked), or null while the backend settings are unusable. */
  private backendUrl(): string | null {
    try {
      return chooseBackend(this.meta, backendConfig(this.env).urls, this.chatKey);
    } catch {
      return null;
    }
  }
}
