/**
 * Issue 9 finding: pi-client calls had no timeout, so one hung DELETE held the registry's eviction alarm —
 * and with it the release of every other chat — for ever. Runs with PI_CALL_TIMEOUT_SECONDS=1.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, backendLog, freshChat, script, send, settled, waitFor } from "../worker/helpers";

const HOUR = 3_600_000;
const registry = () => env.REGISTRY.getByName("registry");

/** Gives the chat one finished turn, then makes it an hour idle in its own storage and in the registry's view. */
async function makeIdle(chatKey: string, chat: string): Promise<void> {
  await settled(chat, (await send(chat, "hello")).messageId);
  await waitFor(async () => {
    const s = (await (await api(`/api/status/${chatKey}`)).json()) as { backend: string; busy: boolean };
    return s.backend === "live" && !s.busy;
  });
  await runInDurableObject(env.CHAT_SESSION.getByName(chatKey), (_instance, state) => {
    state.storage.sql.exec("UPDATE meta SET value = CAST(CAST(value AS INTEGER) - ? AS TEXT) WHERE key = 'last_activity'", HOUR);
  });
  await registry().report((await env.CHAT_SESSION.getByName(chatKey).snapshot())!);
}

describe("a pi-client call that never answers", () => {
  it("a hung DELETE times out: later evictions still run, and the chat's next message is answered", async () => {
    const hungChat = freshChat("hung");
    const hung = `http:${hungChat}`;
    await script(hung, { hangDelete: true });
    await makeIdle(hung, hungChat);
    await waitFor(async () => (await backendLog(hung)).some((e) => e.kind === "delete"), 10_000, "the hung DELETE");

    // Another chat goes idle after that: the registry's next alarm must release it.
    const laterChat = freshChat("later");
    const later = `http:${laterChat}`;
    await makeIdle(later, laterChat);
    await waitFor(async () => (await env.CHAT_SESSION.getByName(later).snapshot())!.backend === "released", 10_000, "the later release");

    // The hung release gave up and freed the chat's turn lock; the session stays marked live.
    expect((await env.CHAT_SESSION.getByName(hung).snapshot())!.backend).toBe("live");
    const next = await send(hungChat, "still there?");
    expect(await settled(hungChat, next.messageId, 10_000)).toMatchObject({ state: "done", reply: "echo: still there?" });
    await script(hung, {});
  });
});
