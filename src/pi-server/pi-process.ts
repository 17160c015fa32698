/** One `pi --mode rpc` child process: commands in on stdin, responses and events out on stdout. */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { JsonlSplitter } from "./jsonl";
import { type PiRecord, parsePiLine } from "./pi-records";

/** pi's answer to a command. */
export interface PiResponse extends PiRecord {
  type: "response";
  command: string;
  success: boolean;
  error?: string;
  data?: unknown;
}

/** How the process ended. */
export interface PiExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines pi wrote on stderr, for error messages. */
  stderrTail: string;
}

/** How to start pi for one session. */
export interface PiProcessOptions {
  cliPath: string;
  /** The session's history file; null starts pi with no session (a spare, given one later by `switchSession`). */
  sessionFile: string | null;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** The process ended before answering. */
export class PiExitedError extends Error {}

const STDERR_TAIL_CHARS = 2000;

/** A running pi process. */
export class PiProcess {
  /** Resolves when the process has exited and its stdout has been read to the end. */
  readonly closed: Promise<PiExit>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly listeners = new Set<(record: PiRecord) => void>();
  private readonly pending = new Map<string, { resolve: (r: PiResponse) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private stderrTail = "";
  private exit: PiExit | undefined;
  /** Set when a started spare was handed a session: `ready()` then waits for that switch. */
  private readiness: Promise<void> | undefined;

  /** Spawns pi at once; it writes nothing until its first command (see `ready`). */
  constructor(options: PiProcessOptions) {
    // pi itself, not npx or a shell, and not detached: the pid is pi's own and killing it kills pi.
    const session = options.sessionFile === null ? ["--no-session"] : ["--session", options.sessionFile];
    this.child = spawn(process.execPath, [options.cliPath, "--mode", "rpc", ...session, ...options.args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const splitter = new JsonlSplitter((line) => this.onLine(line));
    this.child.stdout.on("data", (chunk: Buffer) => splitter.push(chunk));
    this.child.stdout.on("end", () => splitter.end());
    this.child.stderr.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_CHARS);
    });
    // Writing to a pi that just died raises EPIPE here; the close handler reports the death.
    this.child.stdin.on("error", () => {});
    this.closed = new Promise((resolve) => {
      // `close`, not `exit`: only then has every buffered stdout line been delivered.
      this.child.on("close", (code, signal) => {
        this.exit = { code, signal, stderrTail: this.stderrTail.trim() };
        for (const { reject } of this.pending.values()) reject(new PiExitedError(describeExit(this.exit)));
        this.pending.clear();
        resolve(this.exit);
      });
      this.child.on("error", (error) => {
        this.stderrTail += `\n${error.message}`;
      });
    });
  }

  /** pi's pid (undefined only if spawning failed outright). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** False once the process has exited. */
  get alive(): boolean {
    return this.exit === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until pi answers `get_state`: its readiness probe, since it is silent until asked. */
  async ready(timeoutMs: number): Promise<void> {
    if (this.readiness) return this.readiness;
    const response = await this.request({ type: "get_state" }, timeoutMs);
    if (!response.success) throw new Error(`pi did not start: ${response.error ?? "get_state failed"}`);
  }

  /**
   * Gives this (already started) pi a session's history file with pi's `switch_session` (docs/rpc.md);
   * `ready()` then resolves once pi has switched, and rejects if it refused or did not answer.
   */
  switchSession(sessionFile: string, timeoutMs: number): void {
    this.readiness = this.request({ type: "switch_session", sessionPath: sessionFile }, timeoutMs).then((response) => {
      const cancelled = (response.data as { cancelled?: boolean } | undefined)?.cancelled === true;
      if (!response.success || cancelled) throw new Error(`pi did not switch sessions: ${response.error ?? "an extension cancelled it"}`);
    });
    this.readiness.catch(() => {}); // reported through ready()
  }

  /** Subscribes to every record pi writes; returns the unsubscribe function. */
  onRecord(listener: (record: PiRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends a command and resolves with its response. */
  request(command: Record<string, unknown>, timeoutMs = 30_000): Promise<PiResponse> {
    if (!this.alive) return Promise.reject(new PiExitedError("pi is not running"));
    const id = `evie-${this.nextId++}`;
    return new Promise<PiResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`pi did not answer ${String(command.type)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (response) => {
          clearTimeout(timer);
          resolve(response);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.stdin.write(`${JSON.stringify({ ...command, id })}\n`);
    });
  }

  /** Sends a command without waiting for its response. */
  send(command: Record<string, unknown>): void {
    if (this.alive) this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  /** Closes stdin (pi then shuts down cleanly); SIGKILLs it if it is still there after `graceMs`. */
  async stop(graceMs = 5000): Promise<PiExit> {
    if (this.exit) return this.exit;
    this.child.stdin.end();
    const timer = setTimeout(() => this.kill(), graceMs);
    try {
      return await this.closed;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the process at once. */
  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.alive) this.child.kill(signal);
  }

  private onLine(line: string): void {
    const record = parsePiLine(line);
    if (!record) return; // not a protocol record (pi never does this, but a stray print must not kill the turn)
    if (record.type === "response" && typeof record.id === "string") {
      const waiter = this.pending.get(record.id);
      if (waiter) {
        this.pending.delete(record.id);
        waiter.resolve(record as PiResponse);
        return;
      }
    }
    for (const listener of this.listeners) listener(record);
  }
}

/** A one-line account of how pi ended, with the tail of its stderr. */
export function describeExit(exit: PiExit): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const tail = exit.stderrTail.split("\n").slice(-3).join(" | ");
  return tail ? `pi ${how}: ${tail}` : `pi ${how}`;
}
