/** Issue 9 findings on the inbox's edges: an insert that landed without its alarm, a release that failed on a blip. */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { backendLog, freshChat, script, send, settled } from "../helpers";

const HOUR = 3_600_000;

describe("a redelivered message whose first insert landed without its alarm", () => {
  it("is run: the redelivery sets the missing alarm", async () => {
    const chat = freshChat();
    const stub = env.CHAT_SESSION.getByName(`http:${chat}`);
    await settled(chat, (await send(chat, "warm up")).messageId);
    // The first delivery's insert committed, then the request died before its alarm was set.
    await runInDurableObject(stub, async (_instance, state) => {
      state.storage.sql.exec(
        "INSERT INTO messages (id, kind, text, state, created_at, updated_at) VALUES ('lost-alarm', 'prompt', 'run me', 'queued', ?, ?)",
        Date.now(),
        Date.now(),
      );
      await state.storage.deleteAlarm();
    });
    const again = await send(chat, "run me", "lost-alarm");
    expect(again.messageId).toBe("lost-alarm");
    expect(await settled(chat, "lost-alarm", 5_000)).toMatchObject({ state: "done", reply: "echo: run me" });
    expect((await backendLog(`http:${chat}`)).filter((e) => e.kind === "submit")).toHaveLength(2);
  });
});

describe("a release that fails on a network blip", () => {
  it("keeps the live pi marked live, so a later eviction releases it", async () => {
    const chat = freshChat();
    const stub = env.CHAT_SESSION.getByName(`http:${chat}`);
    await settled(chat, (await send(chat, "hello")).messageId);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE meta SET value = CAST(CAST(value AS INTEGER) - ? AS TEXT) WHERE key = 'last_activity'", HOUR);
    });
    const live = (await stub.snapshot())!;
    await script(`http:${chat}`, { deleteStatus: 502 });
    const failed = await stub.releaseBackendSession({ generation: live.generation, lastActivity: Date.now() });
    expect(failed).toMatchObject({ released: false, reason: "release_failed" });
    expect((await stub.snapshot())!).toMatchObject({ backend: "live", generation: live.generation });

    await script(`http:${chat}`, {});
    const retried = await stub.releaseBackendSession({ generation: live.generation, lastActivity: Date.now() });
    expect(retried).toMatchObject({ released: true });
    expect((await backendLog(`http:${chat}`)).filter((e) => e.kind === "delete")).toHaveLength(2);
  });
});
