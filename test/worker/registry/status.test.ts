import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { registryFor } from "../../../src/worker/registry/shards";
import type { SessionStatus as Status } from "../../../src/worker/registry/types";
import { api, backendLog, control, freshChat, script, send, settled, waitFor } from "../helpers";

async function statusOf(chatKey: string): Promise<Status | null> {
  const res = await api(`/api/status/${chatKey}`);
  if (res.status === 404) return null;
  return res.json();
}

describe("status API", () => {
  it("answers at once while turns are held open in this chat and 20 others", async () => {
    const chats = Array.from({ length: 21 }, () => freshChat("st"));
    await Promise.all(chats.map((c) => script(`http:${c}`, { hold: true })));
    await Promise.all(chats.map((c) => send(c, "hold")));
    await send(chats[0]!, "waiting behind the held turn");
    await waitFor(
      async () => {
        const all = (await (await api("/api/status?limit=1000")).json()) as { sessions: Status[] };
        const ours = all.sessions.filter((s) => chats.includes(s.chat.slice("http:".length)));
        // Reports reach the registry in the background (issue 13), so wait until every turn shows as started.
        const first = ours.find((s) => s.chat === `http:${chats[0]}`);
        return ours.length === 21 && ours.every((s) => s.busy && s.backend === "live") && first?.queued === 1;
      },
      20_000,
      "all 21 chats busy with a live backend session",
    );

    const started = Date.now();
    const [list, one] = await Promise.all([api("/api/status"), statusOf(`http:${chats[0]}`)]);
    const elapsed = Date.now() - started;
    expect(list.status).toBe(200);
    // The turns are held until released, so any answer at all proves status does not wait for them;
    // the bound is only generous enough for a loaded CI machine (benchmarks measure the real figure).
    expect(elapsed).toBeLessThan(5_000);
    expect(one).toMatchObject({ chat: `http:${chats[0]}`, busy: true, queued: 1, backend: "live" });
    const body = (await list.json()) as { idleTimeoutSeconds: number; sessions: Status[] };
    expect(body.idleTimeoutSeconds).toBe(900);

    // The held turns really were still running while status answered.
    for (const c of chats) expect((await backendLog(`http:${c}`)).some((e) => e.kind === "turn_end")).toBe(false);
    await Promise.all(chats.map((c) => script(`http:${c}`, {})));
    await Promise.all(chats.map((c) => control("release", { sessionId: `http:${c}` })));
  });

  it("shows a chat as released until a turn has started its backend session, live after", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { submitStatus: 503 });
    // No room yet: the message is held (queued), the session not started.
    const held = await send(chat, "no room yet");
    const before = await waitFor(async () => {
      const s = await statusOf(`http:${chat}`);
      return s && !s.busy && s.queued === 1 ? s : null;
    });
    expect(before).toMatchObject({ chat: `http:${chat}`, backend: "released", queued: 1 });

    await script(`http:${chat}`, {});
    await settled(chat, held.messageId, 20_000);
    const after = await waitFor(async () => {
      const s = await statusOf(`http:${chat}`);
      return s && !s.busy && s.backend === "live" ? s : null;
    });
    expect(after).toMatchObject({ busy: false, queued: 0, backend: "live" });
    expect(Number.isInteger(after.idleSeconds)).toBe(true);
    expect(Date.parse(after.lastActivity)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("answers 404 for a chat it has never seen, and needs the token", async () => {
    const res = await api(`/api/status/telegram:${crypto.randomUUID()}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
    expect((await api("/api/status", { auth: false })).status).toBe(401);
  });
});

describe("registry storage", () => {
  it("keeps what it was told across a restart of the registry object", async () => {
    const chat = freshChat();
    await settled(chat, (await send(chat, "remember me")).messageId);
    await waitFor(async () => {
      const s = await statusOf(`http:${chat}`);
      return s && !s.busy && s.backend === "live";
    });
    // Reports reach storage in batches (within 250 ms): wait for the row itself to be written, not for a fixed time.
    const registry = registryFor(env, `http:${chat}`);
    await waitFor(() =>
      runInDurableObject(registry, (_instance, state) => {
        const rows = state.storage.sql.exec<{ busy: number; backend: string }>(
          "SELECT busy, backend FROM sessions WHERE chat = ?",
          `http:${chat}`,
        );
        const row = rows.toArray()[0];
        return row?.busy === 0 && row.backend === "live";
      }),
    );
    await runInDurableObject(registry, (_instance, state) => state.abort("simulated restart")).catch(() => {});
    expect(await statusOf(`http:${chat}`)).toMatchObject({ chat: `http:${chat}`, busy: false, backend: "live" });
  });
});
