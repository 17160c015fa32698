/**
 * ReplyStream's durability: `finished` run again (after a crash, an alarm retry or a re-attach)
 * sends nothing twice, and a delivery cut off between parts resumes with the next part.
 * Runs inside a real ChatSession's storage against the fake Telegram API.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ReplyTarget } from "../../../../src/worker/platforms/adapter";
import { DeliveryStore } from "../../../../src/worker/platforms/delivery/store";
import { adapters } from "../../../../src/worker/adapters";
import { editIntervalMs, typingIntervalMs } from "../../../../src/worker/platforms/delivery/pacing";
import { finalText, ReplyStream } from "../../../../src/worker/platforms/delivery/reply-stream";
import { randomId, telegramCalls } from "../helpers";

async function withStore<T>(run: (store: DeliveryStore) => Promise<T>): Promise<T> {
  const stub = env.CHAT_SESSION.getByName(`test:reply-stream:${crypto.randomUUID()}`);
  return runInDurableObject(stub, (_instance, state) => run(new DeliveryStore(state.storage.sql)));
}

const stream = (store: DeliveryStore, target: ReplyTarget, messageId = "m1") =>
  new ReplyStream({ outbound: adapters.telegram.outbound(env), target, store, messageId });

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
      await observer.finished({ ok: false, error: "backend_unreachable: lost the turn's event stream" });
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

  it("says how a turn ended when it did not end well", () => {
    expect(finalText({ ok: false, error: "aborted: aborted" }, "half an answer")).toBe("half an answer\n\n⏹ Stopped.");
    expect(finalText({ ok: false, error: "llm_error: boom" }, "")).toBe("⚠️ The agent could not finish this reply: llm_error: boom");
    expect(finalText({ ok: true, text: "" }, "")).toMatch(/without a text reply/);
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
