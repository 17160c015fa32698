/**
 * Registry: the one Durable Object that knows every chat's activity. The status API reads only
 * this object, so it never waits on a turn; its alarm, set to the earliest idle deadline, asks
 * idle chats to release their backend sessions.
 */
import { DurableObject } from "cloudflare:workers";
import { log } from "../../shared/log";
import { idleTimeoutSeconds } from "../config/config";
import type { ChatSessions, Env } from "../config/env";
import { migrate } from "../storage/migrations";
import { registrySchema } from "./schema";
import { SessionTable } from "./session-table";
import type { ReleasableChat, SessionSnapshot, SessionStatus } from "./types";

/** How long reports are gathered before they are written to storage together. */
const FLUSH_DELAY_MS = 250;
/** A chat that stays due (its release was skipped) is looked at again after this long, not in a tight loop. */
const MIN_ALARM_GAP_MS = 5_000;

/** The bindings the registry uses: the chats it asks to release, and the settings. */
export type RegistryEnv = Env & ChatSessions<ReleasableChat>;

export class Registry extends DurableObject<RegistryEnv> {
  private readonly table: SessionTable;
  /** The alarm time as last read or set (undefined: not read yet), so a report costs no storage read. */
  private alarmAt: number | null | undefined;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(ctx: DurableObjectState, env: RegistryEnv) {
    super(ctx, env);
    migrate(ctx.storage, registrySchema);
    this.table = new SessionTable(ctx.storage);
  }

  /** Seconds of inactivity after which a chat's backend session is released. */
  get idleTimeoutSeconds(): number {
    return idleTimeoutSeconds(this.env);
  }

  /**
   * Records a chat's snapshot unless a newer one is already held, then re-arms the eviction
   * alarm. The write reaches storage within FLUSH_DELAY_MS, batched with other chats' reports;
   * a report lost to a crash in between is superseded by that chat's next one.
   */
  async report(snapshot: SessionSnapshot): Promise<void> {
    if (!this.table.apply(snapshot)) return;
    this.flushSoon();
    await this.scheduleEviction(Date.now(), 0);
  }

  /** Forgets a chat that retention deleted (its object's storage is gone). */
  async forget(chat: string): Promise<void> {
    if (this.table.remove(chat)) log.info("registry.forgot", { chat });
  }

  /** Every known chat, most recently active first. */
  async listStatus(now = Date.now()): Promise<{ idleTimeoutSeconds: number; sessions: SessionStatus[] }> {
    const sessions = this.table
      .all()
      .sort((a, b) => b.lastActivity - a.lastActivity)
      .map((s) => toStatus(s, now));
    return { idleTimeoutSeconds: this.idleTimeoutSeconds, sessions };
  }

  /** One chat's status, or null when the registry has never heard of it. */
  async getStatus(chat: string, now = Date.now()): Promise<SessionStatus | null> {
    const s = this.table.get(chat);
    return s ? toStatus(s, now) : null;
  }

  override async alarm(): Promise<void> {
    try {
      await this.evictIdleSessions(Date.now());
    } catch (err) {
      log.error("registry.eviction_failed", { error: err });
      this.alarmAt = Date.now() + MIN_ALARM_GAP_MS;
      await this.ctx.storage.setAlarm(this.alarmAt);
    }
  }

  /**
   * Asks every chat idle since before `now - idleTimeout` (and not busy) to release its backend
   * session, all at once so that no chat waits on another. Each ChatSession re-checks idleness
   * and generation itself, so a chat that became active in between is kept.
   */
  async evictIdleSessions(now: number): Promise<void> {
    const cutoff = now - this.idleTimeoutSeconds * 1000;
    const due = this.table.idleLive().filter((s) => s.lastActivity <= cutoff);
    const results = await Promise.allSettled(
      due.map(async (s) => {
        const result = await this.env.CHAT_SESSION.getByName(s.chat).releaseBackendSession({
          generation: s.generation,
          lastActivity: s.lastActivity,
        });
        if (result.snapshot) this.table.apply(result.snapshot);
      }),
    );
    for (const [i, result] of results.entries()) {
      if (result.status === "rejected") log.error("registry.release_failed", { chat: due[i]!.chat, error: result.reason });
    }
    this.flush();
    await this.scheduleEviction(Date.now(), MIN_ALARM_GAP_MS, true);
  }

  private flushSoon(): void {
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_DELAY_MS);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    try {
      this.table.flush();
    } catch (err) {
      log.error("registry.write_failed", { error: err });
    }
  }

  /**
   * Sets the alarm to the earliest idle deadline (no sooner than `now + minGap`). After a report
   * it only ever moves the alarm earlier: an alarm that fires with nothing due just re-arms.
   */
  private async scheduleEviction(now: number, minGap: number, fromAlarm = false): Promise<void> {
    let earliest: number | null = null;
    for (const s of this.table.idleLive()) if (earliest === null || s.lastActivity < earliest) earliest = s.lastActivity;
    if (this.alarmAt === undefined || fromAlarm) this.alarmAt = await this.ctx.storage.getAlarm();
    if (earliest === null) return;
    const at = Math.max(earliest + this.idleTimeoutSeconds * 1000, now + minGap);
    if (this.alarmAt === null || at < this.alarmAt || fromAlarm) {
      await this.ctx.storage.setAlarm(at);
      this.alarmAt = at;
    }
  }
}

function toStatus(s: SessionSnapshot, now: number): SessionStatus {
  return {
    chat: s.chat,
    lastActivity: new Date(s.lastActivity).toISOString(),
    idleSeconds: Math.max(0, Math.floor((now - s.lastActivity) / 1000)),
    busy: s.busy,
    queued: s.queued,
    backend: s.backend,
  };
}
