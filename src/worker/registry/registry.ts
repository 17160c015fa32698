/**
 * Registry: one shard of the chats' activity (REGISTRY_SHARDS objects, placement in shard-map.ts).
 * The status API reads only the shards, so it never waits on a turn; each shard's alarm, set to the
 * earliest idle deadline among its chats, asks those idle chats to release their backend sessions.
 */
import { DurableObject } from "cloudflare:workers";
import { log } from "../../shared/log";
import { idleTimeoutSeconds, registryShards } from "../config/config";
import type { ChatSessions, Env } from "../config/env";
import { migrate } from "../storage/migrations";
import { BackendReachability, type BackendReport } from "./backend-status";
import { registrySchema } from "./schema";
import { SessionTable } from "./session-table";
import { shardIndexOf, shardOf } from "./shard-map";
import { isAfter, statusOrder } from "./status-order";
import type { ReleasableChat, SessionSnapshot, ShardPage, StatusCursor } from "./types";

/** How long reports are gathered before they are written to storage together. */
const FLUSH_DELAY_MS = 250;
/** A chat that stays due (its release was skipped) is looked at again after this long, not in a tight loop. */
const MIN_ALARM_GAP_MS = 5_000;

/** The bindings the registry uses: the chats it asks to release, and the settings. */
export type RegistryEnv = Env & ChatSessions<ReleasableChat>;

export class Registry extends DurableObject<RegistryEnv> {
  private readonly table: SessionTable;
  private readonly backend: BackendReachability;
  /** The alarm time as last read or set (undefined: not read yet), so a report costs no storage read. */
  private alarmAt: number | null | undefined;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(ctx: DurableObjectState, env: RegistryEnv) {
    super(ctx, env);
    migrate(ctx.storage, registrySchema);
    this.table = new SessionTable(ctx.storage);
    this.backend = new BackendReachability(ctx.storage.kv);
  }

  /** Records what a chat saw of the backend (newest report wins); `GET /api/status` shows it. */
  async reportBackend(report: BackendReport): Promise<void> {
    if (this.backend.apply(report)) log.info("backend.reachability", { ...report });
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
    // Only this chat's deadline can be new, so no scan of the other rows: O(1) per report at any size.
    if (snapshot.backend === "live" && !snapshot.busy) await this.armNoLaterThan(snapshot.lastActivity + this.idleTimeoutSeconds * 1000);
  }

  /** Forgets a chat that retention deleted (its object's storage is gone). */
  async forget(chat: string): Promise<void> {
    if (this.table.remove(chat)) log.info("registry.forgot", { chat });
  }

  /** This shard's first `limit` chats after `after`, most recently active first (see status-order.ts). */
  async listStatus(page: { limit?: number; after?: StatusCursor } = {}): Promise<ShardPage> {
    const all = this.table.all();
    const after = page.after ? all.filter((s) => isAfter(s, page.after)) : all;
    after.sort(statusOrder);
    const limit = page.limit ?? after.length;
    return {
      idleTimeoutSeconds: this.idleTimeoutSeconds,
      sessions: after.slice(0, limit),
      more: after.length > limit,
      total: all.length,
      backend: this.backend.held(),
    };
  }

  /** One chat's last report, or null when this shard has never heard of it. */
  async getStatus(chat: string): Promise<SessionSnapshot | null> {
    return this.table.get(chat) ?? null;
  }

  /** The rows this shard holds of `chats` (the status merge checks chats left in another shard). */
  async getStatuses(chats: string[]): Promise<SessionSnapshot[]> {
    return chats.flatMap((chat) => this.table.get(chat) ?? []);
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
        if (result.released) this.dropIfRehomed(s.chat);
      }),
    );
    for (const [i, result] of results.entries()) {
      if (result.status === "rejected") log.error("registry.release_failed", { chat: due[i]!.chat, error: result.reason });
    }
    this.flush();
    await this.scheduleEviction(Date.now(), MIN_ALARM_GAP_MS, true);
  }

  /**
   * After REGISTRY_SHARDS changed, a chat's row stays in its old shard until that shard releases
   * it; the chat then reports "released" to its new home (ChatSession.releaseBackendSession), so
   * the old row can go. Skipped when this object does not know its own name.
   */
  private dropIfRehomed(chat: string): void {
    const self = shardIndexOf(this.ctx.id.name);
    if (self !== null && shardOf(chat, registryShards(this.env)) !== self) this.table.remove(chat);
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

  /** Moves the alarm earlier to `at` (never sooner than now); a report never moves it later. */
  private async armNoLaterThan(at: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    const when = Math.max(at, Date.now());
    if (this.alarmAt === null || when < this.alarmAt) {
      await this.ctx.storage.setAlarm(when);
      this.alarmAt = when;
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
