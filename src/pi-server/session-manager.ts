/**
 * The map of live sessions, one pi process each. The map is only touched briefly and synchronously
 * (get-or-create, remove); turns hold only their own session's lock, and listing, health and idle
 * cleanup read `lastActivity` without waiting on any turn.
 */
import type { SessionInfo } from "../shared/protocol";
import type { TurnAttachment } from "../shared/protocol-schemas";
import { agentEnvironment } from "./agent-env";
import { preparePrompt } from "./attachments";
import type { BackendConfig } from "./config";
import { BusyError, CapacityError, ShuttingDownError } from "./errors";
import { chatWorkspace, piCliPath, turnLogFile } from "./paths";
import { PiProcess } from "./pi-process";
import { makePrivateDataDir, makePrivateDir } from "./private-files";
import { Session } from "./session";
import { archiveSessionFile, prepareSessionFile } from "./session-file";
import { SparePool } from "./spare-pool";
import { Turn } from "./turn";
import { loadFinishedTurn } from "./turn-archive";
import { turnLogWriter } from "./turn-log";
import { TurnStore } from "./turn-store";

/** Settings for the manager: the backend config's session settings, plus times injectable so tests need not wait. */
export interface SessionManagerOptions
  extends Pick<BackendConfig, "dataDir" | "piCwd" | "workspace" | "piArgs" | "maxSessions" | "idleSeconds" | "turnTimeoutSeconds"> {
  /** Pre-started pi processes kept ready for new sessions (PI_SPARE_PROCESSES; default 0 here, 1 from the config). */
  spareProcesses?: number;
  /**
   * The environment pi's own is made from (default `process.env`), less the relay's secrets (see
   * agent-env.ts); tests point PI_CODING_AGENT_DIR at a temp dir here.
   */
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  readyTimeoutMs?: number;
  abortGraceMs?: number;
  stopGraceMs?: number;
  /** Seconds a client is told to wait on 503. */
  retryAfterSeconds?: number;
  /** Seconds an extension dialog waits for an answer (UI_ANSWER_TIMEOUT_SECONDS, default 600). */
  uiAnswerTimeoutSeconds?: number;
  /** pi's `dist/cli.js` (found in node_modules by default); the benchmark substitutes a stand-in. */
  cliPath?: string;
}

/** The result of submitting a turn: `created` is false when the turnId was already known. */
export interface Submitted {
  turn: Turn;
  created: boolean;
}

/** Owns every session and every known turn. */
export class SessionManager {
  readonly turns: TurnStore;
  private readonly sessions = new Map<string, Session>();
  /** Sessions whose process is being stopped: a successor waits for the exit before spawning. */
  private readonly exiting = new Map<string, Promise<void>>();
  private readonly cliPath: string;
  private readonly agentEnv: NodeJS.ProcessEnv;
  private readonly now: () => number;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Set by graceful shutdown (shutdown.ts): new turns get 503 `shutting_down`. */
  private refusing = false;
  /** The spare pi processes (PI_SPARE_PROCESSES), if any. */
  readonly spares: SparePool | undefined;

  constructor(private readonly options: SessionManagerOptions) {
    this.now = options.now ?? Date.now;
    this.cliPath = options.cliPath ?? piCliPath();
    this.agentEnv = agentEnvironment(options.env ?? process.env);
    this.turns = new TurnStore(undefined, this.now);
    makePrivateDataDir(options.dataDir);
    if (options.workspace !== "per-chat") makePrivateDir(options.piCwd); // there from the start, as the startup line says
    if (options.spareProcesses) {
      makePrivateDir(options.piCwd);
      const { piCwd: cwd, piArgs: args, spareProcesses: size, readyTimeoutMs = 60_000 } = options;
      this.spares = new SparePool({ cliPath: this.cliPath, args, cwd, env: this.agentEnv, size, readyTimeoutMs });
      this.spares.fill();
    }
  }

  /** Where the agent of `sessionId` works. */
  private workspaceOf(sessionId: string): string {
    return this.options.workspace === "per-chat" ? chatWorkspace(this.options.dataDir, sessionId) : this.options.piCwd;
  }

  /**
   * Starts a turn, or returns the existing one for a known turnId. Synchronous on purpose: the
   * busy check, the capacity decision and the reservation happen before any await, so concurrent
   * first turns cannot each start a pi.
   */
  submitTurn(sessionId: string, turnId: string, message: string, attachments?: readonly TurnAttachment[]): Submitted {
    const known = this.findTurn(sessionId, turnId);
    if (known) return { turn: known, created: false };
    if (this.refusing) throw new ShuttingDownError(this.options.retryAfterSeconds ?? 5);
    let session = this.sessions.get(sessionId);
    const running = session?.currentTurn;
    if (running) throw new BusyError(running.turnId);
    // Files are saved before anything is reserved: a failure leaves no turn behind.
    const prompt = preparePrompt(this.workspaceOf(sessionId), message, attachments);
    if (!session) session = this.createSession(sessionId);
    const turn = new Turn(sessionId, turnId, turnLogWriter(turnLogFile(this.options.dataDir, sessionId, turnId)), this.now);
    this.turns.add(turn);
    session.submit(turn, prompt.message, prompt.images);
    return { turn, created: true };
  }

  /**
   * A known turn: in memory, or finished and logged on disk (before a restart, or past the memory's
   * retention); a turn found on disk is kept in memory again for the retention period.
   */
  findTurn(sessionId: string, turnId: string): Turn | undefined {
    const known = this.turns.get(sessionId, turnId);
    if (known) return known;
    const logged = loadFinishedTurn(this.options.dataDir, sessionId, turnId, this.now);
    if (logged) this.turns.add(logged);
    return logged;
  }

  /** The live session for an id, if any (tests use it to hold a reference across a replacement). */
  get(sessionId: string): Session | undefined {
    return this.sessions.get(sessionId);
  }

  /** The live session for an id, started (without a turn) if there is none: for the agent settings routes. */
  sessionFor(sessionId: string): Session {
    return this.sessions.get(sessionId) ?? this.createSession(sessionId);
  }

  /** Sends a steering message to the session's running turn; false when none is running. */
  async steer(sessionId: string, message: string): Promise<boolean> {
    return (await this.sessions.get(sessionId)?.steer(message)) ?? false;
  }

  /** Aborts the session's running turn; false when none is running. */
  abort(sessionId: string): boolean {
    return this.sessions.get(sessionId)?.abort() ?? false;
  }

  /** Stops the session's process (aborting a running turn first); history stays on disk. */
  async release(sessionId: string): Promise<boolean> {
    const session = this.sessions.get(sessionId);
    if (session) await this.releaseSession(session);
    else await this.exiting.get(sessionId);
    return session !== undefined;
  }

  /** Stops the session's process and moves its history aside, so the next turn starts fresh. */
  async reset(sessionId: string): Promise<void> {
    const running = this.sessions.get(sessionId)?.currentTurn;
    if (running) throw new BusyError(running.turnId);
    await this.release(sessionId);
    // A turn may have arrived while the process stopped; its pi already has the old history open.
    const raced = this.sessions.get(sessionId)?.currentTurn;
    if (raced) throw new BusyError(raced.turnId);
    archiveSessionFile(this.options.dataDir, sessionId, new Date(this.now()));
  }

  /** Every live or starting session. Reads plain fields only, so it answers while turns run. */
  list(): SessionInfo[] {
    return [...this.sessions.values()].map((session) => ({
      sessionId: session.sessionId,
      state: session.state,
      pid: session.pid,
      startedAt: new Date(session.startedAt).toISOString(),
      lastActivity: new Date(session.lastActivity).toISOString(),
    }));
  }

  /** Number of live or starting sessions. */
  get size(): number {
    return this.sessions.size;
  }

  /**
   * Removes `session` from the map only if the map still holds that very object, so cleanup of a
   * crashed or released session can never remove the replacement that took its place.
   */
  removeIfCurrent(session: Session): boolean {
    if (this.sessions.get(session.sessionId) !== session) return false;
    this.sessions.delete(session.sessionId);
    return true;
  }

  /** Releases sessions idle for BACKEND_IDLE_SECONDS; returns how many. */
  async sweepIdle(): Promise<number> {
    const cutoff = this.now() - this.options.idleSeconds * 1000;
    const idle = [...this.sessions.values()].filter((s) => s.idle && s.lastActivity <= cutoff);
    await Promise.all(idle.map((session) => this.releaseSession(session)));
    return idle.length;
  }

  /** Runs `sweepIdle` periodically (unref'd, so it never keeps the process alive). */
  startIdleSweep(): void {
    const everyMs = Math.min(60_000, (this.options.idleSeconds * 1000) / 2);
    this.sweepTimer = setInterval(() => {
      this.turns.prune();
      void this.sweepIdle();
    }, everyMs);
    this.sweepTimer.unref();
  }

  /** From now on a new turn is refused with 503 `shutting_down` (a known turnId still answers). */
  refuseNewTurns(): void {
    this.refusing = true;
  }

  /** The turns running right now, one per busy session. */
  runningTurns(): Turn[] {
    return [...this.sessions.values()].flatMap((session) => (session.currentTurn ? [session.currentTurn] : []));
  }

  /** Stops every pi process cleanly (running turns are aborted first). */
  async shutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.spares?.shutdown();
    await Promise.all([...this.sessions.values()].map((session) => this.releaseSession(session)));
    await Promise.all(this.exiting.values());
  }

  private createSession(sessionId: string): Session {
    const predecessors = [this.exiting.get(sessionId)];
    if (this.sessions.size >= this.options.maxSessions) predecessors.push(this.makeRoom());
    const session: Session = new Session(sessionId, {
      spawn: () => {
        // Made on every spawn, not once: a workspace someone removed comes back instead of failing the turn.
        const cwd = this.workspaceOf(sessionId);
        makePrivateDir(cwd);
        const sessionFile = prepareSessionFile(this.options.dataDir, sessionId, cwd);
        return (
          this.spares?.take(sessionFile, cwd) ??
          new PiProcess({ cliPath: this.cliPath, sessionFile, args: this.options.piArgs, cwd, env: this.agentEnv })
        );
      },
      predecessors: Promise.all(predecessors),
      onClosed: (closed) => this.removeIfCurrent(closed),
      onKilled: (killed) => void this.releaseSession(killed),
      now: this.now,
      readyTimeoutMs: this.options.readyTimeoutMs ?? 60_000,
      turnTimeoutMs: this.options.turnTimeoutSeconds * 1000,
      abortGraceMs: this.options.abortGraceMs ?? 10_000,
      stopGraceMs: this.options.stopGraceMs ?? 5_000,
      uiAnswerTimeoutMs: (this.options.uiAnswerTimeoutSeconds ?? 600) * 1000,
    });
    this.sessions.set(sessionId, session);
    return session;
  }

  /** Releases the least recently active idle session; 503 when every session is busy. */
  private makeRoom(): Promise<void> {
    let victim: Session | undefined;
    for (const session of this.sessions.values()) {
      if (session.idle && (!victim || session.lastActivity < victim.lastActivity)) victim = session;
    }
    if (!victim) throw new CapacityError(this.options.retryAfterSeconds ?? 5);
    return this.releaseSession(victim);
  }

  private releaseSession(session: Session): Promise<void> {
    const existing = this.exiting.get(session.sessionId);
    if (!this.removeIfCurrent(session) && existing) return existing;
    const done = session.release().finally(() => {
      if (this.exiting.get(session.sessionId) === done) this.exiting.delete(session.sessionId);
    });
    this.exiting.set(session.sessionId, done);
    return done;
  }
}
