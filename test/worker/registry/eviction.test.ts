import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { registryFor } from "../../../src/worker/registry/shards";
import { api, backendLog, control, freshChat, script, send, settled, waitFor } from "../helpers";

const HOUR = 3_600_000;
/** The registry shard that owns this chat. */
const registry = (chatKey: string) => registryFor(env, chatKey);

/**
 * Sends the registry the chat's current snapshot made `ms` older (and, when asked, not busy),
 * as if that were the last report it had heard. The registry arms its alarm for overdue chats.
 */
async function ageRegistryRow(chatKey: string, ms: number, forceIdle = false): Promise<void> {
  const current = (await env.CHAT_SESSION.getByName(chatKey).snapshot())!;
  await registry(chatKey).report({
    ...current,
    lastActivity: current.lastActivity - ms,
    busy: forceIdle ? false : current.busy,
    queued: forceIdle ? 0 : current.queued,
  });
}

/** Makes the chat's own last activity `ms` older. */
async function ageChat(chatKey: string, ms: number): Promise<void> {
  await runInDurableObject(env.CHAT_SESSION.getByName(chatKey), (_instance, state) => {
    state.storage.sql.exec("UPDATE meta SET value = CAST(CAST(value AS INTEGER) - ? AS TEXT) WHERE key = 'last_activity'", ms);
  });
}

async function status(chatKey: string): Promise<{ backend: string; busy: boolean }> {
  return (await api(`/api/status/${chatKey}`)).json();
}

async function backendState(chatKey: string): Promise<string> {
  return (await status(chatKey)).backend;
}

/** One turn, and the registry has heard about its end (turn-loop reports are not awaited). */
async function finishedTurn(chat: string): Promise<void> {
  const sent = await send(chat, "hello");
  await settled(chat, sent.messageId);
  await waitFor(async () => {
    const s = await status(`http:${chat}`);
    return s.backend === "live" && !s.busy;
  });
}

describe("idle eviction through the registry alarm", () => {
  it("releases an idle chat, keeps a busy one and one that became active after the snapshot", async () => {
    const idle = freshChat("idle");
    const active = freshChat("active");
    const busy = freshChat("busy");
    await finishedTurn(idle);
    await finishedTurn(active);
    await finishedTurn(busy);

    // idle: the registry's view and the chat's own agree it has been quiet for an hour.
    await ageChat(`http:${idle}`, HOUR);
    await ageRegistryRow(`http:${idle}`, 0);
    // active: the registry's snapshot is old, but the chat has seen activity since.
    await ageRegistryRow(`http:${active}`, HOUR);
    // busy: a turn holds the lock, though the registry's (stale) row says idle.
    await script(`http:${busy}`, { hold: true });
    await send(busy, "long task");
    await waitFor(async () => (await backendLog(`http:${busy}`)).filter((e) => e.kind === "turn_start").length === 2);
    await waitFor(async () => (await status(`http:${busy}`)).busy);
    await ageRegistryRow(`http:${busy}`, HOUR, true);
    await ageChat(`http:${busy}`, HOUR);

    // Each chat's shard armed its alarm for its overdue chat; run them now if they have not fired yet.
    for (const chat of [idle, active, busy]) await runDurableObjectAlarm(registry(`http:${chat}`));

    const deletes = async (chat: string) => (await backendLog(`http:${chat}`)).filter((e) => e.kind === "delete").length;
    await waitFor(async () => (await deletes(idle)) === 1, 5_000, "the idle chat's release");
    expect(await backendState(`http:${idle}`)).toBe("released");
    expect(await deletes(active)).toBe(0);
    expect(await backendState(`http:${active}`)).toBe("live");
    expect(await deletes(busy)).toBe(0);

    await script(`http:${busy}`, {});
    await control("release", { sessionId: `http:${busy}` });
  });

  it("resumes transparently: the next message after a release starts a new backend session", async () => {
    const chat = freshChat();
    await finishedTurn(chat);
    await ageChat(`http:${chat}`, HOUR);
    await ageRegistryRow(`http:${chat}`, 0);
    await runDurableObjectAlarm(registry(`http:${chat}`));
    await waitFor(async () => (await backendState(`http:${chat}`)) === "released");

    const again = await send(chat, "are you there?");
    expect((await settled(chat, again.messageId)).reply).toBe("echo: are you there?");
    const log = await backendLog(`http:${chat}`);
    expect(log.map((e) => e.kind).filter((k) => k === "spawn" || k === "delete")).toEqual(["spawn", "delete", "spawn"]);
  });
});

describe("crash cleanup and generations", () => {
  it.each([
    ["process_crashed", "the backend process crashes mid-turn"],
    ["backend_lost_turn", "the backend shuts down before the turn ends"],
  ] as const)("drops the backend handle on %s: %s", async (code, _when) => {
    const chat = freshChat();
    await finishedTurn(chat);
    const before = await env.CHAT_SESSION.getByName(`http:${chat}`).snapshot();
    await script(`http:${chat}`, { error: { code, message: "pi exited with signal SIGKILL" } });
    const sent = await send(chat, "crash please");
    const failed = await settled(chat, sent.messageId);
    expect(failed.state).toBe("failed");
    expect(failed.error).toContain(code);
    const after = await env.CHAT_SESSION.getByName(`http:${chat}`).snapshot();
    expect(after).toMatchObject({ backend: "released", generation: before!.generation + 1 });
    await waitFor(async () => (await backendState(`http:${chat}`)) === "released");
  });

  it("ignores an eviction carrying a stale generation: the replacement session survives", async () => {
    const chat = freshChat();
    const stub = env.CHAT_SESSION.getByName(`http:${chat}`);
    await finishedTurn(chat);
    const old = (await stub.snapshot())!;
    await control("crash", { sessionId: `http:${chat}` });
    await script(`http:${chat}`, { error: { code: "process_crashed", message: "gone" } });
    await settled(chat, (await send(chat, "dies")).messageId);
    await script(`http:${chat}`, {});
    await finishedTurn(chat); // the replacement session
    const replacement = (await stub.snapshot())!;
    expect(replacement.generation).toBe(old.generation + 1);
    expect(replacement.backend).toBe("live");

    await ageChat(`http:${chat}`, HOUR);
    const result = await stub.releaseBackendSession({ generation: old.generation, lastActivity: Date.now() });
    expect(result).toMatchObject({ released: false, reason: "stale_generation" });
    expect((await backendLog(`http:${chat}`)).filter((e) => e.kind === "delete")).toHaveLength(0);
    expect((await stub.snapshot())!.backend).toBe("live");

    const current = await stub.releaseBackendSession({ generation: replacement.generation, lastActivity: Date.now() });
    expect(current).toMatchObject({ released: true });
    expect((await backendLog(`http:${chat}`)).filter((e) => e.kind === "delete")).toHaveLength(1);
  });
});
