/**
 * One live session: its pi process, its turn lock, and the turn it is running. The session manager
 * owns the map of these; everything that happens inside one session happens here.
 */
import { Mutex } from "async-mutex";
import { log } from "../shared/log";
import type { SessionState, TurnEventBody, UiAnswer } from "../shared/protocol";
import { type CommandTarget, PendingSettings } from "./agent-commands";
import type { PromptImage } from "./attachments";
import { PiEventTranslator, turnError } from "./pi-events";
import { logPiExit } from "./pi-exit-log";
import { describeExit, type PiExit, PiExitedError, type PiProcess } from "./pi-process";
import type { Turn } from "./turn";
import { TurnDialogs, type UiAnswerResult } from "./ui-requests";

/** What a session needs from its surroundings. */
export interface SessionDeps {
  /** Starts this session's pi process. */
  spawn(): PiProcess;
  /** Resolves when any earlier process of this session (or one evicted to make room) has exited. */
  predecessors: Promise<unknown>;
  /** Called when the process has exited, for whatever reason. */
  onClosed(session: Session): void;
  /**
   * Called when the session kills pi itself (a turn that would not stop): the session must leave
   * the map before the turn's terminal event goes out, so the next turn starts a new process (once
   * this one has exited) instead of landing on the dying one.
   */
  onKilled(session: Session): void;
  now(): number;
  readyTimeoutMs: number;
  turnTimeoutMs: number;
  /** How long pi gets to end a turn after `abort` before it is killed. */
  abortGraceMs: number;
  /** How long pi gets to exit after stdin closes before it is killed. */
  stopGraceMs: number;
  /** How long an extension dialog waits for an answer before it is cancelled (UI_ANSWER_TIMEOUT_SECONDS). */
  uiAnswerTimeoutMs: number;
}

interface RunningTurn {
  turn: Turn;
  abortRequested: boolean;
  timedOut: boolean;
  /** Set once pi has accepted the prompt. */
  prompted: Promise<boolean>;
  /** pi is between auto_retry_start and the retried agent_start. */
  retrying: boolean;
  /** A final result waiting for the fence that proves no auto-retry follows. */
  pendingFinal: object | undefined;
  /** Extension dialogs waiting for the user. */
  dialogs?: TurnDialogs;
}

/** A session's slot in the manager's map. */
export class Session implements CommandTarget {
  /** The turn lock: a turn holds it from prompt to terminal event; release takes it to stop the process. */
  private readonly mutex = new Mutex();
  readonly startedAt: number;
  /** Kept outside the lock so status and idle cleanup never wait on a turn. */
  lastActivity: number;
  process: PiProcess | undefined;
  private running: RunningTurn | undefined;
  private isReady = false;
  private stopping = false;
  private readonly started: Promise<PiProcess>;
  /** A model or thinking level chosen during a turn, applied before the next prompt. */
  readonly pendingSettings = new PendingSettings();

  constructor(
    readonly sessionId: string,
    private readonly deps: SessionDeps,
  ) {
    this.startedAt = deps.now();
    this.lastActivity = this.startedAt;
    this.started = this.start();
    this.started.catch(() => {}); // reported through the turn, not as an unhandled rejection
  }

  /** The running turn, if any. */
  get currentTurn(): Turn | undefined {
    return this.running?.turn;
  }

  get runningTurnId(): string | undefined {
    return this.running?.turn.turnId;
  }

  /** pi, once it has answered its readiness probe. */
  ready(): Promise<PiProcess> {
    return this.started;
  }

  /** Runs `task` holding the turn lock. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.mutex.runExclusive(task);
  }

  /** Answers an extension dialog of the running turn `turnId`. */
  answerUi(turnId: string, requestId: string, answer: UiAnswer): UiAnswerResult {
    const running = this.running;
    if (!running || running.turn.turnId !== turnId || !running.dialogs) return "unknown_request";
    return running.dialogs.answer(requestId, answer);
  }

  /** Protocol state for `GET /v1/sessions`. */
  get state(): SessionState {
    if (!this.isReady) return "starting";
    return this.running ? "running" : "idle";
  }

  /** pi's pid once it has answered its readiness probe. */
  get pid(): number | null {
    return this.isReady ? (this.process?.pid ?? null) : null;
  }

  /** Not running a turn and not being stopped: the only kind of session that may be evicted. */
  get idle(): boolean {
    return !this.running && !this.stopping;
  }

  /**
   * Starts `turn`. The caller has checked, synchronously and before any await, that no turn is
   * running; the reservation happens here, also synchronously, so two requests cannot both pass.
   */
  submit(turn: Turn, message: string, images: PromptImage[] = []): void {
    let markPrompted!: (ok: boolean) => void;
    const prompted = new Promise<boolean>((resolve) => {
      markPrompted = resolve;
    });
    const running: RunningTurn = { turn, abortRequested: false, timedOut: false, prompted, retrying: false, pendingFinal: undefined };
    this.running = running;
    this.touch();
    turn.push({ type: "turn_start" });
    void this.mutex.runExclusive(() => this.drive(running, message, images, markPrompted));
  }

  /** Aborts the running turn; it ends with `turn_error` `aborted`. False when nothing is running. */
  abort(): boolean {
    const running = this.running;
    if (!running) return false;
    running.abortRequested = true;
    // A tool waiting on a dialog would keep pi from stopping.
    running.dialogs?.cancelAll();
    // Not prompted yet (pi still starting): no agent_end will come, end it here. Between retries
    // pi's abort cancels the wait and answers auto_retry_end, which ends the turn.
    if (!this.isReady) this.finish(running, turnError("aborted", "the turn was aborted"));
    this.process?.send({ type: "abort" });
    this.forceAfterGrace(running, turnError("aborted", "the turn was aborted (pi did not stop in time and was killed)"));
    return true;
  }

  /** Delivers a steering message to the running turn; false when no turn is running. */
  async steer(message: string): Promise<boolean> {
    const running = this.running;
    if (!running) return false;
    const accepted = await Promise.race([running.prompted, running.turn.finished().then(() => false)]);
    if (!accepted || !running.turn.running || !this.process) return false;
    try {
      const response = await this.process.request({ type: "steer", message });
      return response.success;
    } catch {
      return false; // pi died meanwhile; the turn reports the crash
    }
  }

  /**
   * Stops the process: aborts a running turn first (its events stay readable), then takes the turn
   * lock and closes pi's stdin so it exits cleanly. Resolves once the process is gone.
   */
  async release(): Promise<void> {
    this.stopping = true;
    const running = this.running;
    if (running) {
      this.abort();
      await running.turn.finished();
    }
    await this.mutex.runExclusive(async () => {
      const process = await this.started.catch(() => this.process);
      await process?.stop(this.deps.stopGraceMs);
    });
  }

  private async start(): Promise<PiProcess> {
    // Two pi processes must never share one session file, and a process evicted to make room must
    // be gone before its replacement counts against MAX_SESSIONS.
    await this.deps.predecessors;
    if (this.stopping) throw new PiExitedError("session released before pi started");
    let process: PiProcess;
    try {
      process = this.deps.spawn();
    } catch (error) {
      this.onProcessClosed({ code: null, signal: null, stderrTail: (error as Error).message });
      throw error;
    }
    this.process = process;
    log.info("pi.spawn", { session: this.sessionId, pid: process.pid });
    void process.closed.then((exit) => this.onProcessClosed(exit));
    try {
      await process.ready(this.deps.readyTimeoutMs);
    } catch (error) {
      process.kill(); // a pi that never answered is of no use; its close reports the failure
      throw error;
    }
    this.isReady = true;
    return process;
  }

  private async drive(running: RunningTurn, message: string, images: PromptImage[], markPrompted: (ok: boolean) => void): Promise<void> {
    const { turn } = running;
    const timer = setTimeout(() => this.timeOut(running), this.deps.turnTimeoutMs);
    try {
      const process = await this.started;
      if (running.abortRequested) return this.finish(running, turnError("aborted", "the turn was aborted before it started"));
      if (!turn.running) return;
      const translator = new PiEventTranslator();
      const dialogs = new TurnDialogs(
        (command) => process.send(command),
        (body) => turn.push(body),
        this.deps.uiAnswerTimeoutMs,
      );
      running.dialogs = dialogs;
      const unsubscribe = process.onRecord((record) => {
        if (dialogs.onRecord(record)) return;
        const translation = translator.translate(record);
        if (record.type === "agent_start") {
          running.retrying = false;
          // pi's retry had already begun when our abort arrived: stop it too.
          if (running.abortRequested) process.send({ type: "abort" });
        }
        switch (translation.kind) {
          case "events":
            for (const body of translation.events) turn.push(body);
            return;
          case "retrying":
            running.retrying = true;
            running.pendingFinal = undefined;
            return;
          case "retry_failed":
            return this.finish(running, running.abortRequested ? stoppedBody(running) : turnError("llm_error", translation.message));
          case "agent_end":
            return this.agentEnded(running, process, translation.final, translation.mayRetry);
        }
      });
      try {
        await this.pendingSettings.applyTo(process);
        const response = await process.request({ type: "prompt", message, ...(images.length ? { images } : {}) });
        markPrompted(response.success);
        if (!response.success) this.finish(running, turnError("llm_error", `pi refused the prompt: ${response.error ?? "unknown error"}`));
        await turn.finished();
      } finally {
        unsubscribe();
      }
    } catch (error) {
      markPrompted(false);
      // pi died or never became ready: its close handler reports process_crashed. When pi is
      // alive but failed us (no answer in time, a refused readiness probe), the turn only sees
      // the kill, so the reason goes to the log.
      if (!(error instanceof PiExitedError)) log.error("pi.failed", { session: this.sessionId, error, action: "stopping pi" });
      if (this.process?.alive) this.process.kill();
      await turn.finished();
    } finally {
      clearTimeout(timer);
      markPrompted(false);
      if (this.running === running) this.running = undefined;
      this.touch();
    }
  }

  private agentEnded(running: RunningTurn, process: PiProcess, final: TurnEventBody, mayRetry: boolean): void {
    // A timed-out turn is also abortRequested.
    if (running.abortRequested || !mayRetry) {
      this.finish(running, running.abortRequested ? stoppedBody(running) : final);
      return;
    }
    // After an LLM error pi may emit auto_retry_start right after agent_end. A get_state round
    // trip is a fence: pi handles it only after that decision, so if no retry started before the
    // answer, the error is final.
    const token = {};
    running.pendingFinal = token;
    process
      .request({ type: "get_state" })
      .then(() => {
        if (running.pendingFinal === token) this.finish(running, final);
      })
      .catch(() => {}); // pi died: the close handler ends the turn
  }

  private timeOut(running: RunningTurn): void {
    if (!running.turn.running) return;
    running.timedOut = true;
    running.abortRequested = true;
    running.dialogs?.cancelAll();
    if (!this.isReady) {
      this.finish(running, stoppedBody(running));
      this.kill();
      return;
    }
    // Also while pi waits to auto-retry: its abort cancels the wait (auto_retry_end ends the turn),
    // where ending the turn here would leave pi to retry into a history nobody reads.
    this.process?.send({ type: "abort" });
    this.forceAfterGrace(running, turnError("timeout", "the turn exceeded TURN_TIMEOUT_SECONDS (pi did not stop in time and was killed)"));
  }

  /** If pi has not ended the turn within the abort grace, end it ourselves and kill pi. */
  private forceAfterGrace(running: RunningTurn, body: TurnEventBody): void {
    const timer = setTimeout(() => {
      if (!running.turn.running) return;
      this.finish(running, body);
      this.kill();
    }, this.deps.abortGraceMs);
    timer.unref();
    void running.turn.finished().then(() => clearTimeout(timer));
  }

  /**
   * Ends the turn. The session forgets the turn before the terminal event goes out, so a client
   * that reacts to it by sending the next turn never sees a stale 409.
   */
  private finish(running: RunningTurn, body: TurnEventBody): void {
    if (this.running === running) this.running = undefined;
    this.touch();
    running.turn.push(body);
  }

  /** Kills pi and leaves the manager's map at once (see SessionDeps.onKilled). */
  private kill(): void {
    this.stopping = true;
    this.process?.kill();
    this.deps.onKilled(this);
  }

  private onProcessClosed(exit: PiExit): void {
    this.isReady = false;
    logPiExit(this.sessionId, this.process?.pid, exit, this.stopping);
    const running = this.running;
    // Order matters: forget the turn and leave the manager's map first, then tell the client,
    // so its retry finds no running turn and starts a fresh process.
    this.running = undefined;
    this.deps.onClosed(this);
    if (running?.turn.running) running.turn.push(turnError("process_crashed", describeExit(exit)));
  }

  private touch(): void {
    this.lastActivity = this.deps.now();
  }
}

/** The terminal event of a turn stopped on purpose: by the backend's turn limit, or by `abort`. */
function stoppedBody(running: RunningTurn): TurnEventBody {
  return running.timedOut ? turnError("timeout", "the turn exceeded TURN_TIMEOUT_SECONDS") : turnError("aborted", "the turn was aborted");
}
