/**
 * Issue 9 finding: the alarm's 15-minute budget was counted from after the turn-lock wait, so an alarm that
 * waited for a release could run past its limit. It is now counted from the alarm's start.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { backendLog, control, freshChat, script, settled, waitFor } from "../helpers";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("the alarm invocation's budget", () => {
  it("is counted from the alarm's start, including the wait for the turn lock", async () => {
    const chat = freshChat("budget");
    const chatKey = `http:${chat}`;
    const stub = env.CHAT_SESSION.getByName(chatKey);
    await script(chatKey, { hold: true });
    const elapsed = await runInDurableObject(stub, async (instance, state) => {
      // A 3 s budget for this instance; a message stored without its alarm, so only our call runs it.
      const core = instance as unknown as {
        env: Record<string, unknown>;
        turnLock: { runExclusive(f: () => Promise<void>): Promise<void> };
      };
      core.env = { ...core.env, TURN_HANDOVER_SECONDS: "3" };
      state.storage.sql.exec("INSERT INTO meta (key, value) VALUES ('chat_key', ?) ON CONFLICT (key) DO NOTHING", chatKey);
      state.storage.sql.exec(
        "INSERT INTO messages (id, kind, text, state, created_at, updated_at) VALUES ('long', 'prompt', 'long turn', 'queued', ?, ?)",
        Date.now(),
        Date.now(),
      );
      // Something else (a release) holds the turn lock for 2 s when the alarm fires.
      const held = core.turnLock.runExclusive(() => sleep(2_000));
      const started = Date.now();
      await instance.alarm!();
      await held;
      return Date.now() - started;
    });
    // Handed over within the 3 s from the alarm's start (not 2 s + 3 s).
    expect(elapsed).toBeLessThan(3_500);
    expect((await backendLog(chatKey)).some((e) => e.kind === "turn_start")).toBe(true);
    await script(chatKey, {});
    await control("release", { sessionId: chatKey });
    await waitFor(async () => (await settled(chat, "long", 15_000)).state === "done");
  });
});
