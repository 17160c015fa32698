/**
 * ReplyStream's durability: `finished` run again (after a crash, an alarm retry or a re-attach)
 * sends nothing twice, and a delivery cut off between parts resumes with the next part.
 * Runs inside a real ChatSession's storage against the fake Telegram API.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { adapters } from "../../../../src/worker/adapters";
import { DeliveryHandover } from "../../../../src/worker/chat/turn-observer";
import type { ReplyTarget } from "../../../../src/worker/platforms/adapter";
import { LiveStreams } from "../../../../src/worker/platforms/delivery/live-streams";
import { editIntervalMs, typingIntervalMs } from "../../../../src/worker/platforms/delivery/pacing";
import { finalText, ReplyStream } from "../../../../src/worker/platforms/delivery/reply-stream";
import { DeliveryStore } from "../../../../src/worker/platforms/delivery/store";
import { failTelegram, randomId, telegramCalls } from "../helpers";

async function withStore<T>(run: (store: DeliveryStore) => Promise<T>): Promise<T> {
  const stub = env.CHAT_SESSION.getByName(`test:reply-stream:${crypto.randomUUID()}`);
  return runInDurableObject(stub, (_instance, state) => run(new DeliveryStore(state.storage.sql)));
}

/** One object instance's live streams, as the ChatSession owns them. */
const liveIn = new WeakMap<DeliveryStore, LiveStreams>();
const stream = (store: DeliveryStore, target: ReplyTarget, messageId = "m1") => {
  if (!liveIn.has(store)) liveIn.set(store, new LiveStreams());
  return new ReplyStream({ outbound: adapters.telegram.outbound(env), target, store, messageId, live: liveIn.get(store)! });
};

describe("ReplyStream", () => {
  it("delivers the final reply once, however often finished() runs", async () => {
    const chatId = randomId();
    const target: ReplyTarget = { platform: "telegram", chatId, replyTo: 5 };
    await withStore(async (store) => {
      for (let run = 0; run < 3; run++) {
        const observer = stream(store, target);
        await observer.started();
        await observer.finished({ ok: true, text: "the answer" });
      }
      expect(store.load("m1")).toMatchObject({ final: true, partsSent: 1, shown: "the answer" });
    });
    const sends = (await telegramCalls(chatId)).filter((c) => c.method === "sendMessage");
    expect(sends.map((c) => c.body.text)).toEqual(["the answer"]);
  });

  it("resumes a split reply with the first part not yet delivered", async () => {
    const chatId = randomId();
    const target: ReplyTarget = { platform: "telegram", chatId, replyTo: 5 };
    const text = ["A".repeat(4000), "B".repeat(4000), "C".repeat(100)].join("\n\n");
    await withStore(async (store) => {
      // A crash after the first two parts went out: the stored state says so.
      store.save("m1", { streamId: "1", shown: "A".repeat(4000), finalText: text, partsSent: 2, final: false }, Date.now());
      const observer = stream(store, target);
      await observer.started();
      // Even told a different outcome now (the re-run lost the turn's end), it finishes the text it started.
      await observer.finished({ ok: false, code: "backend_unreachable", detail: "lost the turn's event stream" });
    });
    const sends = (await telegramCalls(chatId)).filter((c) => c.method === "sendMessage" || c.method === "editMessageText");
    expect(sends.map((c) => c.body.text)).toEqual(["C".repeat(100)]);
  });

  it("retires a stream when a later invocation resumes the same reply (a handover)", async () => {
    const chatId = randomId();
    const target: ReplyTarget = { platform: "telegram", chatId, replyTo: 5 };
    await withStore(async (store) => {
      const before = stream(store, target);
      await before.started();
      before.progress("from the first invocation");
      const after = stream(store, target);
      await after.started();
      await new Promise((resolve) => setTimeout(resolve, 1300));
      await after.finished({ ok: true, text: "final" });
    });
    const calls = await telegramCalls(chatId);
    expect(calls.filter((c) => c.method === "sendMessage").map((c) => c.body.text)).toEqual(["final"]);
  });

  it("hands a final delivery that would wait past the alarm invocation's budget over to the next invocation", async () => {
    const chatId = randomId();
    const target: ReplyTarget = { platform: "telegram", chatId, replyTo: 5 };
    await failTelegram({ chatId, method: "sendMessage", status: 429, description: "Too Many Requests: retry after 3", retryAfter: 3 });
    await withStore(async (store) => {
      const live = new LiveStreams();
      const outbound = adapters.telegram.outbound(env);
      // 1.5 s left in this invocation: the 3 s wait does not fit.
      const first = new ReplyStream({ outbound, target, store, messageId: "m1", live, deliverUntil: Date.now() + 1_500 });
      await first.started();
      await expect(first.finished({ ok: true, text: "late" })).rejects.toBeInstanceOf(DeliveryHandover);
      expect(store.load("m1")).toMatchObject({ final: false, partsSent: 0 });
      // The next invocation replays the turn's end and delivers.
      const second = new ReplyStream({ outbound, target, store, messageId: "m1", live, deliverUntil: Date.now() + 60_000 });
      await second.started();
      await second.finished({ ok: true, text: "late" });
      expect(store.load("m1")).toMatchObject({ final: true, partsSent: 1 });
    });
    const sends = (await telegramCalls(chatId)).filter((c) => c.method === "sendMessage");
    expect(sends.map((c) => c.status)).toEqual([429, 200]);
    expect(sends[1]!.body.text).toBe("late");
  });

  it("says how a turn ended when it did not end well, with its code and a human reason, never its detail", () => {
    expect(finalText({ ok: false, code: "aborted", detail: "aborted" }, "half an answer", "telegram")).toBe("half an answer\n\n⏹ Stopped.");
    const leak = "pi exited 1: Error: ENOENT: no such file, open '/home/evie/.pi/agent/auth.json'";
    expect(finalText({ ok: false, code: "llm_error", detail: leak }, "", "telegram")).toBe(
      "⚠️ The agent failed (llm_error): the model provider returned an error. Try again, or /new to start over.",
    );
    expect(finalText({ ok: false, code: "process_crashed", detail: leak }, "so far", "slack")).toBe(
      'so far\n\n⚠️ The agent failed (process_crashed): the agent\'s process stopped unexpectedly. Try again, or "new" to start over.',
    );
    expect(finalText({ ok: true, text: "" }, "", "telegram")).toMatch(/without a text reply/);
  });

  it.each([
    ["process_crashed", "process stopped"],
    ["timeout", "too long"],
    ["busy", "busy"],
    ["backend_capacity", "no room"],
    ["backend_lost_turn", "lost track"],
    ["unreachable", "could not be reached"],
    ["backend_unreachable", "connection"],
    ["config_error", "not configured correctly"],
    ["internal_error", "in the relay"],
  ])("has a human line for %s", (code, words) => {
    const text = finalText({ ok: false, code, detail: "/srv/evie/secret-path" }, "", "telegram");
    expect(text).toContain(`(${code}): `);
    expect(text).toContain(words);
    expect(text).not.toContain("/srv/evie");
  });

  it("falls back to a generic line for an unknown code, and shows no code that is not shaped like one", () => {
    expect(finalText({ ok: false, code: "http_502", detail: "<html>bad gateway</html>" }, "", "telegram")).toBe(
      "⚠️ The agent failed (http_502): something went wrong. Try again, or /new to start over.",
    );
    expect(finalText({ ok: false, code: "constructor", detail: "" }, "", "telegram")).toContain("(constructor): something went wrong.");
    const odd = finalText({ ok: false, code: "see /etc/passwd", detail: "" }, "", "telegram");
    expect(odd).toContain("(error): something went wrong");
    expect(odd).not.toContain("/etc/passwd");
  });
});

describe("pacing", () => {
  it("edits every second at first and slows down as a long turn goes on", () => {
    expect(editIntervalMs(0)).toBe(1000);
    expect(editIntervalMs(5_000)).toBe(1000);
    expect(editIntervalMs(120_000)).toBe(12_000);
    expect(editIntervalMs(30 * 60_000)).toBe(60_000);
    expect(typingIntervalMs(0)).toBe(4000);
    expect(typingIntervalMs(10 * 60_000)).toBe(20_000);
    expect(typingIntervalMs(60 * 60_000)).toBe(60_000);
  });

  it("keeps a 14-minute alarm invocation within a modest number of platform calls", () => {
    let edits = 0;
    for (let t = 0; t < 14 * 60_000; t += editIntervalMs(t)) edits++;
    let typing = 0;
    for (let t = 0; t < 14 * 60_000; t += typingIntervalMs(t)) typing++;
    expect(edits).toBeLessThan(80);
    expect(typing).toBeLessThan(120);
  });
});
